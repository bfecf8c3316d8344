"""Shared test helpers."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chatqa.model import Kind, Role, Transcript
from chatqa.normalize import RawMessage, build_transcript

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_transcripts"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def make_transcript(rows: list[dict[str, Any]], id: str = "t1", vendor: str = "test") -> Transcript:
    """Build a transcript from short rows: ``{"customer": "Hi", "at": 0}`` (``at`` in seconds; None = no time).

    Keys: the role as key with the text as value, ``at``, ``author``, ``internal``, ``kind``.
    Without any ``at`` keys messages are 10 s apart.
    """
    from chatqa.kinds import parse_duration

    timed = any("at" in r for r in rows)
    raws = []
    for i, row in enumerate(rows):
        role = next(k for k in row if k in ("customer", "agent", "bot", "system"))
        at = row.get("at") if timed else i * 10
        at = None if at is None else parse_duration(at)
        raws.append(RawMessage(
            role=Role(role), text=row[role], time=None if at is None else T0 + timedelta(seconds=at),
            author_id=row.get("author", {"customer": "cust", "agent": "sam", "bot": "botty"}.get(role)),
            author_name=row.get("author"), internal=row.get("internal", False),
            kind=Kind(row.get("kind", "event" if role == "system" else "message")),
        ))
    return build_transcript(id=id, vendor=vendor, source=f"test#{id}", messages=raws)


@pytest.fixture
def corpora() -> Path:
    """The real-data corpora folder (tests using it are skipped without CHATQA_CORPORA)."""
    path = os.environ.get("CHATQA_CORPORA")
    if not path or not Path(path).is_dir():
        pytest.skip("CHATQA_CORPORA not set")
    return Path(path)


def dialogue_files(corpora: Path) -> list[Path]:
    """The conversation files of the corpora (not their licences, notes or STC-3's ratings sidecar)."""
    return [p for p in sorted(corpora.rglob("*")) if p.is_file() and p.suffix in (".json", ".csv")
            and p.name != "ratings_dev.json"]
