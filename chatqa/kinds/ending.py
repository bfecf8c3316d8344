"""``closing``: how the agent ended the conversation (checked the problem is solved, offered more help)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from ..match import PhraseIndex
from ..model import Kind, Role
from ..records import Line
from ..results import Finding
from . import Context, Pattern, Rule
from .phrase import validate_patterns


class ClosingRule(Rule):
    """Flags a conversation whose agents wrote at least `min_messages` messages and none of
    their last `last` messages matches `patterns` (exceptions veto, as for phrase rules).

    Nothing to flag when the customer left before the agent's next turn (they wrote after the
    agents' last message, or a later system event matches `departures`: "visitor left the
    chat"), or when the conversation ends on a hand-off: a system event after the agents' last
    message, or a last agent message, matching `handoffs` ("transferred"). With fewer agent
    messages the rule is not applicable.
    """

    kind: Literal["closing"] = "closing"
    patterns: list[Pattern] = Field(min_length=1)
    exceptions: list[Pattern] = []
    handoffs: list[Pattern] = []
    departures: list[Pattern] = []
    last: int = Field(default=3, ge=1)
    min_messages: int = Field(default=2, ge=1)

    placeholders: ClassVar[frozenset[str]] = frozenset({"last", "min_messages"})

    _check_patterns = field_validator("patterns", "exceptions", "handoffs", "departures")(validate_patterns)

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register the closing wording and the hand-off wording."""
        index.add(self.code, self.patterns, self.exceptions)
        if self.handoffs:
            index.add(self.code + ">", self.handoffs)
        if self.departures:
            index.add(self.code + "<", self.departures)

    def applies(self, ctx: Context) -> bool:
        """Needs `min_messages` agent messages."""
        return len(ctx.scoped("agent")) >= self.min_messages

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One whole-conversation finding when the agents' last messages never close."""
        agents = ctx.scoped("agent")
        last_agent = agents[-1]
        after = [m for m in ctx.lines if m.index > last_agent.index and not m.internal]
        if any(m.role is Role.CUSTOMER and m.kind is Kind.MESSAGE and not m.bystander for m in after):
            return  # the customer wrote last: the agent never had the next turn
        if self._handoff(ctx, last_agent, after) or self._event(ctx, after, self.code + "<", self.departures):
            return
        if not any(ctx.matches(m, self.code) for m in reversed(agents[-self.last:])):  # the last first
            yield self.finding(last=self.last, min_messages=self.min_messages)

    def _handoff(self, ctx: Context, last_agent: Line, after: list[Line]) -> bool:
        """The agent's last message hands the customer over, or a later system event does."""
        if not self.handoffs or ctx.index is None:
            return False
        if ctx.matches(last_agent, self.code + ">"):
            return True
        return self._event(ctx, after, self.code + ">", self.handoffs)

    def _event(self, ctx: Context, after: list[Line], key: str, patterns: list[Pattern]) -> bool:
        """A system event among `after` matches the patterns registered under `key`."""
        if not patterns or ctx.index is None:
            return False
        events = [f"{m.event or ''} {m.text}".strip().replace("_", " ") for m in after if m.role is Role.SYSTEM]
        return any(ctx.index.match(text, [key]) for text in events if text)
