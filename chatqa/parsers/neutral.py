"""chatqa's own neutral format (JSON array, single object, or JSON Lines), read and written."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ..model import Channel, Kind, Participant, Rating, Role, Transcript
from ..normalize import RawMessage, iso
from ..redact import redact, redact_data
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


class NeutralParser(JsonParser):
    """chatqa's neutral JSON: ``{"id": ..., "messages": [{"role", "author", "time", "text"}]}``."""

    name = "chatqa"
    summary = "chatqa neutral JSON / JSONL: {id, messages: [{role, author, time, text}]}"
    priority = 10

    envelope = "conversations"
    envelope_markers = ("conversations",)

    def is_record(self, value: Any) -> bool:
        """A conversation object whose messages carry a ``role``."""
        if not isinstance(value, dict) or not isinstance(value.get("messages"), list):
            return False
        first = value["messages"][0] if value["messages"] else {}
        return isinstance(first, dict) and ("role" in first or not first) and "user_type" not in first

    def convert(self, record: Any, ctx: RecordContext) -> Transcript:
        """Validate one neutral conversation and normalise it."""
        fast = _plain(record, ctx)
        if fast is not None:
            return fast
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


def _plain(record: dict[str, Any], ctx: RecordContext) -> Transcript | None:
    """A conversation written exactly as chatqa writes it (string id, lowercase roles, ISO times
    in order, no participants or rating), normalised in one pass without pydantic's per-message
    validators: the hot path of large runs. None for anything else, which then takes the
    validating path and its precise errors."""
    cid, vendor = record.get("id"), record.get("vendor")
    tags, metadata = record.get("tags", ()), record.get("metadata", {})
    if (type(cid) is not str or not cid.strip() or record.get("participants") is not None
            or record.get("rating") is not None or record.get("channel") is not None or type(metadata) is not dict
            or (vendor is not None and type(vendor) is not str)
            or type(tags) is not list or any(type(t) is not str for t in tags)):
        return None
    return ctx.build_plain(id=cid, messages=record["messages"], tags=tags, metadata=metadata,
                           **({"vendor": vendor} if vendor else {}))


def to_neutral(transcript: Transcript, *, redact_personal: bool = True) -> dict[str, Any]:
    """Write a transcript in the neutral format (the inverse of `NeutralParser`).

    Card numbers are always masked; emails and phone numbers too unless `redact_personal`
    is False.
    """
    out: dict[str, Any] = {"id": transcript.id, "vendor": transcript.vendor}
    if transcript.channel is not Channel.CHAT:
        out["channel"] = transcript.channel.value
    if transcript.tags:
        out["tags"] = list(transcript.tags)
    if transcript.rating is not None:
        rating = transcript.rating.model_dump(exclude_none=True)
        if "comment" in rating:
            rating["comment"] = redact(rating["comment"], personal=redact_personal)
        out["rating"] = rating
    if transcript.metadata:
        out["metadata"] = redact_data(transcript.metadata, personal=redact_personal)
    out["participants"] = [_person(p.model_dump(mode="json", exclude_none=True), redact_personal)
                           for p in transcript.participants]
    out["messages"] = [_message(m, redact_personal) for m in transcript.messages]
    return out


def _person(item: dict[str, Any], redact_personal: bool) -> dict[str, Any]:
    """A participant; a customer's id and name may be their email or phone number."""
    if item.get("role") == "customer":
        return redact_data(item, personal=redact_personal)
    return item


def _message(m: Any, redact_personal: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"role": m.role.value}
    customer = m.role.value == "customer"
    if m.author_name is not None:
        item["author"] = redact(m.author_name, personal=redact_personal) if customer else m.author_name
    if m.author_id != m.author_name:
        item["author_id"] = (redact(m.author_id, personal=redact_personal)
                             if customer and m.author_id is not None else m.author_id)
    if m.sent_at is not None:
        item["time"] = iso(m.sent_at)
    item["text"] = redact(m.text, personal=redact_personal)
    if m.kind is not Kind.MESSAGE:
        item["kind"] = m.kind.value
    if m.internal:
        item["internal"] = True
    if m.event:
        item["event"] = m.event
    return item
