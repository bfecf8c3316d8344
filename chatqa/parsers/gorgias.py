"""Gorgias helpdesk: tickets with ``messages[]``, ``/api/tickets/{id}/messages`` pages (``data[]``)
and connector rows (a message per line with its ``ticket_id``), grouped by ticket."""

from __future__ import annotations

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
    channel_by_words,
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
from .fields import rating_number

# Messages "from the agent side" that no agent wrote: rules, Automate flows, the AI Agent.
_AUTOMATED_VIA = frozenset({"rule", "self_service", "ai_agent", "ai-agent", "automation"})
_FILE_KEY = "\0file"


def _empty_list(value: Any) -> Any:
    return [] if value is None else value


class _Person(VendorModel):
    id: str | None = None
    email: str | None = None
    name: str | None = None
    firstname: str | None = None
    lastname: str | None = None

    @property
    def display(self) -> str | None:
        return self.name or " ".join(p for p in (self.firstname, self.lastname) if p) or self.email


class _Attachment(VendorModel):
    name: str | None = None
    url: str | None = None


class _Message(VendorModel):
    id: str | None = None
    ticket_id: str | None = None
    channel: str | None = None
    via: str | None = None
    public: bool | None = True
    from_agent: bool | None = None
    rule_id: str | None = None
    sender: _Person | None = None
    stripped_text: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    attachments: Annotated[list[_Attachment], BeforeValidator(_empty_list)] = []
    meta: dict[str, Any] | None = None
    created_datetime: str | float | None = None
    sent_datetime: str | float | None = None
    failed_datetime: str | float | None = None
    deleted_datetime: str | float | None = None


class _Ticket(VendorModel):
    id: str | None = None
    channel: str | None = None
    via: str | None = None
    status: str | None = None
    subject: str | None = None
    customer: _Person | None = None
    tags: Annotated[list[Any], BeforeValidator(_empty_list)] = []
    created_datetime: str | float | None = None
    closed_datetime: str | float | None = None
    satisfaction_survey: dict[str, Any] | None = None


def _is_message(v: Any) -> bool:
    return isinstance(v, dict) and "from_agent" in v and ("created_datetime" in v or "sent_datetime" in v) and any(
        k in v for k in ("body_text", "body_html", "stripped_text", "sender", "ticket_id"))


def _is_ticket(v: Any) -> bool:
    return isinstance(v, dict) and "created_datetime" in v and (
        (isinstance(v.get("messages"), list) and "customer" in v)
        or ("customer" in v and "channel" in v and "via" in v and "from_agent" not in v))


