"""``latency`` (slow replies) and ``unanswered`` (the chat ends on an unanswered customer)."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, PrivateAttr, field_validator, model_validator

from ..model import Channel, Kind, Role
from ..records import Line, is_chat, lead_mention
from ..results import Finding, Level
from . import Context, Pattern, Rule, human_duration, parse_duration
from .phrase import referenced_wording, validate_patterns

if TYPE_CHECKING:
    from ..match import PhraseIndex


def channel_durations(value: Any) -> Any:
    """A threshold: one duration (every channel) or a table of durations by channel."""
    if isinstance(value, dict):
        out: dict[Channel, float] = {}
        for key, item in value.items():
            name = str(key).strip().lower()
            if name not in _CHANNELS:
                raise ValueError(f".{key}: unknown channel {str(key)!r} (channels: {', '.join(Channel)})")
            try:
                out[Channel(name)] = parse_duration(item)
            except ValueError as exc:
                raise ValueError(f".{name}: {exc}") from None
        return out
    if value is None:
        return value
    seconds = parse_duration(value)
    return dict.fromkeys(Channel, seconds)


_CHANNELS = frozenset(c.value for c in Channel)
Thresholds = Annotated[dict[Channel, float], BeforeValidator(channel_durations)]


class LatencyRule(Rule):
    """Flags agent replies slower than `max` (``measure: first`` for the first reply only,
    ``later`` for every other reply); above `error_above` the finding is an error.

    Each threshold is one duration or a table by channel (``{chat: 60s, social: 1h}``); a
    channel the `max` table leaves out is not judged (not applicable), one `error_above` leaves
    out gets warnings only. In config a table changes the channels it names and keeps the
    others (`merged_tables`). With a business-hours calendar the rule judges each wait in
    business hours (the all-hours figures stay in the metrics)."""

    kind: Literal["latency"] = "latency"
    measure: Literal["first", "later"]
    max: Thresholds
    error_above: Thresholds | None = None
    closings_from: str | None = None  # an unanswered-kind rule (name or code) that reads closings
    awaited_only_on: list[Channel] = []  # where only posts that await a reply are timed (`_awaited`)

    _closer: UnansweredRule | None = PrivateAttr(default=None)

    placeholders: ClassVar[frozenset[str]] = frozenset({"seconds", "max", "error_above", "waited", "channel"})
    described: ClassVar[frozenset[str]] = frozenset({"max", "error_above", "channels"})
    merged_tables: ClassVar[frozenset[str]] = frozenset({"max", "error_above"})

    @model_validator(mode="after")
    def _ordered(self) -> LatencyRule:
        for channel, error in (self.error_above or {}).items():
            limit = self.max.get(channel)
            if limit is not None and error < limit:
                raise ValueError(f"error_above: {human_duration(error)} on {channel} is below max "
                                 f"({human_duration(limit)}); raise error_above too")
        return self

    def judges(self, channel: Channel) -> bool:
        """The rule's `channels` that its `max` gives a threshold for."""
        return super().judges(channel) and channel in self.max

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Find the rule whose closings tell a post that waits for no reply (`closings_from`)."""
        if self.closings_from is None:
            return
        rule = catalogue.get(self.closings_from)
        if not isinstance(rule, UnansweredRule):
            raise ValueError(f"closings_from: {self.closings_from!r} is not an unanswered-kind rule")
        rule.prepare(index, catalogue)
        self._closer = rule

    def _awaited(self, ctx: Context, customer: Line, agent: Line, handles: bool) -> Line | None:
        """The first customer post the reply answers that waited for it: on an `awaited_only_on`
        channel not one that only closes the exchange (thanks, praise, a confirmed fix, as
        `closings_from` reads them) nor one addressed to nobody (no @handle, where the team's
        replies name whom they answer: a post the team found, not one sent to it); a file always
        waits. Elsewhere the post that started the clock. None when no post waited. `handles`:
        whether the team's replies start by naming someone."""
        if ctx.channel not in self.awaited_only_on:
            return customer
        closer, side = self._closer, ctx.facts.side_talk
        for m in ctx.lines[customer.index:agent.index]:
            if m.role is not Role.CUSTOMER or m.internal or m.bystander or m.kind not in _POSTS:
                continue
            if m is not customer and side and lead_mention(m.text) in side:
                continue
            if m.kind is Kind.FILE:
                return m
            if handles and "@" not in m.text:
                continue
            if closer is None or not closer.closes(ctx, m):
                return m
        return None

    def _wait(self, ctx: Context, customer: Line, agent: Line, seconds: float | None, handles: bool) -> float | None:
        """The reply's wait, from the first post that waited for it (`_awaited`)."""
        waited = self._awaited(ctx, customer, agent, handles)
        if waited is None or waited is customer or seconds is None:
            return None if waited is None else seconds
        if waited.sent_at is None or agent.sent_at is None:
            return None
        if ctx.calendar is not None and ctx.business is not None:
            return ctx.calendar.open_seconds(waited.sent_at, agent.sent_at)
        return (agent.sent_at - waited.sent_at).total_seconds()

    def applies(self, ctx: Context) -> bool:
        """Needs times and a customer message or file."""
        if not ctx.facts.timed:
            return False
        return ctx.metrics.customer_messages > 0 or any(
            m.role is Role.CUSTOMER and m.kind is Kind.FILE and not m.internal for m in ctx.lines)

    def figure(self, business: bool) -> str:
        """The metric this rule judges (with or without a business-hours calendar)."""
        if self.measure == "first":
            return "first_response_bh_s" if business else "first_response_s"
        return "each later reply's wait in business hours" if business else "each later reply's wait"

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding per slow reply, on the reply."""
        channel = ctx.channel
        limit = self.max[channel]
        error = self.error_above.get(channel) if self.error_above is not None else None
        waits = [p[2] for p in ctx.replies] if ctx.business is None else ctx.business
        suffix = "" if ctx.business is None else " of business hours"
        pairs = zip(ctx.replies, waits, strict=True)
        handles = channel in self.awaited_only_on and any(
            line.role in (Role.AGENT, Role.BOT) and lead_mention(line.text) for line in ctx.lines)
        for i, ((customer, agent, _), seconds) in enumerate(pairs):
            if (i == 0) != (self.measure == "first"):
                continue
            if seconds is None or seconds <= limit:
                continue
            seconds = self._wait(ctx, customer, agent, seconds, handles)
            if seconds is None or seconds <= limit:
                continue
            level = Level.ERROR if error is not None and seconds > error else None
            yield self.finding(agent, level=level, seconds=round(seconds), waited=human_duration(seconds) + suffix,
                               max=human_duration(limit), error_above=human_duration(error or limit),
                               channel=channel.value)

    def describe(self) -> list[str]:
        """The thresholds by channel."""
        lines = [f"Thresholds by channel (override in [tool.chatqa.rules.{self.name}], e.g. "
                 f'max = {{chat = "60s", social = "1h"}}):']
        for channel in Channel:
            if not self.judges(channel):
                why = "not in channels" if not super().judges(channel) else "no max for it"
                lines.append(f"  {channel.value:<10} not applicable ({why})")
                continue
            error = (self.error_above or {}).get(channel)
            above = f", error above {human_duration(error)}" if error is not None else ""
            lines.append(f"  {channel.value:<10} max {human_duration(self.max[channel])}{above}")
        if self.awaited_only_on:
            where = ", ".join(c.value for c in self.awaited_only_on)
            closings = f"closings ({self.closings_from})" if self.closings_from else "closings"
            lines.append(f"On {where}, only posts that await a reply are timed: not {closings},")
            lines.append("  nor posts addressed to nobody (awaited_only_on = [] times every post).")
        return lines


_POSTS = (Kind.MESSAGE, Kind.FILE)
_WORDS = re.compile(r"[a-z0-9]+")
_HANDLE = re.compile(r"@\w+")


def _words(text: str) -> set[str]:
    """The words of a message as `UnansweredRule` compares them: lowercase, apostrophes dropped,
    handles left out, single letters other than "i" ignored."""
    found = _WORDS.findall(_HANDLE.sub(" ", text.lower()).replace("'", "").replace("’", ""))
    return {w for w in found if len(w) > 1 or w == "i" or w.isdigit()}


def _asked(ctx: Context, message: Line) -> bool:
    """True when the agent message just before `message` asks a question."""
    agents = ctx.facts.lines["agent"]  # (visible agent messages, in order)
    before = bisect_left(agents, message.index, key=_index)
    return before > 0 and "?" in agents[before - 1].text


def _index(line: Line) -> int:
    return line.index


class UnansweredRule(Rule):
    """Flags a conversation that ends on messages of its customer (bystanders on a public thread
    do not count, nor the customer's public replies to those who joined after them) that no
    human agent answered, or that no agent ever answered, unless those last messages only close
    the chat. A message closes it when it has no question mark, asks for nothing (`requests`:
    "please call me", "can you check"), has none of the wording of the `vetoed_by` rules (anger),
    and either holds nothing but `closing_words` (emoji allowed), or holds a `closings` phrase
    (exceptions veto: "that worked", "the problem has been resolved", "DM sent") with none of the
    `contrast_words` after it ("that worked but ...", "can do ... not helpful"), or holds a
    `thanks_words` word with none of the `unresolved_words` ("thanks, but it still fails") and is
    not the answer to an agent's question ("Which store?" / "Thanks, Leith Walk")."""

    kind: Literal["unanswered"] = "unanswered"
    closing_words: list[str] = Field(min_length=1)
    thanks_words: list[str] = []
    unresolved_words: list[str] = []
    closings: list[Pattern] = []
    closing_exceptions: list[Pattern] = []
    contrast_words: list[str] = []
    requests: list[Pattern] = []
    request_exceptions: list[Pattern] = []
    vetoed_by: list[str] = []  # phrase rules (name or code) whose wording in a message means it closes nothing

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "count"})

    _check_patterns = field_validator("closings", "closing_exceptions", "requests",
                                      "request_exceptions")(validate_patterns)

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register the wording of a closing (a solved problem...), of a request and of the
        `vetoed_by` rules (once: a latency rule that reads these closings prepares this rule too)."""
        known = index.keys()
        if any(self.code + mark in known for mark in "+?~"):
            return
        if self.closings:
            index.add(self.code + "+", self.closings, self.closing_exceptions)
        if self.requests:
            index.add(self.code + "?", self.requests, self.request_exceptions)
        patterns, exceptions = referenced_wording(self.vetoed_by, catalogue, "vetoed_by")
        if patterns:
            index.add(self.code + "~", patterns, exceptions)

    def applies(self, ctx: Context) -> bool:
        """Needs a customer message."""
        return ctx.metrics.customer_messages > 0

    def closes(self, ctx: Context, message: Line) -> bool:
        """True when a customer message only closes the conversation."""
        return self._closing_by(ctx, message) is not None

    def _closing_by(self, ctx: Context, message: Line) -> str | None:
        """How a customer message closes the conversation: "words" (closing words alone),
        "phrase" (a `closings` phrase: solved, moved to DM, praise) or "thanks"; None if not."""
        text = message.text
        if "?" in text or (self.requests and ctx.matches(message, self.code + "?")):
            return None
        if self.vetoed_by and ctx.matches(message, self.code + "~"):  # "Thanks. Morons."
            return None
        words = _words(text)
        if words <= self._closing:  # (letters alone are no words: emoji that were not kept leave "h")
            return "words"
        closing = ctx.matches(message, self.code + "+") if self.closings else []
        if closing:  # no contrast after the last closing phrase ("that worked but ...", "... not helpful")
            return None if _words(text[closing[-1][1]:]) & self._contrast else "phrase"
        if not words & self._thanks or words & self._unresolved:
            return None
        # thanks with more than closing words, right after an agent's question, is its answer
        # ("Thanks. Ecclesall Rd, Sheffield" to "Which store was it?"): the agent owes a reply
        return "thanks" if words <= self._closing | self._thanks or not _asked(ctx, message) else None

    def check(self, ctx: Context) -> Iterator[Finding]:
        """One finding on the first unanswered customer message, unless the customer's last
        message closes with a `closings` phrase ("I've figured it out, no need to reply"): what
        they asked before it is settled."""
        last_agent, side = ctx.facts.last_agent, ctx.facts.side_talk
        trailing = [m for m in ctx.lines[last_agent + 1:] if is_chat(m, Role.CUSTOMER)
                    and not (side and lead_mention(m.text) in side)]  # (not a reply to a bystander)
        if not trailing or self._closing_by(ctx, trailing[-1]) == "phrase":
            return
        if not all(self.closes(ctx, m) for m in trailing):
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

    @cached_property
    def _contrast(self) -> frozenset[str]:
        return frozenset(w.lower().replace("'", "") for w in self.contrast_words)
