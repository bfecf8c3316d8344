"""chatqa.saferegex wired into rule loading and matching: a rule file's regex can neither hang a
run nor be a pattern that needs backtracking."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


RULE = """\
code: ACME{code}
kind: phrase
level: warning
message: 'Matched: "{{quote}}".'
description: A rule with a raw spaCy token pattern holding a regex. Good and bad examples below.
examples:
  bad: ["aaaa"]
  good: ["b"]
patterns:
  - [{{"TEXT": {{"REGEX": {regex}}}}}]
"""


def _project(tmp_path: Path, regex: str, text: str) -> Path:
    folder = tmp_path / "extra" / "acme"
    folder.mkdir(parents=True)
    (folder / "regex-rule.yaml").write_text(RULE.format(code="100", regex=json.dumps(regex)))
    (tmp_path / "chatqa.toml").write_text('rulesets = ["extra"]\nselect = ["ACME100"]\n')
    conv = {"id": "c-1", "messages": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": text}]}
    (tmp_path / "a.jsonl").write_text(json.dumps(conv) + "\n")
    return tmp_path


def _run(project: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chatqa", "check", "a.jsonl", "--config", "chatqa.toml",
                           "--format", "jsonl"], cwd=project, capture_output=True, text=True, timeout=timeout)


def test_a_catastrophic_rule_regex_cannot_hang_a_run(tmp_path):
    project = _project(tmp_path, "(a+)+$", "see " + "a" * 40 + "b ok")  # 2**40 steps for Python's re
    try:
        result = _run(project, timeout=10)
    except subprocess.TimeoutExpired:
        pytest.fail("the run hung on a catastrophic regex")
    assert result.returncode == 0, result.stderr


def test_a_regex_that_needs_backtracking_is_a_config_error(tmp_path):
    project = _project(tmp_path, "(\\w)\\1", "aa")
    result = _run(project, timeout=60)
    path = project / "extra" / "acme" / "regex-rule.yaml"
    assert result.returncode == 2
    assert result.stderr.strip().startswith(
        f"{path.relative_to(project)}: error: patterns[0][0].TEXT.REGEX: backreference \\1 is not supported"
    ) or result.stderr.strip().startswith(f"{path}: error: patterns[0][0].TEXT.REGEX: backreference")


def test_rule_regexes_keep_their_meaning(tmp_path):
    project = _project(tmp_path, "^ORD\\d{3}$", "your order ORD123 and ORD12")
    result = _run(project, timeout=60)
    findings = json.loads(result.stdout)["findings"]
    assert [f["quote"] for f in findings] == ["ORD123"]
