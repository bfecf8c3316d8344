"""Memory and time stay bounded whatever the input (SPEC section 8): decompression bombs, records
of millions of tiny values or messages, values nested too deeply, files of garbage lines and runs
with a great many failures. Each is refused, capped or streamed with one clear failure, and the
run goes on with the rest (inputs = conversations + failures + duplicates)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa import inputs, normalize
from chatqa.cli import main
from chatqa.read import source as sources


def conv(i: int, **extra: object) -> dict:
    return {"id": f"c-{i}", **extra, "messages": [
        {"role": "customer", "author": "Ann", "time": 1772359200 + i, "text": f"Hi, my order {i} is late"},
        {"role": "agent", "author": "Sam", "time": 1772359230 + i, "text": f"Hi Ann, I'm Sam. Let me check {i}."},
    ]}


def line(value: object) -> bytes:
    return json.dumps(value).encode() + b"\n"


def check(*args: str) -> tuple[int, list[str], dict]:
    """Exit code, stderr lines and the JSON output's summary of `chatqa check ARGS --format json`."""
    result = CliRunner().invoke(main, ["check", *args, "--format", "json"], catch_exceptions=False)
    summary = json.loads(result.stdout)["summary"]
    assert summary["records_in"] == summary["conversations"] + summary["failure_count"] + summary["duplicates"]
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stderr.splitlines(), summary


def ids(path: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(main, ["check", str(path), "--format", "jsonl", *args], catch_exceptions=False)
    return [json.loads(row)["id"] for row in result.stdout.splitlines()]


# --- decompression bombs ---------------------------------------------------------------------

def test_a_gzip_whitespace_bomb_is_refused_after_what_came_before_it(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(line(conv(1)) + b"\n" * (8 << 20) + b" " * (8 << 20) + line(conv(2))))
    assert bomb.stat().st_size < 64 * 1024
    code, stderr, summary = check(str(bomb))
    assert code == 3 and summary["conversations"] == 1
    assert len(stderr) == 1 and "decompression bomb" in stderr[0] and stderr[0].startswith(f"{bomb}: error: ")


@pytest.mark.parametrize("shape", ["jsonl", "json", "csv"])
def test_a_real_gzip_export_of_many_megabytes_is_not_a_bomb(tmp_path, shape):
    rng = random.Random(5)
    words = ["order", "refund", "late", "parcel", "thanks", "please", "account", "card", "help", "today"]
    convs = [conv(i) for i in range(6000)]
    for c in convs:
        for m in c["messages"]:
            m["text"] += " " + " ".join(rng.choice(words) + str(rng.randrange(10**6)) for _ in range(30))
    if shape == "jsonl":
        data = b"".join(line(c) for c in convs)
    elif shape == "json":
        data = json.dumps(convs).encode()
    else:
        rows = io.StringIO()
        csv.writer(rows).writerows([["conversation_id", "role", "time", "text"]] + [
            [c["id"], m["role"], m["time"], m["text"]] for c in convs for m in c["messages"]])
        data = rows.getvalue().encode()
    assert len(data) > 2 * sources.GZIP_RATIO_ABOVE
    path = tmp_path / f"big.{shape}.gz"
    path.write_bytes(gzip.compress(data))
    code, stderr, summary = check(str(path), "--select", "CQ101")  # (reading is what this is about)
    assert (code, stderr, summary["conversations"]) == (0, [], 6000)


# --- records too big to decode ---------------------------------------------------------------

def test_a_jsonl_line_of_too_many_values_is_refused_before_decoding(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_VALUES", 5_000)
    many = {"id": "many", "messages": [{"role": "customer", "text": "a"}] * 3_000}
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(conv(1)) + line(many) + line(conv(2)))
    code, stderr, summary = check(str(path))
    assert code == 3 and summary["conversations"] == 2
    assert stderr == [f"{path}: error: record holds more than 5,000 JSON values (at line 2)"]


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_an_array_element_of_too_many_values_is_refused_and_the_next_ones_read(tmp_path, monkeypatch, streamed):
    monkeypatch.setattr(sources, "MAX_VALUES", 5_000)
    if streamed:
        monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 1024)
        monkeypatch.setattr(sources, "CHUNK", 4096)
    many = {"id": "many", "messages": [{"role": "customer", "text": "a", "tags": [1, [2]]}] * 3_000}
    path = tmp_path / "a.json"
    path.write_text(json.dumps([conv(1), many, conv(2)]))
    assert sources.InputFile(path).streams is streamed
    code, stderr, summary = check(str(path))
    assert code == 3
    if streamed:  # element by element: the others are kept
        assert summary["conversations"] == 2 and len(stderr) == 1
        assert "record holds more than 5,000 JSON values (at [1]" in stderr[0]
    else:  # read whole: the document is refused as one
        assert summary["conversations"] == 0 and len(stderr) == 1
        assert "JSON document holds more than 20,000 JSON values" in stderr[0]


