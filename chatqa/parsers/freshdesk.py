"""Freshdesk tickets and ``/tickets/{id}/conversations`` (bare arrays, ``include=conversations``,
connector rows), and Freshchat conversation messages (``message_parts``), grouped by ticket or
conversation. The ticket's description is its first message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator

from ..errors import ParseError
from ..model import Channel, Kind, Participant, Role
from ..normalize import RawMessage
from ..records import Conversation, RawLine
from . import RecordContext, VendorModel, not_a_record
from ._grouping import (
    Group,
    GroupingParser,
    channel_by_words,
    dicts,
    file_key,
    first,
    get,
    id_seq,
    key_of,
    require_messages,
    text,
    time_field,
    validate,
    with_files,
)

# Ticket `source`: 1 email, 2 portal, 3 phone, 5 Twitter, 6 Facebook, 7 chat, 9 feedback widget,
# 10 outbound email (opened by an agent). Conversation `source`: 0 reply, 2 note, 5 tweet,
# 6 survey feedback, 7 Facebook post, 8 forward, 9 phone.
_TICKET_CHANNELS = {1: Channel.EMAIL, 2: Channel.EMAIL, 3: Channel.VOICE, 5: Channel.SOCIAL, 6: Channel.SOCIAL,
                    7: Channel.CHAT, 9: Channel.EMAIL, 10: Channel.EMAIL, 11: Channel.EMAIL}
_OUTBOUND = 10
_FEEDBACK = 6
_FRESHCHAT_ROLES = {"user": Role.CUSTOMER, "agent": Role.AGENT, "bot": Role.BOT, "system": Role.BOT}
_FILE_KEY = "\0file"


def _empty_list(value: Any) -> Any:
    return [] if value is None else value


class _Attachment(VendorModel):
    name: str | None = None
    attachment_url: str | None = None


class _Entry(VendorModel):
    id: str | None = None
    ticket_id: str | None = None
    user_id: str | None = None
    incoming: bool | None = None
    private: bool | None = None
    source: int | None = None
    body: str | None = None
    body_text: str | None = None
    from_email: str | None = None
    created_at: str | float | None = None
    attachments: Annotated[list[_Attachment], BeforeValidator(_empty_list)] = []


class _Requester(VendorModel):
    id: str | None = None
    name: str | None = None
    email: str | None = None


class _Ticket(VendorModel):
    id: str | None = None
    subject: str | None = None
    description: str | None = None
    description_text: str | None = None
    requester_id: str | None = None
    responder_id: str | None = None
    requester: _Requester | None = None
    source: int | None = None
    status: int | str | None = None
    tags: Annotated[list[str], BeforeValidator(_empty_list)] = []
    created_at: str | float | None = None
    attachments: Annotated[list[_Attachment], BeforeValidator(_empty_list)] = []


class _ChatMessage(VendorModel):
    id: str | None = None
    conversation_id: str | None = None
    actor_type: str = "user"
    actor_id: str | None = None
    message_type: str = "normal"
    message_parts: Annotated[list[Any], BeforeValidator(_empty_list)] = []
    created_time: str | float | None = None
    bots_private_note: bool | None = None
    botsPrivateNote: bool | None = None
    message_source: str | None = None
    channel: str | None = None


def _is_ticket(v: Any) -> bool:
    return isinstance(v, dict) and "requester_id" in v and "via" not in v and (
        "description_text" in v or isinstance(v.get("conversations"), list)
        or ("description" in v and isinstance(v.get("source"), int)))


def _is_entry(v: Any) -> bool:
    return isinstance(v, dict) and "incoming" in v and "private" in v and ("body" in v or "body_text" in v)


def _is_chat_message(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("message_parts"), list) and "actor_type" in v


class FreshdeskParser(GroupingParser):
    """Freshdesk: the ticket description is the requester's first message; ``incoming`` true =
    customer; ``private`` = internal note; survey feedback = event. Freshchat: ``actor_type`` user /
    agent / bot / system; ``message_type`` private = internal, system = event."""

    name = "freshdesk"
    summary = "Freshdesk tickets and conversations; Freshchat conversation messages"
    channels = 'email; voice, chat, social from source; Freshchat chat, messaging'
    example = ('{"id", "requester_id", "description_text", "conversations": [{"incoming", "private", '
               '"body_text", "created_at"}]}')
    priority = 71
    envelopes = ("messages",)

    def is_page(self, siblings: dict[str, Any]) -> bool:
        """A ticket holding a long ``conversations`` list is one conversation, not a page."""
        return not _is_ticket(siblings)

    def looks_like(self, value: Any) -> bool:
        """A ticket, a conversation entry, a Freshchat message, page, conversation or webhook."""
        if not isinstance(value, dict):
            return False
        if isinstance(value.get("messages"), list):
            head = value["messages"][0] if value["messages"] else None
            return _is_chat_message(head) if head is not None else "pagination" in value
        return _is_ticket(value) or _is_entry(value) or _is_chat_message(value) or \
            _is_chat_message(get(value, "data", "message"))

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Tickets, conversation entries and chat messages, keyed by ticket / conversation."""
        if isinstance(value.get("messages"), list):
            page = key_of(value.get("conversation_id"))
            for i, m in enumerate(value["messages"]):
                yield f"messages[{i}]", _chat_key(key_of(get(m, "conversation_id")) or page), m
        elif _is_chat_message(get(value, "data", "message")):  # a webhook body
            message = value["data"]["message"]
            yield "data.message", _chat_key(key_of(message.get("conversation_id"))), message
        elif _is_chat_message(value):
            yield "", _chat_key(key_of(value.get("conversation_id"))), value
        elif _is_ticket(value):
            yield "", key_of(value.get("id")) or _FILE_KEY, value
        else:
            yield "", key_of(value.get("ticket_id")) or _FILE_KEY, value

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """A ticket's description and conversations, or a Freshchat conversation, in time order."""
        if group.key and group.key.startswith("chat:"):
            return self._chat(group, ctx)
        ticket: _Ticket | None = None
        entries: list[tuple[str, Any]] = []
        for where, item in group.items:
            if _is_ticket(item):
                ticket = validate(_Ticket, item, where)
                listed = item.get("conversations") if isinstance(item.get("conversations"), list) else []
                entries.extend((f"{where}.conversations[{j}]".lstrip("."), c) for j, c in enumerate(listed))
            elif _is_entry(item):
                entries.append((where, item))
            else:
                raise ParseError(not_a_record(self), where)
        messages: list[RawLine] = []
        seen: set[str] = set()
        t = ticket or _Ticket()
        if ticket is not None and (t.description_text or t.description or t.attachments):
            outbound = t.source == _OUTBOUND  # opened by an agent
            requester = t.requester
            description = RawMessage(
                role=Role.AGENT if outbound else Role.CUSTOMER, time=t.created_at,
                text=t.description_text if t.description_text and t.description_text.strip() else t.description or "",
                html=not (t.description_text or "").strip(), loc="description",
                author_id=t.responder_id if outbound else t.requester_id,
                author_name=None if outbound or requester is None else requester.name or requester.email)
            files = [a.name or a.attachment_url or "attachment" for a in t.attachments]
            messages.extend(with_files(description, files))
        channels = [_TICKET_CHANNELS.get(t.source or -1)]
        names: dict[str | None, str | None] = (
            {t.requester_id: t.requester.name or t.requester.email} if t.requester_id and t.requester else {})
        for where, raw in entries:
            entry = validate(_Entry, raw, where)
            if entry.id and entry.id in seen:
                continue  # the same entry embedded in the ticket and listed again
            seen.add(entry.id or where)
            messages.extend(_entry(entry, where, names))
            channels.append({5: Channel.SOCIAL, 7: Channel.SOCIAL, 9: Channel.VOICE}.get(entry.source or -1))
        require_messages(messages, entries[0][0] if entries else (group.items[0][0] or "description"))
        tid = t.id or (group.key if group.key != _FILE_KEY else None) or file_key(ctx.source.name)
        requester = t.requester
        return ctx.build(
            id=tid, messages=messages, tags=t.tags, started_at=time_field(t.created_at, "created_at"),
            participants=[Participant(id=t.requester_id, name=requester.name if requester else None,
                                      role=Role.CUSTOMER)] if t.requester_id and t.source != _OUTBOUND else None,
            channel=next((c for c in channels if c), Channel.EMAIL),
            metadata={k: v for k, v in {"subject": t.subject, "status": t.status, "source": t.source}.items()
                      if v is not None},
        )

    def _chat(self, group: Group, ctx: RecordContext) -> Conversation:
        messages: list[RawLine] = []
        channels: list[str | None] = []
        for where, item in group.items:
            if not _is_chat_message(item):
                raise ParseError(not_a_record(self), where)
            m = validate(_ChatMessage, item, where)
            messages.extend(_chat_message(m, where))
            channels.append(m.channel or m.message_source)
        require_messages(messages, group.items[0][0] or "messages")
        cid = (group.key or "").removeprefix("chat:") or file_key(ctx.source.name)
        return ctx.build(id=cid, messages=messages,
                         channel=next((c for c in map(_chat_channel, channels) if c), Channel.CHAT),
                         metadata={"product": "freshchat"})


