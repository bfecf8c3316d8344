"""Output writers for `chatqa check`: table, JSONL, JSON and CSV (streamed where possible)."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from .metrics import Metrics
from .normalize import iso
from .results import Result, Summary

SUBSCORE_GROUPS = ("responsiveness", "wording", "personalization", "security", "capacity")
METRIC_COLUMNS = tuple(Metrics.model_fields)
FORMATS = ("table", "jsonl", "json", "csv")


def conversation_row(result: Result) -> dict[str, Any]:
    """One flat row per conversation (the CSV columns and the DataFrame's)."""
    t = result.transcript
    row: dict[str, Any] = {
        "id": t.id, "vendor": t.vendor, "source": t.source,
        "agent": result.agents[0] if result.agents else None, "agents": list(result.agents),
        "started_at": t.started_at, "ended_at": t.ended_at, "score": result.score,
    }
    for group in SUBSCORE_GROUPS:
        row[group] = result.subscores.get(group)
    row.update(result.metrics.model_dump())
    row["n_findings"] = len(result.findings)
    row["codes"] = result.codes
    return row


class Writer:
    """Receives results one by one, then the run summary."""

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
    """One row per conversation, the columns of `conversation_row` (lists joined by ";")."""

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
            from .model import Transcript

            empty = Result(transcript=Transcript(id="", vendor="", source=""), metrics=Metrics())
            csv.writer(self.text).writerow(list(conversation_row(empty)))
        self.text.flush()
        self.text.detach()


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
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
