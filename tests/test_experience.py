"""The `experience` group: scoring with its group cap, explain --scoring, tables, risk sampling, HTML."""

from __future__ import annotations

import pandas as pd
from conftest import make_transcript

import chatqa
from chatqa.config import Config, Scorecard
from chatqa.frames import CONVERSATION_COLUMNS
from chatqa.results import Finding, Level
from chatqa.rulepack import load_catalogue
from chatqa.run import engine_for
from chatqa.sampling import sample
from chatqa.scoring import Scorer

BAD_ENDING = [
    {"customer": "This is ridiculous, my router keeps dropping"},
    {"agent": "Please restart it."},
    {"customer": "Done. Still not working, this is useless."},
]


def finding(code: str, level: str = "warning") -> Finding:
    return Finding(code=code, rule="r", level=Level(level), message="m")


def test_experience_rules_form_the_group_and_score():
    result = engine_for(Config()).check(make_transcript(BAD_ENDING))
    codes = [f.code for f in result.findings]
    assert codes.count("CQ601") == 2 and "CQ602" in codes
    assert result.subscores["experience"] == 100 - 10 - 5  # CQ601 capped at 2 x 5, CQ602 5


def test_group_cap_limits_the_score_not_the_subscore():
    rules = load_catalogue()
    scorer = Scorer(Scorecard(group_caps={"experience": 12}), rules)
    score, sub = scorer.score([finding("CQ601")] * 2 + [finding("CQ602")] * 2, [])
    assert sub["experience"] == 80.0 and score == 88.0
    uncapped = Scorer(Scorecard(group_caps={}), rules).score([finding("CQ601")] * 2 + [finding("CQ602")] * 2, [])
    assert uncapped[0] == 80.0
    default = Scorer(Scorecard(), rules).score([finding("CQ601")] * 2 + [finding("CQ602")] * 2, [])
    assert default[0] == 85.0  # the default scorecard caps experience at 15 points


def test_explain_scoring_names_the_experience_group():
    text = Scorer(Scorecard(), load_catalogue()).explain()
    assert "experience: CQ601, CQ602" in text and "group caps" in text and "experience 15" in text


def test_conversation_table_has_the_experience_column():
    assert CONVERSATION_COLUMNS["experience"] == "float64"
    report = chatqa.analyze([make_transcript(BAD_ENDING)])
    assert report.conversations.loc[0, "experience"] == 85.0


def test_risk_sampling_prefers_conversations_that_went_badly_for_the_customer():
    rows = [{"id": f"c{i:03d}", "source": "x", "agent": "a", "score": 90.0, "experience": 80.0 if i < 50 else 100.0,
             "words": 20, "customer_messages": 2, "agent_messages": 2, "codes": ["CQ601"] if i < 50 else []}
            for i in range(200)]
    q = sample(pd.DataFrame(rows), 20, "risk", seed=3)
    unhappy = q["conversation_id"].map(lambda c: int(c[1:]) < 50).sum()
    assert unhappy >= 7  # a quarter of the population (5 of 20 by chance), with three times the weight
    assert q["reason"][q["conversation_id"].map(lambda c: int(c[1:]) < 50)].str.contains("experience 80").all()


def test_html_report_shows_subscores_and_the_worst_experiences(tmp_path):
    report = chatqa.analyze([make_transcript(BAD_ENDING), make_transcript([{"customer": "hi"}, {"agent": "hello"}],
                                                                          id="t2")], keep_transcripts=True)
    out = tmp_path / "r.html"
    report.write(out)
    html = out.read_text()
    assert 'id="subscores"' in html and '<td class="lead">experience</td>' in html
    assert 'id="felt-1"' in html and "Went worst for the customer" in html
