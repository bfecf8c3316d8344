"""The command line: formats, exit codes, error lines, atomic outputs, export round trip."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa.cli import main
from chatqa.model import Channel

CONV = {"id": "c-1", "messages": [
    {"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": "Hi, my order is late"},
    {"role": "agent", "author": "Sam", "author_id": "sam@example.com", "time": "2026-03-01T10:00:41Z",
     "text": "Hi Ann, I'm Sam. Let me check."},
    {"role": "customer", "author": "Ann", "time": "2026-03-01T10:01:00Z",
     "text": "My card is 4111 1111 1111 1111, mail ann@example.com"},
    {"role": "agent", "author": "Sam", "author_id": "sam@example.com", "time": "2026-03-01T10:02:20Z",
     "text": "Found it, it ships today."},
]}


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "good.jsonl").write_text(json.dumps(CONV) + "\n" + json.dumps({**CONV, "id": "c-2"}) + "\n")
    return folder


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_jsonl_shape_is_the_public_contract(exports):
    result = invoke("check", exports, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["c-1", "c-2"]
    row = rows[0]
    assert list(row) == ["id", "vendor", "source", "agents", "started_at", "ended_at", "metrics", "score",
                         "subscores", "findings", "not_applicable"]
    assert row["vendor"] == "chatqa" and row["source"] == f"{exports}/good.jsonl#L1"
    assert row["agents"] == ["sam@example.com"]
    assert row["started_at"] == "2026-03-01T10:00:00Z" and row["ended_at"] == "2026-03-01T10:02:20Z"
    assert row["metrics"] == {
        "messages": 4, "customer_messages": 2, "agent_messages": 2, "bot_messages": 0, "first_response_s": 41.0,
        "avg_response_s": 60.5, "median_response_s": 60.5, "max_response_s": 80.0, "duration_s": 140.0,
        "canned_ratio": row["metrics"]["canned_ratio"], "max_concurrency": row["metrics"]["max_concurrency"],
    }


def test_json_has_results_and_a_summary(exports):
    (exports / "bad.jsonl").write_text('{"id": "x", "messages": [}\n')
    result = invoke("check", exports, "--format", "json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert [c["id"] for c in doc["conversations"]] == ["c-1", "c-2"]
    summary = doc["summary"]
    assert summary["files"] == 2 and summary["conversations"] == 2 and summary["records_in"] == 3
    assert summary["failures"] == [{"source": f"{exports}/bad.jsonl", "locator": "line 1, column 26",
                                    "reason": "invalid JSON: unexpected character, expected a JSON value"}]
    assert result.stderr.strip() == (f"{exports}/bad.jsonl: error: invalid JSON: unexpected character, expected a "
                                     f"JSON value (at line 1, column 26)")


def test_json_with_no_conversations_is_valid(tmp_path):
    (tmp_path / "empty.json").write_text("[]")
    result = invoke("check", tmp_path, "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["conversations"] == []


def test_csv_columns(exports):
    result = invoke("check", exports, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["c-1", "c-2"]
    assert list(rows[0])[:9] == ["id", "vendor", "source", "channel", "agent", "agents", "started_at", "ended_at",
                                 "score"]
    assert rows[0]["first_response_s"] == "41.0" and rows[0]["agent"] == "sam@example.com"
    assert rows[0]["channel"] == "chat"


def test_table_lists_conversations_and_a_summary(exports):
    result = invoke("check", exports, "--format", "table")
    assert result.exit_code == 0
    out = result.stdout
    assert "c-1" in out and "c-2" in out and "41s" in out
    assert "files: 1   conversations: 2   parse failures: 0   records in: 2" in out


def test_default_format_follows_the_output_suffix(exports, tmp_path):
    target = tmp_path / "out.csv"
    assert invoke("check", exports, "-o", target).exit_code == 0
    assert target.read_text().startswith("id,vendor,source")
    target = tmp_path / "out.jsonl"
    assert invoke("check", exports, "-o", target).exit_code == 0
    assert len(target.read_text().splitlines()) == 2


def test_output_is_atomic_and_never_an_input(exports, tmp_path):
    result = invoke("check", exports / "good.jsonl", "-o", exports / "good.jsonl")
    assert result.exit_code == 2 and "refusing to overwrite an input file" in result.stderr
    assert json.loads((exports / "good.jsonl").read_text().splitlines()[0])["id"] == "c-1"
    assert [p.name for p in tmp_path.rglob(".*.tmp")] == []


@pytest.mark.parametrize("node", ["fifo", "folder", "symlink-to-fifo", "dangling-folder"])
def test_outputs_only_over_regular_files(exports, tmp_path, node):
    import os

    if "fifo" in node and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    target = tmp_path / "out.jsonl"
    if node == "fifo":
        os.mkfifo(target)
    elif node == "folder":
        target.mkdir()
    elif node == "symlink-to-fifo":
        os.mkfifo(tmp_path / "pipe")
        target.symlink_to(tmp_path / "pipe")
    else:
        target = tmp_path / "missing" / "out.jsonl"
    for option in ("-o", "--errors"):
        result = invoke("check", exports / "good.jsonl", option, target)
        assert result.exit_code == 2, result.stderr
        reason = {"fifo": "not a regular file", "folder": "a folder", "symlink-to-fifo": "not a regular file",
                  "dangling-folder": "no such folder"}[node]
        if node == "folder" and "is a directory" in result.stderr:
            continue  # click's own check of the option, as a usage error
        assert result.stderr.startswith(f"chatqa: error: {option} {target}: {reason}"), result.stderr
        assert len(result.stderr.splitlines()) == 1
    if node != "dangling-folder":
        assert os.path.lexists(target) and not target.is_file()  # the node is left as it was


def test_output_and_errors_never_the_same_file(exports, tmp_path):
    import os

    out = tmp_path / "out.jsonl"
    for errors in (out, tmp_path / "." / "out.jsonl"):
        result = invoke("check", exports / "good.jsonl", "-o", out, "--errors", errors)
        assert result.exit_code == 2 and "name the same file" in result.stderr
    out.write_text("old\n")
    os.symlink(out, tmp_path / "link.jsonl")
    result = invoke("check", exports / "good.jsonl", "-o", out, "--errors", tmp_path / "link.jsonl")
    assert result.exit_code == 2 and "name the same file" in result.stderr
    assert out.read_text() == "old\n"


def test_output_through_a_symlink_keeps_the_link(exports, tmp_path):
    real = tmp_path / "2026-03.jsonl"
    real.write_text("old\n")
    (tmp_path / "latest.jsonl").symlink_to(real)
    assert invoke("check", exports / "good.jsonl", "-o", tmp_path / "latest.jsonl").exit_code == 0
    assert (tmp_path / "latest.jsonl").is_symlink()
    assert json.loads(real.read_text().splitlines()[0])["id"] == "c-1"


def test_library_never_writes_over_a_device(tmp_path):
    import os

    from chatqa.write import atomic_output

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ValueError, match="not a regular file"), atomic_output(tmp_path / "pipe", io.BytesIO()):
        pass
    assert not (tmp_path / "pipe").is_file()


def test_parse_failures_exit_3_and_everything_else_is_reported(exports):
    (exports / "broken.json").write_text('[{"id": "z", "messages": []}, {"id": ')
    (exports / "notes.txt").write_bytes(b"\x00\x01binary")
    result = invoke("check", exports, "--format", "jsonl")
    assert result.exit_code == 3
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["z", "c-1", "c-2"]
    errors = result.stderr.strip().splitlines()
    assert errors == [
        f"{exports}/broken.json: error: truncated: the array's remaining records cannot be read (at [1], line 1, "
        f"column 38)",
        f"{exports}/notes.txt: error: binary file, not a transcript export",
    ]


def test_errors_file(exports, tmp_path):
    (exports / "bad.jsonl").write_text("{nope\n")
    target = tmp_path / "errors.jsonl"
    assert invoke("check", exports, "--format", "jsonl", "--errors", target).exit_code == 3
    assert [json.loads(x)["source"] for x in target.read_text().splitlines()] == [f"{exports}/bad.jsonl"]


@pytest.mark.parametrize(("args", "message"), [
    (["check", "x", "--vendor", "nosuch"], "unknown format 'nosuch'"),
    (["check", "x", "--map", "conversation"], "expected KEY=VALUE"),
    (["check", "x", "--map", "colour=c"], "unknown field(s) colour"),
    (["check", "x", "--role-map", "Staff=wizard"], "--role-map"),
    (["check", "x", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["check", "x", "--format", "pdf"], "Invalid value for '--format'"),
])
def test_usage_errors_exit_2_with_one_line(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_export_redacts(exports, tmp_path):
    target = tmp_path / "neutral.jsonl"
    assert invoke("export", exports, "-o", target).exit_code == 0
    text = target.read_text()
    assert "4111 1111 1111 1111" not in text and "**** **** **** 1111" in text
    assert "ann@example.com" not in text and "[email]" in text


def test_export_round_trips_every_sample(tmp_path):
    """With --no-redact the export is the conversations as they were, card numbers masked (and
    marked in messages); redacted, the same with people pseudonymised (tests/test_export.py)."""
    from conftest import SAMPLES

    from chatqa.inputs import Loader
    from chatqa.redact import redact, redact_message

    target = tmp_path / "neutral.jsonl"
    assert invoke("export", SAMPLES, "--no-redact", "-o", target).exit_code == 0
    originals = list(Loader(SAMPLES))
    again = list(Loader(target))
    assert len(again) == len(originals) == 50
    for before, after in zip(originals, again, strict=True):
        expected = before.model_copy(update={
            "source": after.source,
            "messages": tuple(m.model_copy(update={"text": redact_message(m.text, personal=False)})
                              for m in before.messages),
            "rating": before.rating and before.rating.model_copy(
                update={"comment": before.rating.comment and redact(before.rating.comment, personal=False)}),
        })
        assert after == expected
    redacted = tmp_path / "redacted.jsonl"
    assert invoke("export", SAMPLES, "-o", redacted).exit_code == 0
    for before, after in zip(originals, Loader(redacted), strict=True):
        assert (after.id, len(after.messages), [m.role for m in after.messages]) == (
            before.id, len(before.messages), [m.role for m in before.messages])
        assert [m.sent_at for m in after.messages] == [m.sent_at for m in before.messages]
        assert all(p.id.startswith(("customer-", "agent-")) for p in after.participants
                   if p.role.value in ("customer", "agent"))


def test_export_no_redact_keeps_emails_but_never_cards(exports):
    out = invoke("export", exports, "--no-redact").stdout
    assert "ann@example.com" in out and "4111 1111 1111 1111" not in out


def test_formats_lists_every_parser_with_its_channel_and_an_example(monkeypatch):
    from chatqa.parsers import all_parsers

    monkeypatch.setenv("COLUMNS", "400")  # one line per row: each parser's cells are findable
    out = invoke("formats").stdout
    parsers = all_parsers()
    assert {p.name for p in parsers} >= {"livechat", "livechat-v2", "intercom", "zendesk-chat", "liveperson", "twcs",
                                         "ibm-twitter", "stc3", "chatqa", "csv", "zendesk-support", "salesforce",
                                         "freshdesk", "helpscout", "gorgias", "kustomer", "front", "amazon-connect"}
    rows = {line.split("│")[1].strip(): line for line in out.splitlines() if line.count("│") >= 4}
    for parser in parsers:
        assert parser.channels and parser.example, parser.name
        row = rows[parser.name]
        assert parser.channels in row and parser.summary in row and parser.example[:30] in out, parser.name
        assert parser.channels.split(";")[0].split()[0].strip(",") in {c.value for c in Channel}
    assert "ZIP archives" in out and "webhook bodies" in out


def test_python_dash_m_and_help_are_fast_to_import():
    # --help must not import spaCy, pandas or pydantic (chatqa's own names load on first use).
    code = ("import sys, chatqa.cli; print(*(m in sys.modules for m in ('spacy', 'pandas', 'pydantic', 're2')));"
            "import chatqa; print(chatqa.Transcript.__name__, chatqa.ParseError.__name__, 'Failure' in dir(chatqa))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False", "False", "Transcript", "ParseError", "True"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        import chatqa

        _ = chatqa.nope  # type: ignore[attr-defined]
    result = subprocess.run([sys.executable, "-m", "chatqa", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "check" in result.stdout


def test_findings_in_jsonl(tmp_path):
    conv = {"id": "f-1", "messages": [
        {"role": "customer", "time": "2026-03-01T10:00:00Z", "text": "Hi, I'm in a hurry"},
        {"role": "agent", "author": "Sam", "time": "2026-03-01T10:01:40Z", "text": "Please hold while I check."},
    ]}
    (tmp_path / "a.jsonl").write_text(json.dumps(conv) + "\n")
    row = json.loads(invoke("check", tmp_path / "a.jsonl", "--format", "jsonl").stdout)
    by_code = {f["code"]: f for f in row["findings"]}
    assert set(by_code) == {"CQ101", "CQ201", "CQ202", "CQ302"}
    assert by_code["CQ201"] == {
        "code": "CQ201", "rule": "hold-request", "level": "warning", "message_index": 1, "span": [0, 11],
        "quote": "Please hold", "sent_at": "2026-03-01T10:01:40Z",
        "message": 'Agent asked the customer to hold: "Please hold". Say what you are doing and how long it takes '
                   'instead.'}
    assert by_code["CQ302"]["message_index"] is None and by_code["CQ302"]["span"] is None
    assert row["score"] == 100 - 5 - 5 - 15 - 2
    assert row["subscores"] == {"responsiveness": 95.0, "wording": 80.0, "personalization": 98.0,
                                "security": 100.0, "capacity": 100.0, "experience": 100.0}


def test_concurrency_findings_list_the_other_conversations(tmp_path):
    lines = []
    for i in range(4):
        lines.append(json.dumps({"id": f"k{i}", "messages": [
            {"role": "customer", "time": f"2026-03-01T10:0{i}:00Z", "text": "hi"},
            {"role": "agent", "author": "sam", "time": f"2026-03-01T10:0{i}:30Z", "text": "Hi, I'm Sam."},
            {"role": "customer", "time": "2026-03-01T10:30:00Z", "text": "thanks"}]}))
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(x) for x in invoke("check", tmp_path, "--format", "jsonl", "--select", "CQ501").stdout.splitlines()]
    assert rows[0]["findings"][0]["conversations"] == ["k1", "k2", "k3"]
    assert rows[0]["metrics"]["max_concurrency"] == 4


def test_fail_under_and_fail_on_exit_1():
    from conftest import SAMPLES

    result = invoke("check", SAMPLES, "--format", "jsonl", "--fail-under", "50")
    assert result.exit_code == 1
    assert "is below --fail-under 50" in result.stderr and "more conversation(s)" in result.stderr
    assert invoke("check", SAMPLES / "stc3_dialogues.json", "--format", "jsonl", "--fail-on", "error").exit_code == 0
    assert invoke("check", SAMPLES / "stc3_dialogues.json", "--format", "jsonl", "--fail-on", "warning").exit_code == 1


def test_select_and_ignore_flags(exports):
    out = invoke("check", exports, "--format", "jsonl", "--select", "CQ1,CQ4", "--ignore", "CQ103").stdout
    codes = {f["code"] for line in out.splitlines() for f in json.loads(line)["findings"]}
    assert codes == {"CQ401"}
    result = invoke("check", exports, "--select", "CQ999")
    assert result.exit_code == 2
    assert result.stderr.strip() == ("chatqa: error: --select: unknown rule, prefix or group 'CQ999' "
                                     "(see `chatqa rules`)")


def test_bad_config_file_exits_2(exports, tmp_path):
    cfg = tmp_path / "chatqa.toml"
    cfg.write_text('[rules.slow-first-reply]\nmax = "soon"\n')
    result = invoke("check", exports, "--config", cfg)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{cfg}: error: rules.slow-first-reply.max: expected a "
                                     "duration such as 90s, 2m or 1h30m, got 'soon'")


def test_rules_lists_the_catalogue():
    out = invoke("rules").stdout
    for code, name in [("CQ101", "slow-first-reply"), ("CQ202", "patience-after-urgency"),
                       ("CQ301", "canned-overuse"), ("CQ402", "sensitive-data-request"), ("CQ501", "agent-concurrency")]:
        assert code in out and name in out
    assert "critical" in out


def test_explain_a_rule_and_the_scoring():
    out = invoke("explain", "CQ201").stdout
    assert out.startswith("CQ201 hold-request  [wording, warning, kind phrase]")
    assert "Flags:\n  - Please hold while I check." in out and "Accepts:" in out and "patterns:" in out
    assert invoke("explain", "patience-after-urgency").stdout.startswith("CQ202 patience-after-urgency")
    cq101 = invoke("explain", "cq101").stdout
    assert "Channels: all" in cq101 and "  chat       max 1m 00s, error above 2m 00s\n" in cq101
    assert "  social     max 1h 00m, error above 4h 00m\n" in cq101
    assert "  voice      not applicable (no max for it)\n" in cq101
    assert "Channels: chat, messaging (elsewhere not applicable" in invoke("explain", "CQ302").stdout
    bad = invoke("explain", "CQ999")
    assert bad.exit_code == 2 and "unknown rule 'CQ999'" in bad.stderr
    scoring = invoke("explain", "--scoring").stdout
    assert "scorecard chatqa-default-2" in scoring and "suggestion 2, warning 5, error 15" in scoring
    assert "CQ402" in scoring


def test_table_shows_offending_lines_masked():
    from conftest import SAMPLES

    out = invoke("check", SAMPLES / "livechat_v2_archives.json", "--format", "table").stdout
    assert "CQ402 sensitive-data-request [error]" in out
    assert "#4 agent (John Carter): Could you type the full card number and the CVV from the back here" in out
    assert "4111 1111 1111 1111" not in out and "**** **** **** 1111" in out
