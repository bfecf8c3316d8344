"""chatqa's own neutral format (JSON array, single object, or JSON Lines), read and written."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from pydantic import BeforeValidator, Field

from ..errors import Failure, ParseError
from ..model import Channel, Kind, Participant, Rating, Role, Transcript
from ..normalize import iso
from ..pseudonyms import Cast, Pseudonyms
from ..records import Conversation, Line, RawMessage
from ..redact import redact, redact_data, redact_message, shown_id
from . import JsonParser, RecordContext, VendorModel, text_or_empty


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


def _rating(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"value": value}
    return value


class _Message(VendorModel):
    role: Annotated[Role, BeforeValidator(_lower)]
    text: Annotated[str, BeforeValidator(text_or_empty)] = ""
    author: str | None = None
    author_id: str | None = None
    time: str | float | None = None
    internal: bool = False
    kind: Annotated[Kind, BeforeValidator(_lower)] = Kind.MESSAGE
    event: str | None = None


class _Conversation(VendorModel):
    id: str = Field(min_length=1)
    vendor: str | None = None
    messages: list[_Message]
    participants: list[Participant] | None = None
    tags: list[str] = []
    rating: Annotated[Rating | None, BeforeValidator(_rating)] = None
    channel: Annotated[Channel, BeforeValidator(_lower)] = Channel.CHAT
    metadata: dict[str, Any] = {}


class _Line(Line, gc=False):
    """A neutral message as the JSON writes it, decoded straight into a line (in C)."""

    sent_at: str | float | None = msgspec.field(default=None, name="time")  # type: ignore[assignment]  # ints as floats, as orjson reads them
    author_name: str | None = msgspec.field(default=None, name="author")
    author_id: str | msgspec.UnsetType | None = msgspec.UNSET  # type: ignore[assignment]
    text: str | None = ""  # type: ignore[assignment]
    user_type: Any = msgspec.UNSET  # a LiveChat v2 key (even when null): such a record is not a neutral one


class _Record(msgspec.Struct):
    """A neutral conversation written the plain way (string id, lowercase roles, no
    participants or rating): what chatqa writes and what large exports hold."""

    id: str
    messages: list[_Line]
    vendor: str | None = None
    tags: list[str] = []
    channel: Channel = Channel.CHAT
    metadata: dict[str, Any] = {}
    participants: Any = None
    rating: Any = None


_DECODER = msgspec.json.Decoder(_Record)


class NeutralParser(JsonParser):
    """chatqa's neutral JSON: ``{"id": ..., "messages": [{"role", "author", "time", "text"}]}``."""

    name = "chatqa"
    summary = "chatqa neutral JSON / JSONL: {id, messages: [{role, author, time, text}]}"
    channels = "chat (or the record's channel)"
    example = ('{"id": "c-1001", "messages": [{"role": "customer", "author": "Ann", '
               '"time": "2026-03-01T10:00:00Z", "text": "Hi"}]}')
    priority = 10

    envelope = "conversations"
    envelope_markers = ("conversations",)

    def is_record(self, value: Any) -> bool:
        """A conversation object whose messages carry a ``role``."""
        if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
            return False
        first = value["messages"][0] if value["messages"] else {}
        return isinstance(first, dict) and ("role" in first or not first) and "user_type" not in first

    def convert_bytes(self, raw: bytes, ctx: RecordContext) -> Conversation | None:
        """A record written the plain way, decoded into typed lines in one step (the hot path of
        large runs); None for anything else, which takes the validating path and its precise
        errors. Both end in the same normalisation, so they give the same conversation."""
        try:
            record = _DECODER.decode(raw)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):  # (deep: the validating path says so)
            return None
        lines = record.messages
        if (not record.id or record.participants is not None or record.rating is not None
                or (lines and lines[0].user_type is not msgspec.UNSET)):
            return None
        for line in lines:
            if line.author_id is msgspec.UNSET:
                line.author_id = line.author_name
        return ctx.build(id=record.id, messages=lines, tags=record.tags, metadata=record.metadata,
                         channel=record.channel, **({"vendor": record.vendor} if record.vendor else {}))

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Validate one neutral conversation (forgiving: numbers as ids, any case of roles) and
        normalise it."""
        conv = _Conversation.model_validate(record)
        messages = [
            RawMessage(
                role=m.role, text=m.text, time=m.time, author_name=m.author,
                author_id=m.author_id if "author_id" in m.model_fields_set else m.author,
                kind=m.kind, internal=m.internal, event=m.event, loc=f"messages[{i}]",
            )
            for i, m in enumerate(conv.messages)
        ]
        return ctx.build(
            id=conv.id, messages=messages, participants=conv.participants, tags=conv.tags,
            rating=conv.rating, channel=conv.channel, metadata=conv.metadata,
            **({"vendor": conv.vendor} if conv.vendor else {}),
        )


def read_record(record: Mapping[str, Any], *, timezone: str = "UTC", source: str = "<record>") -> Transcript:
    """One neutral record as a Transcript (`Transcript.from_record`); ParseError naming the place
    of what is wrong with it."""
    from ..arguments import parse_options

    if not isinstance(record, Mapping):
        raise TypeError(f"record: expected a dict, got {type(record).__name__}")
    found = NeutralParser()._convert(dict(record), source, "", parse_options(timezone=timezone))
    if isinstance(found, Failure):
        raise ParseError(found.reason, found.locator, found.source)
    return found.transcript()


def to_neutral(transcript: Transcript, *, redact_personal: bool = True, people: Pseudonyms | None = None
               ) -> dict[str, Any]:
    """Write a transcript in the neutral format (the inverse of `NeutralParser`).

    Card numbers are always masked (a card posted in a message as `mark_card`, so checking the
    export flags it as checking the original did). Unless `redact_personal` is False, emails
    and phone numbers are masked too, and people are pseudonymised (``customer-1``,
    ``agent-3``: `chatqa.pseudonyms`) in their ids, names, and wherever else they appear in
    structured fields; pass one `people` for a whole run so the same person keeps one
    pseudonym (a new one is made for this transcript alone otherwise).
    """
    cast = (people or Pseudonyms()).people(transcript) if redact_personal else None
    first = cast.replace if cast is not None else None
    shown = functools.partial(redact, personal=redact_personal)
    out: dict[str, Any] = {"id": shown_id(transcript.id, redact_personal), "vendor": shown(transcript.vendor)}
    if transcript.channel is not Channel.CHAT:
        out["channel"] = transcript.channel.value
    if transcript.tags:
        out["tags"] = redact_data(list(transcript.tags), personal=redact_personal, first=first)
    if transcript.rating is not None:
        out["rating"] = redact_data(transcript.rating.model_dump(exclude_none=True), personal=redact_personal)
    if transcript.metadata:
        out["metadata"] = redact_data(transcript.metadata, personal=redact_personal, first=first)
    out["participants"] = [_person(p.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                                   redact_personal, cast) for p in transcript.participants]
    out["messages"] = [_message(m, redact_personal, cast) for m in transcript.messages]
    return out


def _person(item: dict[str, Any], redact_personal: bool, cast: Cast | None) -> dict[str, Any]:
    """A participant: a person's id and name their pseudonym; a customer's id and name may be
    their email or phone number (bots' stay as they are, card numbers masked)."""
    if cast is not None and item.get("role") in ("customer", "agent"):
        item = {**item, "id": cast.ids.get(item["id"], item["id"])}
        if "name" in item:
            item["name"] = cast.ids.get(item["id"], cast.names.get(item["name"], item["name"]))
    return redact_data(item, personal=redact_personal and item.get("role") == "customer")


def _message(m: Any, redact_personal: bool, cast: Cast | None) -> dict[str, Any]:
    item: dict[str, Any] = {"role": m.role.value}
    customer = m.role.value == "customer"
    personal = redact_personal and customer
    author_id, author_name = (m.author_id, m.author_name) if cast is None else cast.author(m.author_id, m.author_name)
    if author_name is not None:
        item["author"] = redact(author_name, personal=personal)
    if author_id != author_name:
        item["author_id"] = redact(author_id, personal=personal) if author_id is not None else None
    if m.sent_at is not None:
        item["time"] = iso(m.sent_at)
    item["text"] = redact_message(m.text, personal=redact_personal)
    if m.kind is not Kind.MESSAGE:
        item["kind"] = m.kind.value
    if m.internal:
        item["internal"] = True
    if m.event:
        item["event"] = redact(cast.replace(m.event) if cast is not None else m.event, personal=redact_personal)
    return item
