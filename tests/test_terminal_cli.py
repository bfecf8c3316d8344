"""The command line as a QA lead meets it (issue 14): a table that fits the terminal, a progress
bar on a terminal only, outputs that say what went wrong, stdin, ruff-style selection and
exclusion, "did you mean", every config error at once, semicolon CSVs, chatqa's own outputs
skipped, both shapes of chatqa.toml and TOML printed by `chatqa explain`. Every test runs the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import chatqa

from chatqa.cli import main
from conftest import SAMPLES

CHATQA = [sys.executable, "-m", "chatqa"]


def invoke(*args: object, env: dict[str, str] | None = None, input: bytes | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, env=env, input=input)


def conversation(i: int, agent: str = "") -> dict[str, object]:
    agent = agent or f"agent{i}@example.com"  # (one agent per conversation: no concurrency across thousands)
    return {"id": f"conv-{i:05d}", "messages": [
        {"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": "Hi, my parcel is late"},
        {"role": "agent", "author": "Sam", "author_id": agent, "time": "2026-03-01T10:03:00Z",
         "text": "Please hold while I check."},
        {"role": "customer", "author": "Ann", "time": "2026-03-01T10:04:00Z", "text": "ok"},
        {"role": "agent", "author": "Sam", "author_id": agent, "time": "2026-03-01T10:05:00Z",
         "text": "It ships today."}]}


def write_jsonl(path: Path, n: int, **kwargs: str) -> Path:
    path.write_text("".join(json.dumps(conversation(i, **kwargs)) + "\n" for i in range(n)))
    return path


def table_lines(out: str) -> list[str]:
    """The body rows of the conversation table (between its header rule and its bottom)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return lines[start + 1:end]


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip("│").split("│")]


# 1. the table fits the terminal ------------------------------------------------------------

@pytest.mark.parametrize("width", [80, 120, 200])
def test_the_table_fits_the_width_and_never_splits_an_id_a_code_or_an_email(width):
    rows = [json.loads(line) for line in invoke("check", SAMPLES, "--format", "jsonl").stdout.splitlines()]
    result = invoke("check", SAMPLES, "--format", "table", "--top", "20", env={"COLUMNS": str(width)})
    out = result.stdout
    assert result.exit_code == 0
    body = table_lines(out)
    sources = {r["source"] for r in rows}  # (a source path is printed whole on its own line, never cut)
    assert max(len(line) for line in out.splitlines() if line not in sources) <= width
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert "conversation" in header and "score" in header and "findings" in header  # never broken mid-word
    ids = {r["id"] for r in rows}
    shown_ids = [cells(line)[0] for line in body if cells(line)[0]]
    assert len(shown_ids) == 20 and set(shown_ids) <= ids  # one line each, whole
    for line in body:  # findings wrap between codes only
        for token in cells(line)[-1].replace(",", " ").split():
            assert re.fullmatch(r"CQ\d{3}(×\d+)?|–", token), token
    agents = {a for r in rows for a in r["agents"]}
    for token in re.findall(r"\S*@\S*", "\n".join(body)):
        assert token in agents or token.endswith("…"), token  # an email is whole or visibly shortened
    if width >= 120:
        assert "agents" in header


def test_at_80_columns_findings_are_not_one_code_per_line():
    out = invoke("check", SAMPLES, "--format", "table", "--top", "10", env={"COLUMNS": "80"}).stdout
    findings = [cells(line)[-1] for line in table_lines(out)]
    assert max(len(f.split()) for f in findings) >= 3


def test_top_n_limits_the_table_not_the_summary():
    out = invoke("check", SAMPLES, "--format", "table", "--top", "3").stdout
    assert len([line for line in table_lines(out) if cells(line)[0]]) == 3
    assert "the 3 worst of 50 conversations" in out
    assert "conversations: 50" in out
    summary_only = invoke("check", SAMPLES, "--format", "table", "--top", "0").stdout
    assert "┃" not in summary_only and "conversations: 50" in summary_only
    assert invoke("check", SAMPLES, "--top", "-1").exit_code == 2


@pytest.mark.parametrize("width", [80, 120])
def test_rules_at_narrow_widths_shows_whole_codes_and_names(width):
    out = invoke("rules", env={"COLUMNS": str(width)}).stdout
    assert "CQ…" not in out and "…" not in out
    assert max(len(line) for line in out.splitlines()) <= width
    for code, name in [("CQ101", "slow-first-reply"), ("CQ202", "patience-after-urgency"),
                       ("CQ402", "sensitive-data-request"), ("CQ602", "unresolved-ending")]:
        assert re.search(rf"│ {code} +│ {name} +│", out)


