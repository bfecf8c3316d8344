"""The library API: analyze() and the Report tables, the CSV/parquet outputs, sampling, agreement."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLES, make_transcript

import chatqa
from chatqa.calibration import kappa
from chatqa.cli import main
from chatqa.frames import CONVERSATION_COLUMNS, FINDING_COLUMNS
from chatqa.sampling import SampleError, sample


@pytest.fixture(scope="module")
def report():
    return chatqa.analyze(SAMPLES)


def test_conversation_columns_and_dtypes(report):
    df = report.conversations
    assert list(df.columns) == list(CONVERSATION_COLUMNS)
    assert len(df) == 50 and df["id"].is_unique
    for name, dtype in CONVERSATION_COLUMNS.items():
        expected = "object" if dtype == "list" else dtype
        assert str(df[name].dtype) == expected, name
    assert str(df["started_at"].dt.tz) == "UTC"
    row = df.set_index("id").loc["SR2KF0QZ7C"]
    assert row["agents"] == ["anna.berg@example.com", "sam.ortiz@example.com"]
    assert row["agent"] == "anna.berg@example.com"
    assert row["first_response_s"] == 156.487 and row["score"] == 55.0 and row["wording"] == 75.0
    assert row["codes"] == sorted(set(row["codes"])) and "CQ202" in row["codes"]
    assert row["n_findings"] == 5
    stc3 = df[df["vendor"] == "stc3"]
    assert stc3["first_response_s"].isna().all() and stc3["started_at"].isna().all()
    assert stc3["responsiveness"].notna().all()  # CQ103 still applies without times


def test_finding_columns(report):
    df = report.findings
    assert list(df.columns) == list(FINDING_COLUMNS)
    assert len(df) == report.conversations["n_findings"].sum()
    assert str(df["sent_at"].dtype) == "datetime64[us, UTC]" and str(df["message_index"].dtype) == "Int64"
    hold = df[(df["conversation_id"] == "SQ8NVX3L0B") & (df["code"] == "CQ201")].iloc[0]
    assert hold["quote"] == "Please hold" and hold["span"] == [0, 11] and hold["level"] == "warning"
    assert df[df["code"] == "CQ401"]["quote"].str.startswith("**** **** ****").all()


def test_agent_table(report):
    df = report.agents
    assert list(df.columns)[:5] == ["agent", "conversations", "median_score", "median_first_response_s",
                                    "max_concurrency"]
    assert {f"share_{c}" for c in report.codes} <= set(df.columns)
    sam = df.set_index("agent").loc["sam.ortiz@example.com"]
    assert sam["conversations"] == 3  # two as first agent, one after a transfer
    assert sam["share_CQ201"] == pytest.approx(2 / 3) and sam["median_first_response_s"] == pytest.approx(38.2215)
    assert df["conversations"].is_monotonic_decreasing


def test_analyze_transcript_objects_and_config_dicts():
    t = make_transcript([{"customer": "hi", "at": 0}, {"agent": "Please hold", "at": 200}])
    report = chatqa.analyze([t], config={"select": ["CQ101"]})
    assert report.codes == ["CQ101"]
    assert list(report.findings["code"]) == ["CQ101"] and report.findings["level"][0] == "error"
    assert report.summary.conversations == 1 and report.failures.empty


def test_analyze_reports_failures(tmp_path):
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    (tmp_path / "ok.json").write_text(json.dumps([{"id": "a", "messages": [{"role": "customer", "text": "hi"}]}]))
    report = chatqa.analyze(tmp_path)
    assert len(report.conversations) == 1 and list(report.failures["source"]) == [str(tmp_path / "bad.jsonl")]
    assert report.summary.records_in == 2


def test_import_chatqa_stays_light():
    code = "import sys, chatqa; print(sorted(m for m in ('pandas', 'spacy', 'matplotlib', 'pyarrow') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


def test_csv_and_parquet_have_the_dataframe_columns(report, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(SAMPLES), "-o", str(tmp_path / "c.csv")]).exit_code == 0
    assert runner.invoke(main, ["check", str(SAMPLES), "-o", str(tmp_path / "c.parquet")]).exit_code == 0
    csv_df = pd.read_csv(tmp_path / "c.csv")
    parquet = pd.read_parquet(tmp_path / "c.parquet")
    assert list(csv_df.columns) == list(parquet.columns) == list(report.conversations.columns)
    assert list(parquet["id"]) == list(report.conversations["id"])
    assert parquet["started_at"].dtype == report.conversations["started_at"].dtype
    assert list(parquet.loc[0, "agents"]) == report.conversations.loc[0, "agents"]
    assert csv_df.loc[csv_df["id"] == "c-1003", "agents"].item() == "agent-22;agent-31"


# --- sampling -------------------------------------------------------------------------------------


def population(n: int = 200) -> pd.DataFrame:
    rows = []
    for i in range(n):
        agent = f"a{i % 7}" if i % 11 else None
        rows.append({"id": f"c{i:03d}", "source": f"x#{i}", "agent": agent, "score": float((i * 37) % 101),
                     "words": i % 40, "customer_messages": i % 5, "agent_messages": (i + 1) % 4,
                     "vendor": ["livechat", "intercom", "zendesk-chat"][i % 3] if i < 150 else "twcs",
                     "tags": [f"t{i % 4}"], "codes": ["CQ402"] if i in (5, 77, 150) else ["CQ101"] if i % 2 else []})
    return pd.DataFrame(rows)


def test_random_sample_is_reproducible_and_exact():
    pop = population()
    a = sample(pop, 25, seed=7)
    b = sample(pop, 25, seed=7)
    assert list(a["conversation_id"]) == list(b["conversation_id"]) and len(a) == 25 and a["conversation_id"].is_unique
    assert list(sample(pop, 25, seed=8)["conversation_id"]) != list(a["conversation_id"])
    assert list(a.columns) == ["conversation_id", "source", "agent", "score", "top_findings", "reason", "human_score"]
    assert (a["reason"].str.len() > 0).all() and a["reason"].str.contains("seed 7").all()


def test_unseeded_sample_names_its_seed():
    q = sample(population(), 3)
    seed = q.attrs["seed"]
    assert list(sample(population(), 3, seed=seed)["conversation_id"]) == list(q["conversation_id"])


def test_eligibility_filters():
    pop = population()
    q = sample(pop, 500, seed=1, min_words=30, both_sides=True)
    chosen = pop.set_index("id").loc[q["conversation_id"]]
    assert (chosen["words"] >= 30).all() and (chosen["customer_messages"] > 0).all()
    assert (chosen["agent_messages"] > 0).all()
    eligible = ((pop["words"] >= 30) & (pop["customer_messages"] > 0) & (pop["agent_messages"] > 0)).sum()
    assert len(q) == eligible == q.attrs["eligible"]  # more requested than eligible: all of them


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("strategy", ["random", "stratified", "risk"])
def test_per_agent_quota_is_never_exceeded(seed, strategy):
    pop = population()
    q = sample(pop, 40, strategy, by="vendor" if strategy == "stratified" else None, per_agent=4, seed=seed)
    counts = Counter(q["agent"].fillna("(none)"))
    assert max(counts.values()) <= 4
    assert len(q) == min(40, 4 * 8)  # 7 agents + "(none)", 4 each


def test_stratified_proportional_allocation():
    pop = population()  # vendors: 50 livechat, 50 intercom, 50 zendesk-chat, 50 twcs
    q = sample(pop, 20, "stratified", by="vendor", seed=3)
    by_vendor = Counter(pop.set_index("id").loc[q["conversation_id"], "vendor"])
    assert by_vendor == {"livechat": 5, "intercom": 5, "zendesk-chat": 5, "twcs": 5}
    skewed = pop[(pop["vendor"] != "twcs") | (pop.index < 160)]  # 10 twcs left
    q = sample(skewed, 14, "stratified", by="vendor", seed=3)
    # 14 x 50/160 = 4.375 -> 4 each, 14 x 10/160 = 0.875 -> 0; the 2 places left go to the largest
    # remainders: twcs (0.875), then intercom (0.375, the first name among equal strata)
    assert Counter(skewed.set_index("id").loc[q["conversation_id"], "vendor"]) == {
        "livechat": 4, "intercom": 5, "zendesk-chat": 4, "twcs": 1}
    assert q["reason"].str.startswith("stratified by vendor=").all()


def test_stratified_equal_allocation_and_small_strata():
    pop = population()
    small = pd.concat([pop[pop["vendor"] == "livechat"], pop[pop["vendor"] == "twcs"].head(2)])
    q = sample(small, 10, "stratified", by="vendor", allocation="equal", seed=2)
    assert Counter(small.set_index("id").loc[q["conversation_id"], "vendor"]) == {"twcs": 2, "livechat": 8}  # twcs had only 2


def test_stratify_by_tag_list_uses_the_first_tag():
    q = sample(population(), 8, "stratified", by="tags", allocation="equal", seed=4)
    assert Counter(population().set_index("id").loc[q["conversation_id"], "tags"].map(lambda t: t[0])) == {
        "t0": 2, "t1": 2, "t2": 2, "t3": 2}


def test_risk_takes_critical_first_and_prefers_low_scores():
    pop = population()
    q = sample(pop, 30, "risk", seed=9)
    assert set(q["conversation_id"][:3]) == {"c005", "c077", "c150"}
    assert q["reason"][:3].str.contains("critical finding CQ402").all()
    assert q["score"].mean() < pop["score"].mean() - 15
    assert len(sample(pop, 2, "risk", seed=9)) == 2


def test_sampling_errors():
    with pytest.raises(SampleError, match="no column 'team'"):
        sample(population(), 5, "stratified", by="team")
    with pytest.raises(SampleError, match="needs a column"):
        sample(population(), 5, "stratified")


def test_sample_cli(tmp_path):
    out = tmp_path / "queue.csv"
    result = CliRunner().invoke(main, ["sample", str(SAMPLES), "-n", "6", "--strategy", "risk", "--seed", "1",
                                       "--per-agent", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    queue = pd.read_csv(out)
    assert len(queue) == 6 and queue["reason"].notna().all()
    assert queue["top_findings"].iloc[0].startswith("CQ402 sensitive-data-request")
    again = tmp_path / "queue.jsonl"
    CliRunner().invoke(main, ["sample", str(SAMPLES), "-n", "6", "--strategy", "risk", "--seed", "1",
                              "--per-agent", "1", "-o", str(again)])
    assert [json.loads(x)["conversation_id"] for x in again.read_text().splitlines()] == [str(i) for i in queue["conversation_id"]]


# --- agreement ------------------------------------------------------------------------------------


def test_kappa_hand_computed():
    # n = 50, observed agreement (20 + 15) / 50 = 0.7; expected (25*30 + 25*20) / 2500 = 0.5
    assert kappa(tp=20, fp=5, fn=10, tn=15) == pytest.approx(0.4)
    assert kappa(10, 0, 0, 10) == 1.0 and kappa(0, 0, 0, 0) is None and kappa(5, 0, 0, 0) is None
    assert kappa(0, 5, 5, 0) == pytest.approx(-1.0)


def test_agreement_counts_and_reports_what_is_missing(tmp_path):
    convs = [make_transcript([{"customer": "hi"}, {"agent": text}], id=f"c{i}")
             for i, text in enumerate(["Please hold", "Please hold", "Sure, done", "Sure, done", "bear with me"])]
    report = chatqa.analyze(convs, config={"select": ["CQ201"]})
    labels = tmp_path / "labels.csv"
    labels.write_text("conversation_id,code,present,human_score\n"
                      "c0,CQ201,1,40\nc1,CQ201,0,70\nc2,CQ201,0,90\nc3,CQ201,1,\nc4,CQ201,yes,30\n"
                      "c9,CQ201,1,\nc0,CQ999,1,\nc2,CQ201,maybe,\n")
    result = chatqa.agreement(report, labels)
    assert result["rules"]["CQ201"] == {"n": 5, "tp": 2, "fp": 1, "fn": 1, "tn": 1, "precision": 2 / 3,
                                        "recall": 2 / 3, "kappa": pytest.approx(1 / 6, abs=1e-6)}
    assert result["missing"]["conversations_not_in_run"] == ["c9"]
    assert result["missing"]["unknown_rules"] == ["CQ999"] and result["missing"]["codes_not_checked"] == []
    assert result["problems"] == [f"{labels}: line 8: code 'CQ999': chatqa has no such rule; label not used",
                                  f"{labels}: line 9: present: expected 1 or 0 (yes/no, true/false), got 'maybe'; "
                                  "label not used"]
    # c0, c1, c2, c4: chatqa 95, 95, 100, 95 -> ranks 2, 2, 4, 2; human 40, 70, 90, 30 -> 2, 3, 4, 1
    # Pearson on ranks: cov 3 / sqrt(3 x 5) = 0.774597
    assert result["scores"] == {"n": 4, "spearman": pytest.approx(0.774597, abs=1e-6)}


def test_agree_cli_json(tmp_path):
    labels = tmp_path / "l.csv"
    labels.write_text("conversation_id,code,present\nSQ8NVX3L0B,CQ201,1\nSV6P2M0XHA,CQ201,0\n")
    result = CliRunner().invoke(main, ["agree", "--human", str(labels), str(SAMPLES), "--format", "json"])
    doc = json.loads(result.stdout)
    assert doc["rules"]["CQ201"]["tp"] == 1 and doc["rules"]["CQ201"]["tn"] == 1
    assert doc["missing"]["conversations_without_labels"] == 48
    bad = tmp_path / "bad.csv"
    bad.write_text("id,rule\nx,y\n")
    result = CliRunner().invoke(main, ["agree", "--human", str(bad), str(SAMPLES)])
    assert result.exit_code == 2 and "or columns conversation_id,code,present; got id, rule" in result.stderr
