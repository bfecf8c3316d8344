"""ZIP archives (SPEC section 3): each member read like a file in a folder, gzip members too,
documentation skipped and counted, members named ``archive.zip!member`` in sources and failures,
every unreadable member (corrupt, encrypted, a decompression bomb) one failure, the rest read;
the same results with --jobs."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

import chatqa
import chatqa.read.archive as archive
from chatqa.cli import main
from chatqa.errors import Failure
from chatqa.inputs import Loader


def conv(i: int, text: str = "It ships today.") -> dict:
    return {"id": f"z-{i}", "messages": [
        {"role": "customer", "author": "Ann", "time": 1_773_000_000 + i, "text": "Where is my order?"},
        {"role": "agent", "author": "Sam", "author_id": "sam@acme.example", "time": 1_773_000_030 + i, "text": text}]}


def lines(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def make_zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def check(*args: object) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_members_are_read_like_files_in_a_folder(tmp_path):
    path = make_zip(tmp_path / "export.zip", {
        "b/chats.jsonl": lines(conv(2), conv(3)),
        "a.json": json.dumps([conv(1)]).encode(),
        "b/c/deep.jsonl.gz": gzip.compress(lines(conv(4))),
        "README.md": b"# what this is",
        "LICENSE": b"CC-BY",
        "b/": b"",
        ".hidden.jsonl": lines(conv(9)),
        "__MACOSX/b/._chats.jsonl": b"\x00\x05\x16\x07",
    })
    code, doc, err = check(path)
    assert code == 0 and err == ""
    assert [(c["id"], c["source"]) for c in doc["conversations"]] == [  # the order of a folder walk
        ("z-1", f"{path}!a.json#0"), ("z-4", f"{path}!b/c/deep.jsonl.gz#L1"), ("z-2", f"{path}!b/chats.jsonl#L1"),
        ("z-3", f"{path}!b/chats.jsonl#L2")]
    summary = doc["summary"]
    assert summary["files"] == 3 and summary["records_in"] == 4
    assert summary["skipped"] == [f"{path}!LICENSE", f"{path}!README.md"]


def test_a_member_gives_what_the_same_file_gives(tmp_path):
    """Every sample, zipped, reads as the sample does (sources aside)."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not zipfile.is_zipfile(p))
    path = make_zip(tmp_path / "samples.zip", {f"exports/{p.name}": p.read_bytes() for p in samples})
    zipped = [t.model_dump(exclude={"source"}) for t in chatqa.load(path)]
    plain = [t.model_dump(exclude={"source"}) for t in chatqa.load(samples)]
    assert zipped == plain and len(plain) > 40


def test_unreadable_members_are_one_failure_each_and_the_rest_is_read(tmp_path):
    good = lines(conv(1), conv(2))
    path = make_zip(tmp_path / "mixed.zip", {
        "1-good.jsonl": good, "2-broken.json": b'{"id": "x", "messages": [', "3-empty.json": b"",
        "4-binary.dat": bytes(range(256)), "5-inner.zip": (tmp_path / "inner").write_bytes(b"") or b"PK\x03\x04\x00",
        "6-good.jsonl": lines(conv(3)),
    })
    code, doc, err = check(path)
    assert code == 3
    assert [c["id"] for c in doc["conversations"]] == ["z-1", "z-2", "z-3"]
    failures = {Path(f["source"]).name: f["reason"] for f in doc["summary"]["failures"]}
    assert set(failures) == {"mixed.zip!2-broken.json", "mixed.zip!3-empty.json", "mixed.zip!4-binary.dat",
                             "mixed.zip!5-inner.zip"}
    assert "inside a ZIP archive" in failures["mixed.zip!5-inner.zip"]
    assert doc["summary"]["records_in"] == 3 + 4 and doc["summary"]["files"] == 6
    assert all(line.startswith(f"{path}!") and ": error: " in line for line in err.splitlines())


