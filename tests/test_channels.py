"""The channel a run judges (SPEC sections 2 and 5): `--channel` and its library equivalents, and
the same conversation judged as each channel deserves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import chatqa
from chatqa.cli import main
from chatqa.errors import ConfigError
from chatqa.model import Channel

# A first reply 20 minutes after the customer wrote, then a reply 40 minutes after the next message.
CONV = {"id": "c-1", "messages": [
    {"role": "customer", "author": "Ann", "time": "2026-03-02T10:00:00Z", "text": "My parcel never arrived"},
    {"role": "agent", "author": "Sam", "time": "2026-03-02T10:20:00Z", "text": "Sorry to hear that, checking now"},
    {"role": "customer", "author": "Ann", "time": "2026-03-02T10:21:00Z", "text": "It was due on Friday"},
    {"role": "agent", "author": "Sam", "time": "2026-03-02T11:01:00Z", "text": "It is at the depot, out today"},
]}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(CONV) + "\n")
    return path


def timing(*args: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(main, ["check", *args, "--format", "jsonl", "--select", "CQ1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    row = json.loads(result.stdout)
    return [(f["code"], f["level"]) for f in row["findings"] if f["code"] in ("CQ101", "CQ102")]


def test_the_same_text_as_chat_and_as_social(source: Path):
    assert timing(str(source)) == [("CQ101", "error"), ("CQ102", "warning")]  # neutral input defaults to chat
    assert timing(str(source), "--channel", "social") == []
    assert timing(str(source), "--channel", "messaging") == [("CQ101", "warning"), ("CQ102", "warning")]
    assert timing(str(source), "--channel", "EMAIL") == []


def test_voice_is_not_applicable_for_the_timing_rules(source: Path):
    result = CliRunner().invoke(main, ["check", str(source), "--format", "jsonl", "--channel", "voice"])
    row = json.loads(result.stdout)
    assert {"CQ101", "CQ102"} <= set(row["not_applicable"])


def test_channel_flag_overrides_the_record_and_the_config(source: Path, tmp_path: Path):
    source.write_text(json.dumps({**CONV, "channel": "social"}) + "\n")
    assert timing(str(source)) == []
    assert timing(str(source), "--channel", "chat") == [("CQ101", "error"), ("CQ102", "warning")]
    config = tmp_path / "chatqa.toml"
    config.write_text('channel = "chat"\n')
    assert timing(str(source), "--config", str(config)) == [("CQ101", "error"), ("CQ102", "warning")]
    assert timing(str(source), "--config", str(config), "--channel", "social") == []


def test_unknown_channel_is_a_usage_error(source: Path, tmp_path: Path):
    result = CliRunner().invoke(main, ["check", str(source), "--channel", "sms"])
    assert result.exit_code == 2 and "'sms' is not one of" in result.stderr
    config = tmp_path / "chatqa.toml"
    config.write_text('channel = "fax"\n')
    result = CliRunner().invoke(main, ["check", str(source), "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"{config}: error: channel: unknown channel 'fax' (channels: chat, messaging, social, "
        "email, voice)")


def test_library_channel_in_config_and_parse_options(source: Path):
    transcript = next(iter(chatqa.load(source)))
    assert transcript.channel is Channel.CHAT
    codes = lambda result: [f.code for f in result.findings if f.code.startswith("CQ10")]  # noqa: E731
    assert codes(chatqa.check(transcript)) == ["CQ101", "CQ102"]
    assert codes(chatqa.check(transcript, config={"channel": "social"})) == []
    assert transcript.channel is Channel.CHAT  # the caller's transcript is left as it was
    assert len(chatqa.analyze(source).findings.query("code == 'CQ101'")) == 1
    assert len(chatqa.analyze(source, config={"channel": "social"}).findings.query("code == 'CQ101'")) == 0
    assert len(chatqa.analyze([transcript], config={"channel": "social"}).findings.query("code == 'CQ101'")) == 0
    assert len(chatqa.analyze(source, channel="social").findings.query("code == 'CQ101'")) == 0
    assert next(iter(chatqa.load(source, channel="email"))).channel is Channel.EMAIL
    with pytest.raises(ConfigError, match="unknown channel 'sms'"):
        chatqa.check(transcript, config={"channel": "sms"})
    with pytest.raises(ValueError, match="channel"):
        chatqa.analyze(source, channel="sms")


def test_a_late_answer_to_thanks_is_judged_where_the_config_says():
    from chatqa.testing import transcript as make

    rows = [{"customer": "@brand lovely flight tonight, thank you!", "at": 0},
            {"agent": "@cust so glad you enjoyed it!", "at": "3h"}]
    thread = make(rows, channel="social")
    assert "CQ101" not in chatqa.check(thread).codes
    again = chatqa.check(thread, config={"rules": {"slow-first-reply": {"awaited_only_on": []}}})
    assert "CQ101" in again.codes


def test_closings_from_must_name_an_unanswered_rule():
    from chatqa.testing import transcript as make

    thread = make([{"customer": "hi", "at": 0}, {"agent": "hello", "at": 90}])
    with pytest.raises(ConfigError, match="closings_from: 'hold-request' is not an unanswered-kind rule"):
        chatqa.check(thread, config={"rules": {"slow-first-reply": {"closings_from": "hold-request"}}})
