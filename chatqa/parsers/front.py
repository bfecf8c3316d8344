"""Front Core API: conversation messages, comments (internal) and events (``_results[]`` pages, bare
arrays, or one resource per file as Front's export template writes them), grouped by conversation."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ..errors import ParseError
from ..model import Channel, Kind, Rating, Role
from ..normalize import RawMessage, html_to_text
from ..records import Conversation, RawLine
from . import RecordContext, VendorModel, not_a_record
from ._grouping import (
    Group,
    GroupingParser,
    epoch,
    file_key,
    first,
    get,
    key_of,
    require_messages,
    text,
    validate,
    with_files,
)

# Teammate types that are automation: rules, macros, API clients, integrations, CSAT surveys, bots.
_BOT_TYPES = frozenset({"rule", "macro", "api", "integration", "csat", "bot", "workflow", "ai", "ai_agent", "copilot"})
_CHANNELS = {"email": Channel.EMAIL, "front_chat": Channel.CHAT, "intercom": Channel.CHAT, "smooch": Channel.CHAT,
             "sms": Channel.MESSAGING, "whatsapp": Channel.MESSAGING, "yalo_wha": Channel.MESSAGING,
             "facebook": Channel.MESSAGING, "tweet_dm": Channel.MESSAGING, "tweet": Channel.SOCIAL,
             "googleplay": Channel.SOCIAL, "call": Channel.VOICE, "phone-call": Channel.VOICE}
_MESSAGE_EVENTS = frozenset({"inbound", "outbound", "out_reply", "comment"})
_CONVERSATION = re.compile(r"/conversations/(cnv_[A-Za-z0-9]+)")
_CONTACT = re.compile(r"/contacts/([A-Za-z0-9_:-]+)")
_FOLDER = re.compile(r"(?:^|/)(cnv_[A-Za-z0-9]+)/")
_FILE_KEY = "\0file"
# A score in a CSAT response comment: "4/5", "4 out of 5", or a labelled number ("Rating: 4").
_OUT_OF = re.compile(r"(?<![\d.])(\d{1,2}(?:\.\d{1,2})?)\s*(?:/|out of)\s*(\d{1,2})(?![\d.])", re.IGNORECASE)
_LABELLED = re.compile(r"\b(?:rating|rated|score|csat)\b\s*[:=]?\s*(\d{1,2}(?:\.\d{1,2})?)(?![\d./])", re.IGNORECASE)


def _empty_list(value: Any) -> Any:
    return [] if value is None else value


class _Teammate(VendorModel):
    id: str | None = None
    email: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    type: str | None = None

    @property
    def name(self) -> str | None:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username or self.email


class _Recipient(VendorModel):
    name: str | None = None
    handle: str | None = None
    role: str | None = None
    links: dict[str, Any] | None = Field(default=None, validation_alias="_links")

    @property
    def id(self) -> str | None:
        """The contact id in ``_links.related.contact`` (``crd_…``), else the handle."""
        url = get(self.links, "related", "contact")
        found = _CONTACT.search(url) if isinstance(url, str) else None
        return found.group(1) if found else self.handle


class _Attachment(VendorModel):
    filename: str | None = None
    url: str | None = None


class _Message(VendorModel):
    id: str | None = None
    type: str | None = None
    is_inbound: bool | None = None
    draft_mode: str | None = None
    is_draft: bool | None = None
    created_at: float | str | None = None
    posted_at: float | str | None = None
    author: _Teammate | None = None
    recipients: Annotated[list[_Recipient], BeforeValidator(_empty_list)] = []
    body: str | None = None
    text: str | None = None
    subject: str | None = None
    attachments: Annotated[list[_Attachment], BeforeValidator(_empty_list)] = []


def _is_message(v: Any) -> bool:
    return isinstance(v, dict) and "is_inbound" in v and any(k in v for k in ("body", "text", "blurb", "created_at"))


def _is_comment(v: Any) -> bool:
    return isinstance(v, dict) and "posted_at" in v and ("body" in v or "author" in v) and "is_inbound" not in v


def _is_event(v: Any) -> bool:
    return isinstance(v, dict) and "emitted_at" in v and isinstance(v.get("type"), str) and (
        "target" in v or "conversation" in v or "source" in v)


def _is_row(v: Any) -> bool:
    return _is_message(v) or _is_comment(v) or _is_event(v)


def _conversation_of(row: Any) -> str | None:
    for url in (get(row, "_links", "related", "conversation"), get(row, "_links", "self")):
        found = _CONVERSATION.search(url) if isinstance(url, str) else None
        if found:
            return found.group(1)
    return key_of(get(row, "conversation", "id")) or key_of(get(row, "conversation_id"))


class FrontParser(GroupingParser):
    """Front: ``is_inbound`` messages are the customer's (author = the ``from`` recipient); outbound
    messages by a teammate of type user are the agent's, by rule / macro / API / integration
    teammates (or with no author) the bot's; comments are internal notes, except CSAT response
    comments (author type ``csat``): rating events that give the conversation's rating when they
    carry a score; drafts are skipped."""

    name = "front"
    summary = "Front conversation messages, comments and events (_results[] pages or one per file)"
    channels = 'email; chat, messaging, social, voice from the message type'
    example = '{"_results": [{"id": "msg_...", "type": "email", "is_inbound", "author", "text", "created_at"}]}'
    priority = 74
    envelopes = ("_results",)

    def looks_like(self, value: Any) -> bool:
        """A ``_results`` page of messages, comments or events, or one of them alone."""
        if not isinstance(value, dict):
            return False
        if isinstance(value.get("_results"), list):
            head = value["_results"][0] if value["_results"] else None
            return _is_row(head) if head is not None else "_pagination" in value
        if isinstance(value.get("messages"), list) and str(value.get("id", "")).startswith("cnv_"):
            return True
        return _is_row(value)

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Rows keyed by the conversation their links (or their page's, or their folder) name."""
        folder = _FOLDER.search(state.get("source", ""))  # export folders are named after conversations
        default = folder.group(1) if folder else _FILE_KEY
        if isinstance(value.get("_results"), list):
            page = _conversation_of(value) or default
            for i, row in enumerate(value["_results"]):
                yield f"_results[{i}]", _conversation_of(row) or page, row
        elif isinstance(value.get("messages"), list):  # a conversation with its messages and comments
            cid = key_of(value.get("id")) or default
            for list_key in ("messages", "comments", "events"):
                for i, row in enumerate(value.get(list_key) if isinstance(value.get(list_key), list) else []):
                    yield f"{list_key}[{i}]", cid, row
        else:
            yield "", _conversation_of(value) or default, value

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """Messages, comments and events of one conversation in time order (Front lists newest first)."""
        messages: list[RawLine] = []
        seen: set[str] = set()
        types: list[tuple[bool, str]] = []
        ratings: list[tuple[float, Rating]] = []
        for where, row in group.items:
            if _is_event(row):
                target = get(row, "target", "data")
                if row["type"] in _MESSAGE_EVENTS and (_is_message(target) or _is_comment(target)):
                    row, where = target, f"{where}.target.data"
                else:
                    messages.append(_event(row, where))
                    continue
            if not (_is_message(row) or _is_comment(row)):
                raise ParseError(not_a_record(self), where)
            item = validate(_Message, row, where)
            if item.id and item.id in seen:
                continue  # the same message from a messages page and an events page
            seen.add(item.id or where)
            if item.draft_mode or item.is_draft:
                continue  # never sent
            if _is_comment(row) and (item.author and (item.author.type or "").lower() == "csat"):
                event, rating = _csat(item, where)
                messages.append(event)
                if rating is not None:
                    ratings.append((epoch(item.posted_at, -math.inf), rating))
            elif _is_comment(row):
                messages.extend(_comment(item, where))
            else:
                messages.extend(_message(item, where))
                types.append((item.is_inbound is True, (item.type or "").lower()))
        # Front's export template writes one message (or comment) per file in a folder per conversation:
        # each file is a fragment of its conversation (not merged across files; never taken for a
        # duplicate), and one holding a CSAT response alone is that fragment (not a failure)
        fragment = bool(_FOLDER.search(group.state.get("source", ""))) and all("[" not in w for w, _ in group.items)
        if not (fragment and messages):
            require_messages(messages, group.items[0][0] or "_results")
        cid = group.key if group.key != _FILE_KEY else file_key(ctx.source.name)
        ordered = [t for inbound, t in types if inbound] + [t for _, t in types]
        channel = next((_CHANNELS[t] for t in ordered if t in _CHANNELS), Channel.EMAIL)
        # the latest CSAT response is the rating (Front lists newest first: the first of equal times)
        rating = max(ratings, key=lambda r: r[0])[1] if ratings else None
        return ctx.build(id=cid, messages=messages, channel=channel, rating=rating,
                         metadata={k: v for k, v in {"type": ordered[0] if ordered else None,
                                                     "id_from": "file name" if group.key == _FILE_KEY else None,
                                                     "fragment": fragment}.items() if v})


