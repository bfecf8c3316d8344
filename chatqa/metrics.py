"""Per-conversation timing and volume metrics (SPEC section 4).

Only visible messages of kind ``message`` count. A reply is a visible message by a human
agent; bots, system events and internal notes never answer a customer. Agent messages
before the first customer message (proactive greetings) start no clock. Visible files
(attachments without text, kind ``file``) take part in the clock like messages: a customer's
starts it, a human agent's answers it; they count in no ``*_messages`` count.

With a business-hours calendar (`chatqa.business_hours`), every wait is also measured in the
team's open time only: the ``*_bh_s`` metrics. Without one they are unset (left out of the JSON,
null in the tables).
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import TYPE_CHECKING, NamedTuple

import msgspec

from .model import Kind, Role, Transcript
from .records import Conversation, Line, lead_mention

if TYPE_CHECKING:
    from .business_hours import Calendar

Unset = msgspec.UnsetType


class Metrics(msgspec.Struct):
    """The metrics of one conversation; seconds, None where not computable."""

    messages: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    bot_messages: int = 0
    first_response_s: float | None = None
    avg_response_s: float | None = None
    median_response_s: float | None = None
    max_response_s: float | None = None
    # Business hours only (SPEC section 4): unset without a calendar, None when not computable.
    first_response_bh_s: float | Unset | None = msgspec.UNSET
    avg_response_bh_s: float | Unset | None = msgspec.UNSET
    max_response_bh_s: float | Unset | None = msgspec.UNSET
    duration_s: float | None = None
    canned_ratio: float | None = None
    max_concurrency: int | None = None


class Reply(NamedTuple):
    """A human agent's reply to the earliest customer message it answers."""

    customer: Line
    agent: Line
    seconds: float | None  # None when either message has no time


class Facts:
    """What metrics and rules read about a conversation, gathered in one pass over its lines.

    `counts`: visible chat lines per role; `lines`: the visible chat lines of each role but
    system, and of all of them (``"any"``), in order; bystanders' lines (SPEC section 2) are only
    among ``"any"`` and counted apart, in `bystanders`; `replies`: every agent reply paired with the
    earliest customer message not yet answered, as ``(customer, agent, seconds)`` (see `Reply`;
    visible files take part: a customer's starts the clock, a human agent's answers it; on a
    public thread an agent's message that starts by naming a bystander, a reply to them, does
    not answer the customer, and nor does the customer's reply to a bystander who joined after
    them start a clock); `side_talk`: the handles (casefolded) of those bystanders;
    `agents`: human agents who wrote visible lines, by id (or name), in order of appearance;
    `last_agent`: the index of the last visible agent line or file (-1 without one); `window`: first and
    last time of a visible entry (None without times); `timed`: whether any entry, internal ones
    included, has a time. `words` (words in the customers' and agents' visible lines) is counted
    on first use.
    """

    __slots__ = ("_words", "agents", "bystanders", "counts", "last_agent", "lines", "replies", "side_talk", "timed",
                 "window")

    def __init__(self, lines: list[Line]) -> None:
        pairs: list[tuple[Line, Line, float | None]] = []
        found: dict[str, None] = {}
        pending: Line | None = None
        pending_at = first = last = None
        message, customer, agent, bot, file = Kind.MESSAGE, Role.CUSTOMER, Role.AGENT, Role.BOT, Kind.FILE
        customers: list[Line] = []
        agents: list[Line] = []
        bots: list[Line] = []
        every: list[Line] = []
        system = others = 0
        aside: set[str] = set()  # bystanders' handles: a reply that starts by naming one answers them
        joined: set[str] = set()  # those of bystanders who joined after the customer: side talk
        timed = False
        last_agent = -1
        for m in lines:
            when = m.sent_at
            if when is not None:
                timed = True
                if not m.internal:
                    if first is None or when < first:
                        first = when
                    if last is None or when > last:
                        last = when
            if m.internal:
                continue
            if m.kind is not message:
                if m.kind is file:  # a file takes part in the clock, and in nothing else
                    if m.role is customer and pending is None and not m.bystander:
                        pending, pending_at = m, when
                    elif m.role is agent:
                        last_agent = m.index
                        if pending is not None:
                            pairs.append((pending, m, _wait(pending_at, when)))
                            pending = None
                continue
            role = m.role
            if role is customer:
                every.append(m)
                if m.bystander:  # someone else on a public thread: not the customer, starts no clock
                    others += 1
                    names = [h.casefold() for h in (m.author_id, m.author_name) if h]
                    if customers:  # (one who posted before the customer, e.g. the thread's first post, did not join)
                        joined.update(n for n in names if n not in aside)
                    aside.update(names)
                    continue
                customers.append(m)
                if pending is None and not (joined and lead_mention(m.text) in joined):
                    pending, pending_at = m, when
            elif role is agent:
                agents.append(m)
                every.append(m)
                last_agent = m.index
                key = m.author_id or m.author_name
                if key:
                    found[key] = None
                if pending is not None and not (aside and lead_mention(m.text) in aside):
                    pairs.append((pending, m, _wait(pending_at, when)))
                    pending = None
            elif role is bot:
                bots.append(m)
                every.append(m)
            else:
                system += 1
        self.counts = {customer: len(customers), agent: len(agents), bot: len(bots), Role.SYSTEM: system}
        self.bystanders = others
        self.side_talk = joined
        self.lines = {"customer": customers, "agent": agents, "bot": bots, "any": every}
        self.replies = pairs
        self.agents = list(found)
        self.last_agent = last_agent
        self.window: tuple[datetime, datetime] | None = (
            (first, last) if first is not None and last is not None else None)
        self.timed = timed
        self._words: int | None = None

    @property
    def words(self) -> int:
        """Words (whitespace-separated chunks) in the customers' and agents' visible lines."""
        if self._words is None:
            from .match.scan import SPACES, fold

            texts = [m.text for m in self.lines["customer"]] + [m.text for m in self.lines["agent"]]
            self._words = (b" " + fold(" ".join(texts)).translate(SPACES)).count(b" x")
        return self._words


