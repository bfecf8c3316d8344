"""Shared machinery for the ticketing and contact-centre formats (Zendesk Support, Salesforce,
Freshdesk, Help Scout, Gorgias, Kustomer, Front, Amazon Connect).

Their files hold either whole conversations (a ticket with its comments) or *rows*: one
message per API list element or per JSON Lines record (what Airbyte and Singer connectors
write), which belong to a conversation named by a key (``ticket_id``, ``ConversationId``...).
`GroupingParser` reads every top-level value of a file, converts whole conversations as they
come and groups rows by their key across the whole file (a conversation may be spread over
several pages or lines), converting each group at the end, in order of first appearance.
Sideloads (``users[]``, ``included[]``) found anywhere in the file go into a per-file state.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..duplicates import Duplicate
from ..errors import Failure, ParseError, join_locator
from ..model import Channel, Kind
from ..normalize import RawMessage, parse_time
from ..read import InputFile, Page, decode, json_records
from ..records import Conversation, RawLine
from . import JsonParser, ParseOptions, RecordContext, not_a_record, record_failure
from .envelopes import unwrap

_ERRORS = (ParseError, ValidationError, LookupError, TypeError, ValueError, AttributeError, OverflowError,
           RecursionError)


@dataclass
class Group:
    """The records of one conversation: `items` are (locator, record) pairs; `key` is None for a
    record that is a whole conversation by itself."""

    key: str | None
    items: list[tuple[str, Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


class GroupingParser(JsonParser):
    """A JSON format whose conversations are whole records or rows grouped by a key.

    A top-level value is a response, a record or a row of the format (`looks_like`), or an
    envelope of them (a webhook body, a generic API page: `chatqa.parsers.envelopes`), whose
    values are read as top-level values. A big response read element by element gives each
    element in its page (the page's other keys with it, sideloads once), so rows read the same
    as from a small one; a big document that is itself a record (`is_page` false) is read whole.
    """

    def looks_like(self, value: Any) -> bool:
        """True when a top-level value (a response, a record or a row) has this format's shape."""
        raise NotImplementedError

    def split(self, value: Any, state: dict[str, Any]) -> Iterator[tuple[str, str | None, Any]]:
        """Yield (locator inside `value`, conversation key or None for a whole conversation, record)
        for a top-level value, putting its sideloads into `state`. Must not raise."""
        raise NotImplementedError

    def convert_group(self, group: Group, ctx: RecordContext) -> Conversation:
        """One conversation from its records (raise ParseError or ValidationError)."""
        raise NotImplementedError

    def splits(self, first: Any) -> bool:
        """Rows are grouped over the whole file: it is read in one piece."""
        return False

    def is_page(self, siblings: dict[str, Any]) -> bool:
        """Whether a big document whose arrays under envelope keys are streamed (`siblings`: its
        other keys) is a page of records, not one record holding a long list."""
        return True

    # -- the JsonParser interface (also used record by record, e.g. by chatqa.dask) -------------

    def _looks(self, value: Any) -> bool:
        try:
            return self.looks_like(value)
        except _ERRORS:
            return False

    def values(self, value: Any) -> list[tuple[str, Any]] | None:
        """The values of this format in a top-level value: itself, or those of an envelope."""
        return unwrap(value, self._looks, (), self.webhooks)

    def sniff_value(self, value: Any) -> bool:
        """A response, record or row of this format, or an envelope of them."""
        return bool(self.values(value))

    def is_record(self, value: Any) -> bool:
        """A group made by `records`, or a value of this format."""
        return isinstance(value, Group) or self.sniff_value(value)

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """The conversations of one top-level value, rows grouped within it."""
        state: dict[str, Any] = {}
        groups: dict[str, Group] = {}
        for outer, inner in self.values(value) or [("", value)]:
            for loc, key, item in list(self.split(inner, state)):
                where = join_locator(outer, loc)
                if key is None:
                    yield where, Group(None, [(where, item)], state)
                else:
                    groups.setdefault(key, Group(key, [], state)).items.append((where, item))
        for group in groups.values():
            yield group.items[0][0], group

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Convert a group (or a bare record, as a whole conversation)."""
        group = record if isinstance(record, Group) else Group(None, [("", record)])
        return self.convert_group(group, ctx)

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """Whole conversations as they come; rows grouped by key over the whole file."""
        state: dict[str, Any] = {"source": str(source.name).replace("\\", "/")}
        groups: dict[str, Group] = {}
        for entry in self._top_values(source):
            if isinstance(entry, Failure):
                yield entry
                continue
            top, value, relocate = entry
            value = decode(source.name, top, value)  # a JSON Lines record comes as its bytes
            if isinstance(value, Failure):
                yield value
                continue
            found = self.values(value)
            if found is None:
                yield Failure(source=source.name, locator=top, reason=not_a_record(self))
                continue
            for outer, inner in found:
                if not isinstance(inner, dict):  # e.g. a page element that is not an object
                    yield Failure(source=source.name, locator=join_locator(top, outer), reason=not_a_record(self))
                    continue
                for loc, key, item in self.split(inner, state):
                    loc = join_locator(outer, loc)
                    where = top + loc[len(relocate):] if relocate and loc.startswith(relocate) \
                        else join_locator(top if not relocate else "", loc)
                    if key is None:
                        yield self._convert_group(Group(None, [(where, item)], state), where, source, options)
                    else:
                        groups.setdefault(key, Group(key, [], state)).items.append((where, item))
        for group in groups.values():
            yield self._convert_group(group, group.items[0][0], source, options)

    def _top_values(self, source: InputFile) -> Iterator[tuple[str, Any, str] | Failure]:
        """(locator, value, prefix of the value's own locators to replace by it) per top-level
        value; a streamed element comes in its page, whose locator ``key[0]`` it replaces."""
        entries = json_records(source, context=True, keys=self.stream_keys())
        page: Page | None = None
        context: dict[str, Any] = {}
        first = True
        for entry in entries:
            if isinstance(entry, Page):
                if not self.is_page(entry.siblings):  # one record holding a long list: read it whole
                    entries.close()
                    try:
                        yield "", source.json_document, ""
                    except ParseError as exc:
                        yield exc.failure(source.name)
                    return
                page = entry
                context = {k: v for k, v in entry.siblings.items() if not isinstance(v, list)}
                continue
            if isinstance(entry, Failure):
                yield entry
                continue
            top, value = entry
            key = top.partition("[")[0]
            if page is not None and key in page.keys and key in self.own_envelopes():
                siblings = page.siblings if first else context  # sideloads once, links and metadata always
                first = False
                yield top, {**siblings, key: [value]}, f"{key}[0]"
            else:
                yield top, value, ""

    def _convert_group(self, group: Group, where: str, source: InputFile, options: ParseOptions
                       ) -> Conversation | Failure:
        try:
            return self.convert_group(group, RecordContext(self, source, where, options))
        except _ERRORS as exc:
            if isinstance(exc, ParseError) and exc.locator and (group.key is not None or _within(exc.locator, where)):
                failure = exc.failure(source.name)  # row locators, and those built from the record's, are absolute
            elif isinstance(exc, ParseError | ValidationError):
                failure = record_failure(exc, source.name, where)
            elif isinstance(exc, KeyError):
                failure = Failure(source=source.name, locator=where, reason=f"missing field {exc.args[0]!r}")
            else:
                failure = Failure(source=source.name, locator=where,
                                  reason=f"malformed record (a value of an unexpected type: {type(exc).__name__})")
            # a whole-file record (one conversation per file) is still named as the place
            return failure if failure.locator else failure.model_copy(update={"locator": "record"})


def _within(locator: str, where: str) -> bool:
    """Whether `locator` names `where` or a place inside it (``line 2, x``, ``a[0].b``, ``a[0][1]``)."""
    return bool(where) and (locator == where or locator.startswith((f"{where}.", f"{where}, ", f"{where}[")))


# -- small readers shared by the formats ------------------------------------------------------

def text(value: Any) -> str | None:
    """A string value, numbers as strings; None for anything else (lists, objects, null)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def key_of(value: Any) -> str | None:
    """A conversation key: a non-empty string or number (as text); None otherwise."""
    found = text(value)
    return found.strip() if found and found.strip() else None


def id_seq(value: Any) -> float:
    """A numeric id as a tie-break for entries of the same second (for vendors whose ids grow with
    time); 0 for anything else."""
    found = key_of(value)
    return float(found) if found and found.isdigit() and len(found) < 16 else 0.0


def get(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...`` through dicts only; None when a step is missing."""
    for step in path:
        if not isinstance(value, dict):
            return None
        value = value.get(step)
    return value


def dicts(value: Any) -> list[dict[str, Any]]:
    """The dict elements of a list (anything else gives an empty list)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def first(*values: Any) -> str | None:
    """The first non-blank string among `values`."""
    for v in values:
        if isinstance(v, str) and v.strip():
            return v
    return None


def readable_time(value: Any) -> datetime | None:
    """`value` as a time for ordering entries, None when missing or unreadable (the entry's own
    reading reports a bad time)."""
    try:
        return parse_time(value)
    except ValueError:
        return None


def epoch(value: Any, missing: float) -> float:
    """`value` as epoch seconds for ordering, `missing` (e.g. -inf) when there is no readable time."""
    when = readable_time(value)
    return when.timestamp() if when is not None else missing


def time_field(value: Any, loc: str) -> Any:
    """A conversation-level time (``started_at``): checked here so a bad one is named by its field."""
    try:
        parse_time(value)
    except ValueError as exc:
        raise ParseError(f"bad time: {exc}", loc) from None
    return value


def with_files(message: RawLine, names: list[str]) -> list[RawLine]:
    """A message and, after it, its attachments as one file entry (the file alone when the message
    has no text)."""
    names = [n for n in names if n]
    if not names:
        return [message]
    file = RawMessage(role=message.role, text=", ".join(names), time=message.time, author_id=message.author_id,
                      author_name=message.author_name, kind=Kind.FILE, internal=message.internal,
                      loc=message.loc, seq=message.seq)
    return [message, file] if message.text.strip() else [file]


def require_messages(messages: list[Any], where: str) -> None:
    """A conversation without any message (events alone do not make one) is a failure, not an
    empty transcript."""
    if not messages:
        raise ParseError("conversation has no messages", where)
    if all(m.kind is Kind.EVENT for m in messages):
        raise ParseError("conversation has no messages, only events", where)


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], value: Any, where: str) -> M:
    """`model` from `value`, or ParseError naming the field inside the record at `where`."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        failure = record_failure(exc, "", where)
        raise ParseError(failure.reason, failure.locator or where or "record") from None


def valid_or_none(model: type[M], value: Any) -> M | None:
    """`model` from `value`, or None (for sideloads, which never fail a conversation)."""
    try:
        return model.model_validate(value)
    except ValidationError:
        return None


_URL_ID = re.compile(r"/(?:tickets|conversations|cases|chats)/([A-Za-z0-9_.:-]+?)(?:/|\.json|\?|$)")


def id_from_url(url: Any) -> str | None:
    """The ticket or conversation id inside an API URL (``.../tickets/4821/comments.json``)."""
    found = _URL_ID.search(url) if isinstance(url, str) else None
    return found.group(1) if found else None


def file_key(source_name: str) -> str:
    """The conversation id of a page that names no ticket or conversation: the file's name."""
    name = source_name.replace("\\", "/").rsplit("/", 1)[-1].rsplit("!", 1)[-1]  # a ZIP member: its own name
    for suffix in (".gz", ".jsonl", ".json", ".ndjson"):
        name = name.removesuffix(suffix)
    return name or source_name


def channel_by_words(value: Any, default: Channel | None = None) -> Channel | None:
    """A channel from a vendor's channel name by the words in it (``facebook-messenger`` is
    messaging, ``instagram-comment`` social, ``phone_call_inbound`` voice...)."""
    name = value.strip().lower() if isinstance(value, str) else ""
    if not name:
        return default
    words = set(re.split(r"[^a-z0-9]+", name))
    if words & {"voice", "phone", "call", "calls", "aircall", "voicemail", "talk", "telephony"} or "call" in name:
        return Channel.VOICE
    if words & {"dm", "messenger", "message", "messages", "direct", "sms", "mms", "whatsapp", "wha", "line",
                "wechat", "telegram", "viber", "kakao", "googleplay", "imessage", "apple", "abc", "rcs"} \
            or "whatsapp" in name or "messag" in name:
        return Channel.MESSAGING
    if words & {"twitter", "tweet", "facebook", "instagram", "comment", "mention", "post", "review", "tiktok",
                "yotpo", "youtube", "social"}:
        return Channel.SOCIAL
    if words & {"chat", "widget", "sdk", "livechat", "intercom", "smooch", "messaging", "native"} or "chat" in name:
        return Channel.CHAT
    if words & {"email", "mail", "web", "form", "portal", "helpcenter", "help", "center", "contact", "feedback",
                "emailfwd", "forward"} or "mail" in name:
        return Channel.EMAIL
    return default
