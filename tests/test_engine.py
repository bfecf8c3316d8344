"""Rule loading, selection, config, overrides, scoring and the plug-in paths."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import make_transcript

from chatqa.config import Config, Scorecard, load_config, select_rules
from chatqa.engine import Engine
from chatqa.errors import ConfigError
from chatqa.kinds import Rule, parse_duration
from chatqa.kinds import registry as kinds
from chatqa.model import Channel
from chatqa.results import Finding, Level

from chatqa.rulepack import load_catalogue
from chatqa.scoring import Scorer

CATALOGUE = load_catalogue()
ALL = {r.code for r in CATALOGUE}


def chosen(select, ignore=()):
    return {r.code for r in select_rules(CATALOGUE, list(select), list(ignore))}


@pytest.mark.parametrize(("select", "ignore", "on", "off"), [
    (["ALL"], [], ALL, set()),
    (["CQ"], ["wording"], ALL - {"CQ201", "CQ202", "CQ203", "CQ204", "CQ205", "CQ206"}, {"CQ201"}),
    (["wording"], ["CQ201"], {"CQ202", "CQ203", "CQ204", "CQ205"}, {"CQ201", "CQ101"}),
    (["CQ201"], ["wording"], {"CQ201"}, {"CQ202"}),            # a code is more specific than a group
    (["CQ2"], ["wording"], set(), {"CQ201"}),                  # same specificity: ignore wins ties
    (["hold-request", "CQ4"], [], {"CQ201", "CQ401", "CQ402"}, {"CQ101"}),
    (["ALL"], ["CQ40"], ALL - {"CQ401", "CQ402"}, {"CQ401"}),
    (["ALL"], ["card-number-in-chat"], ALL - {"CQ401"}, {"CQ401"}),
    (["CQ401"], ["CQ401"], set(), {"CQ401"}),
])
def test_selection_precedence(select, ignore, on, off):
    got = chosen(select, ignore)
    assert on <= got and not (off & got)


def test_unknown_selector_is_an_error():
    with pytest.raises(ConfigError, match=r"^select: unknown rule, prefix or group 'CQ999'"):
        Engine(Config(select=["CQ999"]))
    with pytest.raises(ConfigError, match="^--ignore: unknown rule, prefix or group 'politeness'"):
        Engine(load_config(None, discover=False, ignore=["politeness"]))


def test_unknown_selector_in_a_config_file(tmp_path):
    path = write_config(tmp_path, 'ignore = ["CQ9"]\n')
    with pytest.raises(ConfigError, match=rf"^{path}: error: ignore: unknown rule, prefix or group 'CQ9'"):
        Engine(load_config(path))


@pytest.mark.parametrize(("text", "seconds"), [
    ("90s", 90), ("2m", 120), ("1h30m", 5400), ("1m 30s", 90), ("45", 45), (30, 30), (1.5, 1.5), ("0.5s", 0.5),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["soon", "-5", -1, "", True, "5 minutes", None, "1d"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def write_config(tmp_path: Path, text: str, name: str = "chatqa.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_per_rule_options_are_revalidated(tmp_path):
    path = write_config(tmp_path, """
        [rules.slow-first-reply]
        max = "90s"
        error_above = "3m"
    """)
    rule = next(r for r in Engine(load_config(path)).rules if r.code == "CQ101")
    assert rule.max == dict.fromkeys(Channel, 90) and rule.error_above == dict.fromkeys(Channel, 180)


def test_a_threshold_table_in_config_changes_the_channels_it_names(tmp_path):
    path = write_config(tmp_path, """
        [rules.slow-first-reply]
        max = {chat = "45s", Social = "2h"}
    """)
    rule = next(r for r in Engine(load_config(path)).rules if r.code == "CQ101")
    assert rule.max == {Channel.CHAT: 45, Channel.MESSAGING: 900, Channel.SOCIAL: 7200, Channel.EMAIL: 14400}
    assert rule.error_above == {Channel.CHAT: 120, Channel.MESSAGING: 3600, Channel.SOCIAL: 14400,
                                Channel.EMAIL: 86400}
    assert not rule.judges(Channel.VOICE)


@pytest.mark.parametrize(("toml", "message"), [
    ('[rules.slow-first-reply]\nmax = "soon"\n',
     "rules.slow-first-reply.max: expected a duration such as 90s, 2m or 1h30m, got 'soon'"),
    ('[rules.slow-first-reply]\nmaximum = 30\n', "rules.slow-first-reply.maximum: unknown key"),
    ('[rules.CQ101]\nmax = "3m"\nerror_above = "1m"\n',
     "rules.slow-first-reply.error_above: 1m 00s on chat is below max (3m 00s); raise error_above too"),
    ('[rules.CQ101]\nmax = {social = "4h30m"}\n',
     "rules.slow-first-reply.error_above: 4h 00m on social is below max (4h 30m); raise error_above too"),
    ('[rules.CQ101]\nmax = {chat = "60s", sms = "1h"}\n',
     "rules.slow-first-reply.max.sms: unknown channel 'sms' (channels: chat, messaging, social, email, voice)"),
    ('[rules.CQ102]\nmax = {social = "soon"}\n',
     "rules.slow-reply.max.social: expected a duration such as 90s, 2m or 1h30m, got 'soon'"),
    ('[rules.CQ102]\nmax = {social = -5}\n',
     "rules.slow-reply.max.social: a duration must be a non-negative number of seconds, got -5"),
    ('[rules.hold-request]\npatterns = ["(hold"]\n', "rules.hold-request.patterns[0]: unbalanced parentheses in '(hold'"),
    ('[rules.hold-request]\nlevel = "fatal"\n', "rules.hold-request.level: Input should be 'suggestion', 'warning' or 'error'"),
    ('[rules.no-such-rule]\nmax = 1\n', "rules.no-such-rule: unknown rule (see `chatqa rules`)"),
    ('[rules.hold-request]\nkind = "latency"\n', "rules.hold-request.kind: cannot change a rule's kind"),
    ('colour = "blue"\n', "colour: unknown key"),
    ('select = "CQ1"\n', "select: Input should be a valid list"),
    ('[scorecard]\ncap = 0\n', "scorecard.cap: Input should be greater than 0"),
    ('fail-under = 120\n', "fail-under: Input should be less than or equal to 100"),
    ('[rules.slow-first-reply]\nerror-above = "soon"\n',
     "rules.slow-first-reply.error-above: expected a duration such as 90s, 2m or 1h30m, got 'soon'"),
    ('select = ["CQ1"\n', "invalid TOML"),
])
def test_config_errors_name_the_file_and_key(tmp_path, toml, message):
    path = write_config(tmp_path, toml)
    with pytest.raises(ConfigError) as err:
        Engine(load_config(path))
    assert str(err.value).startswith(f"{path}: error: ")
    assert message in str(err.value)


def test_config_discovery_and_kebab_keys(tmp_path, monkeypatch):
    write_config(tmp_path, """
        [project]
        name = "x"

        [tool.chatqa]
        select = ["CQ1"]
        ignore = ["unanswered-customer"]
        fail-under = 70

        [tool.chatqa.rules.slow-first-reply]
        max = "2m"
        error-above = "5h"
    """, "pyproject.toml")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    config = load_config()
    assert config.source == str(tmp_path / "pyproject.toml") and config.fail_under == 70
    engine = Engine(config)
    assert [r.code for r in engine.rules] == ["CQ101", "CQ102"]
    assert engine.rules[0].max == dict.fromkeys(Channel, 120)
    assert engine.rules[0].error_above == dict.fromkeys(Channel, 5 * 3600)  # option keys in kebab case too


def test_cli_style_overrides_replace_config(tmp_path):
    path = write_config(tmp_path, 'select = ["CQ1"]\n')
    assert [r.code for r in Engine(load_config(path, select=["CQ201"])).rules] == ["CQ201"]


def rule_folder(tmp_path: Path, group: str, name: str, body: str) -> Path:
    folder = tmp_path / "house-rules" / group
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(textwrap.dedent(body))
    return tmp_path / "house-rules"


HOUSE_RULE = textwrap.dedent("""
    code: HR101
    kind: phrase
    level: warning
    message: 'Competitor named: "{quote}"'
    description: Agents must not recommend competitors.
    examples: {bad: "Try Globex instead", good: "We can do that for you"}
    patterns: ["(try|use|go to) (globex|initech)"]