class GorgiasParser(GroupingParser):
    """Gorgias: ``from_agent`` false = customer; true = agent, except rule (``rule_id``, ``via: rule``),
    Automate and AI Agent messages (bots); ``public: false`` = internal note; ``channel`` gives the
    conversation's channel."""

    name = "gorgias"
    summary = "Gorgias tickets with messages[] and ticket message pages (data[])"
    channels = 'chat, email, voice, messaging, social from channel'
    example = '{"id", "channel": "chat", "messages": [{"from_agent", "public", "body_text", "sent_datetime"}]}'
    priority = 73
    envelopes = ("data",)

    def looks_like(self, value: Any) -> bool:
        """A ticket, a ``data[]`` page of tickets or messages, or a message row."""
        if not isinstance(value, dict):
            return False
        if isinstance(value.get("data"), list):
            head = value["data"][0] if value["data"] else None
            if head is None:
                return str(value.get("uri", "")).startswith("/api/") or value.get("object") == "list"
            return _is_message(head) or _is_ticket(head)
        return _is_ticket(value) or _is_message(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Tickets with their messages are whole; messages (and bare ticket headers) are keyed by ticket."""
        page = id_from_url(value.get("uri")) if isinstance(value.get("data"), list) else None
        tickets = state.setdefault("tickets", {})
        rows = [(f"data[{i}]", v) for i, v in enumerate(value["data"])] if isinstance(value.get("data"), list) \
            else [("", value)]
        for loc, row in rows:
            if _is_ticket(row) and isinstance(row.get("messages"), list):
                yield loc, None, row
            elif _is_ticket(row) and key_of(row.get("id")):
                tickets.setdefault(key_of(row["id"]), row)
                yield loc, key_of(row["id"]), row
            else:
                yield loc, key_of(get(row, "ticket_id")) or page or _FILE_KEY, row

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Messages in time order; unsent and deleted messages skipped."""
        ticket: Any = group.state.get("tickets", {}).get(group.key) if group.key else None
        rows: list[tuple[str, Any]] = []
        for where, item in group.items:
            if _is_ticket(item):
                ticket = item
                listed = item.get("messages") if isinstance(item.get("messages"), list) else []
                rows.extend((f"{where}.messages[{j}]".lstrip("."), m) for j, m in enumerate(listed))
            elif _is_message(item):
                rows.append((where, item))
            else:
                raise ParseError(not_a_record(self), where)
        t = validate(_Ticket, ticket, "ticket") if isinstance(ticket, dict) else _Ticket()
        messages: list[RawLine] = []
        parsed = [(where, validate(_Message, row, where)) for where, row in rows]
        for where, m in parsed:
            if m.deleted_datetime or (m.failed_datetime and not m.sent_datetime):
                continue  # deleted, or never delivered
            messages.extend(_message(m, where))
        # the ticket's channel, else the customer's messages', else any message's
        channels = [t.channel, *(m.channel for _, m in parsed if not m.from_agent), *(m.channel for _, m in parsed)]
        require_messages(messages, rows[0][0] if rows else (group.items[0][0] or "messages"))
        tid = t.id or (group.key if group.key != _FILE_KEY else None) or key_of(get(rows[0][1], "ticket_id")) \
            or file_key(ctx.source.name)
        customer = t.customer
        tags = [tag.get("name") if isinstance(tag, dict) else tag for tag in t.tags]
        return ctx.build(
            id=tid, messages=messages, tags=[x for x in tags if isinstance(x, str)],
            participants=[Participant(id=customer.id, name=customer.display, role=Role.CUSTOMER)]
            if customer and customer.id else None,
            rating=_rating(t.satisfaction_survey), started_at=time_field(t.created_datetime, "created_datetime"),
            channel=next((c for c in map(_channel, channels) if c), Channel.EMAIL),
            metadata={k: v for k, v in {"subject": t.subject, "status": t.status, "via": t.via,
                                        "channel": t.channel}.items() if v},
        )


def _channel(name: str | None) -> Channel | None:
    if not name or name in ("internal-note", "api"):
        return None
    if name in ("custom-chat", "gorgias_chat"):
        return Channel.CHAT
    return channel_by_words(name)


def _message(m: _Message, where: str) -> list[RawLine]:
    meta = m.meta or {}
    ai = any("ai_agent" in str(k) for k in meta) or meta.get("is_automated") is True
    if not m.from_agent:
        role = Role.CUSTOMER
    elif m.rule_id or (m.via or "").lower() in _AUTOMATED_VIA or ai:
        role = Role.BOT
    else:
        role = Role.AGENT
    internal = m.public is False or m.channel == "internal-note"
    sender = m.sender or _Person()
    body, html = first(m.stripped_text, m.body_text), False
    if body is None and (m.body_html or "").strip():
        body, html = m.body_html, True
    message = RawMessage(role=role, text=body or "", html=html, time=m.sent_datetime or m.created_datetime,
                         author_id=sender.id or sender.email, author_name=sender.display, internal=internal,
                         kind=Kind.NOTE if internal else Kind.MESSAGE, loc=where,
                         seq=id_seq(m.id))
    return with_files(message, [a.name or a.url or "attachment" for a in m.attachments])


def _rating(survey: dict[str, Any] | None) -> Rating | None:
    score = get(survey, "score")
    if score is None:
        return None
    return Rating(value=rating_number(score, "satisfaction_survey.score"), scale=5.0,
                  comment=text(get(survey, "body_text")))
