"""The review loop as a QA lead runs it (SPEC 7.2): `chatqa sample` writes a queue that is the
labels file; the reviewer fills in cells; `chatqa agree` reads the queue as it is."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES

import chatqa
from chatqa.cli import main


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _sample(tmp_path, name="queue.csv", *extra: str):
    out = tmp_path / name
    result = _run("sample", str(SAMPLES), "-n", "8", "--strategy", "risk", "--seed", "3", "-o", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


def _agree(labels, *extra: str):
    result = _run("agree", "--human", str(labels), str(SAMPLES), "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_the_queue_has_the_reviewer_columns(tmp_path):
    out = _sample(tmp_path)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    header = list(rows[0])
    assert header[:7] == ["conversation_id", "source", "agent", "score", "top_findings", "reason", "human_score"]
    codes = chatqa.analyze(SAMPLES).codes
    assert header[7:] == codes  # one column per rule the sample was drawn for
    assert all(r["human_score"] == "" and all(r[c] == "" for c in codes) for r in rows)  # empty to fill in
    selected = _sample(tmp_path, "some.csv", "--select", "CQ2,CQ101")
    header = next(csv.reader(selected.open(encoding="utf-8")))
    assert header[7:] == [c for c in codes if c.startswith("CQ2") or c == "CQ101"]


def test_an_untouched_queue_labels_nothing(tmp_path):
    doc, stderr = _agree(_sample(tmp_path))
    assert doc["rules"] == {} and doc["scores"]["n"] == 0
    assert doc["missing"]["rows_not_labelled"] == 8 and doc["problems"] == [] and stderr == ""


def _fill(path, verdicts: dict[int, dict[str, str]]):
    """Fill cells of a CSV queue as a spreadsheet user would (row number -> column -> text)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for i, cells in verdicts.items():
        for column, value in cells.items():
            rows[i + 1][header.index(column)] = value
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return [r[0] for r in rows[1:]]


def test_agree_reads_a_filled_in_queue_as_it_is(tmp_path):
    out = _sample(tmp_path)
    report = chatqa.analyze(SAMPLES)
    found = {(cid, c) for cid, codes in zip(report.conversations["id"], report.conversations["codes"], strict=True)
             for c in codes}
    ids = [r[0] for r in csv.reader(out.open(encoding="utf-8"))][1:]
    # the reviewer agrees with chatqa on CQ402 for the first four, disagrees on the fifth, leaves the rest
    cells = {i: {"CQ402": "1" if (ids[i], "CQ402") in found else "0", "human_score": str(10 * i)} for i in range(4)}
    cells[4] = {"CQ402": "0" if (ids[4], "CQ402") in found else "yes"}
    _fill(out, cells)
    doc, stderr = _agree(out)
    stats = doc["rules"]["CQ402"]
    assert stats["n"] == 5 and stats["tp"] + stats["tn"] == 4 and stats["fp"] + stats["fn"] == 1
    assert doc["scores"]["n"] == 4
    assert doc["missing"]["rows_not_labelled"] == 3  # blank cells: not labelled, never "absent"
    assert doc["missing"]["conversations_not_in_run"] == [] and stderr == ""


def test_agree_says_what_it_could_not_use(tmp_path):
    out = _sample(tmp_path)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows[0] += ["CQ999", "notes"]
    for r in rows[1:]:
        r += ["", ""]
    rows[1][rows[0].index("CQ201")] = "maybe"
    rows[1][rows[0].index("CQ999")] = "1"
    rows[2][rows[0].index("human_score")] = "great"
    rows[3][0] = "no-such-conversation"
    rows[3][rows[0].index("CQ201")] = "1"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    out.write_text(buffer.getvalue(), encoding="utf-8")
    doc, stderr = _agree(out)
    lines = stderr.splitlines()
    assert f"{out}: column 'CQ999': chatqa has no such rule; its labels are not used" in lines
    assert f"{out}: columns not used (neither a rule nor a queue column): notes" in lines
    assert f"{out}: line 2: CQ201: expected 1 or 0 (yes/no, true/false), got 'maybe'; label not used" in lines
    assert f"{out}: line 3: human_score must be a number, got 'great'; score not used" in lines
    assert doc["missing"]["conversations_not_in_run"] == ["no-such-conversation"]
    assert doc["missing"]["unknown_rules"] == ["CQ999"]
    table = _run("agree", "--human", str(out), str(SAMPLES))
    assert "labelled conversations not in the run (1): no-such-conversation" in table.stdout
    assert "labelled rules chatqa has not got: CQ999" in table.stdout


def test_agree_accepts_rule_names_and_the_long_form(tmp_path):
    report = chatqa.analyze(SAMPLES)
    with_hold = [cid for cid, codes in zip(report.conversations["id"], report.conversations["codes"], strict=True)
                 if "CQ201" in codes]
    without = [cid for cid, codes in zip(report.conversations["id"], report.conversations["codes"], strict=True)
               if "CQ201" not in codes]
    long = tmp_path / "labels.csv"
    long.write_text("conversation_id,code,present,human_score\n"
                    f"{with_hold[0]},hold-request,1,40\n{without[0]},CQ201,0,90\n{without[1]},cq201,,\n"
                    f"{without[2]},hold-requests,1,\n", encoding="utf-8")
    doc, stderr = _agree(long)
    assert doc["rules"]["CQ201"] == {**doc["rules"]["CQ201"], "n": 2, "tp": 1, "tn": 1}
    assert doc["missing"]["unknown_rules"] == ["hold-requests"]
    assert "line 5: code 'hold-requests': chatqa has no such rule" in stderr
    wide = tmp_path / "wide.csv"  # a queue whose columns are named by rule name
    wide.write_text(f"conversation_id,hold-request\n{with_hold[0]},1\n{without[0]},no\n", encoding="utf-8")
    doc, _ = _agree(wide)
    assert doc["rules"]["CQ201"]["tp"] == 1 and doc["rules"]["CQ201"]["tn"] == 1
    old = tmp_path / "old.csv"  # a queue from before, keyed by `id`
    old.write_text(f"id,CQ201\n{with_hold[0]},1\n", encoding="utf-8")
    assert _agree(old)[0]["rules"]["CQ201"]["tp"] == 1


