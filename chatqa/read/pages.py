"""Big API responses read element by element (SPEC section 3): ``{"chats": [...], ...}`` streams
the records under its envelope keys, its other keys (sideloads, links, page metadata) kept
apart when a parser needs them (`Page`); an empty page is told from a record."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, NamedTuple

from ..errors import Failure
from .reader import Reader, Record, Stop
from .source import InputFile

PAGE_KEYS = ("data", "records", "results", "tickets", "conversations", "items")
"""The keys under which API pages of every vendor hold their records (SPEC section 3)."""


class Page(NamedTuple):
    """What `json_records(context=True)` yields first for a big API response read element by
    element: the response's other keys (`siblings`: sideloads, links, page metadata) and the
    keys whose arrays are streamed (`keys`); then the elements, as records ``key[i]``."""

    siblings: dict[str, Any]
    keys: tuple[str, ...]


def envelope_records(source: InputFile, envelopes: frozenset[str], siblings: dict[str, Any] | None = None,
                      elements: bool = True) -> Generator[Record | Failure, None, tuple[str, ...]]:
    """Stream the records of a big API response ``{"chats": [...], ...}`` element by element
    (locators ``chats[3]``); other keys are skipped, or kept in `siblings`. Without `elements`,
    only `siblings` are read (the elements skipped, nothing yielded). Returns the keys whose
    arrays were streamed; empty, having yielded nothing, for an object without such an array
    (it is then read whole)."""
    reader = Reader(source)
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
    except Stop as stop:
        if not found:
            return ()
        if elements:
            yield stop.failure
    finally:
        reader.close()
    return tuple(found)


def empty_page(value: Any) -> bool:
    """An API page with no records: an empty list under a generic page key, no other list with
    anything in it, and no ``id`` (a record with an empty list is a record)."""
    if not isinstance(value, dict) or "id" in value:
        return False
    return any(value.get(k) == [] for k in PAGE_KEYS) and not any(isinstance(v, list) and v for v in value.values())