# 2. a progress bar on a terminal only -------------------------------------------------------

def run_with_tty_stderr(args: list[str], cwd: Path) -> tuple[int, str, bytes]:
    """Run chatqa with stderr on a pseudo-terminal: (exit code, stderr as the terminal got it, stdout)."""
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(CHATQA + args, stdout=subprocess.PIPE, stderr=slave, cwd=cwd, env=env)
    os.close(slave)
    seen = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    out = proc.stdout.read() if proc.stdout else b""
    code = proc.wait()
    os.close(master)
    return code, seen.decode("utf-8", "replace"), out


def test_progress_bar_shows_bytes_percentage_and_conversations_on_a_terminal(tmp_path):
    data = write_jsonl(tmp_path / "big.jsonl", 2000)
    code, err, out = run_with_tty_stderr(["check", str(data), "-o", str(tmp_path / "out.jsonl")], tmp_path)
    assert code == 0
    assert "checking" in err and "%" in err and "/" in err and "B" in err  # bytes read of the size
    assert re.search(r"100%.*2,000 conversations", err), err[-400:]
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2000
    assert out == b""


def test_no_progress_on_a_pipe(tmp_path):
    data = write_jsonl(tmp_path / "big.jsonl", 300)
    result = subprocess.run(CHATQA + ["check", str(data), "-o", str(tmp_path / "out.jsonl")], capture_output=True,
                            cwd=tmp_path, env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0 and result.stderr == b""


# 3. outputs -------------------------------------------------------------------------------

def test_output_into_a_missing_folder_is_one_line_exit_2(tmp_path):
    result = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "-o", tmp_path / "nosuch" / "out.jsonl")
    assert result.exit_code == 2
    assert result.stderr == f"chatqa: error: -o {tmp_path}/nosuch/out.jsonl: no such folder {tmp_path}/nosuch\n"


