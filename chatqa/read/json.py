"""JSON and JSON Lines records of an input file: one per line, per array element or per
document, broken ones reported as failures with their place; big arrays streamed."""

from __future__ import annotations

import codecs
import json
import zlib
from collections.abc import Generator, Iterator
from typing import Any, Literal, NamedTuple, overload

import orjson

from ..errors import Failure, ParseError
from . import source as limits  # sizes read at call time (tests lower them)
from .source import BROKEN, SNIFF_RECORDS, InputFile, json_reason, read_guarded, utf8

Record = tuple[str, Any]

PAGE_KEYS = ("data", "records", "results", "tickets", "conversations", "items")
"""The keys under which API pages of every vendor hold their records (SPEC section 3)."""


class Page(NamedTuple):
    """What `json_records(context=True)` yields first for a big API response read element by
    element: the response's other keys (`siblings`: sideloads, links, page metadata) and the
    keys whose arrays are streamed (`keys`); then the elements, as records ``key[i]``."""

    siblings: dict[str, Any]
    keys: tuple[str, ...]


@overload
def json_records(source: InputFile, context: Literal[False] = False, keys: frozenset[str] | None = None
                 ) -> Generator[Record | Failure, None, None]: ...
@overload
def json_records(source: InputFile, context: bool, keys: frozenset[str] | None = None
                 ) -> Generator[Record | Failure | Page, None, None]: ...
def json_records(source: InputFile, context: bool = False, keys: frozenset[str] | None = None
                 ) -> Generator[Record | Failure | Page, None, None]:
    """Yield the top-level JSON values of a file as (locator, value) pairs.

    A JSON array yields its elements (``[0]``, ``[1]`` ...), an object yields itself
    (locator ``""``), JSON Lines yield one value per line (``line 3``) as its undecoded bytes
    (see `decode`: a parser may decode its own records faster). A broken line, or a broken
    element of an array, becomes a Failure; the other records are kept. Big arrays, and big
    API responses holding the records in an array under one of the `keys` (by default the
    source's `envelopes`: a parser passes its own), are read element by element, in bounded
    memory; with `context`, such a response is read twice: first its other keys, yielded as a
    `Page`, then its elements.
    """
    keys = source.envelopes if keys is None else keys
    if source.syntax == "jsonl":
        yield from _jsonl_records(source)
        return
    if source.streams:
        if source.is_array:
            yield from _array_records(source)
            return
        if context:
            siblings: dict[str, Any] = {}
            streamed = yield from _envelope_records(source, keys, siblings, elements=False)
            if streamed:
                yield Page(siblings, streamed)
        found = yield from _envelope_records(source, keys)
        if found:
            return
    doc = source.json_document
    if doc is BROKEN:
        yield from _array_records(source)
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield f"[{i}]", value
    else:
        yield "", doc


