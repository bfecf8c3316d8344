"""Shared test helpers."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatqa.records import Conversation
from chatqa.testing import T0, transcript

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_transcripts"
make_transcript = transcript  # rows -> Transcript (see chatqa.testing.transcript)
__all__ = ["ROOT", "SAMPLES", "T0", "dialogue_files", "make_transcript", "parse_file"]


def parse_file(path: Any, vendor: str = "auto", options: Any = None, lines: Any = None) -> Iterator[Any]:
    """`chatqa.parsers.parse_file`, its conversations as public Transcripts."""
    from chatqa.parsers import parse_file as parse

    for item in parse(path, vendor, options, lines):
        yield item.transcript() if isinstance(item, Conversation) else item


def write_payload(tmp_path: Path, name: str, content: Any) -> Path:
    """`content` as the file `name`: text as it is, a list as JSON Lines for ``.jsonl``, else one
    indented JSON document (one line would read as JSON Lines)."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content)
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(c) + "\n" for c in content))
    else:
        path.write_text(json.dumps(content, indent=1))
    return path


def parse_payload(tmp_path: Path, name: str, content: Any, vendor: str = "auto") -> list[Any]:
    """The Transcripts and Failures of `content` written as the file `name` (`write_payload`)."""
    return list(parse_file(write_payload(tmp_path, name, content), vendor))


def only_transcript(items: list[Any]) -> Any:
    """The one Transcript `items` hold (fails the test otherwise)."""
    from chatqa.model import Transcript

    assert len(items) == 1 and isinstance(items[0], Transcript), items
    return items[0]


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
