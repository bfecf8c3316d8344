"""Output writers for `chatqa check`: JSONL, JSON, CSV and parquet (streamed), atomic files.

The terminal table and the HTML report live in `table` and `html`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import orjson

from .frames import CONVERSATION_COLUMNS, arrow_schema, conversation_row
from .normalize import iso
from .results import Result, Summary

class Writer:
    """Receives results one by one, then the run summary."""

    needs_transcripts: ClassVar[bool] = False  # reads Result.transcript (slower runs)

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, result: Result) -> None:
        """Write one conversation's result."""
        raise NotImplementedError

    def close(self, summary: Summary) -> None:
        """Finish the output (summaries, closing brackets)."""


class JsonlWriter(Writer):
    """One JSON object per conversation per line (SPEC section 7)."""

    def write(self, result: Result) -> None:
        """Write one line."""
        self.stream.write(orjson.dumps(result.record()) + b"\n")


class JsonWriter(Writer):
    """``{"conversations": [...], "summary": {...}}``, streamed."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        self.first = True

    def write(self, result: Result) -> None:
        """Append one conversation to the array."""
        self.stream.write((b'{"conversations": [\n' if self.first else b",\n") + orjson.dumps(result.record()))
        self.first = False

    def close(self, summary: Summary) -> None:
        """Close the array and add the summary."""
        head = b'{"conversations": [' if self.first else b"\n"
        self.stream.write(head + b'], "summary": ' + orjson.dumps(summary.record()) + b"}\n")


class CsvWriter(Writer):
    """One row per conversation, the columns of `Report.conversations` (lists joined by ";")."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
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

    BATCH = 10_000

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
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
        return ";".join(map(str, value))
    if hasattr(value, "isoformat"):
        return iso(value)
    return value


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None, stdout: IO[bytes]) -> Iterator[IO[bytes]]:
    """Write to `path` through a temporary file renamed into place on success (stdout if None).

    An error or Ctrl-C leaves no half-written file behind.
    """
    if path is None:
        yield stdout
        stdout.flush()
        return
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an output file gets the usual mode
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