""")


def test_house_rules_from_an_extra_folder(tmp_path):
    folder = rule_folder(tmp_path, "branding", "competitor-mention", HOUSE_RULE)
    engine = Engine(Config(rulesets=[str(folder)], select=["branding"]))
    assert [r.code for r in engine.rules] == ["HR101"]
    result = engine.check(make_transcript([{"customer": "pricey"}, {"agent": "Honestly, try Globex instead"}]))
    assert [(f.code, f.rule, f.quote) for f in result.findings] == [("HR101", "competitor-mention", "try Globex")]
    assert result.subscores["branding"] == 95.0 and result.score == 95.0


@pytest.mark.parametrize(("body", "message"), [
    (HOUSE_RULE + "colour: red\n", "colour: unknown key"),
    (HOUSE_RULE.replace("level: warning", "level: fatal"), "level: Input should be 'suggestion', 'warning' or 'error'"),
    (HOUSE_RULE.replace('["(try|use|go to) (globex|initech)"]', '["(try|use"]'),
     "patterns[0]: unbalanced parentheses in '(try|use'"),
    (HOUSE_RULE.replace('["(try|use|go to) (globex|initech)"]', '[[{TEXTT: x}]]'),
     "patterns[0]: invalid spaCy token pattern: [pattern -> 0 -> TEXTT] Extra inputs are not permitted"),
    (HOUSE_RULE.replace("{quote}", "{quoted}"), "message: unknown placeholder {quoted} (allowed: count, min_count, quote, within)"),
    (HOUSE_RULE.replace("kind: phrase", "kind: regex"), "kind: unknown rule kind 'regex' (known: "),
    (HOUSE_RULE.replace("kind: phrase\n", ""), "kind: required key is missing"),
    (HOUSE_RULE.replace("code: HR101", "code: hr-1"), "code: String should match pattern"),
    (HOUSE_RULE.replace("examples:", "exemples:"), "examples: required key is missing"),
    (HOUSE_RULE + "name: competitor\n", "name: comes from the file's path; remove the key"),
    (HOUSE_RULE.replace("code: HR101", "code: CQ201"), "code: CQ201 is already used by"),
    ("code: [unclosed\n", "invalid YAML (line 2): expected ',' or ']'"),
    ("- just\n- a list\n", "a rule file must be a mapping of keys"),
])
def test_bad_rule_files_give_file_and_key(tmp_path, body, message):
    folder = rule_folder(tmp_path, "branding", "competitor-mention", body)
    with pytest.raises(ConfigError) as err:
        Engine(Config(rulesets=[str(folder)]))
    path = folder / "branding" / "competitor-mention.yaml"
    assert str(err.value).startswith(f"{path}: error: "), str(err.value)
    assert message in str(err.value)


def test_rule_file_name_must_be_kebab_case(tmp_path):
    folder = rule_folder(tmp_path, "branding", "Competitor_Mention", HOUSE_RULE)
    with pytest.raises(ConfigError, match="name: the file name must be kebab-case"):
        Engine(Config(rulesets=[str(folder)]))


def test_missing_rule_folder(tmp_path):
    with pytest.raises(ConfigError, match="rulesets: .*nope: no such rule folder or installed pack"):
        Engine(Config(rulesets=[str(tmp_path / "nope")]))


class LongMessage(Rule):
    """A plug-in kind: flags agent messages longer than `max_chars`."""

    kind: str = "long-message"
    max_chars: int = 200

    def check(self, ctx):
        for m in ctx.transcript.messages:
            if m.role.value == "agent" and len(m.text) > self.max_chars:
                yield self.finding(m)


def test_plug_in_kinds_register_like_the_built_ins(tmp_path):
    folder = rule_folder(tmp_path, "readability", "wall-of-text", """
        code: RD101
        kind: long-message
        level: suggestion
        message: "Very long message."
        description: Split long answers.
        examples: {bad: "(a 300 character answer)", good: "(short answers)"}
        max_chars: 20
    """)
    kinds.register("long-message", LongMessage)
    try:
        engine = Engine(Config(rulesets=[str(folder)], select=["RD101"]))
        result = engine.check(make_transcript([{"customer": "?"}, {"agent": "x" * 30}, {"agent": "short"}]))
    finally:
        kinds.unregister("long-message")
    assert [(f.code, f.message_index) for f in result.findings] == [("RD101", 1)]


def finding(code: str, level: str) -> Finding:
    return Finding(code=code, rule="r", level=Level(level), message="m")


def scorer(**card) -> Scorer:
    return Scorer(Scorecard(**card), CATALOGUE)


def test_score_deducts_by_level_with_a_per_rule_cap():
    s = scorer()
    assert s.score([], []) == (100.0, dict.fromkeys(("responsiveness", "wording", "personalization",
                                                       "security", "capacity", "experience"), 100.0))
    score, sub = s.score([finding("CQ201", "warning")] * 3 + [finding("CQ204", "suggestion")], [])
    assert score == 100 - 10 - 2  # three warnings capped at 2 x 5
    assert sub["wording"] == 88.0 and sub["responsiveness"] == 100.0


def test_escalated_finding_uses_its_own_weight():
    assert scorer().score([finding("CQ101", "error")], [])[0] == 85.0


def test_critical_rule_sets_the_score_to_zero():
    score, sub = scorer().score([finding("CQ402", "error")], [])
    assert score == 0.0 and sub["security"] == 0.0 and sub["wording"] == 100.0


def test_score_never_goes_below_zero():
    findings = [finding(c, "error") for c in ("CQ101", "CQ102", "CQ103", "CQ201", "CQ202", "CQ203", "CQ204", "CQ205")]
    assert scorer().score(findings * 2, [])[0] == 0.0


def test_not_applicable_groups_are_null():
    codes = ["CQ201", "CQ202", "CQ203", "CQ204", "CQ205", "CQ206"]
    score, sub = scorer().score([], codes)
    assert sub["wording"] is None and sub["responsiveness"] == 100.0 and score == 100.0


def test_scorecard_is_configurable():
    s = scorer(weights={"warning": 10}, cap=1, critical=[], rules={"hold-request": 1.0})
    assert s.score([finding("CQ203", "warning")] * 2, [])[0] == 90.0  # weight 10, cap 1 x 10
    assert s.score([finding("CQ201", "warning")] * 5, [])[0] == 99.0  # per-rule weight 1, cap 1
    assert s.score([finding("CQ402", "error")], [])[0] == 85.0  # no critical rules
    text = s.explain()
    assert "warning 10" in text and "CQ201 1" in text and "critical rules (any finding sets the score to 0): none" in text


def test_check_reports_not_applicable_rules():
    result = Engine().check(make_transcript([{"customer": "hello?", "at": None}]))
    assert {"CQ101", "CQ102", "CQ201", "CQ302", "CQ501"} <= set(result.not_applicable)
    assert result.subscores["wording"] is None and result.subscores["capacity"] is None
    assert [f.code for f in result.findings] == ["CQ103"]


def test_quotes_are_redacted_unless_disabled():
    t = make_transcript([{"customer": "hi"}, {"agent": "Please hold, or call +44 20 7946 0958 and type card "
                                                        "4111 1111 1111 1111"}])
    masked = Engine().check(t)
    cards = [f for f in masked.findings if f.code == "CQ401"]
    assert cards[0].quote == "**** **** **** 1111" and "4111" not in cards[0].message
    eng = Engine(Config(redact=False, select=["CQ401"]))
    assert eng.check(t).findings[0].quote == "**** **** **** 1111"  # cards are always masked


def test_remembered_scores_are_the_same_and_not_shared():
    s = scorer()
    first = s.score([finding("CQ201", "warning")], ["CQ501"])
    first[1]["wording"] = -1.0  # a caller changing its subscores changes nobody else's
    again = s.score([finding("CQ201", "warning")], ["CQ501"])
    assert again == (95.0, {**dict.fromkeys(GROUPS_ORDER, 100.0), "wording": 95.0, "capacity": None})
    assert s.score([finding("CQ201", "warning")], []) == (95.0, {**dict.fromkeys(GROUPS_ORDER, 100.0),
                                                                 "wording": 95.0})


GROUPS_ORDER = ("responsiveness", "wording", "personalization", "security", "capacity", "experience")


def test_one_process_run_streams_a_file(tmp_path):
    """A one-process run folds each conversation as it is checked: a whole file's checked
    conversations are never held in memory at once (they go to the spill as they come)."""
    import json

    from chatqa.run import Run

    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "messages": [
        {"role": "customer", "time": "2026-03-01T10:00:00Z", "text": "hi"},
        {"role": "agent", "time": "2026-03-01T10:00:30Z", "text": "Hello, I'm Sam"}]}) + "\n" for i in range(50)))
    engine = Engine(Config())
    mapped, seen = [], []
    original_map, original_observe = engine.map, engine.observe
    engine.map = lambda c, keep=False: mapped.append(c.id) or original_map(c, keep)  # type: ignore[method-assign]
    engine.observe = lambda notes, states: seen.append(len(mapped)) or original_observe(notes, states)  # type: ignore[method-assign]
    assert len(list(Run([path], engine))) == 50
    assert seen == list(range(1, 51))  # the n-th fold right after the n-th check


@pytest.mark.parametrize(("channel", "judged"), [
    ("chat", True), ("messaging", True), ("social", False), ("email", False)])
def test_rules_judge_only_their_channels(channel, judged):
    import chatqa
    from chatqa.testing import transcript

    t = transcript([{"customer": "hi", "at": 0}, {"agent": "Hello, how can I help?", "at": 20},
                    {"customer": "my order", "at": 40}, {"agent": "Done.", "at": 60}], channel=channel)
    result = chatqa.check(t)
    for code in ("CQ302", "CQ305"):
        assert (code in result.not_applicable) is not judged, (code, channel)
        assert any(f.code == code for f in result.findings) is judged, (code, channel)
    assert ("CQ501" in result.not_applicable) is (channel != "chat")


def test_a_config_widens_or_narrows_a_rules_channels(tmp_path):
    import chatqa
    from chatqa.testing import transcript

    t = transcript([{"customer": "hi"}, {"agent": "Hello, how can I help?"}], channel="social")
    wide = chatqa.check(t, {"rules": {"no-agent-introduction": {"channels": ["chat", "social"]}}})
    assert "CQ302" in {f.code for f in wide.findings}
    narrow = chatqa.check(t, {"rules": {"hold-request": {"channels": ["chat"]}}})
    assert "CQ201" in narrow.not_applicable
    with pytest.raises(ConfigError, match="channels"):
        chatqa.check(t, {"rules": {"hold-request": {"channels": ["fax"]}}})
