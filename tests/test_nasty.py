"""A committed corpus of nasty export files (tests/nasty/) with the exact stderr lines and exit
code `chatqa check FILE` gives for each. CHATQA_UPDATE_NASTY=1 rewrites expected.yaml (review
the diff); tests/nasty/make_nasty.py regenerates the files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from chatqa.cli import main

NASTY = Path(__file__).parent / "nasty"
EXPECTED_FILE = NASTY / "expected.yaml"
FILES = sorted(p.name for p in NASTY.iterdir() if p.is_file() and p.suffix not in (".py", ".yaml"))
EXPECTED = yaml.safe_load(EXPECTED_FILE.read_text(encoding="utf-8")) if EXPECTED_FILE.exists() else {}


def _check(name: str) -> dict:
    result = CliRunner().invoke(main, ["check", name, "--format", "jsonl"], catch_exceptions=False)
    return {"exit": result.exit_code, "stderr": result.stderr.splitlines(),
            "conversations": len(result.stdout.splitlines())}


@pytest.fixture(scope="module", autouse=True)
def _update():
    yield
    if os.environ.get("CHATQA_UPDATE_NASTY"):
        cwd = os.getcwd()
        os.chdir(NASTY)
        try:
            got = {name: _check(name) for name in FILES}
        finally:
            os.chdir(cwd)
        EXPECTED_FILE.write_text(yaml.safe_dump(got, sort_keys=True, allow_unicode=True, width=200), encoding="utf-8")


def test_every_nasty_file_has_an_expectation():
    assert sorted(EXPECTED) == FILES


@pytest.mark.parametrize("name", FILES)
def test_nasty_file(name, monkeypatch):
    monkeypatch.chdir(NASTY)
    got = _check(name)
    if os.environ.get("CHATQA_UPDATE_NASTY"):
        pytest.skip("updating expected.yaml")
    assert got == EXPECTED[name]
    assert "Traceback" not in "\n".join(got["stderr"])
    assert all(line.startswith(f"{name}: error: ") for line in got["stderr"])
    assert got["exit"] == (3 if got["stderr"] else 0)


def test_the_whole_nasty_folder_in_one_run(tmp_path):
    """Every file is read, every record accounted for, and the good ones come out."""
    result = CliRunner().invoke(main, ["check", str(NASTY), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 3
    summary = json.loads(result.stdout)["summary"]
    assert summary["files"] == len(FILES)
    assert sorted(Path(p).name for p in summary["skipped"]) == ["expected.yaml", "make_nasty.py"]
    assert summary["records_in"] == summary["conversations"] + len(summary["failures"]) + summary["duplicates"]
    # the files repeat conversations: one run counts each once (a copy: a duplicate; the same id
    # with other content: a failure)
    conflicts = sum("already read with different content" in f["reason"] for f in summary["failures"])
    assert summary["duplicates"] > 0
    assert summary["conversations"] + summary["duplicates"] + conflicts == sum(
        e["conversations"] for e in EXPECTED.values())
    assert len(summary["failures"]) == sum(len(e["stderr"]) for e in EXPECTED.values()) + conflicts
    assert len(result.stderr.splitlines()) == len(summary["failures"])
