"""Zendesk Support tickets: comments pages (``include=users``), tickets with comments, ticket audits,
incremental ticket events with comment events, messaging conversation logs, and connector rows
(Airbyte / Singer ``ticket_comments``: one comment per line with its ``ticket_id``)."""

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
    valid_or_none,
    validate,
    with_files,
)
from ._zendesk_transcript import chat_lines
from ._zendesk_via import automated, channel_of, via_name

_USER_ROLES = {"end-user": Role.CUSTOMER, "end_user": Role.CUSTOMER, "agent": Role.AGENT, "admin": Role.AGENT}
_COMMENT_TYPES = ("Comment", "VoiceComment")
_EVENT_FIELDS = {"status", "assignee_id", "group_id", "priority"}
_FILE_KEY = "\0file"  # rows that name no ticket: one conversation per file, named after the file


class _Attachment(VendorModel):
    file_name: str | None = None
    content_url: str | None = None


class _Comment(VendorModel):
    id: str | None = None
    type: str = "Comment"
    author_id: str | None = None
    public: bool | None = True
    body: str | None = None
    plain_body: str | None = None
    html_body: str | None = None
    created_at: str | float | None = None
    timestamp: float | None = None
    via: dict[str, Any] | None = None
    attachments: Annotated[list[_Attachment], BeforeValidator(lambda v: [] if v is None else v)] = []
    data: dict[str, Any] | None = None


class _Ticket(VendorModel):
    id: str | None = None
    subject: str | None = None
    description: str | None = None
    requester_id: str | None = None
    status: str | None = None
    created_at: str | float | None = None
    via: dict[str, Any] | None = None
    tags: list[str] = []
    satisfaction_rating: dict[str, Any] | None = None


class _User(VendorModel):
    id: str
    name: str | None = None
    email: str | None = None
    role: str | None = None


def _is_comment(v: Any) -> bool:
    return isinstance(v, dict) and not _is_log_item(v) and (v.get("type") in _COMMENT_TYPES or (
        "author_id" in v and "public" in v and any(k in v for k in ("body", "html_body", "plain_body"))))


def _is_ticket(v: Any) -> bool:
    return isinstance(v, dict) and isinstance(v.get("via"), dict) and "requester_id" in v and (
        "description" in v or "subject" in v or isinstance(v.get("comments"), list))


def _is_log_item(v: Any) -> bool:
    """A messaging conversation log item (messages, and comments in the log's own shape)."""
    return isinstance(v, dict) and (str(v.get("type", "")).startswith("Messaging::") or (
        isinstance(v.get("author"), dict) and isinstance(v.get("content"), dict)))


def _audit_fields(v: Any) -> bool:
    """The keys of a ticket audit beside its ``events`` (those a big audit's streamed list leaves)."""
    return isinstance(v, dict) and "ticket_id" in v and any(k in v for k in ("author_id", "created_at", "via"))


def _is_audit(v: Any) -> bool:
    """A ticket audit: one update of a ticket (its time, author and via) with the events it made."""
    return _audit_fields(v) and isinstance(v.get("events"), list) and not _is_log_item(_first_of(v, "events"))


def _is_row(v: Any) -> bool:
    return _is_comment(v) or _is_log_item(v) or _is_ticket(v) or _is_audit(v) or (
        isinstance(v, dict) and "ticket_id" in v and isinstance(v.get("child_events"), list))


def _first_of(value: Any, key: str) -> Any:
    items = value.get(key) if isinstance(value, dict) else None
    return items[0] if isinstance(items, list) and items else None


