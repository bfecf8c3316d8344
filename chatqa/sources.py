"""Input files: folder walking, transparent gzip, and JSON/JSONL/CSV record readers.

Readers never raise for a bad record: they yield a `Failure` for it and go on, so the
caller can account for every record. A file that cannot be read at all raises
`ParseError`.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import orjson

from .errors import Failure, ParseError

HEAD_BYTES = 64 * 1024
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
        if path.is_dir():
            yield from _walk(path, set())
        elif path.exists():
            yield path
        else:
            yield Failure(source=str(path), reason="no such file or directory")


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
            is_dir = entry.is_dir()
            exists = is_dir or entry.is_file()
        except OSError as exc:
            yield Failure(source=str(path), reason=f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            yield from _walk(path, seen)
        elif exists:
            doc = path.suffix.lower() in _DOC_SUFFIXES or path.name.split(".")[0].lower() in _DOC_STEMS
            yield Skipped(path) if doc else path
        else:
            yield Failure(source=str(path), reason="broken symlink or not a regular file")
    seen.discard(real)


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
        """The first 64 KiB of decompressed content."""
        with self.open() as stream:
            return _read_guarded(lambda: stream.read(HEAD_BYTES))

    @cached_property
    def encoding(self) -> str:
        """"utf-8" or "utf-16" (from a byte-order mark)."""
        return "utf-16" if self.head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8"

    @cached_property
    def syntax(self) -> Syntax:
        """JSON document, JSON Lines or CSV, judged from the content (never the name)."""
        head = self.head
        if not head.strip():
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
                return "json"
        _check_utf8(head)
        return "csv"

    @cached_property
    def json_document(self) -> Any:
        """The parsed JSON document (syntax "json"), or a marker for a broken top-level array."""
        data = _utf8(self.read_bytes(), self.encoding)
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if data.lstrip()[:1] == b"[":
                return _BROKEN
            raise ParseError(f"invalid JSON: {_json_reason(exc)}", _json_place(exc)) from None

    def first_record(self) -> Any:
        """The first readable top-level JSON value (for format sniffing), or None."""
        for item in json_records(self):
            if not isinstance(item, Failure):
                return item[1]
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
    the rest of a truncated array, becomes a Failure; earlier records are kept.
    """
    if source.syntax == "jsonl":
        yield from _jsonl_records(source)
        return
    doc = source.json_document
    if doc is _BROKEN:
        yield from _salvage_array(source.name, _utf8(source.read_bytes(), source.encoding))
        return
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield f"[{i}]", value
    else:
        yield "", doc


def _jsonl_records(source: InputFile) -> Iterator[Record | Failure]:
    if source.encoding == "utf-16":
        for lineno, line in enumerate(_utf8(source.read_bytes(), "utf-16").split(b"\n"), 1):
            if line.strip():
                yield _jsonl_record(source.name, lineno, line)
        return
    with source.open() as stream:
        lineno, first, left = 0, 1, -1
        if source.lines is not None:
            stream.seek(source.lines.start)
            first, left = source.lines.first_line, source.lines.end - source.lines.start
        try:
            for lineno, line in enumerate(stream, first):  # noqa: B007 - used in except
                if lineno == 1:
                    line = _utf8(line, source.encoding)
                if line.strip():
                    yield _jsonl_record(source.name, lineno, line)
                if left >= 0:
                    left -= len(line)
                    if left <= 0:
                        break
        except (OSError, EOFError, zlib.error) as exc:
            yield Failure(source=source.name, locator=f"line {lineno + 1}",
                          reason=f"corrupt or truncated compressed data ({exc})")


def _jsonl_record(name: str, lineno: int, line: bytes) -> Record | Failure:
    try:
        return f"line {lineno}", orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return Failure(source=name, locator=f"line {lineno}", reason=f"invalid JSON: {_json_reason(exc)}")


def _salvage_array(name: str, data: bytes) -> Iterator[Record | Failure]:
    """Decode a broken top-level array element by element, keeping what precedes the damage."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParseError("not valid UTF-8 text", f"byte {exc.start}") from None
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    index = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith("]", pos):
            rest = text[pos + 1:].strip()
            if rest:
                yield Failure(source=name, locator=_text_place(text, pos + 1),
                              reason="invalid JSON: unexpected content after the array")
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            where = getattr(exc, "pos", pos)
            what = "truncated" if where >= len(text.rstrip()) else "invalid JSON"
            yield Failure(source=name, locator=f"[{index}], {_text_place(text, where)}",
                          reason=f"{what}: the array's remaining records cannot be read")
            return
        yield f"[{index}]", value
        index += 1
        pos = end
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith("]", pos):
            yield Failure(source=name, locator=f"[{index}], {_text_place(text, pos)}",
                          reason="truncated: the array's remaining records cannot be read"
                          if pos >= len(text) else "invalid JSON: expected ',' or ']'")
            return


def _text_place(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


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
