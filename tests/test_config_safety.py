"""Rule files and config (SPEC section 8): safe YAML, unknown keys and bad values rejected as one
line ``FILE: error: KEY: REASON`` with exit 2; good extra rules still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa.cli import main

GOOD_RULE = """\
code: ACME001
kind: phrase
level: warning
message: 'Competitor named: "{quote}".'
description: Flags an agent naming a competitor. Say what we offer instead.
examples:
  bad: ["try globex instead"]
  good: ["we can do that"]
patterns: ["(try|use) globex"]
"""
CONV = {"id": "c-1", "messages": [
    {"role": "customer", "time": "2026-03-01T10:00:00Z", "text": "Hi"},
    {"role": "agent", "author": "Sam", "time": "2026-03-01T10:00:20Z", "text": "Hi, I'm Sam. Try Globex for that."},
]}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "extra" / "acme").mkdir(parents=True)
    (tmp_path / "chatqa.toml").write_text('rulesets = ["extra"]\n')
    (tmp_path / "a.jsonl").write_text(json.dumps(CONV) + "\n")
    return tmp_path


def check(project: Path, *args: str):
    return CliRunner().invoke(main, ["check", str(project / "a.jsonl"), "--config", str(project / "chatqa.toml"),
                                     "--format", "jsonl", *args], catch_exceptions=False)


def rule_file(project: Path, text: str) -> Path:
    path = project / "extra" / "acme" / "competitor.yaml"
    path.write_text(text)
    return path


def test_a_good_extra_rule_loads_and_fires(project):
    rule_file(project, GOOD_RULE)
    result = check(project)
    assert result.exit_code == 0, result.stderr
    assert "ACME001" in {f["code"] for f in json.loads(result.stdout)["findings"]}


@pytest.mark.parametrize(("change", "line"), [
    # an unknown key
    (GOOD_RULE + "colour: red\n", "colour: unknown key"),
    # a bad threshold (a phrase rule's min_count must be >= 1)
    (GOOD_RULE + "min_count: 0\n", "min_count: Input should be greater than or equal to 1"),
    # a compact pattern error
    (GOOD_RULE.replace('["(try|use) globex"]', '["(try|use globex"]'),
     "patterns[0]: unbalanced parentheses in '(try|use globex'"),
    # a raw spaCy pattern with a bad operator
    (GOOD_RULE.replace('["(try|use) globex"]', '[[{"LOWER": "try", "OP": "++"}]]'),
     "patterns[0]: invalid spaCy token pattern:"),
    # a wrong level
    (GOOD_RULE.replace("level: warning", "level: fatal"), "level: Input should be 'suggestion', 'warning' or 'error'"),
])
def test_bad_rule_files_give_one_line_and_exit_2(project, change, line):
    path = rule_file(project, change)
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: error: {line}"), result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


def test_bad_threshold_in_a_latency_rule(project):
    path = project / "extra" / "acme" / "slow-hello.yaml"
    path.write_text("""\
