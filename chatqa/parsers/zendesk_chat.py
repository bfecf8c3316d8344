"""Zendesk Chat (Zopim) chats with ``history[]``, incremental exports, and offline messages."""

from __future__ import annotations

from typing import Any

from ..model import Kind, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel

_RATINGS = {"good": 1.0, "bad": 0.0}


class _Visitor(VendorModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None


class _Item(VendorModel):
    type: str = "chat.msg"
    timestamp: str | float | None = None
    name: str | None = None
    nick: str | None = None
    msg: str | None = None
    sender_type: str | None = None
    agent_id: str | None = None
    department_name: str | None = None
    prev_department_id: str | None = None
    prev_department_name: str | None = None
    new_rating: str | None = None
    rating: str | None = None
    new_comment: str | None = None
    comment: str | None = None
    attachment: dict[str, Any] | None = None


class _Chat(VendorModel):
    id: str
    type: str = "chat"
    timestamp: str | float | None = None
    visitor: _Visitor = _Visitor()
    history: list[_Item] = []
    message: str | None = None
    agent_ids: list[str] = []
    agent_names: list[str] = []
    tags: list[str] = []
    rating: str | None = None
    comment: str | None = None
    department_name: str | None = None
    started_by: str | None = None
    missed: bool | None = None


def _is_chat(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if value.get("type") == "offline_msg":
        return True
    history = value.get("history")
    return isinstance(history, list) and (
        not history or (isinstance(history[0], dict) and str(history[0].get("type", "")).startswith("chat."))
    )


class ZendeskChatParser(JsonParser):
    """Zendesk Chat: ``nick`` visitor / ``agent:<id>`` / ``agent:trigger...`` (a bot); ``chat.*`` events."""

    name = "zendesk-chat"
    summary = "Zendesk Chat (Zopim) chats with history[] and offline messages"
    channels = 'chat'
    example = '{"chats": [{"id", "visitor", "history": [{"type": "chat.msg", "nick": "visitor", "msg", "timestamp"}]}]}'
    priority = 75

    envelope = "chats"
    envelope_markers = ("end_id", "count")

    def is_record(self, value: Any) -> bool:
        """A chat with a ``chat.*`` history, or an offline message."""
        return _is_chat(value)

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """History items in order; an offline message is a one-message conversation."""
        chat = _Chat.model_validate(record)
        visitor = chat.visitor
        agents = dict(zip(chat.agent_names, chat.agent_ids, strict=False))
        if chat.type == "offline_msg":
            messages = [RawMessage(role=Role.CUSTOMER, text=chat.message or "", time=chat.timestamp,
                                   author_id=visitor.id, author_name=visitor.name, loc="message")]
        else:
            messages = [self._item(item, f"history[{i}]", visitor, agents) for i, item in enumerate(chat.history)]
        rating = None
        if chat.rating in _RATINGS:
            rating = Rating(value=_RATINGS[chat.rating], scale=1.0, label=chat.rating, comment=chat.comment)
        return ctx.build(
            id=chat.id, messages=messages, tags=chat.tags, rating=rating,
            started_at=chat.timestamp,
            metadata={k: v for k, v in {"type": chat.type, "department": chat.department_name,
                                        "started_by": chat.started_by, "missed": chat.missed}.items()
                      if v is not None},
        )

    @staticmethod
    def _item(item: _Item, loc: str, visitor: _Visitor, agents: dict[str, str]) -> RawLine:
        role, author_id = _author(item, visitor, agents)
        common: dict[str, Any] = {"time": item.timestamp, "author_id": author_id, "author_name": item.name, "loc": loc}
        if item.type == "chat.msg":
            return RawMessage(role=role, text=item.msg or "", **common)
        if item.type == "chat.file":
            att = item.attachment or {}
            return RawMessage(role=role, kind=Kind.FILE, text=str(att.get("name") or att.get("url") or
                                                                  item.msg or ""), **common)
        return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=item.type, text=_event_text(item), **common)


def _author(item: _Item, visitor: _Visitor, agents: dict[str, str]) -> tuple[Role, str | None]:
    nick = (item.nick or "").strip()
    if nick.startswith("agent:trigger"):
        return Role.BOT, nick
    if nick.startswith("agent:"):
        return Role.AGENT, nick.removeprefix("agent:")
    if nick == "visitor" or nick.startswith("visitor:"):
        return Role.CUSTOMER, visitor.id or nick
    sender = (item.sender_type or "").lower()
    if sender in ("agent", "trigger", "visitor"):
        role = {"agent": Role.AGENT, "trigger": Role.BOT, "visitor": Role.CUSTOMER}[sender]
        return role, item.agent_id if role is Role.AGENT else visitor.id
    if item.name and item.name in agents:
        return Role.AGENT, agents[item.name]
    if nick.startswith("system") or not item.name:
        return Role.SYSTEM, None
    return Role.CUSTOMER, visitor.id


def _event_text(item: _Item) -> str:
    who = item.name or "someone"
    kind = item.type
    if item.prev_department_id or item.prev_department_name:
        return f"{who}: transferred from department {item.prev_department_name or item.prev_department_id} " \
               f"to {item.department_name or 'another department'}"
    if kind == "chat.memberjoin":
        return f"{who} joined the chat"
    if kind == "chat.memberleave":
        return f"{who} left the chat"
    if kind == "chat.rating":
        return f"{who} rated the chat {item.new_rating or 'no rating'}"
    if kind == "chat.comment":
        return f"{who} left a comment: {item.new_comment or item.comment or ''}".rstrip(": ")
    return item.msg or kind
