"""Testing rules the way chatqa tests its own: conversations written as short rows, and one
YAML file of cases per rule code, run through a real run (run-level rules included).

For authors of rule packs (as sqlfluff ships its rule-test harness)::

    # tests/test_my_rules.py
    import pytest
    from chatqa.testing import case_params, check_case

    @pytest.mark.parametrize("case", case_params("tests/rules", rulesets=["my_pack"]))
    def test_rule(case):
        check_case(case)

A case file ``tests/rules/XX101.yaml`` holds ``rule: XX101`` and named cases. A case gives
either ``transcript`` (a list of rows, see `transcript`) with ``findings`` (the findings
expected, in order, each a partial finding: any of its JSON keys, or ``message_contains``), or
``transcripts`` (id -> rows) with ``findings`` (id -> list), for run-level rules. Optional:
``configs`` (the rule's options; a ``library`` path is relative to the case file),
``channel`` (the conversations' channel, default chat), ``settings`` (top-level config keys,
e.g. ``business_hours``), ``not_applicable: true|false``, ``score``, ``metrics`` (id -> expected
metric values).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .model import Channel, Kind, Role, Transcript
from .results import Result

__all__ = ["T0", "Case", "case_params", "check_case", "load_cases", "run_case", "transcript"]

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
_ROLES = ("customer", "agent", "bot", "system")


def transcript(rows: Sequence[dict[str, Any]], id: str = "t1", vendor: str = "test",
               channel: Channel | str = Channel.CHAT) -> Transcript:
    """A transcript from short rows: ``{"customer": "Hi", "at": 0}``, ``{"agent": "Hello", "at": "45s"}``.

    Each row has its role as key with the text as value (customer, agent, bot or system), and
    optionally ``at`` (seconds after 09:00 on 2026-03-02, or a duration such as ``"2m"``;
    None: no time), ``author``, ``internal`` and ``kind``. Without any ``at`` the messages are
    10 s apart. Authors default to ``cust``, ``sam`` and ``botty``. The rows go through the
    normalisation every parser uses.
    """
    from .kinds import parse_duration
    from .normalize import normalise
    from .records import RawMessage

    timed = any("at" in r for r in rows)
    raws = []
    for i, row in enumerate(rows):
        role = next((k for k in row if k in _ROLES), None)
        if role is None:
            raise ValueError(f"row {i}: needs one of {', '.join(_ROLES)} as a key, got {sorted(row)}")
        at = row.get("at") if timed else i * 10
        at = None if at is None else parse_duration(at)
        raws.append(RawMessage(
            role=Role(role), text=row[role], time=None if at is None else T0 + timedelta(seconds=at),
            author_id=row.get("author", {"customer": "cust", "agent": "sam", "bot": "botty"}.get(role)),
            author_name=row.get("author"), internal=row.get("internal", False),
            kind=Kind(row.get("kind", "event" if role == "system" else "message")), loc=f"rows[{i}]",
        ))
    return normalise(id=id, vendor=vendor, source=f"test#{id}", lines=raws, channel=channel).transcript()


@dataclass(frozen=True)
class Case:
    """One named case of a rule's case file."""

    code: str
    name: str
    data: dict[str, Any]
    path: Path
    rulesets: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        """``CODE-name`` (the pytest id)."""
        return f"{self.code}-{self.name}"


def load_cases(folder: str | os.PathLike[str], rulesets: Iterable[str] = ()) -> list[Case]:
    """Every case of the ``<CODE>.yaml`` files in `folder` (rules come from the installed packs
    and `rulesets`, folders or pack names, as in a config's ``rulesets``)."""
    cases = []
    for path in sorted(Path(folder).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict) or "rule" not in data:
            raise ValueError(f"{path}: a case file needs `rule: CODE` and named cases")
        code = data.pop("rule")
        if code != path.stem:
            raise ValueError(f"{path}: rule {code} does not match the file name")
        for name, case in data.items():
            if not isinstance(case, dict):
                raise ValueError(f"{path}: case {name!r} must be a mapping")
            cases.append(Case(code, str(name), case, path, tuple(rulesets)))
    return cases


def case_params(folder: str | os.PathLike[str], rulesets: Iterable[str] = ()) -> list[Any]:
    """`load_cases` as ``pytest.param`` values with readable ids."""
    import pytest

    return [pytest.param(c, id=c.id) for c in load_cases(folder, rulesets)]


def run_case(case: Case) -> dict[str, Result]:
    """The results of a case's conversations, by id, from one run of its rule alone."""
    from .config import Config
    from .run import Run, engine_for

    options = dict(case.data.get("configs", {}))
    if "library" in options:
        options["library"] = str(case.path.parent / options["library"])
    config = Config.model_validate({**case.data.get("settings", {}), "select": [case.code],
                                     "rules": {case.code: options} if options else {},
                                     "rulesets": [str(r) for r in case.rulesets]})
    channel = case.data.get("channel", Channel.CHAT)
    if "transcripts" in case.data:
        transcripts = [transcript(rows, id=tid, channel=channel) for tid, rows in case.data["transcripts"].items()]
    else:
        transcripts = [transcript(case.data["transcript"], channel=channel)]
    return {r.id: r for r in Run(transcripts, engine_for(config), keep=True)}


def check_case(case: Case) -> None:
    """Run a case and assert that it gives what it says (AssertionError naming what differs)."""
    results = run_case(case)
    want = case.data.get("findings", [])
    if not isinstance(want, dict):
        want = {"t1": want}
    for tid, result in results.items():
        got = [f for f in result.findings if f.code == case.code]
        _assert_findings(got, want.get(tid, []), f"{case.id} {tid}")
        if case.data.get("not_applicable"):
            assert case.code in result.not_applicable, f"{case.id} {tid}: expected {case.code} not applicable"
        elif "not_applicable" in case.data:
            assert case.code not in result.not_applicable, f"{case.id} {tid}: {case.code} was not applicable"
        if "score" in case.data:
            assert result.score == case.data["score"], f"{case.id} {tid}: score {result.score}"
        for key, value in case.data.get("metrics", {}).get(tid, {}).items():
            got_value = getattr(result.metrics, key)
            assert got_value == value, f"{case.id} {tid}: {key} is {got_value!r}, expected {value!r}"


def _assert_findings(got: list[Any], want: list[dict[str, Any]], where: str) -> None:
    assert len(got) == len(want), f"{where}: expected {len(want)} finding(s), got {[f.record() for f in got]}"
    for finding, expected in zip(got, want, strict=True):
        record = finding.record()
        for key, value in expected.items():
            if key == "message_contains":
                assert value in record["message"], f"{where}: {record['message']!r}"
            else:
                assert record[key] == value, f"{where}: {key} is {record[key]!r}, expected {value!r}"
