"""One input file: transparent gzip, its first bytes, its syntax (JSON, JSON Lines or CSV,
judged from the content), its first record (for format detection, read once) and bounded
reads."""

from __future__ import annotations

import codecs
import gzip
import io
import os
import zlib
from collections.abc import Iterator
from functools import cached_property, partial
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, cast

import orjson

from ..errors import ParseError
from ..redact import mask_cards
from . import meter
from .archive import MAX_RATIO, ArchiveError, Member, located, member_size, open_member

HEAD_BYTES = 64 * 1024
MAX_JSON_DOCUMENT = 128 * 1024 * 1024
"""A JSON document other than a top-level array is read whole: larger ones are refused."""
STREAM_JSON_ABOVE = 16 * 1024 * 1024
"""A top-level JSON array larger than this is read element by element (bounded memory)."""
MAX_RECORD = 64 * 1024 * 1024
"""A single record (array element or JSONL line) larger than this is refused."""
MAX_VALUES = 500_000
"""A record holding more JSON values than this is refused before it is decoded (a conversation
of 10,000 messages holds about 200,000; decoded, 500,000 tiny values take about 200 MB)."""
CHUNK = 1024 * 1024
GZIP_RATIO_ABOVE = 2 * 1024 * 1024
"""gzip content that has given more than this, at over `MAX_RATIO` times the compressed bytes read,
is a decompression bomb (a few kilobytes of whitespace or broken lines that would run for minutes)."""
SNIFF_RECORDS = 1000
GZIP_MAGIC = b"\x1f\x8b"
_OTHER_ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive inside a ZIP archive: extract the inner one first",
    b"BZh": "a bzip2 file: decompress it first",
    b"\xfd7zXZ": "an xz file: decompress it first",
    b"%PDF": "a PDF document, not a transcript export",
}
Syntax = Literal["json", "jsonl", "csv"]
NAMES: dict[str, str] = {}
"""Names to show for some input paths (standard input, spooled to a temporary file, is ``<stdin>``)."""
BROKEN = object()  # marks a top-level array that is not valid JSON as a whole

class LineRange(NamedTuple):
    """A part of a JSON Lines file: bytes `start` to `end`, whose first line is `first_line`."""

    start: int
    end: int
    first_line: int


