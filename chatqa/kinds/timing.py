"""``latency`` (slow replies) and ``unanswered`` (the chat ends on an unanswered customer)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from ..model import Role
from ..records import is_chat
from ..results import Finding, Level
from . import Context, Duration, Rule, human_duration


class LatencyRule(Rule):
    """Flags agent replies slower than `max` (``measure: first`` for the first reply only,
    ``later`` for every other reply); above `error_above` the finding is an error."""

    kind: Literal["latency"] = "latency"
    measure: Literal["first", "later"]
    max: Duration
    error_above: Duration | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset({"seconds", "max", "error_above", "waited"})

    @model_validator(mode="after")
    def _ordered(self) -> LatencyRule:
        if self.error_above is not None and self.error_above < self.max:
            raise ValueError("error_above: must not be below max")
        return self

    def applies(self, ctx: Context) -> bool:
        """Needs times and a customer message (and, for later replies, a second reply)."""
        return ctx.facts.timed and ctx.metrics.customer_messages > 0

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding per slow reply, on the reply."""
        pairs = ctx.replies[:1] if self.measure == "first" else ctx.replies[1:]
        limit = self.max
        for _, agent, seconds in pairs:
            if seconds is None or seconds <= limit:
                continue
            level = Level.ERROR if self.error_above is not None and seconds > self.error_above else None
            yield self.finding(agent, level=level, seconds=round(seconds), waited=human_duration(seconds),
                               max=human_duration(limit), error_above=human_duration(self.error_above or limit))


_WORDS = re.compile(r"[a-z0-9]+")
_HANDLE = re.compile(r"@\w+")


class UnansweredRule(Rule):
    """Flags a conversation that ends on customer messages no human agent answered (or that
    no agent ever answered), unless those last messages only close the chat: no question
    mark, and either nothing but `closing_words` (emoji allowed) or a `thanks_words` word
    with none of the `unresolved_words` ("thanks, but it still fails")."""

    kind: Literal["unanswered"] = "unanswered"
    closing_words: list[str] = Field(min_length=1)
    thanks_words: list[str] = []
    unresolved_words: list[str] = []

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "count"})

    def applies(self, ctx: Context) -> bool:
        """Needs a customer message."""
        return ctx.metrics.customer_messages > 0

    def closes(self, text: str) -> bool:
        """True when a customer message only closes the conversation."""
        if "?" in text:
            return False
        words = set(_WORDS.findall(_HANDLE.sub(" ", text.lower()).replace("'", "").replace("’", "")))
        if words <= self._closing:
            return True
        return bool(words & self._thanks) and not words & self._unresolved

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding on the first unanswered customer message."""
        last_agent = ctx.facts.last_agent
        trailing = [m for m in ctx.lines[last_agent + 1:] if is_chat(m, Role.CUSTOMER)]
        if trailing and not all(self.closes(m.text) for m in trailing):
            yield self.finding(trailing[0], count=len(trailing))

    @cached_property
    def _closing(self) -> frozenset[str]:
        return frozenset(w.lower() for w in self.closing_words)

    @cached_property
    def _thanks(self) -> frozenset[str]:
        return frozenset(w.lower() for w in self.thanks_words)

    @cached_property
    def _unresolved(self) -> frozenset[str]:
        return frozenset(w.lower().replace("'", "") for w in self.unresolved_words)
