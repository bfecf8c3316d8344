"""Help Scout Mailbox API v2/v3: conversations with ``_embedded.threads``, conversation list pages,
thread list pages, and connector rows (Singer ``conversation_threads``: a thread per line with its
``conversation_id``)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator

from ..errors import ParseError
from ..model import Channel, Kind, Participant, Rating, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import RecordContext, VendorModel, not_a_record
from ._grouping import (
    Group,
    GroupingParser,
    dicts,
    epoch,
    file_key,
    first,
    get,
    id_from_url,
    id_seq,
    key_of,
    require_messages,
    text,
    time_field,
    validate,
    with_files,
)

THREAD_TYPES = frozenset({"customer", "message", "note", "chat", "phone", "lineitem", "forwardparent",
                          "forwardchild", "beaconchat", "reply"})
_CREATORS = {"customer": Role.CUSTOMER, "user": Role.AGENT, "team": Role.AGENT, "system_user": Role.BOT,
             "bot": Role.BOT, "workflow": Role.BOT, "system": Role.BOT}
_CHANNELS = {"email": Channel.EMAIL, "chat": Channel.CHAT, "beacon": Channel.CHAT, "beaconchat": Channel.CHAT,
             "phone": Channel.VOICE, "web": Channel.EMAIL, "api": None, "mobile": Channel.EMAIL,
             "emailfwd": Channel.EMAIL, "form": Channel.EMAIL, "sms": Channel.MESSAGING, "messaging": Channel.MESSAGING}
_FILE_KEY = "\0file"
# Thread states: a draft and a reply held for review by Collision Detection (``review``, legacy
# ``underreview``: waiting to be confirmed or discarded by its author) were never sent; ``hidden``
# threads were hidden from customer-facing emails (internal).
_UNSENT = ("draft", "review", "underreview")
_CHAT_THREADS = ("chat", "beaconchat")
# Satisfaction ratings of a reply (Mailbox API great/okay/not_good; webhooks Great/Okay/Bad).
_RATINGS = {"great": 1.0, "okay": 0.5, "not_good": 0.0, "bad": 0.0}


def _empty_list(value: Any) -> Any:
    return [] if value is None else value


class _Person(VendorModel):
    id: str | None = None
    type: str | None = None
    first: str | None = None
    last: str | None = None
    email: str | None = None

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.first, self.last) if p) or self.email


class _Thread(VendorModel):
    id: str | None = None
    type: str = "message"
    state: str | None = None
    status: str | None = None
    body: str | None = None
    action: dict[str, Any] | None = None
    createdBy: _Person | None = None
    customer: _Person | None = None
    createdAt: str | float | None = None
    savedReplyId: str | None = None
    source: dict[str, Any] | None = None
    rating: Annotated[dict[str, Any] | None, BeforeValidator(lambda v: v if isinstance(v, dict) else None)] = None
    embedded: Annotated[dict[str, Any], BeforeValidator(lambda v: v if isinstance(v, dict) else {})] = {}


class _Conversation(VendorModel):
    id: str | None = None
    number: str | None = None
    type: str | None = None
    status: str | None = None
    subject: str | None = None
    mailboxId: str | None = None
    createdAt: str | float | None = None
    closedAt: str | float | None = None
    source: dict[str, Any] | None = None
    primaryCustomer: _Person | None = None
    tags: Annotated[list[Any], BeforeValidator(_empty_list)] = []


def _is_thread(v: Any) -> bool:
    if not isinstance(v, dict) or not isinstance(v.get("type"), str) or v["type"] not in THREAD_TYPES:
        return False
    return isinstance(v.get("createdBy"), dict) and ("createdAt" in v or "body" in v or "action" in v)


def _is_threads_page(v: Any) -> bool:
    """A List Threads response: ``_embedded.threads`` without the conversation around it."""
    return isinstance(get(v, "_embedded", "threads"), list) and not any(
        k in v for k in ("id", "number", "mailboxId", "subject", "type"))


def _is_conversation(v: Any) -> bool:
    if not isinstance(v, dict) or _is_threads_page(v):
        return False
    return isinstance(get(v, "_embedded", "threads"), list) or (
        "mailboxId" in v and ("primaryCustomer" in v or "threads" in v))


class HelpScoutParser(GroupingParser):
    """Help Scout: thread ``type`` customer / message / note (internal) / chat / phone / lineitem
    (system event); ``createdBy.type`` customer / user / ``system_user`` (v3 AI users: bots);
    ``savedReplyId`` (a canned reply) kept in metadata; drafts skipped."""

    name = "helpscout"
    summary = "Help Scout conversations with _embedded.threads (Mailbox API v2/v3)"
    channels = 'email; chat, voice from type'
    example = ('{"id", "type": "email", "_embedded": {"threads": [{"type": "customer", "body", "createdAt", '
               '"createdBy"}]}}')
    priority = 76

    def looks_like(self, value: Any) -> bool:
        """A conversation, a conversations or threads page (HAL ``_embedded``), or a thread row."""
        if not isinstance(value, dict):
            return False
        embedded: Any = value.get("_embedded")  # a dict when _is_threads_page(value)
        if isinstance(embedded, dict) and isinstance(embedded.get("conversations"), list):
            head = embedded["conversations"][0] if embedded["conversations"] else None
            return head is None or _is_conversation(head) or (isinstance(head, dict) and "mailboxId" in head)
        if _is_threads_page(value):
            head = embedded["threads"][0] if embedded["threads"] else None
            return head is None or _is_thread(head)
        return _is_conversation(value) or _is_thread(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Conversations are whole; threads are rows keyed by their conversation."""
        embedded = value.get("_embedded") if isinstance(value.get("_embedded"), dict) else {}
        if isinstance(embedded.get("conversations"), list):
            for i, conv in enumerate(embedded["conversations"]):
                yield f"_embedded.conversations[{i}]", None, conv
        elif _is_threads_page(value):
            links = value.get("_links")
            key = id_from_url(get(links, "self", "href")) or id_from_url(get(links, "next", "href")) or _FILE_KEY
            for i, thread in enumerate(embedded["threads"]):
                yield f"_embedded.threads[{i}]", key_of(get(thread, "conversation_id")) or key, thread
        elif _is_thread(value):
            yield "", key_of(value.get("conversation_id")) or key_of(value.get("conversationId")) or _FILE_KEY, value
        else:
            yield "", None, value

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Threads in time order (the API lists them newest first)."""
        if group.key is None:
            where, record = group.items[0]
            if not _is_conversation(record):
                raise ParseError(not_a_record(self), where)
            conv = validate(_Conversation, record, where)
            listed = get(record, "_embedded", "threads")
            threads = [(f"{where}._embedded.threads[{i}]".lstrip("."), t)
                       for i, t in enumerate(listed if isinstance(listed, list) else [])]
            cid = conv.id
            if not cid:
                raise ParseError("conversation has no id", join("id", where))
        else:
            conv, threads = _Conversation(), group.items
            cid = group.key if group.key != _FILE_KEY else file_key(ctx.source.name)
        messages: list[RawLine] = []
        saved: list[dict[str, str]] = []
        rated: list[tuple[_Thread, Rating]] = []
        channels: list[Channel | None] = [_CHANNELS.get(str(conv.type or "").lower()),
                                          _CHANNELS.get(str(get(conv.source, "type") or "").lower())]
        for loc, raw in threads:
            thread = validate(_Thread, _with_embedded(raw, loc), loc)
            found = self._thread(thread, loc)
            if not found:
                continue
            messages.extend(found)
            if thread.savedReplyId:
                saved.append({"thread": thread.id or loc, "saved_reply": thread.savedReplyId})
            rating = _rating(thread.rating)
            if rating is not None:
                rated.append((thread, rating))
            channels.append(_CHANNELS.get(thread.type) if thread.type in ("phone", *_CHAT_THREADS) else None)
        require_messages(messages, threads[0][0] if threads else join("_embedded.threads", group.items[0][0]))
        customer = conv.primaryCustomer
        participants = [Participant(id=customer.id, name=customer.name, role=Role.CUSTOMER)] \
            if customer and customer.id else []
        tags = [t.get("tag") or t.get("name") if isinstance(t, dict) else t for t in conv.tags]
        return ctx.build(
            id=cid, messages=messages, participants=participants, tags=[t for t in tags if isinstance(t, str)],
            rating=_latest(rated),
            channel=next((c for c in channels if c), Channel.EMAIL),
            started_at=time_field(conv.createdAt, "createdAt"), ended_at=time_field(conv.closedAt, "closedAt"),
            metadata={k: v for k, v in {"number": conv.number, "subject": conv.subject, "status": conv.status,
                                        "mailbox_id": conv.mailboxId, "saved_replies": saved,
                                        "ratings": [{"thread": t.id, "rating": r.label} for t, r in rated]
                                        if len(rated) > 1 else None,
                                        "id_from": "file name" if group.key == _FILE_KEY else None}.items() if v},
        )

    @staticmethod
    def _thread(t: _Thread, loc: str) -> list[RawLine]:
        if (t.state or "").lower() in _UNSENT:
            return []  # never sent
        author = (t.customer if t.type == "customer" and t.customer and t.customer.id else None) \
            or t.createdBy or t.customer or _Person()
        common: dict[str, Any] = {"time": t.createdAt, "author_id": author.id, "author_name": author.name, "loc": loc,
                                  "seq": id_seq(t.id)}
        if t.type in ("lineitem", "forwardparent", "forwardchild"):
            what = first(text(get(t.action, "text")), t.body) or t.type
            event = text(get(t.action, "type")) or t.type
            return [RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=event, text=what, html=True, **common)]
        role = _CREATORS.get((author.type or "").lower())
        action = str(get(t.action, "type") or "").lower()
        if t.type == "customer":  # the customer's words, whoever filed the thread
            role = Role.CUSTOMER
        elif role is None:
            spoken = t.type in ("phone", *_CHAT_THREADS)
            role = Role.CUSTOMER if spoken and t.customer and not t.createdBy else Role.AGENT
        elif role is Role.AGENT and "workflow" in action and "manual" not in action:
            role = Role.BOT  # sent by an automatic workflow
        internal = t.type == "note" or (t.state or "").lower() == "hidden"
        attachments = dicts(t.embedded.get("attachments"))
        names = [str(a.get("filename") or a.get("fileName") or "attachment") for a in attachments]
        message = RawMessage(role=role, text=t.body or "", html=True, internal=internal,
                             kind=Kind.NOTE if internal else Kind.MESSAGE, **common)
        return with_files(message, names)


def _with_embedded(raw: Any, loc: str) -> Any:
    if not isinstance(raw, dict):
        raise ParseError("a thread must be an object", loc)
    return {**raw, "embedded": raw.get("_embedded")}


def _rating(value: dict[str, Any] | None) -> Rating | None:
    """A reply's satisfaction rating (``{"rating": "great", "comments": ...}``); None without one
    (or for ``unknown``)."""
    label = (text(get(value, "rating")) or "").strip().lower().replace(" ", "_")
    if label not in _RATINGS:
        return None
    comment = text(get(value, "comments"))
    return Rating(value=_RATINGS[label], scale=1.0, label=label,
                  comment=comment if comment and comment.strip() else None)


def _latest(rated: list[tuple[_Thread, Rating]]) -> Rating | None:
    """The rating of the latest rated thread (a conversation's replies may each be rated)."""
    def when(item: tuple[int, tuple[_Thread, Rating]]) -> tuple[float, int]:
        return epoch(item[1][0].createdAt, -math.inf), item[0]

    return max(enumerate(rated), key=when)[1][1] if rated else None


def join(inner: str, outer: str) -> str:
    return f"{outer}.{inner}" if outer else inner
