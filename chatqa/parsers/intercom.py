"""Intercom conversations: opening message in ``source``, then ``conversation_parts`` (HTML bodies);
webhook bodies (``notification_event``, the conversation in ``data.item``) merged per conversation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import field_validator

from ..errors import ParseError, join_locator
from ..model import Channel, Kind, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel
from .fields import rating_number

_ROLES = {"user": Role.CUSTOMER, "lead": Role.CUSTOMER, "contact": Role.CUSTOMER,
          "admin": Role.AGENT, "team": Role.AGENT, "bot": Role.BOT}
# Part types that are a message when they carry a body ("reply and close", "reply and assign").
_REPLY_PARTS = frozenset({"comment", "quick_reply", "open", "close", "assignment", "assign_and_reopen",
                          "snoozed", "away_mode_assignment"})
_AUTOMATED = frozenset({"automated", "campaigns_initiated", "operator_initiated"})
# source.type -> channel: the Messenger is live chat; email, phone and the messaging apps are not.
_CHANNELS: dict[str | None, Channel] = {
    "conversation": Channel.CHAT, "chat": Channel.CHAT, "email": Channel.EMAIL, "phone_call": Channel.VOICE,
    "phone_switch": Channel.VOICE, "sms": Channel.MESSAGING, "whatsapp": Channel.MESSAGING,
    "push": Channel.MESSAGING, "facebook": Channel.MESSAGING, "instagram": Channel.MESSAGING,
    "twitter": Channel.MESSAGING}


class _Author(VendorModel):
    type: str = "user"
    id: str | None = None
    name: str | None = None
    email: str | None = None
    from_ai_agent: bool | None = None
    is_ai_answer: bool | None = None

    @property
    def automated(self) -> bool:
        """Operator (Intercom's bot, also filed as an admin in exports) and Fin AI answers."""
        email = (self.email or "").lower()
        return bool(self.from_ai_agent or self.is_ai_answer or (self.name or "").strip() == "Operator"
                    or (email.startswith("operator+") and email.endswith("@intercom.io")))


def _role(author: _Author) -> Role:
    role = _ROLES.get(author.type, Role.CUSTOMER)
    return Role.BOT if role is not Role.CUSTOMER and author.automated else role


class _Attachment(VendorModel):
    name: str | None = None
    url: str | None = None


class _Part(VendorModel):
    id: str | None = None
    part_type: str = "comment"
    body: str | None = None
    created_at: float | str | None = None
    author: _Author = _Author()
    attachments: list[_Attachment] = []
    assigned_to: dict[str, Any] | None = None


class _Source(VendorModel):
    type: str | None = None
    delivered_as: str | None = None
    subject: str | None = None
    body: str | None = None
    author: _Author = _Author()
    attachments: list[_Attachment] = []


class _Conversation(VendorModel):
    id: str
    created_at: float | str | None = None
    source: _Source | None = None
    conversation_message: _Source | None = None  # API 1.x: the opening message
    conversation_parts: list[_Part] = []
    tags: list[str] = []
    conversation_rating: dict[str, Any] | None = None
    state: str | None = None
    title: str | None = None

    @field_validator("conversation_parts", mode="before")
    @classmethod
    def _unwrap_parts(cls, value: Any) -> Any:
        return value.get("conversation_parts", []) if isinstance(value, dict) else value

    @field_validator("tags", mode="before")
    @classmethod
    def _unwrap_tags(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = value.get("tags", [])
        if not isinstance(value, list):
            return value  # pydantic reports the wrong type with its place
        return [t.get("name") if isinstance(t, dict) else t for t in value]


_SNAPSHOT = "__chatqa_notification__"


def _notification(value: Any) -> str | None:
    """The topic of an Intercom webhook notification (``type: notification_event``, ``data.item``)."""
    if isinstance(value, dict) and value.get("type") == "notification_event" and isinstance(value.get("data"), dict) \
            and isinstance(value["data"].get("item"), dict):
        return str(value.get("topic") or "notification")
    return None


def _parts(conversation: Any) -> list[Any]:
    parts = conversation.get("conversation_parts") if isinstance(conversation, dict) else None
    if isinstance(parts, dict):
        parts = parts.get("conversation_parts")
    return parts if isinstance(parts, list) else []


def _is_conversation(value: Any) -> bool:
    return isinstance(value, dict) and not isinstance(value.get("attributes"), dict) and (
        value.get("type") == "conversation" or "conversation_parts" in value
        or (isinstance(value.get("source"), dict) and "delivered_as" in value["source"])
    )


class IntercomParser(JsonParser):
    """Intercom: user/lead/contact = customer, admin = agent, bot = bot; ``note`` parts internal."""

    name = "intercom"
    summary = "Intercom conversations (single, list, {conversations: [...]}, notification_event webhooks)"
    channels = 'chat; email, voice, messaging from source.type'
    example = ('{"type": "conversation", "id", "source": {"body", "author"}, '
               '"conversation_parts": {"conversation_parts": [...]}}')
    priority = 80

    envelope = "conversations"
    envelope_markers = ("total_count",)
    webhooks = (("data", "item"),)

    def is_record(self, value: Any) -> bool:
        """A conversation object (``type: conversation``, parts or a source), or a webhook
        notification (whatever its topic: one about no conversation is a failure of its own)."""
        return _is_conversation(value) or _notification(value) is not None

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """Conversations; a notification's conversation marked as a snapshot (merged per file: a
        notification carries the conversation as it was then, its parts possibly only the latest)."""
        for loc, record in list(super().records(value)):
            topic = _notification(record)
            item: dict[str, Any] = record["data"]["item"] if topic is not None else {}
            if topic is not None and _is_conversation(item):
                yield join_locator(loc, "data.item"), {**item, _SNAPSHOT: topic}
            else:
                yield loc, record  # a conversation; or a notification about something else: `convert` says so

    def splits(self, first: Any) -> bool:
        """A file of webhook notifications is merged per conversation: read in one piece."""
        return _notification(first) is None

    def snapshot_key(self, record: Any) -> str | None:
        """Notifications about one conversation are merged."""
        return str(record.get("id")) if _SNAPSHOT in record else None

    def merge(self, first: Any, later: Any) -> Any:
        """Two snapshots of a conversation: the later one's fields, the parts of both (by id, the
        later copy of a part replacing the earlier one in place)."""
        parts: dict[Any, Any] = {}
        for i, part in enumerate([*_parts(first), *_parts(later)]):
            key = part.get("id") if isinstance(part, dict) else None
            parts[key if isinstance(key, str | int) and not isinstance(key, bool) else ("", i)] = part
        merged = {**first, **{k: v for k, v in later.items() if v is not None}}
        merged["conversation_parts"] = {"type": "conversation_part.list", "conversation_parts": list(parts.values())}
        return merged

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """The source message first, then every part in order."""
        topic = _notification(record)
        if topic is not None:
            item = record["data"]["item"]
            raise ParseError(f"an Intercom {topic} notification holds no conversation (item type "
                             f"{str(item.get('type'))[:40]!r}): nothing to read", "data.item")
        conv = _Conversation.model_validate(record)
        messages: list[RawLine] = []
        src, src_loc = conv.source, "source"
        if src is None or not (src.body or src.attachments):
            src, src_loc = (conv.conversation_message, "conversation_message") \
                if conv.conversation_message is not None else (src, src_loc)
        if src is not None and (src.body or src.attachments):
            role = _role(src.author)
            if role is Role.AGENT and src.delivered_as in _AUTOMATED:
                role = Role.BOT
            body = src.body or ""
            if src.subject and src.subject.strip():
                body = f"<p>{src.subject}</p>{body}"
            messages.append(_raw(role, body, conv.created_at, src.author, src.attachments, src_loc))
        for i, part in enumerate(conv.conversation_parts):
            messages.append(self._part(part, f"conversation_parts[{i}]"))
        rating = None
        if conv.conversation_rating and conv.conversation_rating.get("rating") is not None:
            rating = Rating(value=rating_number(conv.conversation_rating["rating"], "conversation_rating.rating"),
                            scale=5.0,
                            comment=conv.conversation_rating.get("remark"))
        return ctx.build(
            id=conv.id, messages=messages, tags=conv.tags, rating=rating, started_at=conv.created_at,
            channel=_CHANNELS.get(src.type if src else None, Channel.CHAT),
            metadata={k: v for k, v in {"state": conv.state, "title": conv.title,
                                        "delivered_as": src.delivered_as if src else None,
                                        "api_version": "1.x" if src_loc == "conversation_message" else None}.items()
                      if v},
        )

    @staticmethod
    def _part(part: _Part, loc: str) -> RawLine:
        role = _role(part.author)
        body = part.body or ""
        if part.part_type == "note":
            raw = _raw(role, body, part.created_at, part.author, part.attachments, loc)
            raw.kind, raw.internal = Kind.NOTE, True
            return raw
        if part.part_type in _REPLY_PARTS and (body.strip() or part.attachments):
            raw = _raw(role, body, part.created_at, part.author, part.attachments, loc)
            raw.event = None if part.part_type == "comment" else part.part_type
            return raw
        text = body or part.part_type.replace("_", " ")
        if not body and part.assigned_to and part.assigned_to.get("type") not in (None, "nobody_admin"):
            text += f" to {part.assigned_to.get('type')} {part.assigned_to.get('id', '')}".rstrip()
        return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=part.part_type, text=text, html=True,
                          time=part.created_at, author_id=part.author.id, author_name=part.author.name, loc=loc)


def _raw(role: Role, body: str, time: Any, author: _Author, attachments: list[_Attachment], loc: str) -> RawLine:
    if not body.strip() and attachments:
        names = ", ".join(a.name or a.url or "" for a in attachments)
        return RawMessage(role=role, kind=Kind.FILE, text=names, time=time, author_id=author.id,
                          author_name=author.name, loc=loc)
    return RawMessage(role=role, text=body, html=True, time=time, author_id=author.id,
                      author_name=author.name, loc=loc)
