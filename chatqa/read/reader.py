"""An incremental JSON reader over a file's decoded text: whitespace, punctuation and whole
values, read on as needed (memory bounded by the largest value plus one read), each value's
place known (line and column) for the failures it reports."""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from ..errors import Failure, ParseError
from . import source as limits  # sizes read at call time (tests lower them)
from .source import InputFile, json_reason, read_guarded, too_many_values

Record = tuple[str, Any]
_SKIPPER = json.JSONDecoder(object_pairs_hook=lambda pairs: None, parse_int=lambda text: None,
                            parse_float=lambda text: None, parse_constant=lambda text: None)
_STRUCTURE = re.compile(r'["\\\[\]{}]')  # what counting brackets outside strings looks at


class Text:
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


class Stop(Exception):
    """The reader cannot go on: `failure` says where and why."""

    def __init__(self, failure: Failure) -> None:
        self.failure = failure


class Reader:
    """An incremental JSON reader over `Text`: whitespace, punctuation and whole values, reading
    on as needed (memory bounded by the largest value plus one read)."""

    def __init__(self, source: InputFile) -> None:
        self.name = source.name
        self.text = Text(source)
        self.pos = 0
        self.decoder = json.JSONDecoder()
        self.rest = "the array's remaining records cannot be read"
        self.what = "the array"

    def fail(self, reason: str, where: str) -> Stop:
        return Stop(Failure(source=self.name, locator=where, reason=reason))

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
        size, decoder = limits.CHUNK, self.decoder
        while True:
            try:
                _, end = decoder.raw_decode(text.buf, self.pos)
                start, self.pos = self.pos, end
                return start, end
            except RecursionError:
                return self.skip(loc)  # deeper than the decoder goes: the caller's decoder says so
            except json.JSONDecodeError as exc:
                if (decoder is self.decoder and len(text.buf) - self.pos > limits.MAX_VALUES
                        and too_many_values(text.buf[self.pos:]) is not None):  # (no copy of a small buffer)
                    decoder = _SKIPPER  # `record` refuses it: find its end, keeping nothing
                    continue
                if len(text.buf) - self.pos <= limits.MAX_RECORD and not text.eof:
                    self.pos -= text.more(self.pos, size) or 0  # the value may go on past what was read
                    size *= 2
                    continue
                where = f"{loc}, {text.place(self.pos)}"
                if len(text.buf) - self.pos > limits.MAX_RECORD:
                    raise self.fail(f"record is larger than {limits.MAX_RECORD // (1024 * 1024)} MiB", where) from None
                cut = exc.pos >= len(text.buf.rstrip()) or exc.msg.startswith("Unterminated string")
                what = "truncated" if cut else "invalid JSON"
                raise self.fail(f"{what}: {self.rest}", f"{loc}, {text.place(exc.pos)}") from None

    def skip(self, loc: str) -> tuple[int, int]:
        """(start, end) of the array or object at the current position, which it consumes, found
        by counting brackets outside strings (for a value nested too deeply to decode)."""
        text, start = self.text, self.pos
        i, depth, in_string = start, 0, False
        while True:
            found = _STRUCTURE.search(text.buf, i)
            if found is None or (in_string and found.group() == "\\" and found.end() >= len(text.buf)):
                if len(text.buf) - start > limits.MAX_RECORD:
                    raise self.fail(f"record is larger than {limits.MAX_RECORD // (1024 * 1024)} MiB",
                                    f"{loc}, {text.place(start)}")
                keep = i if found is None else found.start()
                shift = text.more(start)
                if shift is None:
                    raise self.fail(f"truncated: {self.rest}", f"{loc}, {text.place(start)}")
                start, i = start - shift, keep - shift
                continue
            char, i = found.group(), found.end()
            if in_string:
                if char == "\\":
                    i += 1  # the escaped character
                elif char == '"':
                    in_string = False
            elif char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            else:
                depth -= 1
                if depth <= 0:
                    self.pos = i
                    return start, i

    def record(self, loc: str) -> Record | Failure:
        """The value at the current position as a record (orjson decides what a value is, as for
        every other file: NaN or a lone surrogate fails this record alone)."""
        start, end = self.value(loc)
        refused = too_many_values(self.text.buf[start:end]) if end - start > limits.MAX_VALUES else None
        if refused is not None:
            return Failure(source=self.name, locator=f"{loc}, {self.text.place(start)}", reason=refused)
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