def test_a_corrupt_archive_is_one_failure(tmp_path):
    whole = make_zip(tmp_path / "a.zip", {"a.jsonl": lines(conv(1))}).read_bytes()
    (tmp_path / "cut.zip").write_bytes(whole[: len(whole) // 2])  # the directory at the end is gone
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    (tmp_path / "ok.jsonl").write_bytes(lines(conv(7)))
    code, doc, err = check(tmp_path)
    assert code == 3 and [c["id"] for c in doc["conversations"]] == ["z-1", "z-7"]
    reasons = {Path(f["source"]).name: f["reason"] for f in doc["summary"]["failures"]}
    assert set(reasons) == {"cut.zip", "junk.zip"}
    assert all(r.startswith("corrupt ZIP archive") for r in reasons.values())
    assert "Traceback" not in err and len(err.splitlines()) == 2


def test_damaged_member_data_is_reported_where_it_breaks(tmp_path):
    data = lines(*[conv(i, text=f"reply number {i} " * 20) for i in range(200)])
    raw = bytearray(make_zip(tmp_path / "a.zip", {"big.jsonl": data, "z.jsonl": lines(conv(999))}).read_bytes())
    start = raw.index(b"big.jsonl") + len(b"big.jsonl")
    for k in range(start + 2000, start + 2040):  # inside the deflated data
        raw[k] ^= 0x55
    (tmp_path / "a.zip").write_bytes(bytes(raw))
    loader = Loader(tmp_path / "a.zip", errors="collect")
    got = list(loader)
    assert got and got[-1].id == "z-999"  # the next member is read
    assert loader.failures and {f.source for f in loader.failures} == {f"{tmp_path / 'a.zip'}!big.jsonl"}
    assert all(f.locator for f in loader.failures)  # a garbled line, or the place the data broke
    assert loader.records_in == len(got) + len(loader.failures) + loader.duplicates


def test_a_crc_error_is_a_failure(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"a.jsonl": lines(conv(1), conv(2))}, method=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    at = raw.index(b"Where is my order") + 2
    raw[at] = ord("X")  # stored data changed: only the CRC tells
    path.write_bytes(bytes(raw))
    loader = Loader(path, errors="collect")
    list(loader)
    assert len(loader.failures) == 1 and "CRC" in loader.failures[0].reason


def _encrypt_flag(path: Path) -> None:
    """Mark every member encrypted (local headers and central directory), as a password tool would."""
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset] |= 0x01
            at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))


def test_an_encrypted_member_is_a_failure(tmp_path):
    secret = make_zip(tmp_path / "secret.zip", {"a.jsonl": lines(conv(1))})
    _encrypt_flag(secret)
    make_zip(tmp_path / "open.zip", {"b.jsonl": lines(conv(2))})
    code, doc, _ = check(tmp_path)
    assert code == 3 and [c["id"] for c in doc["conversations"]] == ["z-2"]
    (failure,) = doc["summary"]["failures"]
    assert failure["source"].endswith("secret.zip!a.jsonl") and "encrypted" in failure["reason"]


def test_decompression_bombs_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "RATIO_ABOVE", 100_000)
    bomb = b"\n" * 5_000_000  # 5 MB of nothing deflates about a thousand times
    path = make_zip(tmp_path / "bomb.zip", {"a.jsonl": lines(conv(1)), "bomb.jsonl": bomb})
    code, doc, _ = check(path)
    assert code == 3 and [c["id"] for c in doc["conversations"]] == ["z-1"]
    (failure,) = doc["summary"]["failures"]
    assert failure["source"].endswith("bomb.zip!bomb.jsonl")
    assert failure["reason"].startswith("ZIP member refused: it would decompress to 5,000,000 bytes")
    monkeypatch.setattr(archive, "MAX_MEMBER", 100)
    code, doc, _ = check(path)
    assert len(doc["summary"]["failures"]) == 2 and doc["conversations"] == []