def test_binary_format_to_a_terminal_is_refused(tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.run(CHATQA + ["check", str(SAMPLES / "chatqa_neutral.jsonl"), "--format", "parquet"],
                          stdout=slave, stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(slave)
    os.close(master)
    assert proc.returncode == 2
    assert proc.stderr.decode().strip() == ("chatqa: error: --format parquet writes binary data, which a terminal "
                                            "cannot show: give -o FILE.parquet (or pipe it)")


def test_unknown_output_suffix_is_a_usage_error(tmp_path):
    for name, what in [("out.foo", "no output format has the suffix '.foo'"), ("out", "the file name has no suffix")]:
        result = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "-o", tmp_path / name)
        assert result.exit_code == 2 and what in result.stderr and "--format" in result.stderr
        assert not (tmp_path / name).exists()
    assert invoke("check", SAMPLES / "chatqa_neutral.jsonl", "-o", tmp_path / "out.foo", "--format", "csv"
                  ).exit_code == 0
    assert (tmp_path / "out.foo").read_text().startswith("id,vendor,source")


def test_the_format_follows_the_output_suffix(tmp_path):
    source = SAMPLES / "chatqa_neutral.jsonl"
    starts = {".jsonl": b'{"id":', ".json": b'{"conversations": [', ".csv": b"id,vendor,source",
              ".parquet": b"PAR1", ".html": b"<!doctype html>"}
    for suffix, start in starts.items():
        target = tmp_path / f"out{suffix}"
        assert invoke("check", source, "-o", target).exit_code == 0
        assert target.read_bytes().lower().startswith(start.lower()), suffix


# 4. stdin, selection, exclusion, suggestions, config errors, delimiters ---------------------------

def test_dash_reads_standard_input():
    data = (SAMPLES / "twcs_threads.csv").read_bytes()
    result = invoke("check", "-", "--format", "jsonl", input=data)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and rows and all(r["source"].startswith("<stdin>#") for r in rows)
    assert {r["vendor"] for r in rows} == {"twcs"}
    neutral = (SAMPLES / "chatqa_neutral.jsonl").read_bytes()
    direct = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--format", "jsonl").stdout.splitlines()
    piped = invoke("check", "-", "--vendor", "chatqa", "--format", "jsonl", input=neutral).stdout.splitlines()
    assert [json.loads(x)["findings"] for x in piped] == [json.loads(x)["findings"] for x in direct]
    empty = invoke("check", "-", input=b"")
    assert empty.exit_code == 3 and empty.stderr.strip() == "<stdin>: error: empty file"


def codes(result) -> set[str]:
    return {f["code"] for line in result.stdout.splitlines() for f in json.loads(line)["findings"]}


def test_extend_select_and_extend_ignore_add_to_the_selection(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = SAMPLES / "chatqa_neutral.jsonl"
    everything = codes(invoke("check", source, "--format", "jsonl"))
    assert {"CQ101", "CQ201"} <= everything
    only = codes(invoke("check", source, "--format", "jsonl", "--select", "CQ1", "--extend-select", "CQ201"))
    assert "CQ201" in only and only - {"CQ201"} and all(c.startswith("CQ1") or c == "CQ201" for c in only)
    fewer = codes(invoke("check", source, "--format", "jsonl", "--extend-ignore", "CQ101,hold-request"))
    assert fewer == everything - {"CQ101", "CQ201"}
    (tmp_path / "chatqa.toml").write_text('select = ["CQ1"]\nextend-select = ["wording"]\nextend-ignore = ["CQ102"]\n')
    configured = codes(invoke("check", source, "--format", "jsonl"))
    assert "CQ102" not in configured and "CQ201" in configured and "CQ101" in configured
    assert all(c.startswith(("CQ1", "CQ2")) for c in configured)
    # a --select on the command line replaces the file's select and its extend-select (ruff's layering)
    replaced = codes(invoke("check", source, "--format", "jsonl", "--select", "CQ2"))
    assert replaced and all(c.startswith("CQ2") for c in replaced)
    more = codes(invoke("check", source, "--format", "jsonl", "--extend-ignore", "CQ201"))
    assert "CQ201" not in more and "CQ102" not in more


def test_exclude_in_config_and_on_the_command_line(tmp_path, monkeypatch):
    exports = tmp_path / "exports"
    (exports / "old").mkdir(parents=True)
    write_jsonl(exports / "a.jsonl", 2)
    (exports / "b.bak.jsonl").write_text(json.dumps({**conversation(7), "id": "bak"}) + "\n")
    (exports / "old" / "c.jsonl").write_text(json.dumps({**conversation(8), "id": "old"}) + "\n")
    monkeypatch.chdir(tmp_path)

    def ids(*args: object) -> list[str]:
        return [json.loads(x)["id"] for x in invoke("check", "exports", "--format", "jsonl", *args).stdout.splitlines()]

    assert ids() == ["conv-00000", "conv-00001", "bak", "old"]
    assert ids("--exclude", "*.bak.jsonl") == ["conv-00000", "conv-00001", "old"]
    assert ids("--exclude", "exports/old") == ["conv-00000", "conv-00001", "bak"]
    assert ids("--exclude", "old,*.bak.jsonl") == ["conv-00000", "conv-00001"]
    assert ids("--exclude", "other/old") == ["conv-00000", "conv-00001", "bak", "old"]  # anchored at the cwd
    (tmp_path / "chatqa.toml").write_text('exclude = ["exports/old/*"]\n')
    assert ids() == ["conv-00000", "conv-00001", "bak"]
    assert ids("--exclude", "*.bak.jsonl") == ["conv-00000", "conv-00001"]  # added to the config's
    # a file named on the command line is always read
    named = invoke("check", "exports/old/c.jsonl", "--format", "jsonl").stdout
    assert json.loads(named)["id"] == "old"


@pytest.mark.parametrize(("args", "message"), [
    (["check", "x", "--vendor", "livechta"], "unknown format 'livechta'; did you mean 'livechat'?"),
    (["check", "x", "--select", "hold-reqest"], "--select: unknown rule, prefix or group 'hold-reqest'; "
                                                "did you mean 'hold-request'?"),
    (["check", "x", "--extend-ignore", "wordin"], "did you mean 'wording'?"),
    (["explain", "slow-frist-reply"], "unknown rule 'slow-frist-reply'; did you mean 'slow-first-reply'?"),
])
def test_did_you_mean(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_every_config_error_at_once(tmp_path):
    cfg = tmp_path / "chatqa.toml"
    cfg.write_text('slect = ["CQ1"]\nfail-under = 300\nignore = ["CQ9"]\n'
                   '[scorecard]\nweigths = {}\n[rules.slow-frist-reply]\nmax = "1m"\n[rules.hold-request]\nmax = 1\n')
    result = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--config", cfg)
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert all(line.startswith(f"{cfg}: error: ") for line in lines), lines
    assert f"{cfg}: error: slect: unknown key; did you mean 'select'?" in lines
    assert f"{cfg}: error: scorecard.weigths: unknown key; did you mean 'weights'?" in lines
    assert any(line.startswith(f"{cfg}: error: fail-under: ") for line in lines)
    assert len(lines) == 3  # the rules are checked once the file's own keys are valid
    cfg.write_text('ignore = ["CQ9"]\n[rules.slow-frist-reply]\nmax = "1m"\n[rules.hold-request]\nmaxx = 1\n')
    lines = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--config", cfg).stderr.splitlines()
    assert lines == [
        f"{cfg}: error: rules.slow-frist-reply: unknown rule; did you mean 'slow-first-reply'? (see `chatqa rules`)",
        f"{cfg}: error: rules.hold-request.maxx: unknown key",
        f"{cfg}: error: ignore: unknown rule, prefix or group 'CQ9' (see `chatqa rules`)",
    ]


def test_config_errors_spell_keys_as_the_file_does(tmp_path):
    cfg = tmp_path / "chatqa.toml"
    cfg.write_text('fail-under = "high"\nfail_on = "loud"\nextend-selct = []\n'
                   '[scorecard]\ngroup-caps = { experience = "x" }\n')
    lines = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--config", cfg).stderr.splitlines()
    assert {line.split(": ", 3)[2] for line in lines} == {
        "fail-under", "fail_on", "extend-selct", "scorecard.group-caps.experience"}, lines
    assert f"{cfg}: error: extend-selct: unknown key; did you mean 'extend-select'?" in lines
    cfg.write_text('extend-ignore = ["CQ9"]\n')
    assert invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--config", cfg).stderr.startswith(
        f"{cfg}: error: extend-ignore: unknown rule, prefix or group 'CQ9'")
    with pytest.raises(ValueError, match=r"^config\['scorecard'\]\['group-caps'\]\['experience'\]: "):
        chatqa.check(SAMPLES / "chatqa_neutral.jsonl", config={"scorecard": {"group-caps": {"experience": "x"}}})


def semicolon_csv(path: Path) -> Path:
    rows = list(csv.reader(io.StringIO((SAMPLES / "helpdesk_export.csv").read_text())))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows(rows)
    path.write_text(out.getvalue())
    return path


def test_semicolon_csv_from_a_european_spreadsheet(tmp_path):
    comma = [json.loads(x) for x in invoke("check", SAMPLES / "helpdesk_export.csv", "--format", "jsonl"
                                           ).stdout.splitlines()]
    assert comma
    source = semicolon_csv(tmp_path / "export.csv")
    for args in ([], ["--delimiter", ";"]):
        rows = [json.loads(x) for x in invoke("check", source, "--format", "jsonl", *args).stdout.splitlines()]
        assert [(r["id"], r["metrics"], r["findings"]) for r in rows] == \
            [(r["id"], r["metrics"], r["findings"]) for r in comma]
    (tmp_path / "chatqa.toml").write_text('[csv]\ndelimiter = ","\n')  # a wrong one, from the config, is used
    wrong = invoke("check", source, "--format", "jsonl", "--config", tmp_path / "chatqa.toml")
    assert wrong.exit_code == 3 and "not a transcript export" in wrong.stderr
    bad = invoke("check", source, "--delimiter", ";;")
    assert bad.exit_code == 2 and "--delimiter" in bad.stderr


# 5. chatqa's own outputs are skipped and counted -------------------------------------------------

def test_a_rerun_skips_and_counts_its_own_outputs(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write_jsonl(folder / "chats.jsonl", 3)
    (folder / "twcs.csv").write_bytes((SAMPLES / "twcs_threads.csv").read_bytes())
    (folder / "broken.jsonl").write_text('{"id": "x", "messages": [}\n')
    first = invoke("check", folder, "--format", "json")
    inputs = json.loads(first.stdout)["summary"]
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    for suffix in (".jsonl", ".json", ".csv", ".parquet", ".html"):
        assert invoke("check", folder, "-o", outputs / f"results{suffix}").exit_code == 3
    invoke("check", folder, "-o", outputs / "r2.jsonl", "--errors", outputs / "errors.jsonl")
    invoke("sample", folder, "-n", "2", "--seed", "1", "-o", outputs / "queue.csv")
    invoke("sample", folder, "-n", "2", "--seed", "1", "-o", outputs / "queue.jsonl")
    for path in outputs.iterdir():
        path.rename(folder / path.name)
    written = sorted(p.name for p in folder.iterdir() if p.name not in {"chats.jsonl", "twcs.csv", "broken.jsonl"})
    again = invoke("check", folder, "--format", "json")
    summary = json.loads(again.stdout)["summary"]
    assert again.exit_code == 3
    assert summary["files"] == inputs["files"] == 3
    assert summary["conversations"] == inputs["conversations"] and len(summary["failures"]) == 1
    assert sorted(Path(p).name for p in summary["skipped"]) == written
    assert summary["files"] + len(summary["skipped"]) == len(list(folder.iterdir()))
    notes = [line for line in again.stderr.splitlines() if ": skipped: " in line]
    assert len(notes) == len(written) - 1  # (the HTML report is skipped as documentation, silently as before)
    assert f"{folder}/results.jsonl: skipped: the results of chatqa check (JSON Lines)" in again.stderr
    assert f"{folder}/errors.jsonl: skipped: parse failures written by --errors" in again.stderr
    table = invoke("check", folder, "--format", "table").stdout
    assert f"skipped (not exports): {len(written)}" in table


def test_real_exports_sharing_a_suffix_are_never_skipped(tmp_path):
    for name in ("chatqa_neutral.jsonl", "twcs_threads.csv", "helpdesk_export.csv", "intercom_conversations.json",
                 "freshdesk_tickets.jsonl", "salesforce_livechat_transcripts.csv"):
        (tmp_path / name).write_bytes((SAMPLES / name).read_bytes())
    export = tmp_path / "export"
    assert invoke("export", SAMPLES / "livechat_chats.jsonl", "-o", export).exit_code == 0  # neutral JSONL: an input
    export.rename(tmp_path / "shared.jsonl")
    summary = json.loads(invoke("check", tmp_path, "--format", "json").stdout)["summary"]
    assert summary["skipped"] == [] and summary["files"] == 7 and summary["failures"] == []


# 6. chatqa.toml in both shapes; explain prints TOML ------------------------------------------------

@pytest.mark.parametrize("text", [
    'ignore = ["CQ1"]\n[rules.hold-request]\nmin_count = 2\n',
    '[tool.chatqa]\nignore = ["CQ1"]\n[tool.chatqa.rules.hold-request]\nmin_count = 2\n',
])
def test_chatqa_toml_takes_top_level_keys_or_the_readme_tool_table(tmp_path, monkeypatch, text):
    (tmp_path / "chatqa.toml").write_text(text)
    monkeypatch.chdir(tmp_path)
    found = codes(invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--format", "jsonl"))
    assert found and not any(c.startswith("CQ1") for c in found)
    explained = invoke("explain", "hold-request").stdout
    assert "min_count = 2" in explained


def test_a_chatqa_toml_mixing_both_shapes_is_an_error(tmp_path):
    cfg = tmp_path / "chatqa.toml"
    cfg.write_text('select = ["ALL"]\n[tool.chatqa]\nignore = ["CQ1"]\n')
    result = invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--config", cfg)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{cfg}: error: select: outside [tool.chatqa]")


def explained_toml(out: str) -> str:
    block = out.split("(change them there):\n", 1)[1]
    return block.split("\nRule file:", 1)[0]


@pytest.mark.parametrize(("name", "text", "table"), [
    ("chatqa.toml", 'ignore = ["CQ5"]\n', ("rules",)),
    ("chatqa.toml", '[tool.chatqa]\nignore = ["CQ5"]\n', ("tool", "chatqa", "rules")),
    ("pyproject.toml", '[project]\nname = "x"\n[tool.chatqa]\nignore = ["CQ5"]\n', ("tool", "chatqa", "rules")),
    (None, "", ("tool", "chatqa", "rules")),
])
def test_explain_prints_valid_toml_for_the_users_file(tmp_path, monkeypatch, name, text, table):
    if name:
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    for rule in ("CQ101", "CQ201", "CQ301", "CQ305", "CQ501"):
        out = invoke("explain", rule).stdout
        doc = tomllib.loads(explained_toml(out))
        for key in table:
            doc = doc[key]
        (settings,) = doc.values()
        assert settings and all(v is not None for v in settings.values())
        if rule == "CQ101":
            assert settings["measure"] == "first"
        assert ("as TOML for " + (str(tmp_path / name) if name else "chatqa.toml or pyproject.toml")) in out
        if rule == "CQ501":
            assert settings["channels"] == ["chat"]
    if name:  # pasted back into the file, it is a valid config that changes nothing
        target = tmp_path / name
        target.write_text(text + explained_toml(invoke("explain", "CQ101").stdout))
        assert invoke("check", SAMPLES / "chatqa_neutral.jsonl", "--format", "jsonl").exit_code == 0
