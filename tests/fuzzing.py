"""Input mutators for the parser fuzz tests, seeded from the project's own sample exports.

Three families: byte-level damage (flips, cuts, insertions, invalid UTF-8, BOMs, CRLF, bare
CRs), structural JSON damage (deleted keys, wrong types, huge numbers, NaN/Infinity, deep
nesting) and CSV cell damage. Structural mutations keep the file well-formed so the fuzzer
reaches the vendor parsers' record code, not only the JSON decoder.
"""

from __future__ import annotations

import codecs
import copy
import csv
import gzip
import io
import json
import math
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import SAMPLES
from hypothesis import strategies as st

from chatqa.duplicates import Duplicate
from chatqa.errors import Failure, ParseError
from chatqa.model import Transcript
from chatqa.records import Conversation
from chatqa.parsers import ParseOptions, detect, get_parser
from chatqa.read import InputFile
from chatqa.read.archive import is_zip

SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith(".") and not is_zip(p))
"""The samples of one format each (the ZIP archive sample is fuzzed by test_fuzz_archives.py)."""
SAMPLE_BYTES = {p.name: p.read_bytes() for p in SAMPLE_FILES}
SAMPLE_VENDOR = {p.name: detect(InputFile(p)).name for p in SAMPLE_FILES}  # type: ignore[union-attr]

# Failures about the whole file carry no locator; every other failure names its place.
WHOLE_FILE = ("empty file", "binary file", "this is a", "not a transcript export", "no known export format",
              "no known format for this CSV", "cannot read", "corrupt or truncated gzip", "JSON document is",
              "not a ", "not an ", "conversation has no id")


class Hang(BaseException):
    """Raised by the alarm when a parser runs too long (a BaseException: nothing catches it)."""


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail with Hang if the block runs longer than `seconds` (catches endless loops)."""
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"still running after {seconds}s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- values

NASTY_STRINGS = ["", " ", "0", "-1", "NaN", "Infinity", "1e400", "99999999999999999999999", "null", "true",
                 "\u202eevil\u202c", "\u200b", "e\u0301\u0301\u0301", "😀" * 20, "\x00", "\ud7ff", "<script>x</script>",
                 "&amp;&#0;&#x110000;", "2026-02-30T25:61:61Z", "1970-01-01T00:00:00+25:00", "9" * 40,
                 "-9999999999999", "agent:", "agent:trigger", "visitor", "a\r\nb\rc\nd", '"quoted"', "\\", "%s%n"]
NASTY_VALUES: list[Any] = [None, True, False, 0, -1, 1, 2**63, -(2**63) - 1, 10**30, -(10**30), 1.5, 1e308, -1e308,
                           math.nan, math.inf, -math.inf, [], {}, [None], {"": None}, *NASTY_STRINGS]


def deep(depth: int) -> str:
    """A marker that `dump_json` replaces by `depth` levels of nesting (too deep for json.dumps)."""
    return f"@@DEEP:{depth}@@"


def _nesting(match: re.Match[bytes]) -> bytes:
    depth = int(match.group(1)) // 2
    return b'[{"x": ' * depth + b"1" + b"}]" * depth


values = st.one_of(
    st.sampled_from(NASTY_VALUES),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.builds(deep, st.integers(min_value=1, max_value=3000)),
    st.lists(st.sampled_from(NASTY_VALUES[:16]), max_size=3),
)


# --------------------------------------------------------------------------- JSON structure

def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indexes), the root first."""
    yield prefix
    if len(prefix) > 30:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, (*prefix, i))


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        value = value[p]
    return value