def _message(m: _Message, where: str) -> list[RawLine]:
    if m.is_inbound:
        sender = next((r for r in m.recipients if (r.role or "").lower() == "from"), None)
        role, author_id, name = Role.CUSTOMER, sender.id if sender else None, sender.name if sender else None
    else:
        author = m.author
        kind = (author.type or "user").lower() if author else ""
        role = Role.BOT if author is None or kind in _BOT_TYPES else Role.AGENT
        author_id, name = (author.id or author.email, author.name) if author else (None, None)
        if author is None:
            sender = next((r for r in m.recipients if (r.role or "").lower() == "from"), None)
            author_id, name = (sender.id, sender.name) if sender else (None, None)
    internal = (m.type or "").lower() == "internal"
    body, html = (m.text, False) if (m.text or "").strip() else (m.body or "", True)
    message = RawMessage(role=role, text=body or "", html=html, time=m.created_at, author_id=author_id,
                         author_name=name, internal=internal, kind=Kind.NOTE if internal else Kind.MESSAGE, loc=where)
    return with_files(message, [a.filename or a.url or "attachment" for a in m.attachments])


def _comment(m: _Message, where: str) -> list[RawLine]:
    author = m.author or _Teammate()
    role = Role.BOT if (author.type or "").lower() in _BOT_TYPES else Role.AGENT
    note = RawMessage(role=role, text=m.body or "", html=True, time=m.posted_at, author_id=author.id or author.email,
                      author_name=author.name, internal=True, kind=Kind.NOTE, loc=where)
    return with_files(note, [a.filename or a.url or "attachment" for a in m.attachments])


