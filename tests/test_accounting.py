"""Nothing lost (SPEC section 8): for every format, a folder of good and damaged exports gives
conversations out + parse failures == records in, with the counts a reader would expect."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, parse_file

from chatqa.cli import main
from chatqa.errors import Failure
from chatqa.inputs import Loader
from chatqa.parsers import registry
from chatqa.read.archive import is_zip

SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith("."))
ENVELOPES = ("conversations", "chats", "conversationHistoryRecords")


def _count(path: Path) -> int:
    items = list(parse_file(path))
    assert not [i for i in items if isinstance(i, Failure)]
    return len(items)


def damaged(sample: Path, folder: Path) -> dict[str, tuple[int, int]]:
    """Write damaged copies of `sample` into `folder`: file name -> (conversations, failures) expected."""
    good = _count(sample)
    raw = sample.read_bytes()
    out: dict[str, tuple[int, int]] = {}
    stem = sample.name
    if sample.suffix == ".jsonl":
        lines = raw.decode().splitlines()
        mid = len(lines) // 2
        bad = [*lines[:mid], '{"id": "broken", "messages": [', "", '{"id": 42, "messages": "no"}', *lines[mid:]]
        (folder / f"bad-lines-{stem}").write_text("\n".join(bad) + "\n")
        out[f"bad-lines-{stem}"] = (good, 2)
        keep = raw[: raw.rindex(b"\n", 0, len(raw) - 1) + 1]  # every line but the last
        (folder / f"cut-{stem}").write_bytes(raw[: len(keep) + 20])
        head = folder.parent / f"head-of-{folder.name}-{stem}"
        head.write_bytes(keep)
        out[f"cut-{stem}"] = (_count(head), 1)
    elif is_zip(sample):  # an archive cut short has lost its directory: one failure
        (folder / f"cut-{stem}").write_bytes(raw[: len(raw) // 2])
        out[f"cut-{stem}"] = (0, 1)
    elif sample.suffix == ".csv":
        lines = raw.decode().splitlines()
        header = lines[0]
        width = header.count(",") + 1
        mid = len(lines) // 2
        bad = [*lines[:mid], ",".join(["x"] * (width + 2)), ",".join(["y"] * (width - 2)), *lines[mid:]]
        (folder / f"bad-rows-{stem}").write_text("\n".join(bad) + "\n")
        out[f"bad-rows-{stem}"] = (good, 2)
    else:
        doc = json.loads(raw)
        if isinstance(doc, list):
            items = doc
        else:
            key = next((k for k in ENVELOPES if isinstance(doc.get(k), list)), None)
            items = doc[key] if key else None
        if items is not None:
            mid = len(items) // 2
            items[mid:mid] = [{"bogus": True}, 42]
            (folder / f"bad-records-{stem}").write_text(json.dumps(doc, indent=1))
            out[f"bad-records-{stem}"] = (good, 2)
        else:  # a single conversation object: the record is the file
            (folder / f"ok-{stem}").write_bytes(raw)
            (folder / f"cut-{stem}").write_bytes(raw[: len(raw) // 2])
            out[f"ok-{stem}"] = (good, 0)
            out[f"cut-{stem}"] = (0, 1)
    return out


def test_the_samples_cover_every_registered_format():
    from chatqa.parsers import detect
    from chatqa.read import InputFile

    assert {detect(InputFile(p)).name for p in SAMPLE_FILES if not is_zip(p)} == set(registry.names())


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, dict[str, tuple[int, int]]]:
    folder = tmp_path_factory.mktemp("mixed")
    expected: dict[str, tuple[int, int]] = {}
    for sample in SAMPLE_FILES:
        expected.update(damaged(sample, folder))
        (folder / f"good-{sample.name}").write_bytes(sample.read_bytes())
        expected[f"good-{sample.name}"] = (_count(sample), 0)
    (folder / "empty.json").write_bytes(b"")
    expected["empty.json"] = (0, 1)
    return folder, expected


def once(folder: Path, expected: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int, int]]:
    """What a run over `folder` keeps of each file: (conversations, failures, duplicates), read in
    walk order, a conversation read again counted once (the same content: a duplicate; other
    content: a failure). Checks each file yields what `expected` says on its own."""
    from chatqa.duplicates import Duplicate
    from chatqa.read import iter_files

    seen: dict[tuple[str, str], Any] = {}
    out: dict[str, tuple[int, int, int]] = {}
    for path in iter_files([folder]):
        if not isinstance(path, Path):
            continue
        kept = failures = duplicates = conflicts = 0
        for item in parse_file(path):
            if isinstance(item, Failure):
                failures += 1
            elif isinstance(item, Duplicate):
                duplicates += 1
            else:
                key, content = (item.vendor, item.id), item.model_dump(exclude={"source"})
                if key not in seen:
                    seen[key] = content
                    kept += 1
                elif seen[key] == content:
                    duplicates += 1
                else:
                    conflicts += 1
        assert (kept + duplicates + conflicts, failures) == expected[path.name], path.name
        out[path.name] = (kept, failures + conflicts, duplicates)
    return out


def _file(source: str) -> str:
    """The name of the file a source is in (an archive's for its members)."""
    return Path(source.split("!")[0]).name


def test_json_summary_accounts_for_every_record(mixed):
    folder, expected = mixed
    result = CliRunner().invoke(main, ["check", str(folder), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    summary = doc["summary"]
    assert set(summary) >= {"files", "records_in", "conversations", "failures", "duplicates"}
    assert all(set(f) == {"source", "locator", "reason"} for f in summary["failures"])
    assert summary["files"] == len(expected)
    assert summary["records_in"] == summary["conversations"] + len(summary["failures"]) + summary["duplicates"]
    # every file's records: read once, the copies of a conversation read before counted once
    kept = once(folder, expected)
    assert summary["records_in"] == sum(c + f for c, f in expected.values())
    assert summary["conversations"] == len(doc["conversations"]) == sum(c for c, _, _ in kept.values())
    assert len(summary["failures"]) == sum(f for _, f, _ in kept.values())
    assert summary["duplicates"] == sum(d for _, _, d in kept.values()) > 0
    # per file: the good records of a damaged file are all there, each bad one is reported
    got_conversations = Counter(_file(c["source"].split("#")[0]) for c in doc["conversations"])
    got_failures = Counter(_file(f["source"]) for f in summary["failures"])
    for name, (conversations, failures, _) in kept.items():
        assert (got_conversations[name], got_failures[name]) == (conversations, failures), name
    assert all(f["locator"] for f in summary["failures"] if _file(f["source"]) not in ("empty.json",
                                                                                      "cut-support_archive.zip"))
    # every failure is also on stderr, one line each
    assert len(result.stderr.splitlines()) == len(summary["failures"])


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: p.name)
def test_loader_accounts_per_format_with_an_explicit_vendor(sample, tmp_path):
    from chatqa.parsers import detect
    from chatqa.read import InputFile

    if is_zip(sample):
        pytest.skip("an archive holds several formats")
    vendor = detect(InputFile(sample)).name  # type: ignore[union-attr]
    expected = damaged(sample, tmp_path)
    loader = Loader(tmp_path, vendor=vendor, errors="collect")
    conversations = list(loader)
    assert loader.records_in == loader.conversations + len(loader.failures) + loader.duplicates \
        == len(conversations) + len(loader.failures) + loader.duplicates == sum(c + f for c, f in expected.values())
    kept = once(tmp_path, expected)
    assert len(conversations) == sum(c for c, _, _ in kept.values())
    assert len(loader.failures) == sum(f for _, f, _ in kept.values())
    assert loader.duplicates == sum(d for _, _, d in kept.values())


def test_table_summary_line_counts(mixed):
    folder, expected = mixed
    out = CliRunner().invoke(main, ["check", str(folder), "--format", "table"], catch_exceptions=False).stdout
    kept = once(folder, expected)
    conversations = sum(c for c, _, _ in kept.values())
    failures = sum(f for _, f, _ in kept.values())
    duplicates = sum(d for _, _, d in kept.values())
    assert (f"files: {len(expected)}   conversations: {conversations}   parse failures: {failures}   "
            f"duplicates (counted once): {duplicates}   records in: {conversations + failures + duplicates}") in out