def mutate_tree(doc: Any, data: st.DataObject) -> Any:
    """Apply 1-4 structural mutations to a (copied) JSON value."""
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
        all_paths = list(paths(doc))
        path = data.draw(st.sampled_from(all_paths), label="path")
        op = data.draw(st.sampled_from(["replace", "delete", "wrap", "duplicate", "retype"]), label="op")
        if not path:
            if op == "replace":
                doc = copy.deepcopy(data.draw(values, label="root"))
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        if op == "replace":
            parent[key] = copy.deepcopy(data.draw(values, label="value"))  # never mutate NASTY_VALUES
        elif op == "delete":
            del parent[key]
        elif op == "wrap":
            parent[key] = data.draw(st.sampled_from([[parent[key]], {"value": parent[key]}, str(parent[key])]))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key])))
        elif op == "retype":
            old = parent[key]
            parent[key] = (str(old) if not isinstance(old, str) else
                           data.draw(st.sampled_from([len(old), [old], {"text": old}, None])))
    return doc


def dump_json(doc: Any, data: st.DataObject) -> bytes:
    indent = data.draw(st.sampled_from([None, 1]), label="indent")
    text = json.dumps(doc, indent=indent, ensure_ascii=data.draw(st.booleans())).encode("utf-8", "surrogatepass")
    return re.sub(rb'"@@DEEP:(\d+)@@"', _nesting, text)


ENVELOPES = ["data", "records", "results", "tickets", "conversations", "items", "chats", "payload.chat", "chat",
             "data.item", "data.conversations"]


def envelope(doc: Any, data: st.DataObject) -> Any:
    """`doc` as real archives wrap records (SPEC section 3), sometimes: an API page (of it, or of
    its records), a webhook body, a page nested in another; or left as it is."""
    how = data.draw(st.sampled_from(["none", "none", "page", "records", "webhook", "nested"]), label="envelope")
    key = data.draw(st.sampled_from(ENVELOPES), label="envelope key")
    if how == "page":
        return {key: [doc], "next_page": None}
    if how == "records" and isinstance(doc, list):
        return {key: doc, "count": len(doc)}
    if how == "webhook":
        body: Any = doc
        for step in reversed(key.split(".")):
            body = {step: body}
        return {"webhook_id": "w", "action": "incoming_chat", "type": "notification_event", **body}
    if how == "nested":
        return {"data": {key: doc if isinstance(doc, list) else [doc]}}
    return doc


def structural(name: str, data: st.DataObject) -> bytes:
    """A sample file with its JSON (or each JSONL line) structurally damaged, and maybe wrapped
    in an envelope."""
    raw = SAMPLE_BYTES[name]
    if name.endswith(".jsonl"):
        lines = [json.loads(x) for x in raw.splitlines() if x.strip()]
        targets = data.draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=3), label="lines")
        out = [dump_json(envelope(mutate_tree(line, data), data), data).replace(b"\n", b" ") if i in targets
               else json.dumps(line).encode() for i, line in enumerate(lines)]
        return b"\n".join(out) + b"\n"
    return dump_json(envelope(mutate_tree(json.loads(raw), data), data), data)


# --------------------------------------------------------------------------- CSV cells

def csv_cells(name: str, data: st.DataObject) -> bytes:
    """A sample CSV with cells replaced, rows shortened or lengthened, and odd quoting/line ends."""
    rows = list(csv.reader(io.StringIO(SAMPLE_BYTES[name].decode("utf-8"))))
    for _ in range(data.draw(st.integers(min_value=1, max_value=5), label="edits")):
        r = data.draw(st.integers(0, len(rows) - 1), label="row")
        op = data.draw(st.sampled_from(["cell", "cell", "drop", "add", "blank", "swap"]), label="csv op")
        row = rows[r]
        if op == "cell" and row:
            c = data.draw(st.integers(0, len(row) - 1), label="col")
            row[c] = data.draw(st.one_of(st.sampled_from(NASTY_STRINGS), st.text(max_size=30)), label="cell")
        elif op == "drop" and row:
            row.pop(data.draw(st.integers(0, len(row) - 1)))
        elif op == "add":
            row.append(data.draw(st.sampled_from(NASTY_STRINGS)))
        elif op == "blank":
            rows[r] = [""] * len(row)
        elif op == "swap" and len(row) > 1:
            row[0], row[-1] = row[-1], row[0]
    buffer = io.StringIO()
    quoting = data.draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]), label="quoting")
    terminator = data.draw(st.sampled_from(["\n", "\r\n", "\r"]), label="line end")
    writer = csv.writer(buffer, quoting=quoting, lineterminator=terminator)
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- bytes

