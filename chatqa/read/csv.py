"""CSV rows of an input file, with their line numbers."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator

from ..errors import ParseError
from .source import InputFile

csv.field_size_limit(64 * 1024 * 1024)

_CR_MARK = "\ue000"
_BAD_MARK = "\ue001"  # stands for a line that is not UTF-8
UNDECODABLE = "not valid UTF-8 text; re-save the export as UTF-8"


def csv_rows(source: InputFile) -> tuple[list[str], Iterator[tuple[int, list[str] | None]]]:
    """Return a CSV file's header and an iterator of (line number, row) pairs; the row is None
    when its lines are not valid UTF-8 (report it as `UNDECODABLE`: the rows after it are
    still read, with their own line numbers).

    Lines are split on LF only and bare CRs inside a line are kept as line breaks within
    their field, so an unquoted field holding a CR does not split its row.
    """
    lines = source.text_lines(undecodable=_BAD_MARK)

    def fixed() -> Iterator[str]:
        for line in lines:
            if "\r" in line:
                body = line[:-2] if line.endswith("\r\n") else line
                line = body.replace("\r", _CR_MARK) + line[len(body):]
            yield line

    reader = csv.reader(fixed(), delimiter=source.csv_delimiter)
    try:
        header = next(reader)
        if any(_BAD_MARK in h for h in header):
            raise ParseError(UNDECODABLE, "line 1")
    except StopIteration:
        raise ParseError("empty file") from None
    except csv.Error as exc:
        raise ParseError(f"malformed CSV header: {exc}", "line 1") from None

    def rows() -> Iterator[tuple[int, list[str] | None]]:
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ParseError(f"malformed CSV: {exc}", f"line {start}") from None
            if any(_BAD_MARK in f for f in row):
                yield start, None
            elif any(row):
                yield start, [f.replace(_CR_MARK, "\n") if _CR_MARK in f else f for f in row]
            start = reader.line_num + 1

    return [h.replace(_CR_MARK, " ").strip() for h in header], rows()


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(head: str) -> str:
    """The separator of the CSV text starting with `head` (see `InputFile.csv_delimiter`)."""
    text = head.lstrip("\ufeff")
    if "\n" in text.rstrip("\r\n"):
        text = text[:text.rfind("\n") + 1]  # a row cut by the end of `head` is not judged
    for delimiter in _DELIMITERS:
        try:
            rows = list(itertools.islice((r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r), 2))
        except csv.Error:
            continue
        if rows and len(rows[0]) >= 2 and all(len(r) == len(rows[0]) for r in rows):
            return delimiter
    return ","
