"""Input files: folder walking, transparent gzip, and JSON/JSONL/CSV record readers.

Readers never raise for a bad record: they yield a `Failure` for it and go on, so the
caller can account for every record. A file that cannot be read at all raises
`ParseError`.
"""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import io
import json
import os
import stat
import zlib
from collections.abc import Generator, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import orjson

from .errors import Failure, ParseError

HEAD_BYTES = 64 * 1024
MAX_JSON_DOCUMENT = 128 * 1024 * 1024
"""A JSON document other than a top-level array is read whole: larger ones are refused."""
STREAM_JSON_ABOVE = 16 * 1024 * 1024
"""A top-level JSON array larger than this is read element by element (bounded memory)."""
MAX_RECORD = 64 * 1024 * 1024
"""A single record (array element or JSONL line) larger than this is refused."""
_CHUNK = 1024 * 1024
_SNIFF_RECORDS = 1000
GZIP_MAGIC = b"\x1f\x8b"
_OTHER_ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive: unzip it first",
    b"BZh": "a bzip2 file: decompress it first",
    b"\xfd7zXZ": "an xz file: decompress it first",
    b"%PDF": "a PDF document, not a transcript export",
}
Syntax = Literal["json", "jsonl", "csv"]
Record = tuple[str, Any]
_BROKEN = object()

csv.field_size_limit(64 * 1024 * 1024)


# Inside walked folders, documentation next to the exports is skipped (and counted); a file
# named explicitly is always read.
_DOC_SUFFIXES = frozenset(".md .markdown .rst .pdf .png .jpg .jpeg .gif .svg .ico .py .toml .yaml .yml "
                          ".ini .cfg .html .htm .css .js .docx .xlsx .doc .xls".split())
_DOC_STEMS = frozenset("readme license licence notice copying authors changelog".split())


class Skipped(NamedTuple):
    """A file inside a walked folder that is documentation, not an export."""

    path: Path


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | Failure | Skipped]:
    """Yield every file under `paths` (folders walked recursively, in name order).

    Hidden files and folders inside a walked folder are skipped, and documentation
    (README, LICENSE, ``*.md``, images...) is yielded as Skipped; a missing path, an
    unreadable folder or a symlink loop is yielded as a Failure.
    """
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            reason = "no such file or directory" if isinstance(exc, FileNotFoundError) and not path.is_symlink() \
                else _stat_reason(exc)
            yield Failure(source=str(path), reason=reason)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, set())
        elif stat.S_ISREG(mode):
            yield path
        else:
            yield Failure(source=str(path), reason=_special(mode))


def _walk(folder: Path, seen: set[str]) -> Iterator[Path | Failure | Skipped]:
    real = os.path.realpath(folder)
    if real in seen:
        yield Failure(source=str(folder), reason="symlink loop (folder already visited)")
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Failure(source=str(folder), reason=f"cannot read folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            mode = entry.stat().st_mode
        except OSError as exc:
            yield Failure(source=str(path), reason=_stat_reason(exc))
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, seen)
        elif stat.S_ISREG(mode):
            doc = path.suffix.lower() in _DOC_SUFFIXES or path.name.split(".")[0].lower() in _DOC_STEMS
            yield Skipped(path) if doc else path
        else:
            yield Failure(source=str(path), reason=_special(mode))
    seen.discard(real)


def _stat_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symlink (its target does not exist)"
    return f"cannot read: {exc.strerror or exc}"


def _special(mode: int) -> str:
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
    return f"not a regular file ({what}); save the export to a file first"


class LineRange(NamedTuple):
    """A part of a JSON Lines file: bytes `start` to `end`, whose first line is `first_line`."""

    start: int
    end: int
    first_line: int