def byte_damage(raw: bytes, data: st.DataObject) -> bytes:
    """Flip, cut, insert or repeat bytes; add BOMs, CRLF, bare CRs or invalid UTF-8."""
    buf = bytearray(raw)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6), label="byte edits")):
        op = data.draw(st.sampled_from(["flip", "truncate", "delete", "insert", "repeat", "bom", "crlf", "cr",
                                        "utf8", "utf16", "gzip"]), label="byte op")
        pos = data.draw(st.integers(0, max(len(buf) - 1, 0)), label="pos") if buf else 0
        if op == "flip" and buf:
            buf[pos] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "truncate":
            del buf[pos:]
        elif op == "delete":
            del buf[pos:pos + data.draw(st.integers(1, 64))]
        elif op == "insert":
            buf[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        elif op == "repeat":
            buf[pos:pos] = bytes(buf[pos:pos + data.draw(st.integers(1, 200))]) * data.draw(st.integers(2, 4))
        elif op == "bom":
            buf[0:0] = data.draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE]))
        elif op == "crlf":
            buf = bytearray(bytes(buf).replace(b"\n", b"\r\n"))
        elif op == "cr":
            buf[pos:pos] = b"\r"
        elif op == "utf8":
            buf[pos:pos] = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                                      b"\xe2\x82"]))
        elif op == "gzip":
            buf = bytearray(gzip.compress(bytes(buf), mtime=0))
        elif op == "utf16":
            try:
                buf = bytearray(bytes(buf).decode("utf-8").encode("utf-16"))
            except UnicodeDecodeError:
                pass
    return bytes(buf)


# --------------------------------------------------------------------------- the property

@contextmanager
def streaming() -> Iterator[None]:
    """Read every JSON document element by element, in tiny reads, as if it were huge."""
    from chatqa.read import source as sources

    saved = sources.STREAM_JSON_ABOVE, sources.CHUNK
    sources.STREAM_JSON_ABOVE, sources.CHUNK = 0, 64
    try:
        yield
    finally:
        sources.STREAM_JSON_ABOVE, sources.CHUNK = saved


def parse_strictly(path: Path, vendor: str) -> list[Transcript | Failure]:
    """Detect and parse like `parse_file`, but without its catch-all: any exception other than
    ParseError propagates to the test."""
    options = ParseOptions()
    source = InputFile(path)
    try:
        parser = detect(source, options) if vendor == "auto" else get_parser(vendor)
        if parser is None:
            return []
        items = list(parser.parse(source, options))
    except ParseError as exc:
        assert exc.reason.strip(), "ParseError without a reason"
        return [exc.failure(str(path))]
    return items


def check_items(items: list[Transcript | Failure], path: Path) -> None:
    """Everything yielded is a valid Transcript or a Failure with a reason and (mostly) a place."""
    for item in items:
        if isinstance(item, Failure):
            assert item.source == str(path)
            assert item.reason.strip() and "\n" not in item.reason, item
            assert not item.reason.startswith("internal error"), item
            assert "unexpected structure (" not in item.reason, f"Python's error text leaks: {item}"
            assert item.locator or item.reason.startswith(WHOLE_FILE), f"no locator: {item}"
            continue
        if isinstance(item, Duplicate):  # a CSV row read twice
            assert item.source == str(path) and item.locator.startswith("line "), item
            continue
        assert isinstance(item, Conversation), type(item)
        item = item.transcript()  # the light record always makes a valid public Transcript
        assert item.id
        assert [m.index for m in item.messages] == list(range(len(item.messages)))
        times = [m.sent_at for m in item.messages if m.sent_at is not None]
        assert all(t.tzinfo is not None and t.utcoffset().total_seconds() == 0 for t in times)
        assert times == sorted(times)
        Transcript.model_validate(item.model_dump())  # round-trips through the model
