"""Errors chatqa raises, each carrying enough context for a one-line report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, field_validator

from .redact import redact


class ChatqaError(Exception):
    """Base class for every error chatqa reports to users."""


class ConfigError(ChatqaError, ValueError):
    """A bad option, config file or rule file (exit code 2); a ValueError for library callers."""


# Control characters, line and paragraph separators and bidirectional overrides in a reason
# (which may quote input values) are shown escaped: an error stays one line, and input text
# cannot reorder or fake what the terminal shows.
_UNSAFE = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160))} | {
    c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
_UNSAFE.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): " "})


MAX_REASON = 400  # characters; a reason quoting a huge input value is cut


def one_line(text: str) -> str:
    """`text` with control characters and bidi overrides escaped (for one-line error reports)."""
    return text.translate(_UNSAFE)


class Failure(BaseModel, frozen=True):
    """One input (a file or a record in it) that could not be turned into a transcript."""

    source: str
    locator: str = ""
    reason: str

    # Reasons may quote input values, locators hold the input's JSON keys, sources are file
    # names: card numbers, emails and phone numbers are masked in all three, always (an error
    # line is for finding the place, not the person), before a long reason is cut.
    @field_validator("reason")
    @classmethod
    def _masked_reason(cls, value: str) -> str:
        value = one_line(redact(value))
        return value if len(value) <= MAX_REASON else value[:MAX_REASON - 1] + "…"

    @field_validator("locator", "source")
    @classmethod
    def _masked(cls, value: str) -> str:
        return one_line(redact(value))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Failure:
        """A copy with `update` applied, validated again (so updated reasons are masked too)."""
        return type(self).model_validate({**self.model_dump(), **(update or {})})

    def __str__(self) -> str:
        at = f" (at {self.locator})" if self.locator else ""
        return f"{one_line(self.source)}: error: {self.reason}{at}"


def quoted(value: object, limit: int = 40) -> str:
    """`value` as an error reason quotes it: masked first (see `Failure`), then cut to `limit`
    characters, so a cut never leaves part of a card number unmasked."""
    return repr(redact(str(value))[:limit])


class ParseError(ChatqaError):
    """An input that cannot be read as a transcript export.

    `locator` names the place inside the file (``line 12``, ``chats[3].thread``);
    `source` is the file and is usually filled in by the loader.
    """

    def __init__(self, reason: str, locator: str = "", source: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.locator = locator
        self.source = source

    def at(self, locator: str) -> ParseError:
        """Return a copy whose locator is prefixed by `locator` (an enclosing place)."""
        return ParseError(self.reason, join_locator(locator, self.locator), self.source)

    def failure(self, source: str = "") -> Failure:
        """Turn the error into a reportable Failure."""
        return Failure(source=source or self.source, locator=self.locator, reason=self.reason)

    def __str__(self) -> str:
        return str(self.failure())


def join_locator(outer: str, inner: str) -> str:
    """Join two locators: ``chats[0]`` + ``thread.events[2]`` -> ``chats[0].thread.events[2]``."""
    if not outer:
        return inner
    if not inner:
        return outer
    if inner.startswith("["):
        return outer + inner
    sep = ", " if outer.startswith("line ") else "."
    return f"{outer}{sep}{inner}"