def _wait(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if end is not None and start is not None else None


def business_waits(replies: list[tuple[Line, Line, float | None]], calendar: Calendar) -> list[float | None]:
    """Each reply's wait in the calendar's open time (None where a time is missing)."""
    return [None if seconds is None or c.sent_at is None or a.sent_at is None
            else calendar.open_seconds(c.sent_at, a.sent_at) for c, a, seconds in replies]


def _lines(conversation: Conversation | Transcript) -> list[Line]:
    if isinstance(conversation, Transcript):
        return Conversation.of(conversation).lines
    return conversation.lines


def replies(conversation: Conversation | Transcript) -> list[Reply]:
    """Every agent reply, paired with the earliest customer message not yet answered."""
    return [Reply(*pair) for pair in Facts(_lines(conversation)).replies]


def agents(conversation: Conversation | Transcript) -> list[str]:
    """Human agents who wrote visible messages, by id (or name), in order of appearance."""
    return Facts(_lines(conversation)).agents


def compute(conversation: Conversation | Transcript, facts: Facts | None = None,
            business: list[float | None] | None = None) -> Metrics:
    """Compute the SPEC section 4 metrics (canned_ratio and max_concurrency are run-level: None
    here); `business` holds each reply's wait in business hours (`business_waits`), when a
    calendar is set."""
    facts = facts or Facts(_lines(conversation))
    counts, window = facts.counts, facts.window
    times = [p[2] for p in facts.replies if p[2] is not None]
    metrics = Metrics(
        messages=counts[Role.CUSTOMER] + counts[Role.AGENT] + counts[Role.BOT] + counts[Role.SYSTEM]
        + facts.bystanders,
        customer_messages=counts[Role.CUSTOMER],
        agent_messages=counts[Role.AGENT],
        bot_messages=counts[Role.BOT],
        first_response_s=facts.replies[0][2] if facts.replies else None,
        avg_response_s=_us(sum(times) / len(times)) if times else None,
        median_response_s=_us(median(times)) if times else None,
        max_response_s=max(times) if times else None,
        duration_s=(window[1] - window[0]).total_seconds() if window else None,
    )
    if business is not None:
        waits = [w for w in business if w is not None]
        metrics.first_response_bh_s = business[0] if business else None
        metrics.avg_response_bh_s = _us(sum(waits) / len(waits)) if waits else None
        metrics.max_response_bh_s = max(waits) if waits else None
    return metrics


def _us(seconds: float) -> float:
    """Round to the microsecond, the resolution of the times (no float noise in outputs)."""
    return round(float(seconds), 6)
