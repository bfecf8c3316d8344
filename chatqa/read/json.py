"""JSON and JSON Lines records of an input file: one per line, per array element or per
document, broken ones reported as failures with their place; big arrays streamed."""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator
from typing import Any, Literal, overload

import orjson

from ..errors import Failure, ParseError
from . import source as limits  # sizes read at call time (tests lower them)
from .pages import PAGE_KEYS, Page, empty_page, envelope_records
from .reader import Reader, Record, Stop
from .source import BROKEN, SNIFF_RECORDS, InputFile, compressed_reason, json_reason, too_many_values, utf8

__all__ = ["PAGE_KEYS", "Page", "Record", "decode", "first_value", "json_records"]


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
            streamed = yield from envelope_records(source, keys, siblings, elements=False)
            if streamed:
                yield Page(siblings, streamed)
        found = yield from envelope_records(source, keys)
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
                refused = too_many_values(line)
                if refused is not None:
                    yield Failure(source=source.name, locator=f"line {lineno}", reason=refused)
                elif line.strip():
                    yield f"line {lineno}", line
                if left >= 0:
                    left -= size
                    if left <= 0:
                        break
        except (OSError, EOFError, zlib.error) as exc:
            yield Failure(source=source.name, locator=f"line {lineno + 1}",
                          reason=compressed_reason(exc))


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
        records = envelope_records(source, source.envelopes, siblings)
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
                if not empty_page(value):
                    return value
                continue  # an API page with no records says nothing of the format: look further
            item = value
        first = first or item
        if n >= SNIFF_RECORDS:
            break
    if first is not None:
        raise ParseError(first.reason, first.locator)
    return None


def _array_records(source: InputFile) -> Iterator[Record | Failure]:
    """Decode a top-level array element by element, from a stream of text.

    Each element is one record: a broken or unsupported element (NaN, a lone surrogate) is a
    Failure of its own; damage that makes the end of an element unknowable (a truncated file,
    a syntax error) ends the array with one Failure naming the place.
    """
    reader = Reader(source)
    try:
        reader.expect("[", "")
        yield from (record for record in reader.array("") if record is not None)
        yield from reader.end()
    except Stop as stop:
        yield stop.failure
    finally:
        reader.close()