class InputFile:
    """One input file, decompressed on the fly, with cheap access to its first bytes.

    With `lines`, only that part of a (plain) JSON Lines file is read as records; the
    format is still judged from the start of the file.
    """

    def __init__(self, path: str | os.PathLike[str], lines: LineRange | None = None) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.lines = lines

    def open(self) -> IO[bytes]:
        """Open the (decompressed) content for binary reading."""
        try:
            raw = open(self.path, "rb")  # noqa: SIM115 - returned to the caller
        except OSError as exc:
            raise ParseError(f"cannot read file: {exc.strerror or exc}") from None
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            return _GuardedGzip(raw)
        raw.seek(0)
        return raw

    def read_bytes(self) -> bytes:
        """The whole decompressed content."""
        with self.open() as stream:
            return _read_guarded(stream.read)

    @cached_property
    def head(self) -> bytes:
        """The first 64 KiB of decompressed content (what can be read of it: a truncated gzip
        file still shows its beginning, and the readers report the damage where it is)."""
        chunks: list[bytes] = []
        size = 0
        with self.open() as stream:
            while size < HEAD_BYTES:
                try:
                    chunk = _read_guarded(lambda: stream.read1(min(8192, HEAD_BYTES - size)))
                except ParseError:
                    if chunks:
                        break
                    raise
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        return b"".join(chunks)

    @cached_property
    def encoding(self) -> str:
        """"utf-8" or "utf-16" (from a byte-order mark)."""
        return "utf-16" if self.head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8"

    @cached_property
    def syntax(self) -> Syntax:
        """JSON document, JSON Lines or CSV, judged from the content (never the name)."""
        head = self.head
        if not head.removeprefix(codecs.BOM_UTF8).strip() or head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise ParseError("empty file")
        if self.encoding == "utf-16":
            head = head.decode("utf-16", errors="ignore").encode()
        for magic, what in _OTHER_ARCHIVES.items():
            if head.startswith(magic):
                raise ParseError(f"this is {what}")
        if b"\x00" in head:
            raise ParseError("binary file, not a transcript export")
        text = head.removeprefix(codecs.BOM_UTF8).lstrip()
        if text[:1] == b"[":
            return "json"
        if text[:1] == b"{":
            first = text.split(b"\n", 1)[0]
            try:
                return "jsonl" if isinstance(orjson.loads(first), dict) else "json"
            except orjson.JSONDecodeError:
                # a broken first line of JSON Lines still closes its object on the same line;
                # a pretty-printed document's first line does not
                more = b"\n" in text.rstrip()
                return "jsonl" if more and first.rstrip().endswith(b"}") else "json"
        _check_utf8(head)
        return "csv"

    @cached_property
    def is_array(self) -> bool:
        """True when the JSON document is a top-level array."""
        head = self.head if self.encoding == "utf-8" else self.head.decode("utf-16", errors="ignore").encode()
        return head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"["

    @cached_property
    def streams(self) -> bool:
        """True for a JSON document too big to parse at once: a top-level array, or an API
        response holding the records in an array (``{"chats": [...]}``), read element by element."""
        try:
            size = self.path.stat().st_size
        except OSError:
            return False
        return size > STREAM_JSON_ABOVE or (_is_gzip(self.path) and size > STREAM_JSON_ABOVE // 10)

    def read_limited(self, limit: int) -> bytes:
        """The whole decompressed content, or ParseError when it is larger than `limit` bytes."""
        with self.open() as stream:
            data = _read_guarded(lambda: stream.read(limit + 1))
        if len(data) > limit:
            raise ParseError(
                f"JSON document is larger than {limit // (1024 * 1024)} MiB; chatqa streams big exports as "
                "JSON Lines or a top-level JSON array: convert it (e.g. jq -c '.conversations[]' FILE > FILE.jsonl)")
        return data

    @cached_property
    def json_document(self) -> Any:
        """The parsed JSON document (syntax "json"), or a marker for a broken top-level array."""
        data = _utf8(self.read_limited(MAX_JSON_DOCUMENT), self.encoding)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if data.lstrip()[:1] == b"[":
                return _BROKEN
            raise ParseError(f"invalid JSON: {_json_reason(exc)}", _json_place(exc)) from None

    def first_record(self) -> Any:
        """The first readable top-level JSON value (for format sniffing), or None for a file with
        no values (``[]``). A file whose first values are all unreadable raises the first error:
        it must be reported, not taken for an empty file."""
        first: Failure | None = None
        for n, item in enumerate(json_records(self)):
            if not isinstance(item, Failure):
                return item[1]
            first = first or item
            if n >= _SNIFF_RECORDS:
                break
        if first is not None:
            raise ParseError(first.reason, first.locator)
        return None

    def text_lines(self) -> Iterator[str]:
        """Decoded lines split on LF only, so a bare CR stays inside its line."""
        stream = io.TextIOWrapper(self.open(), encoding="utf-8-sig" if self.encoding == "utf-8"
                                  else "utf-16", newline="\n")
        with stream:
            lineno = 0
            try:
                for lineno, line in enumerate(stream, 1):  # noqa: B007 - used in except
                    yield line
            except UnicodeDecodeError:
                raise ParseError("not valid UTF-8 text; re-save the export as UTF-8",
                                 f"line {lineno + 1}") from None
            except (OSError, EOFError, zlib.error) as exc:
                raise ParseError(f"corrupt compressed data: {exc}", f"line {lineno + 1}") from None


class _GuardedGzip(gzip.GzipFile):
    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def _is_gzip(path: Path) -> bool:
    try:
        with open(path, "rb") as raw:
            return raw.read(2) == GZIP_MAGIC
    except OSError:
        return False


def _read_guarded(read: Any) -> bytes:
    try:
        return read()
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, gzip.BadGzipFile | EOFError | zlib.error):
            raise ParseError(f"corrupt or truncated gzip data ({exc})") from None
        raise ParseError(f"cannot read file: {exc.strerror or exc}") from None


