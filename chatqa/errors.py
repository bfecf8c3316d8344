"""Errors chatqa raises, each carrying enough context for a one-line report."""

from __future__ import annotations

from pydantic import BaseModel, field_validator

from .redact import mask_cards


class ChatqaError(Exception):
    """Base class for every error chatqa reports to users."""


class ConfigError(ChatqaError):
    """A bad option, config file or rule file (exit code 2)."""


class Failure(BaseModel, frozen=True):
    """One input (a file or a record in it) that could not be turned into a transcript."""

    source: str
    locator: str = ""
    reason: str

    @field_validator("reason")
    @classmethod
    def _no_cards(cls, value: str) -> str:
        return mask_cards(value)  # reasons may quote input values

    def __str__(self) -> str:
        at = f" (at {self.locator})" if self.locator else ""
        return f"{self.source}: error: {self.reason}{at}"


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