class InputFile:
    """One input file, decompressed on the fly, with cheap access to its first bytes.

    With `lines`, only that part of a (plain) JSON Lines file is read as records; the
    format is still judged from the start of the file. `envelopes` are the keys under which
    API responses hold their records (a big response is read element by element from there).
    With `member`, the file is that member of the ZIP archive at `path`, named
    ``archive.zip!member``.
    """

    def __init__(self, path: str | os.PathLike[str], lines: LineRange | None = None,
                 envelopes: frozenset[str] = frozenset(), member: Member | None = None,
                 delimiter: str | None = None) -> None:
        self.path = Path(path)
        self.member = member
        # the name shown in sources and failures (a card number in a file name masked)
        shown = NAMES.get(str(path), str(path))
        self.name = mask_cards(shown if member is None else located(shown, member.name))
        self.lines = lines
        self.envelopes = envelopes  # keys of API responses holding records in an array (streamed when big)
        self.delimiter = delimiter  # a CSV's field separator, when the user names it

    def open(self) -> io.BufferedIOBase:
        """Open the (decompressed) content for binary reading."""
        try:
            raw: io.BufferedIOBase = open(self.path, "rb") if self.member is None \
                else open_member(self.path, self.member)  # noqa: SIM115 - returned to the caller
        except OSError as exc:
            raise ParseError(f"cannot read {'file' if self.member is None else 'archive'}: {exc.strerror or exc}"
                             ) from None
        try:
            gzipped = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
        except OSError as exc:
            raw.close()
            raise ParseError(f"cannot read file: {exc.strerror or exc}") from None
        if self.member is None and meter.ACTIVE is not None:
            meter.ACTIVE.opened(str(self.path), raw)
        return io.BufferedReader(_GzipContent(raw), CHUNK) if gzipped else raw

    def read_bytes(self) -> bytes:
        """The whole decompressed content."""
        with self.open() as stream:
            return read_guarded(stream.read)

    @cached_property
    def head(self) -> bytes:
        """The first 64 KiB of decompressed content (what can be read of it: a truncated gzip
        file still shows its beginning, and the readers report the damage where it is)."""
        chunks: list[bytes] = []
        size = 0
        with self.open() as stream:
            while size < HEAD_BYTES:
                try:
                    chunk = read_guarded(partial(stream.read1, min(8192, HEAD_BYTES - size)))
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
    def csv_header(self) -> list[str]:
        """The header row of a CSV file (for format detection: read once)."""
        from .csv import csv_rows

        return csv_rows(self)[0]

    @cached_property
    def csv_delimiter(self) -> str:
        """The CSV field separator: the one given, else the first of comma, semicolon (European
        spreadsheets), tab and pipe that cuts the header line in columns and the next line in as
        many; a comma when none does."""
        if self.delimiter:
            return self.delimiter
        from .csv import sniff_delimiter

        return sniff_delimiter(self.head.decode(self.encoding, errors="replace"))

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
                if magic == b"PK\x03\x04" and self.member is None:
                    what = "a ZIP archive (its members are read when it is given as an input, not as one file)"
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
            size = self.path.stat().st_size if self.member is None else member_size(self.path, self.member)
        except OSError:
            return False
        return size > STREAM_JSON_ABOVE or (self.gzipped and size > STREAM_JSON_ABOVE // 10)

    @cached_property
    def gzipped(self) -> bool:
        """True when the content (the file, or the archive member) is gzip-compressed."""
        if self.member is None:
            return _is_gzip(self.path)
        try:
            with open_member(self.path, self.member) as stream:
                return stream.read(2) == GZIP_MAGIC
        except OSError:
            return False

    def read_limited(self, limit: int) -> bytes:
        """The whole decompressed content, or ParseError when it is larger than `limit` bytes."""
        with self.open() as stream:
            data = read_guarded(lambda: stream.read(limit + 1))
        if len(data) > limit:
            raise ParseError(
                f"JSON document is larger than {limit // (1024 * 1024)} MiB; chatqa streams big exports as "
                "JSON Lines or a top-level JSON array: convert it (e.g. jq -c '.conversations[]' FILE > FILE.jsonl)")
        return data

    @cached_property
    def json_document(self) -> Any:
        """The parsed JSON document (syntax "json"), or a marker for a broken top-level array."""
        data = utf8(self.read_limited(MAX_JSON_DOCUMENT), self.encoding)
        refused = too_many_values(data, 4 * MAX_VALUES)
        if refused is not None:
            raise ParseError(refused.replace("record", "JSON document", 1) + "; give it as JSON Lines or a top-level "
                             "JSON array, which chatqa reads record by record")
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            if data.lstrip()[:1] == b"[":
                return BROKEN
            raise ParseError(f"invalid JSON: {json_reason(exc)}", json_place(exc)) from None

    @cached_property
    def first_record(self) -> Any:
        """The first readable top-level JSON value (for format detection: parsed once), or None
        for a file with no values (``[]``). A file whose first values are all unreadable raises
        the first error: it must be reported, not taken for an empty file."""
        from .json import first_value

        return first_value(self)

    def text_lines(self, undecodable: str | None = None) -> Iterator[str]:
        """Decoded lines split on LF only, so a bare CR stays inside its line. A UTF-8 line that
        does not decode is `undecodable` (with its line end) when given, so the lines after it
        are still read (else ParseError)."""
        if self.encoding == "utf-8" and undecodable is not None:
            yield from self._utf8_lines(undecodable)
            return
        stream = io.TextIOWrapper(cast(IO[bytes], self.open()), encoding="utf-8-sig" if self.encoding == "utf-8"
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
                raise ParseError(compressed_reason(exc), f"line {lineno + 1}") from None


    def _utf8_lines(self, undecodable: str) -> Iterator[str]:
        with self.open() as raw:
            lineno = 0
            try:
                for lineno, data in enumerate(raw, 1):
                    if lineno == 1 and data.startswith(b"\xef\xbb\xbf"):
                        data = data[3:]
                    try:
                        yield data.decode("utf-8")
                    except UnicodeDecodeError:
                        yield undecodable + ("\n" if data.endswith(b"\n") else "")
            except (OSError, EOFError, zlib.error) as exc:
                raise ParseError(compressed_reason(exc), f"line {lineno + 1}") from None


class _GzipContent(io.RawIOBase):
    """The decompressed content of gzip data, which refuses to go on once it looks like a
    decompression bomb (checked per chunk; a BufferedReader on top keeps readline in C)."""

    def __init__(self, raw: io.BufferedIOBase) -> None:
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._gzip.read1(len(buffer))
        size = len(data)
        buffer[:size] = data
        self._given += size
        if self._given > GZIP_RATIO_ABOVE and self._given > MAX_RATIO * max(self._raw.tell(), 1):
            raise ArchiveError(f"the gzip data decompresses to more than {MAX_RATIO} times its size "
                               "(a decompression bomb?): the rest of the file is not read")
        return size

    def close(self) -> None:
        try:
            self._gzip.close()
        finally:
            self._raw.close()
            super().close()


def _is_gzip(path: Path) -> bool:
    try:
        with open(path, "rb") as raw:
            return raw.read(2) == GZIP_MAGIC
    except OSError:
        return False


def too_many_values(data: bytes | str, limit: int | None = None) -> str | None:
    """Why JSON text `data` is refused before decoding (more values than `limit`, by default
    `MAX_VALUES`), or None. Counts brackets and commas, so it is cheap and errs on the safe side."""
    limit = MAX_VALUES if limit is None else limit
    if len(data) <= limit:
        return None
    if isinstance(data, bytes):
        count = data.count(b",") + data.count(b"[") + data.count(b"{")
    else:
        count = data.count(",") + data.count("[") + data.count("{")
    return f"record holds more than {limit:,} JSON values" if count > limit else None


def compressed_reason(exc: BaseException) -> str:
    """Why compressed content could not be read on (`exc` raised while reading it)."""
    return str(exc) if isinstance(exc, ArchiveError) else f"corrupt or truncated compressed data ({exc})"


def read_guarded(read: Any) -> bytes:
    try:
        return read()
    except (OSError, EOFError, zlib.error) as exc:
        if isinstance(exc, ArchiveError):
            raise ParseError(str(exc)) from None
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


def utf8(data: bytes, encoding: str) -> bytes:
    if encoding == "utf-16":
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseError("not valid UTF-16 text", f"byte {exc.start}") from None
    return data.removeprefix(codecs.BOM_UTF8)


def json_reason(exc: orjson.JSONDecodeError) -> str:
    msg = exc.msg if hasattr(exc, "msg") else str(exc)
    return msg.rstrip(".").replace("EOF while parsing", "unexpected end of data")


def json_place(exc: orjson.JSONDecodeError) -> str:
    if getattr(exc, "lineno", None):
        return f"line {exc.lineno}, column {exc.colno}"
    return ""


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
