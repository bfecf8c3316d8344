"""Ctrl-C while a big output is being written: exit 130, one clear line, no traceback, and neither
the target nor a temporary file left behind (outputs are written atomically)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _big_export(path: Path, conversations: int) -> None:
    with path.open("w") as out:
        for i in range(conversations):
            messages = []
            for j in range(12):
                role = "customer" if j % 2 == 0 else "agent"
                messages.append({"role": role, "author": "Ann" if role == "customer" else f"agent{i % 7}",
                                 "time": 1772359200 + i * 60 + j * 20,
                                 "text": f"Message {j} of conversation {i}: please hold on while I check order {i}."})
            out.write(json.dumps({"id": f"big-{i}", "messages": messages}) + "\n")


def _as_from_a_shell() -> None:
    """Ctrl-C reaches the run as it does from a shell: a signal mask or an ignored SIGINT that
    the test process picked up (in the whole suite the run once exited 0, never interrupted) is
    not inherited."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT])
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_ctrl_c_while_writing_leaves_nothing_behind(tmp_path, fmt):
    source = tmp_path / "big.jsonl"
    _big_export(source, 30_000)
    target = tmp_path / "out" / f"report.{fmt}"
    target.parent.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatqa", "check", str(source), "--format", fmt, "-o", str(target),
         "--select", "CQ2"],  # no run-level rules: one pass, writing starts at once
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_as_from_a_shell)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            temps = list(target.parent.glob(f".{target.name}.*.tmp"))
            if temps and temps[0].stat().st_size > 0:
                break
            assert proc.poll() is None, f"the run ended before it could be interrupted: {proc.communicate()}"
            time.sleep(0.02)
        else:
            pytest.fail("no temporary output appeared")
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == ["chatqa: interrupted; no output was written"]
    assert "Traceback" not in stderr
    assert stdout == ""
    assert list(target.parent.iterdir()) == []  # neither the target nor a temporary file


def test_interrupt_message_when_writing_to_stdout(tmp_path, monkeypatch):
    """On stdout part of the output may already be out: the message must not claim otherwise."""
    from click.testing import CliRunner

    from chatqa import cli

    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "c", "messages": [{"role": "customer", "text": "hi"}]}) + "\n")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    from chatqa.inputs import Accounting

    monkeypatch.setattr(Accounting, "summary", interrupted)  # Ctrl-C after the results were written
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path / "a.jsonl"), "--format", "jsonl"])
    assert result.exit_code == 130
    assert result.stderr.splitlines() == ["chatqa: interrupted; the output is incomplete"]


# ------------------------------------------------------------------ outputs never overwrite inputs

def _input_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(json.dumps({"id": "c-1", "messages": [
        {"role": "customer", "text": "hi"}, {"role": "agent", "text": "Hi, I'm Sam."}]}) + "\n")
    return folder


@pytest.mark.parametrize("command", [["check", "--format", "jsonl"], ["export"], ["sample", "-n", "1"]])
@pytest.mark.parametrize("how", ["same path", "inside the folder", "symlink", "hard link", "relative"])
@pytest.mark.parametrize("option", ["-o", "--errors"])
def test_outputs_never_overwrite_an_input(tmp_path, monkeypatch, command, how, option):
    from click.testing import CliRunner

    from chatqa.cli import main

    folder = _input_folder(tmp_path)
    source = folder / "a.jsonl"
    before = source.read_bytes()
    given = folder if how == "inside the folder" else source
    target: Path | str = source
    if how == "symlink":
        target = tmp_path / "link.jsonl"
        target.symlink_to(source)
    elif how == "hard link":
        target = tmp_path / "hard.jsonl"
        target.hardlink_to(source)
    elif how == "relative":
        monkeypatch.chdir(folder)
        target = "a.jsonl"
    result = CliRunner().invoke(main, [command[0], str(given), *command[1:], option, str(target)])
    assert result.exit_code == 2, result.output
    assert "refusing to overwrite an input file" in result.stderr
    assert source.read_bytes() == before
    assert [p.name for p in folder.iterdir()] == ["a.jsonl"]


def test_a_new_output_next_to_the_inputs_is_fine(tmp_path):
    from click.testing import CliRunner

    from chatqa.cli import main

    folder = _input_folder(tmp_path)
    result = CliRunner().invoke(main, ["check", str(folder / "a.jsonl"), "-o", str(folder / "report.jsonl")])
    assert result.exit_code == 0 and (folder / "report.jsonl").exists()