def _check_utf8(head: bytes) -> None:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 64 KiB boundary
            raise ParseError("not valid UTF-8 text (a binary file, or another encoding: "
                             "re-save the export as UTF-8)", f"byte {exc.start}") from None


def _utf8(data: bytes, encoding: str) -> bytes:
    if encoding == "utf-16":
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("not valid UTF-16 text", f"byte {exc.start}") from None
    return data.removeprefix(codecs.BOM_UTF8)


def json_records(source: InputFile) -> Iterator[Record | Failure]:
    """Yield the top-level JSON values of a file as (locator, value) pairs.

    A JSON array yields its elements (``[0]``, ``[1]`` ...), an object yields itself
    (locator ``""``), JSON Lines yield one value per line (``line 3``). A broken line, or
    a broken element of an array, becomes a Failure; the other records are kept. Big arrays
    are read element by element, in bounded memory.
    """
    if source.syntax == "jsonl":
        yield from _jsonl_records(source)
        return
    if source.streams:
        if source.is_array:
            yield from _array_records(source)
            return
        found = yield from _envelope_records(source)
        if found:
            return
    doc = source.json_document
    if doc is _BROKEN:
        yield from _array_records(source)
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield f"[{i}]", value
    else:
        yield "", doc


def _jsonl_records(source: InputFile) -> Iterator[Record | Failure]:
    if source.encoding == "utf-16":
        for lineno, line in enumerate(_utf8(source.read_limited(MAX_JSON_DOCUMENT), "utf-16").split(b"\n"), 1):
            if line.strip():
                yield _jsonl_record(source.name, lineno, line)
        return
    with source.open() as stream:
        lineno, first, left = 0, 1, -1
        if source.lines is not None:
            stream.seek(source.lines.start)
            first, left = source.lines.first_line, source.lines.end - source.lines.start
        try:
            lineno = first - 1
            while True:
                line = stream.readline(MAX_RECORD + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > MAX_RECORD and not line.endswith(b"\n"):
                    yield Failure(source=source.name, locator=f"line {lineno}",
                                  reason=f"line is longer than {MAX_RECORD // (1024 * 1024)} MiB")
                    while line and not line.endswith(b"\n"):  # skip the rest of the line
                        if left >= 0:
                            left -= len(line)
                        line = stream.readline(_CHUNK)
                    if left >= 0:
                        left -= len(line)
                        if left <= 0:
                            break
                    continue
                size = len(line)
                if lineno == 1:
                    line = _utf8(line, source.encoding)
                if line.strip():
                    yield _jsonl_record(source.name, lineno, line)
                if left >= 0:
                    left -= size
                    if left <= 0:
                        break
        except (OSError, EOFError, zlib.error) as exc:
            yield Failure(source=source.name, locator=f"line {lineno + 1}",
                          reason=f"corrupt or truncated compressed data ({exc})")


def _jsonl_record(name: str, lineno: int, line: bytes) -> Record | Failure:
    try:
        return f"line {lineno}", orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as bad:
            return Failure(source=name, locator=f"line {lineno}",
                           reason=f"not valid UTF-8 text (byte {bad.start + 1} of the line); re-save the export as UTF-8")
        return Failure(source=name, locator=f"line {lineno}", reason=f"invalid JSON: {_json_reason(exc)}")


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
        data = _read_guarded(lambda: self.stream.read(size or _CHUNK))
        try:
            self.buf += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError:
            raise ParseError("not valid UTF-8 text; re-save the export as UTF-8",
                             self.place(len(self.buf))) from None
        if not data:
            self.eof = True
            return None if not shift else shift
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
        size = _CHUNK
        while True:
            try:
                _, end = self.decoder.raw_decode(text.buf, self.pos)
                start, self.pos = self.pos, end
                return start, end
            except (json.JSONDecodeError, RecursionError) as exc:
                if len(text.buf) - self.pos <= MAX_RECORD and not text.eof:
                    self.pos -= text.more(self.pos, size) or 0  # the value may go on past what was read
                    size *= 2
                    continue
                where = f"{loc}, {text.place(self.pos)}"
                if len(text.buf) - self.pos > MAX_RECORD:
                    raise self.fail(f"record is larger than {MAX_RECORD // (1024 * 1024)} MiB", where) from None
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
                           reason=f"invalid JSON: {_json_reason(exc)}")

    def expect(self, chars: str, loc: str) -> str:
        found = self.char()
        if found is None:
            raise self.fail(f"truncated: {self.rest}", f"{loc}, {self.text.place(self.pos)}")
        if found not in chars:
            wanted = " or ".join(f"'{c}'" for c in chars)
            raise self.fail(f"invalid JSON: expected {wanted}", f"{loc}, {self.text.place(self.pos)}")
        self.pos += 1
        return found

    def array(self, prefix: str) -> Iterator[Record | Failure]:
        """The elements of the array whose "[" was just consumed, as records ``prefix[i]``."""
        index = 0
        if self.char() == "]":
            self.pos += 1
            return
        while True:
            yield self.record(f"{prefix}[{index}]")
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
        yield from reader.array("")
        yield from reader.end()
    except _Stop as stop:
        yield stop.failure
    finally:
        reader.close()