class ZendeskSupportParser(GroupingParser):
    """Zendesk Support: ``users[].role`` end-user/agent/admin; ``via.channel: rule`` (triggers,
    automations) and Answer Bot are bots; ``public: false`` is an internal note; ``via.channel``
    gives the channel."""

    name = "zendesk-support"
    summary = "Zendesk Support ticket comments, tickets, audits, ticket events (users sideloaded)"
    channels = 'email; chat, messaging, voice, social from via.channel'
    example = ('{"comments": [{"id", "author_id", "public", "plain_body", "created_at", "via"}], '
               '"users": [{"id", "role"}]}')
    priority = 72
    envelopes = ("comments", "audits", "ticket_events", "events", "conversation_log", "tickets")
    webhooks = (("audit",),)  # Show Audit: {"audit": {...}}

    def is_page(self, siblings: dict[str, Any]) -> bool:
        """A ticket holding a long ``comments`` list, or an audit its ``events``, is one record, not a page."""
        return not (_is_ticket(siblings) or _audit_fields(siblings))

    def looks_like(self, value: Any) -> bool:
        """A comments / tickets / audits / ticket events response, a ticket, or a connector row."""
        if not isinstance(value, dict):
            return False
        if isinstance(value.get("comments"), list) and not _is_ticket(value):
            head = _first_of(value, "comments")
            return _is_comment(head) if head is not None else any(k in value for k in ("users", "next_page", "count"))
        if isinstance(value.get("audits"), list):
            head = _first_of(value, "audits")
            return head is None or (isinstance(head, dict) and isinstance(head.get("events"), list))
        if isinstance(value.get("ticket_events"), list):
            return True
        if isinstance(value.get("tickets"), list):
            head = _first_of(value, "tickets")
            return _is_ticket(head) if head is not None else "end_of_stream" in value
        if _is_ticket(value.get("ticket")):
            return True
        for key in ("events", "conversation_log"):
            if _is_log_item(_first_of(value, key)):
                return True
        return _is_row(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Rows keyed by ticket id; tickets that carry their comments are whole conversations."""
        users = state.setdefault("users", {})
        for user in dicts(value.get("users")):
            if key_of(user.get("id")):
                users.setdefault(key_of(user["id"]), user)
        tickets = state.setdefault("tickets", {})
        ticket = value.get("ticket") if _is_ticket(value.get("ticket")) else None
        # a page of comments names its ticket only in its links (or not at all: then the file does)
        page_key = (key_of(get(ticket, "id")) or id_from_url(value.get("next_page"))
                    or id_from_url(value.get("previous_page")) or id_from_url(get(value, "links", "next"))
                    or id_from_url(get(value, "links", "prev")) or id_from_url(value.get("url")) or _FILE_KEY)
        lists = ("comments", "audits", "ticket_events", "events", "conversation_log", "tickets")
        if ticket is not None:
            if isinstance(ticket.get("comments"), list) and not isinstance(value.get("comments"), list):
                yield "ticket", None, ticket
                return
            tickets.setdefault(page_key, ticket)
            if not any(isinstance(value.get(k), list) for k in lists):  # Show Ticket: its description only
                yield "ticket", page_key, ticket
                return
        if _is_audit(value):  # a bare audit: one row of its ticket, its events read together
            yield "", key_of(value.get("ticket_id")) or page_key, value
            return
        listed = False
        for list_key in lists:
            items = value.get(list_key)
            if isinstance(items, list) and not _is_ticket(value):
                listed = True
                for i, item in enumerate(items):
                    yield from self._row(f"{list_key}[{i}]", item, page_key, tickets)
        if not listed:
            yield from self._row("", value, page_key, tickets)

    @staticmethod
    def _row(loc: str, item: Any, page_key: str, tickets: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        if _is_ticket(item):
            tid = key_of(item.get("id"))
            if isinstance(item.get("comments"), list) or tid is None:
                yield loc, None, item
            else:  # a ticket header: its comments may come in other rows of the file
                tickets.setdefault(tid, item)
                yield loc, tid, item
            return
        yield loc, key_of(get(item, "ticket_id")) or page_key, item

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Comments (and audit / ticket events) in time order, authors resolved through users[]."""
        state = group.state
        ticket: Any = state.get("tickets", {}).get(group.key) if group.key else None
        comments: list[tuple[str, _Comment]] = []
        messages: list[RawLine] = []
        for where, item in group.items:
            if not isinstance(item, dict):
                raise ParseError(not_a_record(self), where)
            if _is_ticket(item):
                ticket = item
                for j, c in enumerate(item.get("comments") or []):
                    loc = f"{where}.comments[{j}]".lstrip(".")
                    comments.append((loc, validate(_Comment, c, loc)))
            elif isinstance(item.get("child_events"), list):
                parent = {"created_at": item.get("created_at") or item.get("timestamp"), "via": item.get("via")}
                for j, c in enumerate(item["child_events"]):
                    self._event(f"{where}.child_events[{j}]".lstrip("."), c, parent, comments, messages)
            elif isinstance(item.get("events"), list):
                parent = {"created_at": item.get("created_at"), "via": item.get("via"),
                          "author_id": item.get("author_id")}
                for j, c in enumerate(item["events"]):
                    self._event(f"{where}.events[{j}]".lstrip("."), c, parent, comments, messages)
            elif _is_log_item(item):
                messages.append(self._log_item(where, item, state.get("users", {})))
            elif _is_comment(item):
                if not isinstance(item.get("via"), dict) and isinstance(get(item, "metadata", "via"), dict):
                    item = {**item, "via": item["metadata"]["via"]}  # as in the docs' List Comments example
                comments.append((where, validate(_Comment, item, where)))
            else:
                raise ParseError(not_a_record(self), where)
        t = validate(_Ticket, ticket, "ticket") if isinstance(ticket, dict) else _Ticket()
        users = _users(state)
        opener = t.requester_id or _opener(comments)
        for where, c in comments:
            messages.extend(self._comment(where, c, users, opener))
        if not messages and t.description:
            messages.append(RawMessage(role=Role.CUSTOMER, text=t.description, time=t.created_at,
                                       author_id=t.requester_id, loc="description"))
        require_messages(messages, group.items[0][0] or "comments")
        named = group.key not in (None, _FILE_KEY)
        tid = t.id or (group.key if named else None) or file_key(ctx.source.name)
        # the ticket's via, else how its requester's comments came in, else any comment's
        vias = [t.via, *(c.via for _, c in comments if c.author_id == opener), *(c.via for _, c in comments)]
        channel = next((ch for ch in map(channel_of, vias) if ch), Channel.EMAIL)
        via = next((via_name(v) for v in vias if via_name(v)), None)
        participants = [Participant(id=u.id, name=u.name or u.email, role=_USER_ROLES.get(u.role or "", Role.AGENT))
                        for u in users.values() if any(m.author_id == u.id for m in messages)]
        return ctx.build(
            id=tid, messages=messages, participants=participants, tags=t.tags, rating=_rating(t.satisfaction_rating),
            channel=channel, started_at=time_field(t.created_at, "ticket.created_at"),
            metadata={k: v for k, v in {"subject": t.subject, "status": t.status, "via": via,
                                        "id_from": None if t.id or named else "file name"}.items() if v},
        )

    @staticmethod
    def _event(where: str, c: Any, parent: dict[str, Any], comments: list[Any], messages: list[RawLine]) -> None:
        if not isinstance(c, dict):
            raise ParseError("an event must be an object", where)
        kind = c.get("type") or c.get("event_type")
        if kind in _COMMENT_TYPES:
            merged = {**c, "created_at": c.get("created_at") or parent["created_at"],
                      "via": c.get("via") or parent["via"]}
            merged.setdefault("author_id", parent.get("author_id"))
            comments.append((where, validate(_Comment, merged, where)))
        elif kind == "CommentPrivacyChange":  # a later change of a comment's visibility
            target = key_of(c.get("comment_id"))
            for i, (loc, comment) in enumerate(comments):
                if comment.id == target:
                    comments[i] = (loc, comment.model_copy(update={"public": c.get("public") is True}))
        elif kind == "Change" and isinstance(c.get("field_name"), str) and c["field_name"] in _EVENT_FIELDS:
            what = f"{c['field_name']} changed to {text(c.get('value')) or 'none'}"
            messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=f"{c['field_name']}_change", text=what,
                                       time=c.get("created_at") or parent["created_at"], loc=where,
                                       seq=id_seq(c.get("id"))))
        elif kind in ("SatisfactionRating", "ChatStartedEvent", "ChatEndedEvent", "Transfer"):
            label = first(text(c.get("score")), text(c.get("body"))) or kind
            messages.append(RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=str(kind), text=label,
                                       time=c.get("created_at") or parent["created_at"], loc=where,
                                       seq=id_seq(c.get("id"))))

    @staticmethod
    def _comment(where: str, c: _Comment, users: dict[str, _User], opener: str | None) -> list[RawLine]:
        user = users.get(c.author_id or "")
        if automated(c.via) or c.author_id == "-1":
            role = Role.BOT
        elif user is not None and user.role:
            role = _USER_ROLES.get(user.role.lower(), Role.AGENT)
        elif c.public is False:  # an internal note is written by the team
            role = Role.AGENT
        else:  # no users sideloaded: the requester (or the first public comment's author) is the customer
            role = Role.CUSTOMER if c.author_id and c.author_id == opener else Role.AGENT
        internal = c.public is False
        name = user.name if user else first(get(c.via, "source", "from", "name"))
        common: dict[str, Any] = {"role": role, "time": c.created_at if c.created_at is not None else c.timestamp,
                                  "author_id": c.author_id, "author_name": name, "internal": internal,
                                  "seq": id_seq(c.id)}
        # plain_body, else html_body (converted), else body (which may hold Markdown)
        body, html = c.plain_body, False
        if not (body or "").strip() and (c.html_body or "").strip():
            body, html = c.html_body, True
        if not (body or "").strip():
            body, html = c.body, False
        if not (body or "").strip() and c.type == "VoiceComment" and isinstance(c.data, dict):
            body = first(c.data.get("transcription_text"), c.data.get("recording_url")) or "voice comment"
        if not html and (body or "").lstrip().startswith("Chat started:"):
            lines = chat_lines(body or "", where, name, common)
            if lines:
                return lines
        message = RawMessage(text=body or "", html=html, kind=Kind.NOTE if internal else Kind.MESSAGE, loc=where,
                             **common)
        return with_files(message, [a.file_name or a.content_url or "file" for a in c.attachments])

    @staticmethod
    def _log_item(where: str, item: dict[str, Any], users: dict[str | None, Any]) -> RawLine:
        author = raw if isinstance(raw := item.get("author"), dict) else {}
        kind = str(author.get("type") or "").lower()
        source = str(get(item, "source", "type") or "").lower()
        role = (Role.BOT if kind == "system" or source in ("ultimate", "zd:answerbot") else
                Role.CUSTOMER if kind in ("end-user", "end_user", "user") else Role.AGENT)
        content = raw if isinstance(raw := item.get("content"), dict) else {}
        body = first(text(content.get("text")), text(content.get("text_fallback")))
        html = False
        if body is None and text(content.get("body")):
            body, html = text(content["body"]), True
        public = get(item, "metadata", "is_public")
        author_id = key_of(author.get("zen:support:user_id")) or key_of(author.get("zen:sunco:user_id"))
        if role is Role.AGENT and _USER_ROLES.get(str(get(users.get(author_id), "role"))) is Role.CUSTOMER:
            role = Role.CUSTOMER
        internal = public is False
        return RawMessage(role=role, text=body or "", html=html, time=item.get("created_at"), author_id=author_id,
                          author_name=text(author.get("display_name")), internal=internal,
                          kind=Kind.NOTE if internal else Kind.MESSAGE, loc=where)