code: ACME002
kind: latency
level: warning
message: slow
description: Flags a slow first reply. Reply sooner.
examples: {bad: ["a reply after 5 minutes"], good: ["a reply after 10 s"]}
measure: first
max: soon
""")
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"{path}: error: max: expected a duration such as 90s, 2m or 1h30m, "
                                     "got 'soon'")


@pytest.mark.parametrize("tag", [
    "!!python/object/apply:builtins.open [\"{marker}\", \"w\"]",
    "!!python/object:collections.OrderedDict {{}}",
    "!!python/name:os.system",
])
def test_python_yaml_tags_are_a_config_error_and_never_run(project, tag):
    marker = project / "pwned"
    path = rule_file(project, GOOD_RULE + "description: " + tag.format(marker=marker) + "\n")
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: error: invalid YAML (line "), result.stderr
    assert "could not determine a constructor for the tag" in result.stderr
    assert not marker.exists()


def test_python_tag_in_the_canned_library(project):
    marker = project / "pwned"
    library = project / "canned.yaml"
    library.write_text(f'- !!python/object/apply:builtins.open ["{marker}", "w"]\n')
    (project / "chatqa.toml").write_text('canned_library = "canned.yaml"\n')
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{library}: error: invalid YAML"), result.stderr
    assert not marker.exists()


@pytest.mark.parametrize(("toml", "line"), [
    ("colour = 1\n", "colour: unknown key"),
    ("[rules.hold-request]\nmin_count = 0\n", "rules.hold-request.min_count: Input should be greater than or equal to 1"),
    ("[rules.hold-request]\npatterns = [\"(hold\"]\n", "rules.hold-request.patterns[0]: unbalanced parentheses"),
    ("[scorecard]\ncap = -1\n", "scorecard.cap: Input should be greater than 0"),
    ("select = \"CQ1\"\n", "select: Input should be a valid list"),
])
def test_bad_config_keys_give_one_line_and_exit_2(project, toml, line):
    config = project / "chatqa.toml"
    config.write_text(toml)
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{config}: error: {line}"), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_invalid_toml(project):
    config = project / "chatqa.toml"
    config.write_text("select = [\n")
    result = check(project)
    assert result.exit_code == 2 and result.stderr.startswith(f"{config}: error: invalid TOML")


# -- hostile configuration files (SPEC section 8: safe YAML, bounded nesting and size, regular files only) --

ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
             "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"


def one_config_error(result, path: Path, reason: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert result.stderr.startswith(f"{path}: error: "), result.stderr
    assert reason in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr


@pytest.mark.parametrize(("text", "reason"), [
    (GOOD_RULE + ALIAS_BOMB, "aliases (*name) are not allowed"),
    (GOOD_RULE + "x: &ref hi\ny: *ref\n", "aliases (*name) are not allowed"),  # even a harmless one
    (GOOD_RULE + "deep: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 64 levels deep"),
    (GOOD_RULE + "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "v\n",
     "nested more than 64 levels deep"),
    (GOOD_RULE + "# " + "x" * (8 << 20) + "\n", "is larger than 8 MiB"),
    (GOOD_RULE + "description: caf\xe9\n", "is not UTF-8 text"),
])
def test_hostile_rule_files_are_refused(project, text, reason):
    path = project / "extra" / "acme" / "competitor.yaml"
    path.write_bytes(text.encode("latin-1") if "caf\xe9" in text else text.encode())
    one_config_error(check(project), path, reason)


def test_an_anchor_without_alias_is_fine(project):
    rule_file(project, GOOD_RULE.replace("level: warning", "level: &lvl warning"))
    assert check(project).exit_code == 0


@pytest.mark.parametrize("which", ["rule", "library", "lexicon", "config"])
def test_a_fifo_never_hangs_a_run(project, which):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    config = project / "chatqa.toml"
    target = {"rule": project / "extra" / "acme" / "competitor.yaml", "library": project / "canned.txt",
              "lexicon": project / "extra" / "lexicon.yaml", "config": project / "other.toml"}[which]
    os.mkfifo(target)
    if which == "library":
        config.write_text('rulesets = ["extra"]\ncanned_library = "canned.txt"\n')
    if which == "config":
        config = target
    rule_file(project, GOOD_RULE) if which != "rule" else None
    result = CliRunner().invoke(main, ["check", str(project / "a.jsonl"), "--config", str(config), "--format",
                                       "jsonl"], catch_exceptions=False)
    one_config_error(result, target, "not a regular file")


def test_deeply_nested_toml_is_a_config_error(project):
    config = project / "chatqa.toml"
    config.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    one_config_error(check(project), config, "nested too deeply")


def test_a_config_file_cannot_turn_masking_off(project):
    config = project / "chatqa.toml"
    config.write_text("redact = false\n")
    one_config_error(check(project), config, "redact: a config file cannot turn masking off; use --no-redact")
    config.write_text('rulesets = ["extra"]\n')
    rule_file(project, GOOD_RULE)
    assert check(project, "--no-redact").exit_code == 0  # the run's own flag still can


def test_a_fifo_named_like_a_config_is_skipped_when_discovering(tmp_path, monkeypatch):
    import os

    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    from chatqa.config import find_config

    (tmp_path / "sub").mkdir()
    os.mkfifo(tmp_path / "sub" / "chatqa.toml")
    os.mkfifo(tmp_path / "sub" / "pyproject.toml")
    (tmp_path / "chatqa.toml").write_text("select = ['ALL']\n")
    assert find_config(tmp_path / "sub") == tmp_path / "chatqa.toml"


@pytest.mark.parametrize(("patterns", "reason"), [
    ('["please *100000 hold"]', "gap *100000 in 'please *100000 hold' is wider than *12"),
    ("[\"" + " ".join(["(a b|c d|e f)?"] * 7) + "\"]", "compiles to more than 2,000 token patterns"),
    ("[\"" + " ".join(["w"] * 30) + "\"]", "has 30 slots (at most 24)"),
    ("[\"" + "x" * 3000 + "\"]", "pattern is 3,000 characters long"),
    ('[[{"LOWER": "a", "OP": "*"}, {"LOWER": "b", "OP": "*"}, {"LOWER": "c", "OP": "+"}]]',
     "more than 2 '*' or '+' operators"),
    ('[[{"LOWER": "a"}, {"IS_ALPHA": true, "OP": "{0,1000000}"}, {"LOWER": "b"}]]',
     "operator {0,1000000} repeats more than 12 times"),
    ("[" + ", ".join(['{"LOWER": "a"}'] * 30).join(["[", "]"]) + "]", "30 token patterns (at most 24)"),
])
def test_patterns_that_could_explode_are_refused_at_load(project, patterns, reason):
    path = rule_file(project, GOOD_RULE.replace('["(try|use) globex"]', patterns))
    result = check(project)
    one_config_error(result, path, reason)
    assert "patterns[0]" in result.stderr


def test_patterns_within_the_bounds_load(project):
    rule_file(project, GOOD_RULE.replace('["(try|use) globex"]', '["(try|use) *12 globex", "(a|b) (c|d)? globex", '
                                         '"' + " ".join(["(a|b|c|d|e|f)"] * 12) + ' globex"]'))
    assert check(project).exit_code == 0
