"""--jobs N: the same results, in the same order, with the same failures, as one process."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

import chatqa.inputs as inputs
from chatqa.cli import main
from chatqa.config import Config
from chatqa.executors import Processes, job_count
from chatqa.parsers import ParseOptions
from chatqa.read import InputFile, json_records, split_lines
from chatqa.run import Run, engine_for

ROOT = Path(__file__).resolve().parent.parent


def conversation(i: int, rng: random.Random, agents: list[str]) -> dict:
    agent = rng.choice(agents)
    start = 1_773_000_000 + rng.randint(0, 4 * 3600)
    messages = []
    t = start
    for k in range(rng.randint(3, 9)):
        t += rng.randint(5, 200)
        if k % 2 == 0:
            text = rng.choice(["hi, my order is late", "I'm in a hurry, no time!", "thanks", "hello?"])
            messages.append({"role": "customer", "author": "Ann", "time": t, "text": text})
        else:
            text = rng.choice(["Hi Ann, I'm Sam. Let me check.", "Please hold on a moment.",
                               "Is there anything else I can help you with today?", "Sorry about that.",
                               "I'm helping other customers, bear with me", "It ships today."])
            messages.append({"role": "agent", "author": "Sam", "author_id": agent, "time": t, "text": text})
    return {"id": f"c{i}", "messages": messages}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Samples of every format, a JSON Lines file with bad lines in the middle, and junk."""
    root = tmp_path / "in"
    shutil.copytree(SAMPLES, root / "samples")
    rng = random.Random(5)
    agents = [f"agent{k}@x.example" for k in range(4)]  # few agents: concurrency across parts
    lines = [json.dumps(conversation(i, rng, agents)) for i in range(300)]
    lines[40] = '{"id": "broken", "messages": ['
    lines[170] = '["not", "a", "conversation"]'
    (root / "big.jsonl").write_text("\n".join(lines) + "\n")
    (root / "zz-notes.txt").write_bytes(b"\x00\x01 binary")
    return root


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["json", "csv", "table"])  # table: transcripts travel back
def test_two_jobs_give_the_one_job_output(folder, monkeypatch, fmt):
    monkeypatch.setattr(inputs, "PART_BYTES", 3_000)  # cut big.jsonl into many parts
    one = run("check", folder, "--format", fmt, "--jobs", "1")
    two = run("check", folder, "--format", fmt, "--jobs", "2")
    assert one[0] == two[0] == 3  # parse failures were reported
    assert one[1] == two[1]
    assert one[2] == two[2]  # the same failure lines, in the same order
    if fmt == "json":
        out = json.loads(one[1])
        summary = out["summary"]
        assert summary["records_in"] == summary["conversations"] + len(summary["failures"])
        codes = {f["code"] for c in out["conversations"] for f in c["findings"]}
        assert {"CQ301", "CQ501"} <= codes  # the run-level rules fired across parts


def test_parts_are_read_exactly_once(folder):
    path = folder / "big.jsonl"
    parts = split_lines(path, 2_000)
    assert len(parts) > 10
    seen = [loc for part in parts for loc, _ in _records(path, part)]
    assert seen == [loc for loc, _ in _records(path, None)]


def _records(path: Path, part) -> list:
    return [(item[0], None) if isinstance(item, tuple) else (item.locator, None)
            for item in json_records(InputFile(path, part))]


def test_a_run_in_processes_accounts_for_every_record(folder, monkeypatch):
    monkeypatch.setattr(inputs, "PART_BYTES", 3_000)
    config = Config()
    with Processes(2, config, ParseOptions(), keep=False) as executor:
        run = Run([folder], engine_for(config), executor)
        results = list(run)
    summary = run.summary
    assert summary.conversations == len(results) > 300
    assert summary.records_in == summary.conversations + len(summary.failures)
    assert [f.locator for f in summary.failures if f.source.endswith("big.jsonl")] == ["line 41", "line 171"]


@pytest.mark.parametrize(("value", "ok"), [("auto", True), ("3", True), ("0", False), ("many", False)])
def test_jobs_option(value, ok, folder):
    if ok:
        assert job_count(value) >= 1
    else:
        code, _, err = run("check", folder / "samples", "--jobs", value)
        assert code == 2 and "--jobs" in err


def test_jobs_from_a_real_process(tmp_path):
    """A run from the command line, with worker processes started the usual way."""
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "chatqa", "check", str(SAMPLES), "--jobs", "2", "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    code, one, _ = run("check", SAMPLES, "--format", "jsonl")  # the one-job output (in this process)
    assert code == 0 and out.read_text() == one
