"""chatqa's own outputs, told from their content (never their name alone), so that a run over a
folder holding an earlier run's results skips them (and counts them) instead of failing on them
or, worse, reading them as conversations.

What marks each one is its public shape: a result line carries ``metrics``, ``score``,
``subscores``, ``findings`` and ``not_applicable`` beside ``id``, ``vendor`` and ``source`` (no
vendor's export has that set of keys); a failure line is exactly ``source``, ``locator``,
``reason``; a review queue has ``top_findings`` and ``reason`` beside ``source`` and ``score``;
the conversation table (CSV, parquet) starts with its documented columns; the HTML report is
titled ``chatqa report``."""

from __future__ import annotations

from typing import Any, NamedTuple

from ..errors import ParseError
from .source import InputFile

RESULT_KEYS = frozenset({"id", "vendor", "source", "metrics", "score", "subscores", "findings", "not_applicable"})
FAILURE_KEYS = frozenset({"source", "locator", "reason"})
QUEUE_KEYS = frozenset({"source", "score", "top_findings", "reason"})
TABLE_START = ["id", "vendor", "source", "agent", "agents", "started_at", "ended_at", "score"]
TABLE_COLUMNS = (b"first_response_s", b"n_findings", b"canned_ratio")  # (in a parquet file's footer)


class OwnOutput(NamedTuple):
    """A file that chatqa wrote (`what` says which output), skipped by the run and counted."""

    path: str
    what: str

    def __str__(self) -> str:
        return f"{self.path}: skipped: {self.what} (an output of chatqa, not an export)"


def own_output(source: InputFile) -> str | None:
    """Which of chatqa's outputs `source` is, or None for anything else (an export, a broken
    file: the parsers report those)."""
    try:
        head = source.head
        if head[:4] == b"PAR1":
            return "the conversation table (parquet)" if _parquet_table(source) else None
        if head.lstrip()[:15].lower() == b"<!doctype html>" or head.lstrip()[:5].lower() == b"<html":
            return "the HTML report" if b"<title>chatqa report</title>" in head else None
        if source.syntax == "csv":
            header = [h.strip().lower() for h in source.csv_header]
            if header[:3] == TABLE_START[:3] and {*TABLE_START, "first_response_s"} <= set(header):
                return "the conversation table of chatqa check (CSV)"
            return "a review queue of chatqa sample" if set(header) >= QUEUE_KEYS else None
        return _json_output(source.first_record)
    except ParseError:
        return None


def _json_output(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("conversations"), list) and isinstance(value.get("summary", {}), dict):
        first = value["conversations"][0] if value["conversations"] else None
        if (isinstance(first, dict) and set(first) >= RESULT_KEYS) or (
                first is None and "records_in" in value.get("summary", {})):
            return "the results of chatqa check (JSON)"
    keys = set(value)
    if keys >= RESULT_KEYS:
        return "the results of chatqa check (JSON Lines)"
    if keys == FAILURE_KEYS:
        return "parse failures written by --errors"
    if keys >= QUEUE_KEYS:
        return "a review queue of chatqa sample"
    return None


def _parquet_table(source: InputFile) -> bool:
    """True for a parquet file whose footer (the schema) names the conversation table's columns."""
    try:
        with open(source.path, "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 256 * 1024))
            tail = f.read()
    except OSError:
        return False
    return tail.endswith(b"PAR1") and all(c in tail for c in TABLE_COLUMNS)
