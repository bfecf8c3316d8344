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


def replies(transcript: Transcript) -> list[Reply]:
    """Every agent reply, paired with the earliest customer message not yet answered."""
    pairs: list[Reply] = []
    pending: Message | None = None
    for m in transcript.messages:
        if m.kind is not Kind.MESSAGE or m.internal:
            continue
        if m.role is Role.CUSTOMER:
            if pending is None:
                pending = m
        elif m.role is Role.AGENT and pending is not None:
            seconds = None
            if m.sent_at is not None and pending.sent_at is not None:
                seconds = (m.sent_at - pending.sent_at).total_seconds()
            pairs.append(Reply(pending, m, seconds))
            pending = None
    return pairs


def agents(transcript: Transcript) -> list[str]:
    """Human agents who wrote visible messages, by id (or name), in order of appearance."""
    found: dict[str, None] = {}
    for m in transcript.messages:
        if is_chat(m, Role.AGENT):
            key = m.author_id or m.author_name
            if key:
                found.setdefault(key)
    return list(found)


def word_count(transcript: Transcript) -> int:
    """Words in the visible chat lines of customers and human agents."""
    return sum(len(m.text.split()) for m in transcript.messages
               if m.kind is Kind.MESSAGE and not m.internal and m.role in (Role.CUSTOMER, Role.AGENT))


def active_window(transcript: Transcript) -> tuple[datetime, datetime] | None:
    """First and last time of a visible entry (None without times)."""
    times = [m.sent_at for m in transcript.messages if m.sent_at is not None and not m.internal]
    return (min(times), max(times)) if times else None


def compute(transcript: Transcript) -> Metrics:
    """Compute the SPEC section 4 metrics (canned_ratio and max_concurrency are run-level: None here)."""
    counts = {Role.CUSTOMER: 0, Role.AGENT: 0, Role.BOT: 0, Role.SYSTEM: 0}
    for m in transcript.messages:
        if m.kind is Kind.MESSAGE and not m.internal:
            counts[m.role] += 1
    pairs = replies(transcript)
    times = [p.seconds for p in pairs if p.seconds is not None]
    window = active_window(transcript)
    return Metrics(
        messages=sum(counts.values()),
        customer_messages=counts[Role.CUSTOMER],
        agent_messages=counts[Role.AGENT],
        bot_messages=counts[Role.BOT],
        first_response_s=pairs[0].seconds if pairs else None,
        avg_response_s=_us(sum(times) / len(times)) if times else None,
        median_response_s=_us(median(times)) if times else None,
        max_response_s=max(times) if times else None,
        duration_s=(window[1] - window[0]).total_seconds() if window else None,
    )


def _us(seconds: float) -> float:
    """Round to the microsecond, the resolution of the times (no float noise in outputs)."""
    return round(float(seconds), 6)