def _opener(comments: list[tuple[str, _Comment]]) -> str | None:
    """The author of the earliest public comment (the ticket's requester, when no ticket is given;
    internal notes are the team's), else of the earliest comment."""
    def when(item: tuple[int, tuple[str, _Comment]]) -> tuple[float, float, int]:
        i, (_, c) = item
        return epoch(c.created_at if c.created_at is not None else c.timestamp, math.inf), id_seq(c.id), i

    authored = [c for c in comments if c[1].author_id]
    dated = sorted(enumerate([c for c in authored if c[1].public is not False] or authored), key=when)
    return dated[0][1][1].author_id if dated else None


def _users(state: dict[str, Any]) -> dict[str, _User]:
    """The sideloaded users read so far (remembered per file; invalid entries are skipped)."""
    raw = state.get("users", {})
    cached = state.get("_users")
    if cached is None or cached[0] != len(raw):
        valid = {k: u for k, u in ((k, valid_or_none(_User, v)) for k, v in raw.items()) if u is not None}
        cached = state["_users"] = (len(raw), valid)
    return cached[1]


def _rating(value: dict[str, Any] | None) -> Rating | None:
    score = text(get(value, "score"))
    if score not in ("good", "bad"):
        return None
    return Rating(value=1.0 if score == "good" else 0.0, scale=1.0, label=score, comment=text(get(value, "comment")))
