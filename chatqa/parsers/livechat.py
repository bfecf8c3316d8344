"""LiveChat Agent Chat API v3.x: list_archives responses, get_chat objects, a chat per line, and
webhook bodies (``incoming_chat``, ``incoming_event``...: merged per thread, see
`chatqa.parsers._livechat_webhooks`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import AliasChoices, Field

from ..errors import ParseError, join_locator
from ..model import Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import JsonParser, RecordContext, VendorModel
from ._livechat_webhooks import MARK, merge, snapshot, thread_key, webhook_body
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
    visibility: str | None = None
    recipients: str | None = None  # v3.0-v3.1 name of `visibility` (read on any event type and version)
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
    def internal(self) -> bool:
        """Seen by agents only: ``visibility: agents`` (v3.2 on) or ``recipients: agents`` (v3.0-v3.1,
        whose values are ``all`` and ``agents``)."""
        return any((v or "").strip().lower() == "agents" for v in (self.visibility, self.recipients))

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
    summary = "LiveChat Agent Chat API v3.x (list_archives, get_chat, chat per line, webhook bodies)"
    channels = 'chat'
    example = ('{"chats": [{"id": "PJ0MRSHTDG", "users": [...], "thread": {"events": [{"type": "message", '
               '"author_id", "text", "created_at"}]}}]}; webhooks {"action": "incoming_chat", '
               '"payload": {"chat": ...}}')
    priority = 80
    envelope = "chats"
    envelope_markers = ("found_chats", "next_page_id")
    webhooks = (("payload", "chat"),)

    def is_record(self, value: Any) -> bool:
        """A chat with users and a ``thread`` (or ``threads``), or a webhook body (whatever its
        action: one about no chat is a failure of its own)."""
        return _is_chat(value) or webhook_body(value) is not None

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """One record per thread: a chat with ``threads`` becomes one chat per thread; a webhook
        body becomes a snapshot of the thread it is about."""
        for loc, chat in list(super().records(value)):
            body = webhook_body(chat)
            if body is not None:
                action, payload = body
                record = snapshot(action, payload)
                if record is None:  # about no chat: `convert` says so
                    yield loc, chat
                    continue
                if not isinstance(payload.get("chat"), dict):  # a part of a thread
                    yield join_locator(loc, "payload"), record
                    continue
                loc, chat = join_locator(loc, "payload.chat"), record
            if isinstance(chat, dict) and isinstance(chat.get("threads"), list):
                for j, thread in enumerate(chat["threads"]):
                    single = {k: v for k, v in chat.items() if k != "threads"}
                    yield f"{loc}.threads[{j}]".lstrip("."), {**single, "thread": thread}
            else:
                yield loc, chat

    def splits(self, first: Any) -> bool:
        """A file of webhook bodies is merged per thread: read in one piece."""
        return webhook_body(first) is None

    def snapshot_key(self, record: Any) -> str | None:
        """Webhook snapshots are merged per thread."""
        return thread_key(record) if MARK in record else None

    def merge(self, first: Any, later: Any) -> Any:
        """Two webhook snapshots of one thread as one (None: a body delivered again, a duplicate)."""
        return merge(first, later)

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Map one thread's events to messages."""
        body = webhook_body(record)
        if body is not None:
            raise ParseError(f"a LiveChat {body[0]} webhook is about no chat: nothing to read", "payload")
        if MARK in record:
            _check_snapshot(record)
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
        internal = e.internal
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


def _check_snapshot(record: dict[str, Any]) -> None:
    """Webhook bodies that hold no conversation of their own (the thread's chat is elsewhere)."""
    actions = ", ".join(dict.fromkeys(str(a) for a in record[MARK]))
    found = record.get("thread")
    thread: dict[str, Any] = found if isinstance(found, dict) else {}
    if thread.get("id") is None:
        raise ParseError(f"a LiveChat {actions} webhook names no thread of chat {record.get('id')}: nothing to read")
    if not thread.get("events"):
        raise ParseError(f"LiveChat webhooks about thread {thread['id']} of chat {record.get('id')} ({actions}) hold "
                         "no events: its incoming_chat and incoming_event bodies are not in this file")


def _form_field(field: dict[str, Any]) -> str:
    """``Label: answer`` for a form field that was answered, "" for one that was not (a blank answer,
    an empty choice, a title or an information line). Answers are ``answer`` (``{id, label}`` for a
    choice), ``answers`` (checkboxes), ``value``, or (v3.0-v3.1) the ``checked`` ``options``."""

    def text(answer: Any) -> str:
        if isinstance(answer, dict):
            return str(answer.get("label") or answer.get("value") or "").strip()
        if isinstance(answer, list):
            return ", ".join(filter(None, (text(a) for a in answer)))
        return "" if answer is None else str(answer).strip()

    label = str(field.get("label") or "").strip().rstrip(":").strip()
    answer = text(field.get("answer", field.get("answers", field.get("value"))))
    options = field.get("options")
    if not answer and isinstance(options, list):
        answer = text([o for o in options if isinstance(o, dict) and o.get("checked") is True])
    if not answer:
        return ""
    return f"{label}: {answer}" if label else answer


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
