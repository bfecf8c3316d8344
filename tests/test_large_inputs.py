"""Large and odd inputs: streaming in bounded memory, big JSON documents, symlink loops, special
and unreadable files inside folders (each reported on its own; the rest of the folder is read)."""

from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from pathlib import Path

import pytest
from fuzzing import time_limit

from conftest import parse_file

from chatqa.read import source as sources
from chatqa.errors import Failure
from chatqa.inputs import Loader



def conv(i: int) -> dict:
    return {"id": f"c-{i}", "messages": [
        {"role": "customer", "author": "Ann", "time": 1772359200 + i, "text": f"Hi, my order {i} is late " * 3},
        {"role": "agent", "author": "Sam", "time": 1772359230 + i, "text": f"Hi Ann, I'm Sam. Let me check {i}."},
    ]}


def _peak(paths: list[Path]) -> tuple[int, int]:
    """(conversations, peak traced bytes) while streaming `paths` through the Loader."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        loader = Loader(paths, errors="collect")
        n = sum(1 for _ in loader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not loader.failures
    return n, peak


def _write_jsonl(path: Path, n: int, compress: bool = False) -> Path:
    data = "".join(json.dumps(conv(i)) + "\n" for i in range(n)).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.mark.parametrize("compress", [False, True], ids=["jsonl", "jsonl.gz"])
def test_jsonl_streams_in_memory_that_does_not_grow_with_the_input(tmp_path, compress):
    small = _write_jsonl(tmp_path / f"small.jsonl{'.gz' if compress else ''}", 1000, compress)
    large = _write_jsonl(tmp_path / f"large.jsonl{'.gz' if compress else ''}", 4000, compress)
    _peak([small])  # warm up (imports, caches)
    n_small, peak_small = _peak([small])
    n_large, peak_large = _peak([large])
    assert (n_small, n_large) == (1000, 4000)
    assert peak_large < 1.5 * peak_small + 256 * 1024, (peak_small, peak_large)


def test_a_big_json_array_streams_element_by_element(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 64 * 1024)  # a big array and its reads, scaled down
    monkeypatch.setattr(sources, "CHUNK", 16 * 1024)
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(json.dumps([conv(i) for i in range(1000)], indent=1))
    large.write_text(json.dumps([conv(i) for i in range(4000)], indent=1))
    assert sources.InputFile(large).streams
    _peak([small])
    n_small, peak_small = _peak([small])
    n_large, peak_large = _peak([large])
    assert (n_small, n_large) == (1000, 4000)
    assert peak_large < 1.5 * peak_small + 256 * 1024, (peak_small, peak_large)


def test_a_streamed_array_gives_the_same_records_and_errors_as_a_small_one(tmp_path, monkeypatch):
    text = json.dumps([conv(0), conv(1), {"id": "bad", "messages": "no"}, conv(3), conv(4)], indent=1)
    text = text.replace('"c-1"', '"c-1", "x": NaN', 1)  # not JSON: this element alone fails
    path = tmp_path / "a.json"
    path.write_text(text[: text.rindex('"c-4"') + 30])  # truncated inside the last element

    def run() -> list[str]:
        return [str(i).split(": error: ")[1] if isinstance(i, Failure) else i.id for i in parse_file(path)]

    whole = run()
    assert whole[0] == "c-0" and whole[3] == "c-3"
    assert whole[1].startswith("invalid JSON: ") and whole[1].endswith("(at [1], line 19, column 2)")  # where the element starts
    assert whole[2].startswith("not a chatqa record") and whole[2].endswith("(at [2])")
    assert whole[4].startswith("truncated: the array's remaining records cannot be read (at [4], line ")
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 10)
    monkeypatch.setattr(sources, "CHUNK", 7)  # elements straddle many reads
    assert sources.InputFile(path).streams
    assert run() == whole


def test_a_50_mb_json_document_is_handled(tmp_path):
    """A single JSON export (an API response holding every conversation), not JSON Lines, read
    with the real stream threshold and read size. The 50 MB are in long messages (~7 KB a
    conversation, ~7,000 of them): the bytes and the read-buffer boundaries falling inside
    strings are what this is about, not a count of small records."""
    path = tmp_path / "export.json"
    n = 0
    with path.open("w") as out:
        out.write('{"conversations": [')
        size = 0
        while size < 50 * 1024 * 1024:
            record = conv(n)
            for m in record["messages"]:
                m["text"] += f" order {n} line" * 200
            item = json.dumps(record)
            out.write(("," if n else "") + item)
            size += len(item) + 1
            n += 1
        out.write("]}")
    assert path.stat().st_size > 50 * 1024 * 1024 > 3 * sources.STREAM_JSON_ABOVE
    assert sources.InputFile(path).streams
    loader = Loader(path, errors="collect")
    read = [(t.id, t.messages[0].text.count(f"order {t.id[2:]} line")) for t in loader]
    assert len(read) == n > 5_000 and loader.failures == []
    assert read[0] == ("c-0", 200) and read[-1] == (f"c-{n - 1}", 200)  # the messages whole, to the last


def test_a_json_document_over_the_limit_is_refused_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_JSON_DOCUMENT", 1024 * 1024)
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"conversations": [conv(i) for i in range(5000)]}))
    items = list(parse_file(path))
    assert len(items) == 1 and isinstance(items[0], Failure)
    assert items[0].reason.startswith("JSON document is larger than 1 MiB; chatqa streams big exports as JSON Lines")
    # a top-level array of the same size streams instead
    array = tmp_path / "array.json"
    array.write_text(json.dumps([conv(i) for i in range(5000)]))
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 1024 * 1024)
    assert sum(1 for i in parse_file(array) if not isinstance(i, Failure)) == 5000


def test_a_huge_jsonl_line_is_refused_and_the_next_lines_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_RECORD", 4096)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps(conv(1)) + "\n" + json.dumps({"id": "big", "x": "y" * 20_000}) + "\n"
                    + json.dumps(conv(3)) + "\n")
    items = list(parse_file(path))
    assert [i.id for i in items if not isinstance(i, Failure)] == ["c-1", "c-3"]
    assert [str(i).split(": error: ")[1] for i in items if isinstance(i, Failure)] == [
        "line is longer than 0 MiB (at line 2)"] or [i.locator for i in items if isinstance(i, Failure)] == ["line 2"]


# ------------------------------------------------------------------ odd files inside folders

def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "a-good.jsonl").write_text(json.dumps(conv(1)) + "\n")
    (folder / "z-good.jsonl").write_text(json.dumps(conv(2)) + "\n")
    return folder


def _run(paths: list[Path]) -> tuple[list[str], dict[str, str]]:
    with time_limit(30):
        loader = Loader(paths, errors="collect")
        ids = [t.id for t in loader]
    return ids, {Path(f.source).name: f.reason for f in loader.failures}


def test_symlink_loops_are_reported_per_file(tmp_path):
    folder = _folder(tmp_path)
    (folder / "loop-a.json").symlink_to(folder / "loop-b.json")
    (folder / "loop-b.json").symlink_to(folder / "loop-a.json")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)
    (folder / "dangling.json").symlink_to(tmp_path / "nowhere.json")
    ids, failures = _run([folder])
    assert ids == ["c-1", "c-2"]
    assert failures == {"loop-a.json": "symlink loop", "loop-b.json": "symlink loop",
                        "up": "symlink loop (folder already visited)",
                        "dangling.json": "broken symlink (its target does not exist)"}


def test_a_fifo_never_blocks_the_run(tmp_path):
    folder = _folder(tmp_path)
    os.mkfifo(folder / "m-pipe.jsonl")
    ids, failures = _run([folder])
    assert ids == ["c-1", "c-2"]
    assert failures == {"m-pipe.jsonl": "not a regular file (a named pipe (FIFO)); save the export to a file first"}
    ids, failures = _run([folder / "m-pipe.jsonl", folder / "a-good.jsonl"])  # named explicitly too
    assert ids == ["c-1"] and list(failures) == ["m-pipe.jsonl"]


def test_a_folder_named_like_a_file_is_walked(tmp_path):
    folder = _folder(tmp_path)
    (folder / "m-export.json").mkdir()
    (folder / "m-export.json" / "inner.jsonl").write_text(json.dumps(conv(3)) + "\n")
    ids, failures = _run([folder])
    assert ids == ["c-1", "c-3", "c-2"] and failures == {}


def test_a_file_that_cannot_be_opened_is_reported_and_the_rest_read(tmp_path, monkeypatch):
    """Unreadable files, simulated so that it works as root too (root reads a chmod 000 file)."""
    folder = _folder(tmp_path)
    locked = folder / "m-locked.jsonl"
    locked.write_text(json.dumps(conv(9)) + "\n")
    real_open = open

    def guarded(file, *args, **kwargs):
        if str(file) == str(locked):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(sources, "open", guarded, raising=False)
    ids, failures = _run([folder])
    assert ids == ["c-1", "c-2"]
    assert failures == {"m-locked.jsonl": "cannot read file: Permission denied"}


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_chmod_000_file_and_folder(tmp_path):
    folder = _folder(tmp_path)
    locked = folder / "m-locked.jsonl"
    locked.write_text(json.dumps(conv(9)) + "\n")
    locked.chmod(0)
    closed = folder / "m-closed"
    closed.mkdir()
    closed.chmod(0)
    try:
        ids, failures = _run([folder])
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)
    assert ids == ["c-1", "c-2"]
    assert failures["m-locked.jsonl"] == "cannot read file: Permission denied"
    assert failures["m-closed"].startswith("cannot read folder")


SAMPLE_JSON = sorted(p for p in Path(__file__).parent.parent.joinpath("sample_transcripts").glob("*.json"))


@pytest.mark.parametrize("sample", SAMPLE_JSON, ids=lambda p: p.name)
def test_streaming_gives_the_same_transcripts_for_every_json_sample(sample, monkeypatch):
    """Arrays and API responses ({"chats": [...]}) read element by element equal the whole read."""
    whole = [t.model_dump() for t in parse_file(sample)]
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)
    monkeypatch.setattr(sources, "CHUNK", 333)
    assert sources.InputFile(sample).streams
    assert [t.model_dump() for t in parse_file(sample)] == whole


def test_a_big_api_response_streams_and_keeps_going_after_a_bad_record(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"type": "list", "conversations": [conv(1), {"id": "x", "x": NAN}, conv(3)],
                                "pages": {"next": None}}).replace('"__NAN__"', "NaN"))
    items = list(parse_file(path))
    assert [i.id for i in items if not isinstance(i, Failure)] == ["c-1", "c-3"]
    assert [i.locator.split(",")[0] for i in items if isinstance(i, Failure)] == ["conversations[1]"]
    truncated = tmp_path / "cut.json"
    truncated.write_text(path.read_text()[:-60])
    items = list(parse_file(truncated))
    assert [i.id for i in items if not isinstance(i, Failure)] == ["c-1"]
    assert str(items[-1]).split(": error: ")[1].startswith("truncated: the array's remaining records cannot be read")


NAN = "__NAN__"
