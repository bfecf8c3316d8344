"""Golden files per sample export, invariants for every registered parser, and plug-in registration."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from conftest import ROOT, SAMPLES, parse_file

from chatqa.errors import Failure
from chatqa.metrics import compute
from chatqa.model import Role, Transcript
from chatqa.normalize import RawMessage
from chatqa.parsers import JsonParser, RecordContext, detect, registry
from chatqa.read import InputFile
from chatqa.read.archive import is_zip

GOLDEN = Path(__file__).parent / "golden"
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not p.name.startswith("."))


def parse_sample(path: Path) -> list[Transcript]:
    rel = path.relative_to(ROOT)
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        items = list(parse_file(rel))
    finally:
        os.chdir(cwd)
    failures = [i for i in items if isinstance(i, Failure)]
    assert failures == [], failures
    return items


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_golden(path):
    got = [t.model_dump(mode="json") for t in parse_sample(path)]
    golden = GOLDEN / f"{path.name}.expected.json"
    if os.environ.get("CHATQA_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert golden.exists(), f"no golden file; run CHATQA_UPDATE_GOLDEN=1 pytest {__file__}"
    assert got == json.loads(golden.read_text())


def test_every_registered_parser_has_a_sample():
    detected = {detect(InputFile(p)).name for p in SAMPLE_FILES if not is_zip(p)}
    assert detected == set(registry.names())


def test_the_webhook_and_archive_samples_are_what_their_script_writes():
    from make_samples import FILES

    for name, make in FILES.items():
        assert (SAMPLES / name).read_bytes() == make(), f"run python tests/make_samples.py ({name})"


def test_every_golden_file_has_a_sample():
    assert {p.name.removesuffix(".expected.json") for p in GOLDEN.glob("*.expected.json")} == {
        p.name for p in SAMPLE_FILES}


def all_sample_transcripts() -> list[Transcript]:
    return [t for p in SAMPLE_FILES for t in parse_sample(p)]


@pytest.mark.parametrize("transcript", all_sample_transcripts(), ids=lambda t: f"{t.vendor}:{t.id}")
def test_invariants(transcript):
    msgs = transcript.messages
    assert [m.index for m in msgs] == list(range(len(msgs)))
    timed = [m.sent_at for m in msgs if m.sent_at is not None]
    assert timed == sorted(timed)
    assert all(t.utcoffset().total_seconds() == 0 and t.tzinfo is not None for t in timed)
    assert all(isinstance(m.role, Role) for m in msgs)
    assert all(m.role is Role.SYSTEM for m in msgs if m.kind.value == "event")
    assert transcript.id and transcript.source.startswith("sample_transcripts/")
    # internal notes and whispers change no metric
    visible = transcript.model_copy(update={"messages": tuple(m for m in msgs if not m.internal)})
    assert compute(visible) == compute(transcript)
    if timed:
        assert transcript.started_at == min(timed) and transcript.ended_at == max(timed)


def test_samples_cover_the_quirks():
    ts = all_sample_transcripts()
    kinds = {(t.vendor, m.kind.value) for t in ts for m in t.messages}
    roles = {(t.vendor, m.role.value) for t in ts for m in t.messages}
    assert {("livechat", "note"), ("livechat", "event"), ("livechat", "file"), ("intercom", "note"),
            ("livechat-v2", "note"), ("zendesk-chat", "event"), ("liveperson", "file")} <= kinds
    assert {("intercom", "bot"), ("zendesk-chat", "bot"), ("liveperson", "bot"), ("chatqa", "bot")} <= roles
    assert any(t.vendor == "stc3" and all(m.sent_at is None for m in t.messages) for t in ts)
    assert any(len(set(compute_agents(t))) > 1 for t in ts)  # a transfer


def compute_agents(t: Transcript) -> list[str]:
    from chatqa.metrics import agents

    return agents(t)


class _PlugIn(JsonParser):
    """A third-party format: {"convo": [[speaker, text], ...], "ref": ...}."""

    name = "acme"
    summary = "ACME chat dump"
    priority = 60

    def is_record(self, value: Any) -> bool:
        return isinstance(value, dict) and "convo" in value and "ref" in value

    def convert(self, record: Any, ctx: RecordContext) -> Transcript:
        roles = {"them": Role.CUSTOMER, "us": Role.AGENT}
        return ctx.build(id=record["ref"], messages=[
            RawMessage(role=roles[who], text=text, loc=f"convo[{i}]") for i, (who, text) in enumerate(record["convo"])
        ])


def test_third_party_parsers_register_like_the_built_ins(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text('{"ref": "A1", "convo": [["them", "hi"], ["us", "hello"]]}\n{"ref": "A2", "convo": [["x", "?"]]}\n')
    registry.register("acme", _PlugIn)
    try:
        items = list(parse_file(path))
    finally:
        registry.unregister("acme")
    assert items[0].vendor == "acme" and [m.role for m in items[0].messages] == [Role.CUSTOMER, Role.AGENT]
    assert isinstance(items[1], Failure) and items[1].locator == "line 2" and "'x'" in items[1].reason


def _neutral(tmp_path: Path, records: list[Any], monkeypatch: Any = None, plain: bool = True) -> list[Any]:
    import chatqa.parsers.neutral as neutral

    if not plain and monkeypatch is not None:
        monkeypatch.setattr(neutral.NeutralParser, "convert_bytes", lambda self, raw, ctx: None)
    path = tmp_path / ("plain" if plain else "validated") / "chats.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return list(parse_file(path, "chatqa"))


NEUTRAL_CASES = [
    {"id": "a", "messages": [{"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": "Hi  there"},
                             {"role": "agent", "author": "Sam", "author_id": "s@x", "time": "2026-03-01T10:00:41Z",
                              "text": "Hello\nAnn", "internal": False},
                             {"role": "bot", "author": "Bot", "time": "2026-03-01T10:00:50Z", "text": None},
                             {"role": "system", "kind": "event", "event": "closed", "time": "2026-03-01T10:01:00Z"}],
     "tags": ["billing", "billing", ""], "metadata": {"k": 1}, "vendor": "acme"},
    {"id": "b", "messages": [{"role": "agent", "author": "Bot", "author_id": "x", "time": "2026-03-01T10:00:00Z",
                              "text": "hi"},  # seen as a bot first, then as an agent: listed as the agent
                             {"role": "bot", "author": "Bot", "author_id": "x", "time": "2026-03-01T10:00:01Z",
                              "text": "hi"}]},
    {"id": "c", "messages": []},
]


def test_neutral_fast_path_equals_the_validating_path(tmp_path, monkeypatch):
    """Plain neutral records are decoded straight into lines (msgspec) instead of through
    pydantic's forgiving validators: the same transcripts."""
    fast = _neutral(tmp_path, NEUTRAL_CASES)
    slow = _neutral(tmp_path, NEUTRAL_CASES, monkeypatch, plain=False)
    strip = {"source"}  # the files differ
    assert [t.model_dump(exclude=strip) for t in fast] == [t.model_dump(exclude=strip) for t in slow]
    assert fast[0].messages[0].text == "Hi there" and fast[1].participants[0].role is Role.AGENT


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                    st.sampled_from(["", " x ", "Hi  there", "a\tb", "line\nline", "é ✓ 😩", "2026-03-01T10:00:00Z",
                                     "2026-03-01 10:00:00", "2026-03-01T10:00:00.1234567Z", "2026-03-01t10:00:00z",
                                     "2026-03-01T10:00:00+02:00", "1700000000", "null", "Agent", "customer", "bot",
                                     "note", "event", " Email "]))