def test_a_member_is_streamed_not_extracted(tmp_path, monkeypatch):
    import chatqa.read.source as sources

    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)  # as if every member were huge
    monkeypatch.setattr(sources, "CHUNK", 100)
    doc = {"conversations": [conv(i) for i in range(20)], "pages": {"next": None}}
    path = make_zip(tmp_path / "a.zip", {"api.json": json.dumps(doc, indent=1).encode(), "arr.json.gz":
                                         gzip.compress(json.dumps([conv(99)]).encode())})
    assert sources.InputFile(path, member=next(m for m in archive.members(path)
                                                 if isinstance(m, archive.Member))).streams
    got = list(chatqa.load(path))
    assert [t.id for t in got] == [f"z-{i}" for i in range(20)] + ["z-99"]
    assert got[3].source == f"{path}!api.json#conversations[3]"


def test_jobs_read_members_in_workers_with_the_same_output(tmp_path):
    members = {f"part{k}/chats.jsonl": lines(*[conv(100 * k + i) for i in range(30)]) for k in range(6)}
    members["part3/broken.jsonl"] = lines(conv(700)) + b'not json\n{"id": 1, "messages": 5}\n'
    members["README.md"] = b"notes"
    make_zip(tmp_path / "a.zip", members)
    make_zip(tmp_path / "b.zip", {"dup.jsonl": lines(conv(1), conv(999))})
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json", "--jobs", jobs],
                                    catch_exceptions=False)
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    summary = json.loads(outputs[0][1])["summary"]
    assert (summary["files"], summary["conversations"], summary["duplicates"], len(summary["failures"])) == (8, 182, 1, 2)
    assert summary["skipped"] == [f"{tmp_path / 'a.zip'}!README.md"]


def test_dask_reads_members_like_a_local_run(tmp_path):
    pytest.importorskip("dask.dataframe")
    import pandas as pd

    import chatqa.dask as cqd

    make_zip(tmp_path / "a.zip", {f"p{k}.jsonl": lines(*[conv(10 * k + i) for i in range(10)]) for k in range(4)})
    local = chatqa.analyze(tmp_path)
    run = cqd.run(tmp_path, partitions=3)
    got = run.conversations.compute(scheduler="sync")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), local.conversations.reset_index(drop=True))
    assert len(got) == 40


def test_a_zip_named_otherwise_is_still_an_archive(tmp_path):
    path = make_zip(tmp_path / "export.json", {"notes 4111 1111 1111 1111 call.jsonl": lines(conv(1)) + b"{broken\n"})
    code, doc, err = check(path)
    assert code == 3 and [c["id"] for c in doc["conversations"]] == ["z-1"]
    assert err.startswith(f"{path}!notes **** **** **** 1111 call.jsonl: error: ")  # a card number in a name is masked
    assert "4111 1111 1111 1111" not in json.dumps(doc)


def test_an_empty_archive_has_no_records(tmp_path):
    path = make_zip(tmp_path / "empty.zip", {})
    code, doc, _ = check(path)
    assert code == 0 and doc["summary"]["records_in"] == 0 and doc["summary"]["files"] == 0


def test_parse_file_reads_an_archive_member_by_member(tmp_path):
    from chatqa.parsers import parse_file

    path = make_zip(tmp_path / "a.zip", {"a.jsonl": lines(conv(1)), "b.json": b"[", "NOTICE.txt": b"x"})
    items = list(parse_file(path))
    assert [type(i).__name__ for i in items] == ["Conversation", "Failure"]
    assert isinstance(items[1], Failure) and items[1].source == f"{path}!b.json"


def test_member_streams_work_as_binary_files(tmp_path):
    path = make_zip(tmp_path / "a.zip", {"x.txt": b"one\ntwo\n"})
    member = next(m for m in archive.members(path) if isinstance(m, archive.Member))
    with archive.open_member(path, member) as stream:
        assert stream.readline() == b"one\n"
        stream.seek(0)
        assert io.TextIOWrapper(stream, encoding="utf-8").read() == "one\ntwo\n"