def _jsonl_records(source: InputFile) -> Iterator[Record | Failure]:
    if source.encoding == "utf-16":
        for lineno, line in enumerate(utf8(source.read_limited(limits.MAX_JSON_DOCUMENT), "utf-16").split(b"\n"), 1):
            if line.strip():
                yield f"line {lineno}", line
        return
    with source.open() as stream:
        lineno, first, left = 0, 1, -1
        if source.lines is not None:
            stream.seek(source.lines.start)
            first, left = source.lines.first_line, source.lines.end - source.lines.start
        try:
            lineno = first - 1
            while True:
                line = stream.readline(limits.MAX_RECORD + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > limits.MAX_RECORD and not line.endswith(b"\n"):
                    yield Failure(source=source.name, locator=f"line {lineno}",
                                  reason=f"line is longer than {limits.MAX_RECORD // (1024 * 1024)} MiB")
                    while line and not line.endswith(b"\n"):  # skip the rest of the line
                        if left >= 0:
                            left -= len(line)
                        line = stream.readline(limits.CHUNK)
                    if left >= 0:
                        left -= len(line)
                        if left <= 0:
                            break
                    continue
                size = len(line)
                if lineno == 1:
                    line = utf8(line, source.encoding)
                if line.strip():
                    yield f"line {lineno}", line
                if left >= 0:
                    left -= size
                    if left <= 0:
                        break
        except (OSError, EOFError, zlib.error) as exc:
            yield Failure(source=source.name, locator=f"line {lineno + 1}",
                          reason=f"corrupt or truncated compressed data ({exc})")


def decode(name: str, locator: str, raw: Any) -> Any:
    """The value of a record `json_records` gave: its bytes decoded (a Failure naming the
    place for invalid JSON or UTF-8), or the value itself."""
    if type(raw) is not bytes:
        return raw
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Failure(source=name, locator=locator,
                           reason=f"not valid UTF-8 text (byte {bad.start + 1} of the line); "
                                  "re-save the export as UTF-8")
        return Failure(source=name, locator=locator, reason=f"invalid JSON: {json_reason(exc)}")


def first_value(source: InputFile) -> Any:
    """See `InputFile.first_record`. A big API response read element by element shows as itself
    with its first element only (and the keys before it): what a parser sniffs."""
    first: Failure | None = None
    if source.syntax == "json" and source.streams and not source.is_array:
        siblings: dict[str, Any] = {}
        records = _envelope_records(source, source.envelopes, siblings)
        try:
            for item in records:
                if not isinstance(item, Failure):
                    key = item[0].partition("[")[0]
                    return {**siblings, key: [item[1]]}
                break
        finally:
            records.close()
    for n, item in enumerate(json_records(source)):
        if not isinstance(item, Failure):
            value = decode(source.name, *item)
            if not isinstance(value, Failure):
                if not _empty_page(value):
                    return value
                continue  # an API page with no records says nothing of the format: look further
            item = value
        first = first or item
        if n >= SNIFF_RECORDS:
            break
    if first is not None:
        raise ParseError(first.reason, first.locator)
    return None


def _empty_page(value: Any) -> bool:
    """An API page with no records: an empty list under a generic page key, no other list with
    anything in it, and no ``id`` (a record with an empty list is a record)."""
    if not isinstance(value, dict) or "id" in value:
        return False
    return any(value.get(k) == [] for k in PAGE_KEYS) and not any(isinstance(v, list) and v for v in value.values())


class _Text:
    """Decoded text of a file read in chunks, with absolute line/column positions.

    `buf` holds what has not been consumed yet; `more(keep_from)` forgets ``buf[:keep_from]``
    (counting its lines) and reads on, returning how far positions shifted.
    """

    def __init__(self, source: InputFile) -> None:
        self.stream = source.open()
        codec = "utf-8-sig" if source.encoding == "utf-8" else "utf-16"
        self.decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        self.buf = ""
        self.eof = False
        self.line = 1  # line of buf[0]
        self.column = 1  # column of buf[0]

    def more(self, keep_from: int, size: int | None = None) -> int | None:
        """Read more text after dropping buf[:keep_from]; the shift, or None at the end of the file."""
        if self.eof:
            return None
        shift = keep_from
        if keep_from:
            nl = self.buf.count("\n", 0, keep_from)
            if nl:
                self.line += nl
                self.column = keep_from - self.buf.rfind("\n", 0, keep_from)
            else:
                self.column += keep_from
            self.buf = self.buf[keep_from:]
        data = read_guarded(lambda: self.stream.read(size or limits.CHUNK))
        try:
            self.buf += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise ParseError("not valid UTF-8 text; re-save the export as UTF-8",
                             self.place(len(self.buf))) from None
        if not data:
            self.eof = True
            return shift if shift else None
        return shift

    def place(self, pos: int) -> str:
        line = self.line + self.buf.count("\n", 0, pos)
        last = self.buf.rfind("\n", 0, pos)
        column = pos - last if last >= 0 else self.column + pos
        return f"line {line}, column {column}"

    def close(self) -> None:
        self.stream.close()


class _Stop(Exception):
    """The reader cannot go on: `failure` says where and why."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


class _Reader:
    """An incremental JSON reader over `_Text`: whitespace, punctuation and whole values, reading
    on as needed (memory bounded by the largest value plus one read)."""

    def __init__(self, source: InputFile) -> None:
        self.name = source.name
        self.text = _Text(source)
        self.pos = 0
        self.decoder = json.JSONDecoder()
        self.rest = "the array's remaining records cannot be read"
        self.what = "the array"

    def fail(self, reason: str, where: str) -> _Stop:
        return _Stop(Failure(source=self.name, locator=where, reason=reason))

    def char(self) -> str | None:
        """The next non-blank character (not consumed), or None at the end of the file."""
        text = self.text
        while True:
            while self.pos < len(text.buf) and text.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(text.buf):
                return text.buf[self.pos]
            shift = text.more(self.pos)
            if shift is None:
                return None
            self.pos -= shift

    def value(self, loc: str) -> tuple[int, int]:
        """(start, end) of the JSON value at the current position, which it consumes."""
        text = self.text
        if self.char() is None:
            raise self.fail(f"truncated: {self.rest}", f"{loc}, {text.place(self.pos)}")
        size = limits.CHUNK
        while True:
            try:
                _, end = self.decoder.raw_decode(text.buf, self.pos)
                start, self.pos = self.pos, end
                return start, end
            except (json.JSONDecodeError, RecursionError) as exc:
                if len(text.buf) - self.pos <= limits.MAX_RECORD and not text.eof:
                    self.pos -= text.more(self.pos, size) or 0  # the value may go on past what was read
                    size *= 2
                    continue
                where = f"{loc}, {text.place(self.pos)}"
                if len(text.buf) - self.pos > limits.MAX_RECORD:
                    raise self.fail(f"record is larger than {limits.MAX_RECORD // (1024 * 1024)} MiB", where) from None
                if isinstance(exc, RecursionError):
                    raise self.fail(f"invalid JSON: nested too deeply; {self.rest}", where) from None
                cut = exc.pos >= len(text.buf.rstrip()) or exc.msg.startswith("Unterminated string")
                what = "truncated" if cut else "invalid JSON"
                raise self.fail(f"{what}: {self.rest}", f"{loc}, {text.place(exc.pos)}") from None

    def record(self, loc: str) -> Record | Failure:
        """The value at the current position as a record (orjson decides what a value is, as for
        every other file: NaN or a lone surrogate fails this record alone)."""
        start, end = self.value(loc)
        try:
            return loc, orjson.loads(self.text.buf[start:end].encode("utf-8", "surrogatepass"))
        except orjson.JSONDecodeError as exc:
            return Failure(source=self.name, locator=f"{loc}, {self.text.place(start)}",
                           reason=f"invalid JSON: {json_reason(exc)}")

    def expect(self, chars: str, loc: str) -> str:
        found = self.char()
        if found is None:
            raise self.fail(f"truncated: {self.rest}", f"{loc}, {self.text.place(self.pos)}")
        if found not in chars:
            wanted = " or ".join(f"'{c}'" for c in chars)
            raise self.fail(f"invalid JSON: expected {wanted}", f"{loc}, {self.text.place(self.pos)}")
        self.pos += 1
        return found

    def array(self, prefix: str, decode: bool = True) -> Iterator[Record | Failure | None]:
        """The elements of the array whose "[" was just consumed, as records ``prefix[i]`` (None
        for each one, skipped, without `decode`)."""
        index = 0
        if self.char() == "]":
            self.pos += 1
            return
        while True:
            if decode:
                yield self.record(f"{prefix}[{index}]")
            else:
                self.value(f"{prefix}[{index}]")
                yield None
            index += 1
            if self.expect(",]", f"{prefix}[{index}]") == "]":
                return

    def end(self) -> Iterator[Failure]:
        """Nothing but blanks may follow the document."""
        where = self.text.place(self.pos)
        if self.char() is not None:
            yield Failure(source=self.name, locator=where,
                          reason=f"invalid JSON: unexpected content after {self.what}")

    def close(self) -> None:
        self.text.close()


def _array_records(source: InputFile) -> Iterator[Record | Failure]:
    """Decode a top-level array element by element, from a stream of text.

    Each element is one record: a broken or unsupported element (NaN, a lone surrogate) is a
    Failure of its own; damage that makes the end of an element unknowable (a truncated file,
    a syntax error) ends the array with one Failure naming the place.
    """
    reader = _Reader(source)
    try:
        reader.expect("[", "")
        yield from (record for record in reader.array("") if record is not None)
        yield from reader.end()
    except _Stop as stop:
        yield stop.failure
    finally:
        reader.close()


def _envelope_records(source: InputFile, envelopes: frozenset[str], siblings: dict[str, Any] | None = None,
                      elements: bool = True) -> Generator[Record | Failure, None, tuple[str, ...]]:
    """Stream the records of a big API response ``{"chats": [...], ...}`` element by element
    (locators ``chats[3]``); other keys are skipped, or kept in `siblings`. Without `elements`,
    only `siblings` are read (the elements skipped, nothing yielded). Returns the keys whose
    arrays were streamed; empty, having yielded nothing, for an object without such an array
    (it is then read whole)."""
    reader = _Reader(source)
    reader.what = "the document"
    found: list[str] = []
    try:
        reader.expect("{", "")
        if reader.char() == "}":
            return ()
        while True:
            start, end = reader.value("")
            key = json.loads(reader.text.buf[start:end])
            if not isinstance(key, str):
                raise reader.fail("invalid JSON: expected a key", reader.text.place(start))
            reader.expect(":", key)
            if key in envelopes and reader.char() == "[":
                reader.pos += 1
                found.append(key)
                for record in reader.array(key, decode=elements):
                    if record is not None:
                        yield record
            elif siblings is not None:
                value = reader.record(key)
                if not isinstance(value, Failure):
                    siblings[key] = value[1]
            else:
                reader.value(key)
            if reader.expect(",}", key) == "}":
                break
        if found and elements:
            yield from reader.end()
    except _Stop as stop:
        if not found:
            return ()
        if elements:
            yield stop.failure
    finally:
        reader.close()
    return tuple(found)
