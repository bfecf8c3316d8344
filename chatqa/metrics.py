"""Per-conversation timing and volume metrics (SPEC section 4).

Only visible messages of kind ``message`` count. A reply is a visible message by a human
agent; bots, system events and internal notes never answer a customer. Agent messages
before the first customer message (proactive greetings) start no clock.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import NamedTuple

from pydantic import BaseModel

from .model import Kind, Message, Role, Transcript


class Metrics(BaseModel, frozen=True):
    """The metrics of one conversation; seconds, None where not computable."""

    messages: int = 0
    customer_messages: int = 0
    agent_messages: int = 0
    bot_messages: int = 0
    first_response_s: float | None = None
    avg_response_s: float | None = None
    median_response_s: float | None = None
    max_response_s: float | None = None
    duration_s: float | None = None
    canned_ratio: float | None = None
    max_concurrency: int | None = None


class Reply(NamedTuple):
    """A human agent's reply to the earliest customer message it answers."""

    customer: Message
    agent: Message
    seconds: float | None  # None when either message has no time


def is_chat(m: Message, role: Role) -> bool:
    """A visible chat line (kind message) written by `role`."""
    return m.role is role and m.kind is Kind.MESSAGE and not m.internal


class Facts:
    """What metrics and rules read about a transcript, gathered in one pass over its messages.

    `counts`: visible chat lines per role; `lines`: the visible chat lines of each role but
    system, and of all of them (``"any"``), in order; `replies`: every agent reply paired with the
    earliest customer message not yet answered; `agents`: human agents who wrote visible
    lines, by id (or name), in order of appearance; `words`: words in the visible lines of
    customers and agents; `window`: first and last time of a visible entry (None without times).
    """

    __slots__ = ("counts", "lines", "replies", "agents", "words", "window")

    def __init__(self, transcript: Transcript) -> None:
        counts = {Role.CUSTOMER: 0, Role.AGENT: 0, Role.BOT: 0, Role.SYSTEM: 0}
        pairs: list[Reply] = []
        found: dict[str, None] = {}
        pending: Message | None = None
        words = 0
        first = last = None
        message, customer, agent, system = Kind.MESSAGE, Role.CUSTOMER, Role.AGENT, Role.SYSTEM
        lines: dict[str, list[Message]] = {"customer": [], "agent": [], "bot": [], "any": []}
        every = lines["any"]
        for m in transcript.messages:
            if m.internal:
                continue
            when = m.sent_at
            if when is not None:
                if first is None or when < first:
                    first = when
                if last is None or when > last:
                    last = when
            if m.kind is not message:
                continue
            role = m.role
            counts[role] += 1
            if role is not system:
                lines[role.value].append(m)
                every.append(m)
            if role is customer:
                words += len(m.text.split())
                if pending is None:
                    pending = m
            elif role is agent:
                words += len(m.text.split())
                key = m.author_id or m.author_name
                if key:
                    found[key] = None
                if pending is not None:
                    seconds = None
                    if when is not None and pending.sent_at is not None:
                        seconds = (when - pending.sent_at).total_seconds()
                    pairs.append(Reply(pending, m, seconds))
                    pending = None
        self.counts = counts
        self.lines = lines
        self.replies = pairs
        self.agents = list(found)
        self.words = words
        self.window: tuple[datetime, datetime] | None = (first, last) if first is not None and last is not None else None


def replies(transcript: Transcript) -> list[Reply]:
    """Every agent reply, paired with the earliest customer message not yet answered."""
    return Facts(transcript).replies


def agents(transcript: Transcript) -> list[str]:
    """Human agents who wrote visible messages, by id (or name), in order of appearance."""
    return Facts(transcript).agents


def compute(transcript: Transcript, facts: Facts | None = None) -> Metrics:
    """Compute the SPEC section 4 metrics (canned_ratio and max_concurrency are run-level: None here)."""
    facts = facts or Facts(transcript)
    counts, window = facts.counts, facts.window
    times = [p.seconds for p in facts.replies if p.seconds is not None]
    return Metrics(
        messages=counts[Role.CUSTOMER] + counts[Role.AGENT] + counts[Role.BOT] + counts[Role.SYSTEM],
        customer_messages=counts[Role.CUSTOMER],
        agent_messages=counts[Role.AGENT],
        bot_messages=counts[Role.BOT],
        first_response_s=facts.replies[0].seconds if facts.replies else None,
        avg_response_s=_us(sum(times) / len(times)) if times else None,
        median_response_s=_us(median(times)) if times else None,
        max_response_s=max(times) if times else None,
        duration_s=(window[1] - window[0]).total_seconds() if window else None,
    )


def _us(seconds: float) -> float:
    """Round to the microsecond, the resolution of the times (no float noise in outputs)."""
    return round(float(seconds), 6)