def _chat_key(key: str | None) -> str:
    return f"chat:{key or ''}"


def _chat_channel(name: str | None) -> Channel | None:
    if not name or name.lower() in ("web", "mobile", "ios", "android", "widget"):
        return Channel.CHAT if name else None
    return channel_by_words(name)


def _entry(e: _Entry, where: str, names: dict[str | None, str | None]) -> list[RawLine]:
    internal = e.private is True
    role = Role.CUSTOMER if e.incoming and not internal else Role.AGENT
    body, html = (e.body_text, False) if (e.body_text or "").strip() else (e.body or "", True)
    name = names.get(e.user_id) or (e.from_email if role is Role.CUSTOMER else None)
    common: dict[str, Any] = {"time": e.created_at, "author_id": e.user_id, "author_name": name, "loc": where,
                              "seq": id_seq(e.id)}
    if e.source == _FEEDBACK:
        return [RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="survey_feedback", text=body or "", html=html,
                           **common)]
    message = RawMessage(role=role, text=body or "", html=html, internal=internal,
                         kind=Kind.NOTE if internal else Kind.MESSAGE, **common)
    return with_files(message, [a.name or a.attachment_url or "attachment" for a in e.attachments])


def _chat_message(m: _ChatMessage, where: str) -> list[RawLine]:
    texts: list[str] = []
    files: list[str] = []
    for part in dicts(m.message_parts):
        _part(part, texts, files, 0)
    common: dict[str, Any] = {"time": m.created_time, "author_id": m.actor_id, "loc": where}
    kind = m.message_type.lower()
    actor = m.actor_type.lower()
    if kind == "system":
        return [RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="system", text="\n".join(texts), **common)]
    internal = kind == "private" or m.bots_private_note is True or m.botsPrivateNote is True
    role = _FRESHCHAT_ROLES.get(actor, Role.BOT)
    if internal and role is Role.CUSTOMER:
        role = Role.AGENT
    message = RawMessage(role=role, text="\n".join(texts), internal=internal,
                         kind=Kind.NOTE if internal else Kind.MESSAGE, **common)
    return with_files(message, files)


def _part(part: dict[str, Any], texts: list[str], files: list[str], depth: int) -> None:
    """Visible text of a message part (text, buttons, templates, collections); files by name."""
    if depth > 5:
        return
    for kind, value in part.items():
        if kind == "text":
            found = text(get(value, "content"))
            if found:
                texts.append(found)
        elif kind in ("image", "file", "video", "audio"):
            files.append(first(text(get(value, "name")), text(get(value, "url"))) or kind)
        elif kind in ("url_button", "quick_reply_button", "callback", "quick_reply_dropdown"):
            found = first(text(get(value, "label")), text(get(value, "custom_reply_text")))
            if found:
                texts.append(found)
        elif kind == "collection":
            for sub in dicts(get(value, "sub_parts")):
                _part(sub, texts, files, depth + 1)
        elif kind == "template_content":
            for section in dicts(get(value, "sections")):
                for sub in dicts(section.get("parts")):
                    _part(sub, texts, files, depth + 1)
