"""The one normalisation path every parser goes through: times, text, order, indices.

Parsers map vendor records to raw lines (`RawMessage`) and call `normalise`, which turns them
into a `Conversation` in place; every format gets the same guarantees (UTC-aware times,
plain text, a stable sort by time, indices 0..n-1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any

from .errors import ParseError, quoted
from .model import Channel, Participant, Rating, Role
from .records import Conversation, Line, RawLine, RawMessage, mark_bystanders

__all__ = ["RawMessage", "clean_text", "html_to_text", "iso", "normalise", "parse_time"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_MESSAGES = 10_000
"""A conversation with more messages than this is refused (real ones have tens, long email
threads a few hundred): memory and the per-conversation rules stay bounded."""
MAX_METADATA_DEPTH = 64
"""Vendor extras nested deeper than this are refused: every output writes them, and JSON writers
and pickling stop at a few hundred levels."""
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
        return _utc(value.replace(tzinfo=tz) if value.tzinfo is None else value)
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
    return _utc(parsed)


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 9999 with a negative offset, year 1 with a positive one
        raise ValueError(f"time out of range: {value.isoformat()}") from None


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
        raise ValueError(f"unrecognised time {quoted(text, 60)}") from None


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
    from selectolax.lexbor import LexborHTMLParser, LexborNode

    root = LexborHTMLParser(html).body
    if root is None:
        return ""
    parts: list[str] = []
    stack: list[LexborNode | str | None] = [root.child] if root.child is not None else []  # str: end-of-block marker
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


def _order(lines: Sequence[Line]) -> list[Line]:
    """Order by time, stably (then `seq`, then export order); untimed entries keep their place
    after their predecessor."""
    keys: list[tuple[float, float, int]] = []
    last = -math.inf
    for i, line in enumerate(lines):
        if line.sent_at is not None:
            last = line.sent_at.timestamp()
        keys.append((last, line.seq if isinstance(line, RawLine) else 0.0, i))
    return [lines[i] for i in sorted(range(len(lines)), key=keys.__getitem__)]


def _time(line: Line, i: int, tz: tzinfo, fmt: str | None) -> datetime | None:
    try:
        return parse_time(line.sent_at, tz=tz, fmt=fmt)
    except ValueError as exc:
        where = line.loc if isinstance(line, RawLine) else f"messages[{i}]"  # neutral lines: their place
        raise ParseError(f"bad time: {exc}", where) from None


def _times(lines: Sequence[Line], raw: bool, tz: tzinfo, fmt: str | None) -> bool:
    """Parse every line's time and number the lines in export order; True when that is also
    `_order`'s order (then no sort is needed)."""
    fromiso = datetime.fromisoformat
    if not raw and fmt is None:
        # The common case at C speed: ISO times that are UTC, in order. Whatever fromisoformat
        # reads as an aware UTC time, parse_time reads the same way; anything else (and an
        # error) takes the line-by-line path below.
        try:
            parsed: list[Any] = [fromiso(v) if type(v) is str else v for v in [line.sent_at for line in lines]]
        except ValueError:
            parsed = []
        if parsed and {type(d) for d in parsed} == {datetime} and {d.tzinfo for d in parsed} == {UTC}:
            for i, (line, when) in enumerate(zip(lines, parsed, strict=True)):
                line.sent_at, line.index = when, i
            return parsed == sorted(parsed)
    ordered, last, previous_seq = True, None, -math.inf
    for i, line in enumerate(lines):
        value = line.sent_at
        if value is not None:
            if type(value) is str and len(value) == 20 and value[19] == "Z" and value[10] == "T":
                try:  # the common case, "2026-03-01T10:00:00Z", without the general path's checks
                    value = fromiso(value)
                except ValueError:
                    value = _time(line, i, tz, fmt)
            elif type(value) is not datetime or value.tzinfo is not UTC:
                value = _time(line, i, tz, fmt)
            line.sent_at = value
        if ordered:
            if value is not None and last is not None and value < last:
                ordered = False
            elif value is not None and (last is None or value > last):
                last = value
            elif raw and line.seq < previous_seq:  # type: ignore[attr-defined]  # same time, or untimed: `seq` decides
                ordered = False
        if raw:
            previous_seq = line.seq  # type: ignore[attr-defined]
        line.index = i
    return ordered


