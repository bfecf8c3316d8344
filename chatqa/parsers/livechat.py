"""LiveChat Agent Chat API v3.x: list_archives responses, get_chat objects, a chat per line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import AliasChoices, Field

from ..model import Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel
from .fields import rating_number

_ROLES = {"agent": Role.AGENT, "customer": Role.CUSTOMER, "bot": Role.BOT}


class _User(VendorModel):
    id: str
    type: str = "customer"
    name: str | None = None
    email: str | None = None
    bot: bool = False


class _Event(VendorModel):
    type: str
    created_at: str | float | None = None
    author_id: str | None = None
    visibility: str = "all"
    text: str | None = None
    system_message_type: str | None = None
    name: str | None = None
    url: str | None = None
    elements: list[dict[str, Any]] | None = None
    fields: list[dict[str, Any]] | None = None
    form_type: str | None = None
    subtype: str | None = None
    deleted: bool = False
    properties: dict[str, Any] | None = None

    @property
    def welcome(self) -> bool:
        """LiveChat's automatic greeting (``properties.lc2.welcome_message``), sent in an agent's name."""
        lc2 = (self.properties or {}).get("lc2")
        flag = lc2.get("welcome_message") if isinstance(lc2, dict) else None
        if isinstance(flag, dict):
            flag = flag.get("value")
        return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


class _Thread(VendorModel):
    id: str
    events: list[_Event] = []
    tags: list[str] = []
    created_at: str | None = None
    previous_thread_id: str | None = None
    next_thread_id: str | None = None
    properties: dict[str, Any] = Field(default={}, validation_alias=AliasChoices("properties", "properites"))


class _Chat(VendorModel):
    id: str
    users: list[_User] = []
    properties: dict[str, Any] = Field(default={}, validation_alias=AliasChoices("properties", "properites"))


def _is_chat(value: Any) -> bool:
    return isinstance(value, dict) and "users" in value and (
        isinstance(value.get("thread"), dict) or isinstance(value.get("threads"), list))


class LiveChatParser(JsonParser):
    """LiveChat v3.x chats: one conversation per thread; whispers internal; system messages events."""

    name = "livechat"
    summary = "LiveChat Agent Chat API v3.x (list_archives, get_chat, chat per line)"
    priority = 80
    envelope = "chats"
    envelope_markers = ("found_chats", "next_page_id")

    def is_record(self, value: Any) -> bool:
        """A chat with users and a ``thread`` (or ``threads``)."""
        return _is_chat(value)

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """One record per thread: a chat with ``threads`` becomes one chat per thread."""
        for loc, chat in super().records(value):
            if isinstance(chat, dict) and isinstance(chat.get("threads"), list):
                for j, thread in enumerate(chat["threads"]):
                    single = {k: v for k, v in chat.items() if k != "threads"}
                    yield f"{loc}.threads[{j}]".lstrip("."), {**single, "thread": thread}
            else:
                yield loc, chat

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Map one thread's events to messages."""
        chat = _Chat.model_validate(record)
        thread = _Thread.model_validate(record["thread"])
        users = {u.id: u for u in chat.users}
        participants = [
            Participant(id=u.id, name=u.name, role=Role.BOT if u.bot else _ROLES.get(u.type, Role.CUSTOMER))
            for u in chat.users
        ]
        roles = {p.id: p.role for p in participants}
        messages = [self._message(e, i, users, roles) for i, e in enumerate(thread.events)]
        props = thread.properties.get("rating") or chat.properties.get("rating")
        return ctx.build(
            id=thread.id,
            messages=messages,
            participants=participants,
            tags=thread.tags,
            rating=_rating(props),
            started_at=thread.created_at,
            metadata={"chat_id": chat.id, "previous_thread_id": thread.previous_thread_id,
                      "next_thread_id": thread.next_thread_id},
        )

    @staticmethod
    def _message(e: _Event, i: int, users: dict[str, _User], roles: dict[str, Role]) -> RawLine:
        loc = f"thread.events[{i}]"
        internal = e.visibility == "agents"
        author = users.get(e.author_id or "")
        role = roles.get(e.author_id or "", Role.AGENT if "@" in (e.author_id or "") else Role.CUSTOMER)
        if e.welcome and role is not Role.CUSTOMER:
            role = Role.BOT
        common: dict[str, Any] = {"time": e.created_at, "author_id": e.author_id, "loc": loc, "internal": internal,
                                  "author_name": author.name if author else None}
        if e.deleted:
            return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="deleted", text="(message deleted)", **common)
        if e.type == "message":
            return RawMessage(role=role, text=e.text or "", kind=Kind.NOTE if internal else Kind.MESSAGE, **common)
        if e.type == "rich_message":
            parts = [str(el.get(k)) for el in e.elements or [] for k in ("title", "subtitle") if el.get(k)]
            parts += [str(b.get("text")) for el in e.elements or [] for b in el.get("buttons") or []
                      if isinstance(b, dict) and b.get("text")]
            return RawMessage(role=role, text="\n".join(parts), kind=Kind.NOTE if internal else Kind.MESSAGE,
                              **common)
        if e.type == "file":
            return RawMessage(role=role, text=e.name or e.url or "", kind=Kind.FILE, **common)
        if e.type in ("filled_form", "form"):
            answers = [_form_field(f) for f in e.fields or [] if isinstance(f, dict)]
            return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=e.form_type or e.type,
                              text="; ".join(a for a in answers if a), **common)
        event = e.system_message_type or e.subtype or e.type
        return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=event, text=e.text or "", **common)


def _form_field(field: dict[str, Any]) -> str:
    """``Label: answer`` for a form field; choice answers are ``{id, label}``, checkboxes a list."""

    def text(answer: Any) -> str:
        if isinstance(answer, dict):
            return str(answer.get("label") or answer.get("value") or "")
        if isinstance(answer, list):
            return ", ".join(filter(None, (text(a) for a in answer)))
        return "" if answer is None else str(answer)

    label = str(field.get("label") or "").strip().rstrip(":").strip()
    answer = text(field.get("answer", field.get("answers", field.get("value"))))
    return f"{label}: {answer}" if label and answer else label or answer


def _rating(props: Any) -> Rating | None:
    if not isinstance(props, dict) or props.get("score") is None:
        return None
    score = props["score"]
    value = rating_number(score["value"] if isinstance(score, dict) else score, "properties.rating.score")
    return Rating(value=value, scale=1.0, label="good" if value >= 1 else "bad",
                  comment=_value(props.get("comment")))


def _value(item: Any) -> str | None:
    if isinstance(item, dict):
        item = item.get("value")
    return None if item is None else str(item)