def test_jsonl_queue_round_trip(tmp_path):
    out = _sample(tmp_path, "queue.jsonl")
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["human_score"] is None and rows[0]["CQ201"] is None
    report = chatqa.analyze(SAMPLES)
    found = {cid for cid, codes in zip(report.conversations["id"], report.conversations["codes"], strict=True)
             if "CQ201" in codes}
    for r in rows:
        r["CQ201"] = r["conversation_id"] in found
    rows[0]["human_score"] = 55
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    doc, _ = _agree(out)
    assert doc["rules"]["CQ201"]["n"] == 8 and doc["rules"]["CQ201"]["kappa"] in (1.0, None)
    assert doc["rules"]["CQ201"]["fp"] == doc["rules"]["CQ201"]["fn"] == 0 and doc["scores"]["n"] == 1


@pytest.mark.parametrize("name", ["queue.xlsx", "queue.json", "queue"])
def test_a_queue_suffix_it_cannot_write_is_refused_before_the_run(tmp_path, name):
    result = _run("sample", str(SAMPLES), "-n", "2", "-o", str(tmp_path / name))
    assert result.exit_code == 2 and not (tmp_path / name).exists()
    assert result.stderr.count("\n") == 1 and f"-o {tmp_path / name}: a review queue is .csv" in result.stderr
    assert ("not '" in result.stderr) == ("." in name)
    assert _sample(tmp_path, "QUEUE.NDJSON").read_text().startswith('{"conversation_id"')


def test_masked_and_formula_like_ids_still_join(tmp_path):
    """Ids that hold an email are masked, ids starting with '-' or '=' are neutralised in the CSV:
    the queue written by sample still joins with the same run."""
    records = [{"id": cid, "messages": [{"role": "customer", "text": "Hi, my order is late"},
                                        {"role": "agent", "text": "Please hold"}]}
               for cid in ("ann@example.com-7", "-12-7", "=1+1", "@home", "42")]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "queue.csv"
    assert _run("sample", str(data), "-n", "5", "--seed", "1", "-o", str(out)).exit_code == 0
    text = out.read_text()
    assert "ann@example.com" not in text and "'-12-7" in text and "'=1+1" in text
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    col = rows[0].index("CQ201")
    for r in rows[1:]:
        r[col] = "1"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    out.write_text(buffer.getvalue())
    result = _run("agree", "--human", str(out), str(data), "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["missing"]["conversations_not_in_run"] == [] and doc["rules"]["CQ201"]["tp"] == 5


def test_the_library_loop(tmp_path):
    report = chatqa.analyze(SAMPLES)
    queue = chatqa.sample(report, n=6, strategy="risk", seed=2)
    assert list(queue.columns[7:]) == report.codes and queue["CQ201"].isna().all()
    queue.loc[:, "CQ201"] = [int("CQ201" in codes) for codes in
                             report.conversations.set_index("id").loc[queue["conversation_id"], "codes"]]
    result = chatqa.agreement(report, queue)
    assert result["rules"]["CQ201"]["n"] == 6 and result["rules"]["CQ201"]["fp"] == 0
    path = tmp_path / "queue.csv"
    queue.to_csv(path, index=False)  # pandas' own CSV reads back as well
    assert chatqa.agreement(report, path)["rules"]["CQ201"]["n"] == 6
    named = chatqa.sample(report, n=3, seed=1, rules=["hold-request", "CQ101"])
    assert list(named.columns[7:]) == ["CQ201", "CQ101"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strategy": "riskk"}, r"^strategy: unknown strategy 'riskk'"),
    ({"allocation": "even"}, r"^allocation: unknown allocation 'even'"),
    ({"strategy": "stratified", "by": "team"}, r"^by: no column 'team'"),
    ({"n": -1}, r"^n: "),
    ({"per_agent": 0}, r"^per_agent: "),
    ({"rules": ["hold-requests"]}, r"^rules: unknown rule 'hold-requests'"),
])
def test_sample_mistakes_are_value_errors(kwargs, message):
    report = chatqa.analyze(SAMPLES / "chatqa_neutral.jsonl")
    with pytest.raises(ValueError, match=message):
        chatqa.sample(report, **{"n": 2, **kwargs})


def test_sample_takes_a_report_or_its_table_alike():
    report = chatqa.analyze(SAMPLES)
    a = chatqa.sample(report, n=10, strategy="risk", seed=5)
    b = chatqa.sample(report.conversations, n=10, strategy="risk", seed=5, findings=report.findings,
                      critical=report.engine.scorer.critical, rules=report.codes)
    pd.testing.assert_frame_equal(a, b)