_MESSAGE = st.fixed_dictionaries({"role": st.sampled_from(["customer", "agent", "bot", "system", "Agent", "robot"])},
                                 optional={k: _VALUES for k in ("text", "author", "author_id", "time", "internal",
                                                                "kind", "event", "index", "html", "seq", "loc",
                                                                "user_type")})
_RECORD = st.fixed_dictionaries({"id": st.one_of(st.sampled_from(["c1", " ", ""]), st.integers(0, 9)),
                                 "messages": st.lists(_MESSAGE, max_size=4)},
                                optional={"tags": st.lists(_VALUES, max_size=2), "vendor": _VALUES,
                                          "channel": _VALUES, "metadata": st.just({"k": [1]}),
                                          "rating": st.sampled_from([None, 4]), "participants": st.just(None)})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_RECORD, min_size=1, max_size=3))
def test_neutral_fast_path_equals_the_validating_path_on_any_record(tmp_path, monkeypatch, records):
    fast = _neutral(tmp_path, records)
    with monkeypatch.context() as patch:
        slow = _neutral(tmp_path, records, patch, plain=False)
    strip = {"source"}
    assert [t.model_dump(exclude=strip) if isinstance(t, Transcript) else ("failure", t.locator) for t in fast] == \
        [t.model_dump(exclude=strip) if isinstance(t, Transcript) else ("failure", t.locator) for t in slow]


@pytest.mark.parametrize(("message", "reason"), [
    ({"role": ["agent"], "text": "hi"}, "input should be"),
    ({"role": "agent", "kind": {"a": 1}, "text": "hi"}, "input should be"),
    ({"role": "agent", "text": {"a": 1}}, "input should be a valid string"),
    ({"role": "agent", "time": "2026-03-01T10:00:00Z", "text": "a"}, None),
])
def test_neutral_odd_values_take_the_validating_path(tmp_path, message, reason):
    items = _neutral(tmp_path, [{"id": "x", "messages": [message]}])
    if reason is None:
        assert isinstance(items[0], Transcript)
    else:
        assert isinstance(items[0], Failure) and reason in items[0].reason.lower(), items[0]


def test_channel_is_set_by_every_format(tmp_path):
    by_vendor = {t.vendor: t.channel.value for t in all_sample_transcripts()}
    assert by_vendor["twcs"] == by_vendor["ibm-twitter"] == by_vendor["stc3"] == "social"
    assert by_vendor["livechat"] == by_vendor["zendesk-chat"] == by_vendor["chatqa"] == "chat"
    path = tmp_path / "c.jsonl"
    path.write_text('{"id": "a", "channel": " Email ", "messages": [{"role": "customer", "text": "hi"}]}\n'
                    '{"id": "b", "channel": "fax", "messages": [{"role": "customer", "text": "hi"}]}\n')
    items = list(parse_file(path))
    assert items[0].channel.value == "email"
    assert isinstance(items[1], Failure) and "channel" in items[1].locator
