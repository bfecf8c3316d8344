"""CSV rows of an input file, with their line numbers."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from ..errors import ParseError
from .source import InputFile

csv.field_size_limit(64 * 1024 * 1024)

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
