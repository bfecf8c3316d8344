"""Tabular outputs: the conversation table (the columns of `Report.conversations`, see
`chatqa.frames`) as CSV or parquet, streamed."""

from __future__ import annotations

import csv
import io
from typing import IO, Any

from ..frames import CONVERSATION_COLUMNS, arrow_schema, conversation_row
from ..normalize import iso
from ..results import Result, Summary
from . import Options, Writer


class CsvWriter(Writer):
    """One row per conversation, the columns of `Report.conversations` (lists joined by ";")."""

    name = "csv"
    suffixes = (".csv",)
    summary = "the conversation table as CSV"

    def __init__(self, stream: IO[bytes], options: Options | None = None) -> None:
        super().__init__(stream, options)
        self.text = io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
        self.writer: csv.DictWriter[str] | None = None

    def write(self, result: Result) -> None:
        """Write one row (the header before the first)."""
        row = {k: _cell(v) for k, v in conversation_row(result).items()}
        if self.writer is None:
            self.writer = csv.DictWriter(self.text, fieldnames=list(row))
            self.writer.writeheader()
        self.writer.writerow(row)

    def close(self, summary: Summary) -> None:
        """Write the header even when there were no conversations."""
        if self.writer is None:
            csv.writer(self.text).writerow(list(CONVERSATION_COLUMNS))
        self.text.flush()
        self.text.detach()


class ParquetWriter(Writer):
    """The conversation table as parquet, written in row groups (memory stays bounded)."""

    name = "parquet"
    suffixes = (".parquet",)
    summary = "the conversation table as parquet"
    binary = True
    BATCH = 10_000

    def __init__(self, stream: IO[bytes], options: Options | None = None) -> None:
        super().__init__(stream, options)
        self.rows: list[dict[str, Any]] = []
        self.writer: Any = None
        self.schema: Any = None

    def write(self, result: Result) -> None:
        """Buffer one row; flush a row group every BATCH rows."""
        self.rows.append(conversation_row(result))
        if len(self.rows) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.schema is None:
            extra = [k for k in (self.rows[0] if self.rows else {}) if k not in CONVERSATION_COLUMNS]
            self.schema = arrow_schema({**CONVERSATION_COLUMNS, **dict.fromkeys(extra, "float64")})
            self.writer = pq.ParquetWriter(self.stream, self.schema)
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
        self.rows = []

    def close(self, summary: Summary) -> None:
        """Write the last row group and the footer."""
        self._flush()
        self.writer.close()


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return spreadsheet_safe(";".join(map(str, value)))
    if hasattr(value, "isoformat"):
        return iso(value)
    return spreadsheet_safe(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # (and fullwidth forms)


def from_spreadsheet(text: str) -> str:
    """The text `spreadsheet_safe` neutralised, as it was (``'=x`` -> ``=x``): a queue read back."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA_START) else text


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet cannot read as a formula: one starting with ``= + - @``, tab or
    CR gets a leading ``'`` (the OWASP advice against CSV injection). Other values unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