def test_a_conversation_of_too_many_messages_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(normalize, "MAX_MESSAGES", 50)
    long = {"id": "long", "messages": [{"role": "customer", "text": f"line {i}", "time": 1772359200 + i}
                                       for i in range(51)]}
    just = {"id": "just", "messages": long["messages"][:50]}
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(long) + line(just))
    code, stderr, summary = check(str(path))
    assert code == 3 and summary["conversations"] == 1
    assert stderr == [f"{path}: error: conversation has 51 messages, more than the 50 chatqa reads (at line 1)"]


# --- values nested too deeply -----------------------------------------------------------------

def nested(depth: int) -> object:
    value: object = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_deeply_nested_array_element_is_skipped_and_the_later_ones_read(tmp_path, monkeypatch, streamed):
    if streamed:
        monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 1024)
        monkeypatch.setattr(sources, "CHUNK", 512)
    deep = '{"id": "deep", "metadata": ' + "[" * 5000 + '"a \\" ] } [ string"' + "]" * 5000 + ', "messages": []}'
    path = tmp_path / "a.json"
    path.write_text("[" + json.dumps(conv(1)) + ", " + deep + ", " + json.dumps(conv(2)) + ",\n"
                    + json.dumps(conv(3)) + "]")
    assert ids(path) == ["c-1", "c-2", "c-3"]
    code, stderr, _ = check(str(path))
    assert code == 3 and len(stderr) == 1 and "(at [1]" in stderr[0] and "deep" in stderr[0]


FORMATS = ["jsonl", "json", "csv", "parquet", "html", "table"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_deep_metadata_is_one_failure_in_every_output_format(tmp_path, fmt):
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(conv(1, metadata={"x": nested(300)})) + line(conv(2, metadata={"x": nested(60)})))
    result = CliRunner().invoke(main, ["check", str(path), "--format", fmt, "-o", str(tmp_path / f"out.{fmt}")],
                                catch_exceptions=False)
    assert result.exit_code == 3, result.output
    assert result.stderr.splitlines() == [
        f"{path}: error: conversation data nested more than 64 levels deep (at line 1)"]
    assert (tmp_path / f"out.{fmt}").stat().st_size > 0


def test_export_writes_metadata_up_to_the_depth_limit(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(conv(1, metadata={"x": nested(500)})) + line(conv(2, metadata={"x": nested(63)})))
    result = CliRunner().invoke(main, ["export", str(path)], catch_exceptions=False)
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    [row] = [json.loads(r) for r in result.stdout.splitlines()]
    assert row["id"] == "c-2" and json.dumps(row["metadata"]) == json.dumps({"x": nested(63)})


# --- many failures -------------------------------------------------------------------------------

def test_a_file_of_garbage_lines_is_given_up_with_one_failure_saying_so(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "GIVE_UP_AFTER", 40)
    path = tmp_path / "a.jsonl.gz"
    path.write_bytes(gzip.compress(line(conv(1)) + b"x\n" * 100_000))
    code, stderr, summary = check(str(path))
    assert code == 3 and summary["conversations"] == 1 and summary["failure_count"] == 41
    assert stderr[-1] == (f"{path}: error: 40 records of this file could not be read, more than it has "
                          "conversations: the rest of the file is not read (at line 41)")


def test_a_file_with_more_good_records_than_bad_is_read_to_the_end(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "GIVE_UP_AFTER", 40)
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"".join(line(conv(i)) + (b"x\n" if i % 2 else b"") for i in range(200)))
    code, _, summary = check(str(path))
    assert code == 3 and summary["conversations"] == 200 and summary["failure_count"] == 100


