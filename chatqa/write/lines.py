"""JSON outputs: JSON Lines (one object per conversation, SPEC section 7) and one JSON
document with the run's summary, both streamed."""

from __future__ import annotations

from typing import IO

import orjson

from ..results import Result, Summary
from . import Options, Writer


class JsonlWriter(Writer):
    """One JSON object per conversation per line (the public contract of SPEC section 7)."""

    name = "jsonl"
    suffixes = (".jsonl", ".ndjson")
    summary = "one JSON object per conversation per line"

    def write(self, result: Result) -> None:
        """Write one line."""
        self.stream.write(result.json() + b"\n")


class JsonWriter(Writer):
    """``{"conversations": [...], "summary": {...}}``, streamed."""

    name = "json"
    suffixes = (".json",)
    summary = "one JSON document: the conversations and the run's summary"

    def __init__(self, stream: IO[bytes], options: Options | None = None) -> None:
        super().__init__(stream, options)
        self.first = True

    def write(self, result: Result) -> None:
        """Append one conversation to the array."""
        self.stream.write((b'{"conversations": [\n' if self.first else b",\n") + result.json())
        self.first = False

    def close(self, summary: Summary) -> None:
        """Close the array and add the summary."""
        head = b'{"conversations": [' if self.first else b"\n"
        self.stream.write(head + b'], "summary": ' + orjson.dumps(summary.record()) + b"}\n")