def normalise(
    *,
    id: Any,
    vendor: str,
    source: str,
    lines: Sequence[Line],
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
) -> Conversation:
    """Normalise a parser's raw lines (changed in place) into a `Conversation`.

    Raises ParseError (with the line's locator) for an unreadable time. Authors in `bot_ids`
    are re-labelled as bots, for exports that do not mark bots themselves.
    """
    if id is None or (isinstance(id, str) and not id.strip()) or isinstance(id, bool | dict | list):
        raise ParseError("conversation has no id")
    if len(lines) > MAX_MESSAGES:
        raise ParseError(f"conversation has {len(lines):,} messages, more than the {MAX_MESSAGES:,} chatqa reads")
    if metadata and _deeper_than(metadata, MAX_METADATA_DEPTH):
        raise ParseError(f"conversation data nested more than {MAX_METADATA_DEPTH} levels deep")
    raw = bool(lines) and isinstance(lines[0], RawLine)  # else no line has a `seq` or HTML
    ordered = _times(lines, raw, tz, time_format)
    if not ordered:
        lines = _order(lines)
        for i, line in enumerate(lines):
            line.index = i
    text = _clean(lines, raw)
    people = list(participants or ())
    if bot_ids:
        for line in lines:
            if line.role is Role.AGENT and line.author_id in bot_ids:
                line.role = Role.BOT
        people = [p.model_copy(update={"role": Role.BOT}) if p.role is Role.AGENT and p.id in bot_ids else p
                  for p in people]
    try:
        start = parse_time(started_at, tz=tz) if started_at is not None else None
        end = parse_time(ended_at, tz=tz) if ended_at is not None else None
    except ValueError as exc:
        raise ParseError(f"bad conversation time: {exc}") from None
    if lines and lines[0].sent_at is not None and lines[-1].sent_at is not None and ordered:
        start, end = lines[0].sent_at, lines[-1].sent_at  # (sorted: the first and last times)
    else:
        times = [line.sent_at for line in lines if line.sent_at is not None]
        if times:
            start, end = (times[0], times[-1]) if ordered else (min(times), max(times))
    listed = lines if isinstance(lines, list) else list(lines)
    if channel == Channel.SOCIAL:
        mark_bystanders(listed, Channel.SOCIAL)
    return Conversation(
        id=str(id), vendor=vendor, source=source, lines=listed,
        channel=Channel(channel), started_at=start, ended_at=end,
        tags=tuple(dict.fromkeys(str(t) for t in tags if t not in (None, ""))), rating=rating,
        participants=people, metadata=metadata or {}, text=text,
    )


def _deeper_than(value: Any, limit: int) -> bool:
    """True when lists and dicts nest more than `limit` levels inside `value`."""
    level: list[Any] = [value]
    for _ in range(limit + 1):
        level = [v for item in level for v in (item.values() if isinstance(item, dict) else item)
                 if isinstance(v, dict | list)]
        if not level:
            return False
    return True


_PRINTABLE = bytes(range(32, 127)) + b"\n"


def _clean(lines: Sequence[Line], raw: bool) -> str:
    """Plain, cleaned text on every line; every line's text joined by newlines. One look at all
    the texts joined settles the common case (every text already clean: printable ASCII,
    single-spaced, trimmed, on one line)."""
    if not raw or not any(line.html for line in lines):  # type: ignore[attr-defined]
        texts = [line.text for line in lines]
        if None not in texts:
            joined = "\n".join(texts)
            if (joined.isascii() and not joined.encode().translate(None, _PRINTABLE)
                    and joined.count("\n") == len(texts) - 1 and "  " not in joined and " \n" not in joined
                    and "\n " not in joined and joined[:1] != " " and joined[-1:] != " "):
                return joined
    for line in lines:
        if raw and line.html:  # type: ignore[attr-defined]
            line.text, line.html = html_to_text(line.text or ""), False  # type: ignore[attr-defined]
        else:
            line.text = clean_text(line.text or "")
    return "\n".join([line.text for line in lines])
