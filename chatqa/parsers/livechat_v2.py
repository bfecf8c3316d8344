"""LiveChat legacy REST API v2 ``/chats`` archives (epoch seconds; ``events`` over ``messages``) and
v2 webhook bodies (``{event_type, chat: {...}, visitor: {...}}``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..model import Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation
from . import JsonParser, RecordContext, VendorModel

_ROLES = {"agent": Role.AGENT, "visitor": Role.CUSTOMER, "supervisor": Role.AGENT, "customer": Role.CUSTOMER}
_RATES = {"rated_good": 1.0, "rated_bad": 0.0}


class _Person(VendorModel):
    id: str | None = None
    name: str | None = None
    display_name: str | None = None
    email: str | None = None
    login: str | None = None  # webhook bodies name agents by login (their email)


class _Entry(VendorModel):
    type: str = "message"
    text: str | None = None
    timestamp: float | str | None = None
    user_type: str | None = None
    author_name: str | None = None
    agent_id: str | None = None
    files: list[str] = []


class _Chat(VendorModel):
    id: str
    visitor: _Person | None = None
    agents: list[_Person] = []
    events: list[_Entry] | None = None
    messages: list[_Entry] | None = None
    rate: str | None = None
    rate_comment: str | None = None
    tags: list[str] = []
    group: list[Any] = []
    started_timestamp: float | None = None
    ended_timestamp: float | None = None
    engagement: str | None = None


def _is_chat(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    entries = value.get("events", value.get("messages"))
    if not isinstance(entries, list):
        return False
    if entries:
        return any(isinstance(e, dict) and "user_type" in e for e in entries[:5])
    return value.get("type") == "chat" and "visitor" in value


class LiveChatV2Parser(JsonParser):
    """LiveChat v2 archives: supervisor messages are internal; ``event`` entries are system events."""

    name = "livechat-v2"
    summary = "LiveChat legacy REST API v2 /chats archives and webhook bodies ({chat: ...})"
    channels = 'chat'
    example = '{"chats": [{"id", "visitor", "agents", "events": [{"user_type": "visitor", "text", "timestamp"}]}]}'
    priority = 70

    envelope = "chats"
    envelope_markers = ("pages", "total")
    webhooks = (("chat",),)

    def is_record(self, value: Any) -> bool:
        """A chat whose ``events`` / ``messages`` carry ``user_type``."""
        return _is_chat(value)

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """Chats; a webhook body's ``chat`` with the body's ``visitor`` (v2 webhooks send it beside
        the chat)."""
        for loc, chat in super().records(value):
            if loc == "chat" and isinstance(value.get("visitor"), dict) and not isinstance(chat.get("visitor"), dict):
                chat = {**chat, "visitor": value["visitor"]}
            yield loc, chat

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Read ``events`` (a superset of ``messages``), never both."""
        chat = _Chat.model_validate(record)
        use_events = chat.events is not None
        entries = chat.events if chat.events is not None else chat.messages or []
        field = "events" if use_events else "messages"
        visitor = chat.visitor or _Person()
        messages = []
        for i, e in enumerate(entries):
            role = _ROLES.get((e.user_type or "").lower(), Role.CUSTOMER)
            supervisor = e.user_type == "supervisor"
            author_id = e.agent_id if role is Role.AGENT else visitor.id
            common: dict[str, Any] = {"time": e.timestamp, "author_id": author_id, "author_name": e.author_name,
                                      "loc": f"{field}[{i}]"}
            if e.type == "event":
                messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="event",
                                           text=e.text or "", **common))
            elif e.type == "attachment":
                messages.append(RawMessage(role=role, kind=Kind.FILE, internal=supervisor,
                                           text=" ".join(e.files) or e.text or "", **common))
            else:
                messages.append(RawMessage(role=role, text=e.text or "", internal=supervisor,
                                           kind=Kind.NOTE if supervisor else Kind.MESSAGE, **common))
        participants = [Participant(id=a.email or a.login or a.display_name or a.name or "",
                                    name=a.display_name or a.name, role=Role.AGENT)
                        for a in chat.agents if a.email or a.login or a.display_name or a.name]
        if visitor.id:
            participants.insert(0, Participant(id=visitor.id, name=visitor.name, role=Role.CUSTOMER))
        rating = None
        if chat.rate in _RATES:
            rating = Rating(value=_RATES[chat.rate], scale=1.0, label=chat.rate.removeprefix("rated_"),
                            comment=chat.rate_comment)
        return ctx.build(
            id=chat.id, messages=messages, participants=participants or None, tags=chat.tags,
            rating=rating, started_at=chat.started_timestamp, ended_at=chat.ended_timestamp,
            metadata={k: v for k, v in {"group": chat.group, "engagement": chat.engagement}.items() if v},
        )
