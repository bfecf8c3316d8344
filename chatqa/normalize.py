"""The one normalisation path every parser goes through: times, text, order, indices.

Parsers map vendor records to `RawMessage` values and call `build_transcript`; nothing
else creates `Transcript` objects, so every format gets the same guarantees (UTC-aware
times, plain text, a stable sort by time, indices 0..n-1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import ParseError
from .model import Channel, Kind, Participant, Rating, Role, Transcript

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NULLS = frozenset({"", "null", "none", "undefined", "nan", "-1"})
_NUMERIC = re.compile(r"[+-]?\d+(\.\d+)?")
_TWITTER = "%a %b %d %H:%M:%S %z %Y"


def parse_time(value: Any, *, tz: tzinfo = UTC, fmt: str | None = None) -> datetime | None:
    """Parse an export's time value into an aware UTC datetime (None for "no time").

    Accepts epoch numbers (seconds, milliseconds or microseconds, told apart by
    magnitude), numeric strings, ISO-8601 with any offset, Twitter's
    ``Tue Oct 31 22:10:47 +0000 2017`` and RFC 2822. Naive times are taken in `tz`.
    `fmt` is an explicit ``strptime`` format tried first. Raises ValueError otherwise.
    """
    if value is None:
        return None
    if type(value) is str and len(value) == 20 and value[19] == "Z" and value[10] == "T":
        try:  # the common case, "2026-03-01T10:00:00Z", without the general path's checks
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if isinstance(value, datetime):
        return (value.replace(tzinfo=tz) if value.tzinfo is None else value).astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"not a time: {value!r}")
    text = value.strip()
    if text.lower() in _NULLS:
        return None
    parsed = None
    if fmt:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            pass
    if parsed is None:
        if _NUMERIC.fullmatch(text):
            return _from_epoch(float(text) if "." in text else int(text))
        parsed = _parse_text_time(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _parse_text_time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.strptime(text, _TWITTER)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(f"unrecognised time {text[:60]!r}") from None


def _from_epoch(number: float) -> datetime:
    if not math.isfinite(number):
        raise ValueError(f"not a time: {number!r}")
    magnitude = abs(number)
    if magnitude >= 1e17:
        seconds = number / 1e9
    elif magnitude >= 1e14:
        seconds = number / 1e6
    elif magnitude >= 1e11:
        seconds = number / 1e3
    else:
        seconds = number
    if magnitude >= 1e20 or not -_EPOCH_RANGE <= seconds <= _EPOCH_RANGE:
        raise ValueError(f"time out of range: {number!r}")  # no unit makes it a date of chats
    return _EPOCH + timedelta(seconds=seconds)


_EPOCH_RANGE = 250 * 365.25 * 86400  # epoch numbers are read as times within 250 years of 1970


def iso(when: datetime | None) -> str | None:
    """ISO-8601 text of a UTC time with a ``Z`` suffix (None stays None)."""
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(text: str) -> str:
    """Normalise whitespace: one space between words, one newline between lines.

    Control characters (which could drive a terminal) are dropped, so the text is safe
    to print; rule spans always refer to this cleaned text.
    """
    if "\n" not in text and "\r" not in text:
        if text.isprintable() and "  " not in text and text == text.strip():
            return text
        return " ".join(_CONTROL.sub("", text).split())
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (" ".join(line.split()) for line in _BLANK_LINES.sub("\n", text).split("\n"))
    return "\n".join(line for line in lines if line)


_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd details div dl dt figcaption figure footer form h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section summary table tbody thead tfoot tr ul".split()
)
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
_MARKUP = re.compile(r"<[a-zA-Z/!]|&[#a-zA-Z]")


def html_to_text(html: str) -> str:
    """Convert an HTML body to plain text with an HTML5 parser (entities decoded).

    Block elements and ``<br>`` become line breaks; script and style content is dropped;
    images contribute their alt text.
    """
    if not _MARKUP.search(html):
        return clean_text(html)
    from selectolax.lexbor import LexborHTMLParser

    root = LexborHTMLParser(html).body
    if root is None:
        return ""
    parts: list[str] = []
    stack = [root.child] if root.child is not None else []
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, str):  # an end-of-block marker
            parts.append(node)
            continue
        stack.append(node.next)
        tag = node.tag
        if tag == "-text":
            parts.append(node.text_content or "")
        elif tag == "br":
            parts.append("\n")
        elif tag == "img":
            alt = (node.attributes.get("alt") or "").strip()
            if alt:
                parts.append(f" {alt} ")
        elif tag in _SKIP_TAGS or tag == "-comment":
            continue
        elif node.child is not None:
            if tag in _BLOCK_TAGS or tag in ("td", "th"):
                stack.append("\n" if tag in _BLOCK_TAGS else " ")
                parts.append("\n" if tag in _BLOCK_TAGS else "")
            stack.append(node.child)
    return clean_text("".join(parts))


@dataclass(slots=True)
class RawMessage:
    """A parser's view of one message before normalisation.

    `time` is the raw export value (string, epoch number, datetime or None) and `loc`
    the message's place in the file, used in error messages. `seq` breaks time ties
    before export order does (e.g. LivePerson's ``seq``).
    """

    role: Role
    text: str = ""
    time: Any = None
    author_id: str | None = None
    author_name: str | None = None
    kind: Kind = Kind.MESSAGE
    internal: bool = False
    event: str | None = None
    html: bool = False
    loc: str = ""
    seq: float = 0.0


def _order(raws: Sequence[RawMessage], times: list[datetime | None]) -> Sequence[int]:
    """Order by time, stably (then `seq`, then export order); untimed entries keep their place
    after their predecessor."""
    keys: list[tuple[float, float, int]] = []
    last = -math.inf
    for i, (raw, when) in enumerate(zip(raws, times, strict=True)):
        if when is not None:
            last = when.timestamp()
        keys.append((last, raw.seq, i))
    return sorted(range(len(raws)), key=keys.__getitem__)


def build_transcript(
    *,
    id: Any,
    vendor: str,
    source: str,
    messages: Sequence[RawMessage],
    participants: Iterable[Participant] | None = None,
    started_at: Any = None,
    ended_at: Any = None,
    tags: Iterable[Any] = (),
    rating: Rating | None = None,
    channel: Channel | str = Channel.CHAT,
    metadata: dict[str, Any] | None = None,
    tz: tzinfo = UTC,
    time_format: str | None = None,
    bot_ids: frozenset[str] = frozenset(),
) -> Transcript:
    """Normalise a parser's raw conversation into a `Transcript`.

    Raises ParseError (with the message's locator) for an unreadable time. Authors in
    `bot_ids` are re-labelled as bots, for exports that do not mark bots themselves.
    """
    if id is None or (isinstance(id, str) and not id.strip()) or isinstance(id, bool | dict | list):
        raise ParseError("conversation has no id")
    times: list[datetime | None] = []
    ordered, last, previous_seq = True, None, -math.inf
    for raw in messages:
        value = raw.time
        when = None
        if type(value) is str and len(value) == 20 and value[19] == "Z" and value[10] == "T":
            try:  # the common case, "2026-03-01T10:00:00Z", without the general path's checks
                when = datetime.fromisoformat(value)
            except ValueError:
                pass
        if when is None:
            try:
                when = parse_time(value, tz=tz, fmt=time_format)
            except ValueError as exc:
                raise ParseError(f"bad time: {exc}", raw.loc) from None
        if ordered:  # is the export already in `_order`'s order? (then no sort is needed)
            if when is not None and last is not None and when < last:
                ordered = False
            elif when is not None and (last is None or when > last):
                last = when
            elif raw.seq < previous_seq:  # same time, or untimed: `seq` decides
                ordered = False
        previous_seq = raw.seq
        times.append(when)
    order = range(len(messages)) if ordered else _order(messages, times)
    built: list[dict[str, Any]] = []
    people: dict[str, dict[str, Any]] = {}
    for p in participants or ():
        role = Role.BOT if bot_ids and p.role is Role.AGENT and p.id in bot_ids else p.role
        people.setdefault(p.id, {"id": p.id, "name": p.name, "role": role})
    for index, i in enumerate(order):
        raw = messages[i]
        role = raw.role
        author_id = raw.author_id
        if bot_ids and role is Role.AGENT and author_id in bot_ids:
            role = Role.BOT
        built.append({
            "index": index, "role": role, "author_id": author_id, "author_name": raw.author_name,
            "sent_at": times[i], "text": html_to_text(raw.text) if raw.html else clean_text(raw.text),
            "kind": raw.kind, "internal": raw.internal, "event": raw.event,
        })
        _author(people, author_id or raw.author_name, raw.author_name, role)
    known_times = [t for t in times if t is not None]
    try:
        start = parse_time(started_at, tz=tz) if started_at is not None else None
        end = parse_time(ended_at, tz=tz) if ended_at is not None else None
    except ValueError as exc:
        raise ParseError(f"bad conversation time: {exc}") from None
    if known_times:
        start, end = (known_times[0], known_times[-1]) if ordered else (min(known_times), max(known_times))
    return _transcript(id=str(id), vendor=vendor, source=source, people=people, built=built, start=start, end=end,
                       tags=tags, rating=rating, channel=channel, metadata=metadata)


def _author(people: dict[str, dict[str, Any]], key: str | None, name: str | None, role: Role) -> None:
    """Every author is a participant, once. An id seen both as a bot and as a human agent (an
    admin whose automated message was sent on their behalf) is listed as the agent."""
    if key and role is not Role.SYSTEM:
        known = people.get(key)
        if known is None:
            people[key] = {"id": key, "name": name, "role": role}
        elif role is Role.AGENT and known["role"] is Role.BOT:
            known["role"] = Role.AGENT


def _transcript(*, id: str, vendor: str, source: str, people: dict[str, dict[str, Any]],
                built: list[dict[str, Any]], start: datetime | None, end: datetime | None, tags: Iterable[Any],
                rating: Rating | None = None, channel: Channel | str = Channel.CHAT,
                metadata: dict[str, Any] | None = None) -> Transcript:
    # One validation builds every Message in pydantic-core: far cheaper than a Python loop.
    return Transcript.model_validate({
        "id": id, "vendor": vendor, "source": source, "participants": list(people.values()),
        "messages": built, "started_at": start, "ended_at": end,
        "tags": tuple(dict.fromkeys(str(t) for t in tags if t not in (None, ""))),
        "rating": rating, "channel": channel, "metadata": metadata or {},
    })


_ROLES = {r.value: r for r in Role}
_KINDS = {k.value: k for k in Kind}


def plain_transcript(*, id: str, vendor: str, source: str, messages: list[Any], tags: list[str],
                     metadata: dict[str, Any], channel: Channel | str = Channel.CHAT) -> Transcript | None:
    """`build_transcript` for the common shape of chatqa's neutral messages, in one pass.

    Handles dicts with lowercase ``role``/``kind`` values, string ``text``/``author``/``author_id``/
    ``event``, boolean ``internal`` and ``time`` as ``YYYY-MM-DDTHH:MM:SSZ`` in strictly increasing
    order; returns None for anything else (the caller then goes through `build_transcript`, which
    gives the same result for what both accept, and precise errors).
    """
    built: list[dict[str, Any]] = []
    people: dict[str, dict[str, Any]] = {}
    previous = ""
    fromiso = datetime.fromisoformat
    for index, m in enumerate(messages):
        if type(m) is not dict:
            return None
        get = m.get
        value, text, author = get("time"), get("text", ""), get("author")
        role, kind = get("role"), get("kind", "message")
        role = _ROLES.get(role) if type(role) is str else None  # (a list is no dict key)
        kind = _KINDS.get(kind) if type(kind) is str else None
        author_id = get("author_id", author)
        internal, event = get("internal", False), get("event")
        if (type(value) is not str or len(value) != 20 or value[19] != "Z" or value[10] != "T"
                or value <= previous or role is None or kind is None or type(internal) is not bool
                or (author is not None and type(author) is not str)
                or (author_id is not None and type(author_id) is not str)
                or (event is not None and type(event) is not str)):
            return None
        if type(text) is not str:
            if text is not None:
                return None
            text = ""
        try:
            when = fromiso(value)
        except ValueError:
            return None
        previous = value  # fixed-width UTC times: text order is time order
        built.append({"index": index, "role": role, "author_id": author_id, "author_name": author,
                      "sent_at": when, "text": clean_text(text), "kind": kind, "internal": internal, "event": event})
        _author(people, author_id or author, author, role)
    return _transcript(id=id, vendor=vendor, source=source, people=people, built=built,
                       start=built[0]["sent_at"] if built else None, end=built[-1]["sent_at"] if built else None,
                       tags=tags, channel=channel, metadata=metadata)
