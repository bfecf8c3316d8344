"""Data-driven rule tests: one YAML case file per rule code (tests/rules/CQ101.yaml ...).

A case file holds ``rule: CODE`` and named cases. A case gives either ``transcript`` (a list of
rows such as ``{customer: "Hi", at: 0}``) with ``findings`` (a list of partial findings, in
order) or ``transcripts`` (id -> rows) with ``findings`` (id -> list), for run-level rules.
Optional: ``configs`` (rule options), ``not_applicable: true``, ``metrics`` (expected values).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml
from conftest import make_transcript

from chatqa.config import Config
from chatqa.kinds.phrase import PhraseRule
from chatqa.rulepack import load_catalogue
from chatqa.run import engine_for
from chatqa.testing import case_params, check_case

CASES = Path(__file__).parent / "rules"


@cache
def engine(code: str) -> object:
    return engine_for(Config(select=[code]))


@pytest.mark.parametrize("case", case_params(CASES))
def test_rule_case(case):
    check_case(case)


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
        got = [f for f in eng.check(transcript).findings if f.code == rule.code]  # type: ignore[attr-defined]
        assert bool(got) == fires, f"{rule.code} example {'fires' if fires else 'passes'}: {text!r}"


def test_harness_runs_a_third_party_pack(tmp_path):
    """`chatqa.testing` as a rule-pack author uses it: their rule folder, their case file."""
    from chatqa.testing import load_cases

    (tmp_path / "pack" / "house").mkdir(parents=True)
    (tmp_path / "pack" / "house" / "competitor.yaml").write_text(
        "code: HR101\nkind: phrase\nlevel: warning\nmessage: 'Competitor named: \"{quote}\"'\n"
        "description: Agents must not recommend competitors.\nscope: agent\n"
        "examples: {bad: Try Globex instead, good: We can do that}\n"
        "patterns: ['(try|use) (globex|initech)']\nexceptions: [\"(don't|never) (try|use)\"]\n")
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "HR101.yaml").write_text(
        "rule: HR101\n"
        "names_one: {transcript: [{customer: hi, at: 0}, {agent: Try Globex instead, at: 30s}],"
        " findings: [{message_index: 1, quote: Try Globex, level: warning}]}\n"
        "negated: {transcript: [{customer: hi}, {agent: \"Don't use Globex\"}], findings: []}\n"
        "wrong_quote: {transcript: [{customer: hi}, {agent: Use Initech}], findings: [{quote: Use Globex}]}\n"
        "missed: {transcript: [{customer: hi}, {agent: We can do that}], findings: [{quote: Try Globex}]}\n")
    cases = {c.name: c for c in load_cases(tmp_path / "cases", rulesets=[str(tmp_path / "pack")])}
    check_case(cases["names_one"])
    check_case(cases["negated"])
    with pytest.raises(AssertionError, match="quote is 'Use Initech', expected 'Use Globex'"):
        check_case(cases["wrong_quote"])
    with pytest.raises(AssertionError, match="expected 1 finding"):
        check_case(cases["missed"])
