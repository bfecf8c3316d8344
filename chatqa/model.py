"""The vendor-neutral transcript model every parser produces and every rule reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer, model_validator


class Role(StrEnum):
    """Who sent a message."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    SYSTEM = "system"


class Kind(StrEnum):
    """What a message is: a chat line, an event, a file, or an internal note."""

    MESSAGE = "message"
    EVENT = "event"
    FILE = "file"
    NOTE = "note"


class Channel(StrEnum):
    """How the customer talked to the team: what good service looks like differs by channel."""

    CHAT = "chat"  # live chat widgets
    MESSAGING = "messaging"  # asynchronous in-app / WhatsApp / SMS-style threads
    SOCIAL = "social"  # public replies on Twitter/X, Weibo, Facebook
    EMAIL = "email"  # tickets and email threads
    VOICE = "voice"  # call transcripts


class _MaybeBystander(BaseModel, frozen=True):
    """`bystander` (SPEC section 2) appears in dumps only when True, so that the output of
    conversations without bystanders keeps its shape."""

    bystander: bool = False

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.bystander:
            data.pop("bystander", None)
        return data


class Participant(_MaybeBystander, frozen=True):
    """A person or bot taking part in a conversation. `bystander`: on a public thread (the
    social channel), a customer other than the one who opened the conversation."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    role: Role


class Rating(BaseModel, frozen=True):
    """The customer's rating of the conversation, as the export gives it.

    `value` is on the vendor's scale (``1``/``0`` for good/bad, ``1``-``5`` for stars) and
    `scale` is that scale's maximum, so ``value / scale`` compares across vendors.
    """

    value: float | None = None
    scale: float | None = None
    label: str | None = None
    comment: str | None = None


# The neutral format's message keys and the model's fields they are read into: a Message given
# the neutral keys is a mistake to name, not keys to drop silently.
NEUTRAL_KEYS = {"author": "author_name", "time": "sent_at"}


class Message(_MaybeBystander, frozen=True):
    """One entry of a transcript, in export order after a stable sort by time. `bystander`: a
    customer message by someone other than the conversation's customer, on a public thread.
    Unknown fields are refused (a neutral record's ``author`` and ``time`` belong to
    `Transcript.from_record`)."""

    model_config = ConfigDict(extra="forbid")

    index: int
    role: Role
    author_id: str | None = None
    author_name: str | None = None
    sent_at: datetime | None = None  # timezone-aware UTC; None when the format has no times
    text: str = ""
    kind: Kind = Kind.MESSAGE
    internal: bool = False  # whispers and internal notes the customer never saw
    event: str | None = None  # the vendor's event type for kind=event (e.g. "chat_transferred")

    @model_validator(mode="before")
    @classmethod
    def _no_neutral_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("author" in data or "time" in data):
            key = "author" if "author" in data else "time"
            raise ValueError(f"{key!r} is a key of the neutral format, not a Message field (the field is "
                             f"{NEUTRAL_KEYS[key]!r}); build transcripts from neutral records with "
                             "Transcript.from_record")
        return data

    @property
    def visible(self) -> bool:
        """True when the customer could see this entry."""
        return not self.internal


class Transcript(BaseModel, frozen=True):
    """One conversation, as every parser must produce it (unknown fields are refused)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    vendor: str
    source: str  # file path plus locator, e.g. "exports/a.json#chats[0]"
    participants: tuple[Participant, ...] = ()
    messages: tuple[Message, ...] = ()
    started_at: datetime | None = None
    ended_at: datetime | None = None
    tags: tuple[str, ...] = ()
    rating: Rating | None = None
    channel: Channel = Channel.CHAT
    metadata: dict[str, Any] = Field(default_factory=dict)  # vendor extras rules must not need

    @classmethod
    def from_record(cls, record: Mapping[str, Any], *, timezone: str = "UTC", source: str = "<record>") -> Transcript:
        """A transcript from a record of chatqa's neutral format, read exactly as the neutral
        parser reads a file: ``{"id": "c-1", "messages": [{"role": "customer", "author": "Ann",
        "time": "2026-03-01T10:00:00Z", "text": "Hi"}]}`` with optional ``author_id``,
        ``kind``, ``internal``, ``event`` per message and ``vendor``, ``channel``, ``tags``,
        ``participants``, ``rating``, ``metadata`` per record. Times become UTC (naive ones are
        in `timezone`), messages are sorted by time. A bad record raises ParseError naming the
        place (``messages[2].role``); `source` names the record in the transcript and errors.
        """
        from .parsers.neutral import read_record

        return read_record(record, timezone=timezone, source=source)

    @property
    def timed(self) -> bool:
        """True when at least one message carries a time."""
        return any(m.sent_at is not None for m in self.messages)


def pack_transcript(t: Transcript) -> tuple[Any, ...]:
    """A compact, picklable form of a transcript (plain tuples), for spill files."""
    return (
        t.id, t.vendor, t.source, tuple((p.id, p.name, p.role.value, p.bystander) for p in t.participants),
        tuple((m.role.value, m.author_id, m.author_name, m.sent_at, m.text, m.kind.value, m.internal, m.event,
               m.bystander) for m in t.messages),
        t.started_at, t.ended_at, t.tags, t.rating.model_dump() if t.rating else None, t.channel.value, t.metadata,
    )


def unpack_transcript(packed: tuple[Any, ...]) -> Transcript:
    """The transcript `pack_transcript` packed."""
    tid, vendor, source, people, messages, started, ended, tags, rating, channel, metadata = packed
    return Transcript.model_validate({
        "id": tid, "vendor": vendor, "source": source,
        "participants": [{"id": i, "name": n, "role": r, "bystander": b} for i, n, r, b in people],
        "messages": [{"index": i, "role": m[0], "author_id": m[1], "author_name": m[2], "sent_at": m[3],
                      "text": m[4], "kind": m[5], "internal": m[6], "event": m[7], "bystander": m[8]}
                     for i, m in enumerate(messages)],
        "started_at": started, "ended_at": ended, "tags": tags, "rating": rating, "channel": channel,
        "metadata": metadata,
    })