def _csat(m: _Message, where: str) -> tuple[RawLine, Rating | None]:
    """A CSAT response comment (its author a teammate of type ``csat``, which Front's API keeps for
    them): the customer's rating, a system event, and the rating when the comment gives a score."""
    author = m.author or _Teammate()
    said = html_to_text(m.body or "")
    event = RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event="csat_response",
                       text=f"CSAT response: {said}" if said else "CSAT response", time=m.posted_at,
                       author_id=author.id or author.email, author_name=author.name, loc=where)
    return event, _csat_rating(said)


def _csat_rating(said: str) -> Rating | None:
    """The score a CSAT comment gives ("4/5", "4 out of 5", "Rating: 4" on a 5-point scale), the
    rest of its text as the comment; None when it gives no score in range."""
    found = _OUT_OF.search(said)
    if found:
        value, scale = float(found.group(1)), float(found.group(2))
    elif found := _LABELLED.search(said):
        value, scale = float(found.group(1)), 5.0
    else:
        return None
    if not 0 <= value <= scale or scale == 0:
        return None
    rest = (said[:found.start()] + " " + said[found.end():]).strip()
    rest = re.sub(r"^(?:(?:rating|rated|score|csat)\b)?[\s:=\-\u2013\u2014]*", "", rest, flags=re.IGNORECASE).strip()
    return Rating(value=value, scale=scale, comment=rest or None)


def _event(row: dict[str, Any], where: str) -> RawLine:
    kind = str(row["type"])
    target = get(row, "target", "data")
    label = first(text(get(target, "name")), text(get(target, "email")), text(get(target, "username")))
    who = get(row, "source", "data")
    actor = first(text(get(who, "first_name")), text(get(who, "name")), text(get(who, "email")))
    words = kind.replace("_", " ")
    if label:
        words = f"{words}: {label}"
    return RawMessage(role=Role.SYSTEM, kind=Kind.EVENT, event=kind, text=f"{actor} {words}" if actor else words,
                      time=row.get("emitted_at"), author_id=key_of(get(who, "id")), loc=where)