def test_failures_are_streamed_to_stderr_and_errors_but_the_run_keeps_only_the_first(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_LISTED_FAILURES", 5)
    path, errors = tmp_path / "a.jsonl", tmp_path / "errors.jsonl"
    path.write_bytes(line(conv(1)) + b"".join(b'{"id": "b%d", "messages": "no"}\n' % i for i in range(30))
                     + line(conv(2)))
    code, stderr, summary = check(str(path), "--errors", str(errors))
    assert code == 3 and summary["conversations"] == 2
    assert summary["failure_count"] == 30 and len(summary["failures"]) == 5
    assert len(stderr) == 30
    written = [json.loads(r) for r in errors.read_text().splitlines()]
    assert [w["locator"] for w in written] == [f"line {i}" for i in range(2, 32)]


def test_sample_lists_the_failures_it_kept_and_counts_the_others(tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_LISTED_FAILURES", 5)
    path = tmp_path / "a.jsonl"
    path.write_bytes(line(conv(1)) + b"x\n" * 12 + line(conv(2)))
    result = CliRunner().invoke(main, ["sample", str(path), "-n", "1", "-o", str(tmp_path / "q.csv")],
                                catch_exceptions=False)
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert sum(": error: " in x for x in lines) == 5
    assert "chatqa: 7 more parse failures are counted but not listed" in lines


# --- big CSV exports ---------------------------------------------------------------------------

def _csv_export(path: Path, conversations: int, repeat_every: int = 0) -> None:
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["conversation_id", "role", "time", "text"])
    rng = random.Random(3)
    order = [(c, m) for c in range(conversations) for m in range(4)]
    rng.shuffle(order)  # an export sorted by time, not by conversation
    for n, (c, m) in enumerate(sorted(order, key=lambda cm: cm[1])):
        row = [f"t-{c}", "customer" if m % 2 == 0 else "agent", 1772359200 + 60 * m + c, f"message {m} of {c}"]
        writer.writerow(row)
        if repeat_every and n % repeat_every == 0:
            writer.writerow(row)  # the same row twice: a duplicate
    path.write_text(rows.getvalue())


@pytest.mark.parametrize("vendor", ["csv", "salesforce"])
def test_a_csv_bigger_than_memory_allows_is_grouped_through_bucket_files(tmp_path, monkeypatch, vendor):
    from chatqa.read import groups

    path = tmp_path / "big.csv"
    if vendor == "csv":
        _csv_export(path, 300, repeat_every=37)
    else:
        rows = ["Id,ChatKey,Body"] + [
            f"570x{i},k{i},\"<p>Chat Started</p><p>( 1s ) Ann: my order {i} is late</p><p>( 30s ) Sam: I'm Sam</p>\""
            for i in range(300)]
        path.write_text("\n".join(rows + rows[1:40:7]) + "\n")  # a few rows repeated
    whole = ids(path, "--vendor", vendor)
    _, _, whole_summary = check(str(path), "--vendor", vendor)
    monkeypatch.setattr(groups, "SPILL_ABOVE", 50)
    spilled = ids(path, "--vendor", vendor)
    _, _, spilled_summary = check(str(path), "--vendor", vendor)
    assert len(whole) == 300 and sorted(spilled) == sorted(whole)
    assert spilled == ids(path, "--vendor", vendor)  # the same order every run
    assert spilled_summary == whole_summary and whole_summary["duplicates"] > 0
    assert not list(Path(tempfile.gettempdir()).glob("chatqa-rows-*"))  # bucket files removed


def test_the_same_results_whether_a_csv_spills_or_not(tmp_path, monkeypatch):
    from chatqa.read import groups

    path = tmp_path / "a.csv"
    _csv_export(path, 120)
    first = {json.loads(r)["id"]: json.loads(r) for r in CliRunner().invoke(
        main, ["check", str(path), "--format", "jsonl"]).stdout.splitlines()}
    monkeypatch.setattr(groups, "SPILL_ABOVE", 30)
    second = {json.loads(r)["id"]: json.loads(r) for r in CliRunner().invoke(
        main, ["check", str(path), "--format", "jsonl"]).stdout.splitlines()}
    assert first == second and len(first) == 120
