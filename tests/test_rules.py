"""Data-driven rule tests: one YAML case file per rule code (tests/rules/CQ101.yaml ...).

A case file holds ``rule: CODE`` and named cases. A case gives either ``transcript`` (a list of
rows such as ``{customer: "Hi", at: 0}``) with ``findings`` (a list of partial findings, in
order) or ``transcripts`` (id -> rows) with ``findings`` (id -> list), for run-level rules.
Optional: ``configs`` (rule options), ``not_applicable: true``, ``metrics`` (expected values).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_transcript

from chatqa.config import Config
from chatqa.engine import Engine
from chatqa.kinds.phrase import PhraseRule
from chatqa.rulepack import load_catalogue

CASES = Path(__file__).parent / "rules"


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        code = data.pop("rule")
        assert code == path.stem, f"{path}: rule {code} does not match the file name"
        for name, case in data.items():
            params.append(pytest.param(code, case, id=f"{code}-{name}"))
    return params


@cache
def engine(code: str, configs: str = "") -> Engine:
    options = yaml.safe_load(configs) if configs else {}
    return Engine(Config(select=[code], rules={code: options} if options else {}))


def run_case(code: str, case: dict[str, Any]) -> dict[str, Any]:
    configs = dict(case.get("configs", {}))
    if "library" in configs:  # library paths are relative to the case files
        configs["library"] = str(CASES / configs["library"])
    eng = engine(code, yaml.safe_dump(configs) if configs else "")
    if "transcripts" in case:
        transcripts = [make_transcript(rows, id=tid) for tid, rows in case["transcripts"].items()]
    else:
        transcripts = [make_transcript(case["transcript"])]
    return {r.id: r for r in eng.run(transcripts)}


def assert_findings(got: list[Any], want: list[dict[str, Any]], where: str) -> None:
    assert len(got) == len(want), f"{where}: expected {len(want)} finding(s), got {[f.record() for f in got]}"
    for finding, expected in zip(got, want, strict=True):
        record = finding.record()
        for key, value in expected.items():
            if key == "message_contains":
                assert value in record["message"], f"{where}: {record['message']!r}"
            else:
                assert record[key] == value, f"{where}: {key} is {record[key]!r}, expected {value!r}"


@pytest.mark.parametrize(("code", "case"), load_cases())
def test_rule_case(code: str, case: dict[str, Any]) -> None:
    results = run_case(code, case)
    want = case.get("findings", [])
    if not isinstance(want, dict):
        want = {"t1": want}
    for tid, result in results.items():
        findings = [f for f in result.findings if f.code == code]
        assert_findings(findings, want.get(tid, []), tid)
        if case.get("not_applicable"):
            assert code in result.not_applicable
        elif "not_applicable" in case:
            assert code not in result.not_applicable
        if "score" in case:
            assert result.score == case["score"]
        for key, value in case.get("metrics", {}).get(tid, {}).items():
            assert getattr(result.metrics, key) == value, f"{tid}: {key}"


def test_every_rule_has_cases():
    codes = {r.code for r in load_catalogue()}
    assert {p.stem for p in CASES.glob("*.yaml")} == codes


def test_phrase_rules_have_six_cases_each_way():
    for rule in load_catalogue():
        if not isinstance(rule, PhraseRule):
            continue
        cases = yaml.safe_load((CASES / f"{rule.code}.yaml").read_text())
        cases.pop("rule")
        firing = sum(1 for c in cases.values() if c.get("findings"))
        quiet = sum(1 for c in cases.values() if not c.get("findings"))
        assert firing >= 6 and quiet >= 6, f"{rule.code}: {firing} firing, {quiet} look-alike cases"


PHRASE_RULES = [r for r in load_catalogue() if isinstance(r, PhraseRule)]


@pytest.mark.parametrize("rule", PHRASE_RULES, ids=lambda r: r.code)
def test_documented_examples_behave(rule: PhraseRule) -> None:
    """The bad examples in a rule file fire, the good ones do not (said by the rule's scope)."""
    eng = engine(rule.code)
    role = "agent" if rule.scope == "any" else rule.scope
    for text, fires in [(t, True) for t in rule.examples.bad] + [(t, False) for t in rule.examples.good]:
        transcript = make_transcript([{"customer": "Hello"}, {role: text}])
        got = [f for f in eng.check(transcript).findings if f.code == rule.code]
        assert bool(got) == fires, f"{rule.code} example {'fires' if fires else 'passes'}: {text!r}"