ENVELOPE_KEYS = frozenset({"conversations", "chats", "conversationHistoryRecords"})
"""Keys of API responses that hold the records in an array (streamed for big documents)."""


def _envelope_records(source: InputFile) -> Generator[Record | Failure, None, bool]:
    """Stream the records of a big API response ``{"chats": [...], ...}`` element by element
    (locators ``chats[3]``); other keys are skipped. Returns False, having yielded nothing, for
    an object without such an array (it is then read whole)."""
    reader = _Reader(source)
    reader.what = "the document"
    found = False
    try:
        reader.expect("{", "")
        if reader.char() == "}":
            return False
        while True:
            start, end = reader.value("")
            key = json.loads(reader.text.buf[start:end])
            if not isinstance(key, str):
                raise reader.fail("invalid JSON: expected a key", reader.text.place(start))
            reader.expect(":", key)
            if key in ENVELOPE_KEYS and reader.char() == "[":
                reader.pos += 1
                found = True
                yield from reader.array(key)
            else:
                reader.value(key)
            if reader.expect(",}", key) == "}":
                break
        if found:
            yield from reader.end()
    except _Stop as stop:
        if not found:
            return False
        yield stop.failure
    finally:
        reader.close()
    return found


def _json_reason(exc: orjson.JSONDecodeError) -> str:
    msg = exc.msg if hasattr(exc, "msg") else str(exc)
    return msg.rstrip(".").replace("EOF while parsing", "unexpected end of data")


def _json_place(exc: orjson.JSONDecodeError) -> str:
    if getattr(exc, "lineno", None):
        return f"line {exc.lineno}, column {exc.colno}"
    return ""


_CR_MARK = "\ue000"


def csv_rows(source: InputFile) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return a CSV file's header and an iterator of (line number, row) pairs.

    Lines are split on LF only and bare CRs inside a line are kept as line breaks within
    their field, so an unquoted field holding a CR does not split its row.
    """
    lines = source.text_lines()

    def fixed() -> Iterator[str]:
        for line in lines:
            if "\r" in line:
                body = line[:-2] if line.endswith("\r\n") else line
                line = body.replace("\r", _CR_MARK) + line[len(body):]
            yield line

    reader = csv.reader(fixed())
    try:
        header = next(reader)
    except StopIteration:
        raise ParseError("empty file") from None
    except csv.Error as exc:
        raise ParseError(f"malformed CSV header: {exc}", "line 1") from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ParseError(f"malformed CSV: {exc}", f"line {start}") from None
            if any(row):
                yield start, [f.replace(_CR_MARK, "\n") if _CR_MARK in f else f for f in row]
            start = reader.line_num + 1

    return [h.replace(_CR_MARK, " ").strip() for h in header], rows()


def split_lines(path: str | os.PathLike[str], size: int) -> list[LineRange]:
    """Cut a plain (not compressed) file into parts of about `size` bytes at line ends."""
    parts: list[LineRange] = []
    start, first_line = 0, 1
    pos = 0  # file offset of the current block
    newlines = 0  # newlines in the file from `start` to the scanning point
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            at = 0
            while (target := start + size - 1 - pos) < len(block):
                cut = block.find(b"\n", max(at, target))
                if cut < 0:
                    break
                newlines += block.count(b"\n", at, cut + 1)
                parts.append(LineRange(start, pos + cut + 1, first_line))
                first_line += newlines
                newlines = 0
                start, at = pos + cut + 1, cut + 1
            newlines += block.count(b"\n", at)
            pos += len(block)
    if pos > start:
        parts.append(LineRange(start, pos, first_line))
    return parts
