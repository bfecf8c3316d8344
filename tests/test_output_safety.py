"""What chatqa prints or writes for people to open (SPEC section 8): no control sequences or rich
markup from the data reach a terminal, and no CSV cell can start a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa.cli import main

HOSTILE = {
    "markup": "Sam [/bold] [link=https://evil.example]x[/link] :smile:",
    "osc": "Ann\x1b]0;owned\x07 \x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "csi": "Bob\x1b[2J\x1b[1;1H",
    "c1": "Eve\x9b2J\x9d0;title\x9c",
    "bidi": "Kim\u202eevil\u202c\u2066x\u2069",
}
UNSAFE_CHARS = {*map(chr, range(32)), *map(chr, range(127, 160)), "\u202e", "\u202c", "\u2066", "\u2069"} - {"\n"}


def conversation(cid: str, author: str, text: str) -> dict:
    return {"id": cid, "vendor": cid, "tags": [author], "messages": [
        {"role": "customer", "author": author, "time": "2026-03-01T10:00:00Z", "text": f"hi {text}"},
        {"role": "agent", "author": author, "author_id": author, "time": "2026-03-01T10:05:00Z",
         "text": f"Please hold {text}"},
    ]}


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(conversation(f"{k}-{v}", v, v)) + "\n" for k, v in HOSTILE.items()))
    return path


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("color", [False, True])
def test_the_terminal_report_shows_data_as_written_without_control_sequences(hostile, monkeypatch, color):
    if color:
        monkeypatch.setenv("FORCE_COLOR", "1")
    result = run("check", hostile, "--format", "table")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Sam [/bold] [link=https://evil.example]x[/link] :smile:" in out  # markup shown, not applied
    assert "\\x1b]0;owned" in out and "\\x9b2J" in out and "\\u202e" in out  # escaped where they were
    ours = {"\x1b"} if color else set()  # with colour the report's own styles are escape sequences
    assert not ({c for c in out if c in UNSAFE_CHARS} - ours)
    if color:
        assert "\x1b]" not in out and "\x9b" not in out and "\x07" not in out


def test_agree_and_rules_tables_never_read_markup(hostile, tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("conversation_id,code,present\n" + "".join(
        f"\"{k}-{v}\",CQ201,1\n".replace("\x1b", "") for k, v in HOSTILE.items() if k == "markup")
        + "[bold]nope[/bold],CQ201,1\n")
    result = run("agree", "--human", labels, hostile)
    assert result.exit_code == 0, result.stderr
    assert "[bold]nope[/bold]" in result.stdout


def test_csv_cells_cannot_start_a_formula(tmp_path):
    path = tmp_path / "f.jsonl"
    rows = ["=HYPERLINK(\"https://evil.example\",\"x\")", "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd|' /C calc'!A0",
            "-2+3", "\tTAB", "\rCR", "\uff1dfullwidth"]
    path.write_text("".join(json.dumps(conversation(r, r, "x")) + "\n" for r in rows))
    out = tmp_path / "out.csv"
    assert run("check", path, "-o", out).exit_code == 0
    table = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8"), newline="")))
    assert [row["id"] for row in table] == ["'" + r for r in rows]
    assert all(row["agent"].startswith("'") and row["vendor"].startswith("'") for row in table)
    assert all(row["tags"].startswith("'") for row in table)
    queue = tmp_path / "queue.csv"
    assert run("sample", path, "-n", "7", "--seed", "1", "-o", queue).exit_code == 0
    picked = list(csv.DictReader(io.StringIO(queue.read_bytes().decode("utf-8"), newline="")))
    assert sorted(row["conversation_id"] for row in picked) == sorted("'" + r for r in rows)
    for row in picked:
        assert not any(str(v).startswith(("=", "+", "-", "@", "\t", "\r")) for v in row.values()), row


def test_ordinary_cells_are_unchanged(tmp_path):
    path = tmp_path / "ok.jsonl"
    path.write_text(json.dumps(conversation("c-1", "Sam O'Neil", "x")) + "\n")
    out = tmp_path / "out.csv"
    assert run("check", path, "-o", out).exit_code == 0
    row = next(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8"), newline="")))
    assert row["id"] == "c-1" and row["agent"] == "Sam O'Neil" and float(row["score"]) <= 100
