"""Personal data in every output (SPEC section 8): card numbers are always masked; emails and phone
numbers are masked unless --no-redact / redact=False. Each output is searched for the raw values."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

import chatqa
from chatqa.cli import main
from chatqa.redact import luhn_ok

CARD_SPACED = "4539 1488 0343 6467"  # a Luhn-valid Visa test number
CARD_DASHED = "4539-1488-0343-6467"
CARD_DIGITS = "4539148803436467"
EMAIL = "ann.lee@example.org"
PHONE = "+44 7700 900123"
PHONE_US = "(415) 555-0134"
CARDS = (CARD_SPACED, CARD_DASHED, CARD_DIGITS)
PERSONAL = (EMAIL, PHONE, PHONE_US)

T = "2026-03-01T10:00:{:02d}Z"
CONV = {
    "id": "r-1", "tags": ["vip"],
    "rating": {"value": 1, "scale": 5, "comment": f"Call me at {PHONE} or mail {EMAIL}; card {CARD_DASHED}"},
    "metadata": {"form": {"email": EMAIL, "phone": PHONE_US, "card": CARD_SPACED}, "note": f"paid with {CARD_DASHED}"},
    "messages": [
        {"role": "customer", "author": EMAIL, "time": T.format(0),
         "text": f"Hi, my email is {EMAIL} and call me on {PHONE} please. My card is {CARD_SPACED}."},
        {"role": "agent", "author": "Sam", "author_id": "sam", "time": T.format(30),
         "text": f"Hi, I'm Sam. I promise to mail {EMAIL} today. Please type the full card number here."},
        {"role": "customer", "author": EMAIL, "time": T.format(50), "text": f"It is {CARD_DASHED}, call me on {PHONE}"},
        {"role": "agent", "author": "Sam", "author_id": "sam", "time": T.format(59),
         "text": f"Thanks, my email is {EMAIL} if you need me, or call me at {PHONE_US}."},
        # the quote "call me at (415)" ends inside the phone number: its display must not split it
        {"role": "customer", "author": EMAIL, "time": T.format(59), "text": f"Or call me at {PHONE_US} tomorrow"},
    ],
}
# A rule pack that quotes contact details, so findings' quotes hold them before redaction.
RULE = """
code: PII001
kind: phrase
level: warning
scope: any
message: 'Contact details in chat: "{quote}".'
description: Flags contact details written in chat. Good and bad examples below.
examples:
  bad: ["my email is ann@example.com"]
  good: ["I have no email"]
patterns:
  - "(email|mail) is *"
  - "call me (on|at) *3"
  - "mail *"
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("redact")
    exports = root / "exports"
    exports.mkdir()
    bad = {"id": "bad", "messages": [{"role": "customer", "time": CARD_SPACED, "text": "x"}]}
    (exports / "a.jsonl").write_text(json.dumps(CONV) + "\n" + json.dumps({**CONV, "id": "r-2"}) + "\n"
                                     + json.dumps(bad) + "\n")
    (root / "extra" / "privacy").mkdir(parents=True)
    (root / "extra" / "privacy" / "contact-details.yaml").write_text(RULE)
    (root / "chatqa.toml").write_text('rulesets = ["extra"]\n')
    return exports, root / "chatqa.toml"


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


def test_the_values_are_what_they_claim():
    assert luhn_ok(CARD_DIGITS)
    from chatqa.redact import find_cards, redact

    assert [c[2] for c in find_cards(f"{CARD_SPACED} and {CARD_DASHED}")] == [CARD_DIGITS, CARD_DIGITS]
    assert all(v not in redact(f"x {v} y") for v in PERSONAL)


def _text(fmt: str, data: bytes) -> str:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(io.BytesIO(data)).to_pandas().to_csv()
    return data.decode("utf-8")


def _squash(text: str) -> str:
    """Letters and digits only: a value split by markup, a line wrap or a cut still shows."""
    return re.sub(r"[^0-9a-z]", "", html.unescape(re.sub(r"<[^>]*>", "", text)).lower())


def _leaks(text: str, values: tuple[str, ...]) -> list[str]:
    squashed = _squash(text)
    return [v for v in values if v in text or _squash(v) in squashed]


FORMATS = ["table", "jsonl", "json", "csv", "parquet", "html"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_check_outputs_mask_everything_by_default(setup, tmp_path, fmt):
    exports, config = setup
    target = tmp_path / f"out.{fmt}"
    code, _, stderr = run("check", exports, "--config", config, "--format", fmt, "-o", target,
                          "--errors", tmp_path / "errors.jsonl")
    assert code == 3, stderr
    text = _text(fmt, target.read_bytes())
    assert "r-1" in text
    assert _leaks(text, CARDS + PERSONAL) == []
    if fmt != "parquet":
        assert "**** **** **** 6467" in text or fmt in ("csv",)
    # error lines and the errors file quote input values: never a card
    assert _leaks(stderr + (tmp_path / "errors.jsonl").read_text(), CARDS) == []
    assert "**** **** **** 6467" in stderr


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_redact_keeps_emails_and_phones_but_never_cards(setup, tmp_path, fmt):
    exports, config = setup
    target = tmp_path / f"out.{fmt}"
    run("check", exports, "--config", config, "--format", fmt, "-o", target, "--no-redact")
    text = _text(fmt, target.read_bytes())
    assert _leaks(text, CARDS) == []
    if fmt not in ("csv", "parquet"):  # the conversation tables hold no text
        assert EMAIL in text  # the PII001 quotes (and, in table/html, the offending lines) keep them


def test_quotes_are_redacted_in_jsonl(setup):
    exports, config = setup
    _, out, _ = run("check", exports, "--config", config, "--format", "jsonl")
    quotes = [f["quote"] for line in out.splitlines() for f in json.loads(line)["findings"] if f["quote"]]
    assert "email is [email]" in quotes and "mail [email]" in quotes and "call me on [phone]" in quotes
    assert "**** **** **** 6467" in quotes


def test_export_is_safe_to_share(setup, tmp_path):
    exports, _ = setup
    target = tmp_path / "shared.jsonl"
    run("export", exports, "-o", target)
    text = target.read_text()
    assert "r-1" in text and "[email]" in text and "[phone]" in text
    assert _leaks(text, CARDS + PERSONAL) == []  # messages, rating comments, metadata and authors
    code, out, _ = run("export", exports, "--no-redact")
    assert EMAIL in out.decode() and PHONE in out.decode()
    assert _leaks(out.decode(), CARDS) == []


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_sample_review_queue(setup, tmp_path, suffix):
    exports, config = setup
    target = tmp_path / f"queue{suffix}"
    code, _, stderr = run("sample", exports, "--config", config, "-n", "2", "--seed", "1", "-o", target)
    assert code == 3, stderr
    text = target.read_text()
    assert "r-1" in text
    assert _leaks(text, CARDS + PERSONAL) == []


def _frames_text(report) -> str:
    return "\n".join(df.to_csv() for df in (report.conversations, report.findings, report.agents))


def test_report_dataframes(setup):
    exports, config = setup
    report = chatqa.analyze(exports, config=config)
    text = _frames_text(report)
    assert "r-1" in text and "[email]" in text
    assert _leaks(text, CARDS + PERSONAL) == []
    assert _leaks(" ".join(str(f) for f in report.summary.failures), CARDS) == []


def test_report_dataframes_without_redaction(setup):
    exports, _ = setup
    report = chatqa.analyze(exports, config={"redact": False, "rulesets": [str(Path(setup[1]).parent / "extra")]})
    text = _frames_text(report)
    assert EMAIL in text
    assert _leaks(text, CARDS) == []


def test_library_check_masks_cards_in_quotes(setup):
    exports, _ = setup
    transcript = next(iter(chatqa.load(exports / "a.jsonl", errors="collect")))
    result = chatqa.check(transcript)
    text = json.dumps(result.record())
    assert _leaks(text, CARDS) == []


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from([CARD_SPACED, CARD_DASHED, EMAIL, PHONE, PHONE_US, " ", "x", "1", "-", "@", "call"]),
                max_size=12).map("".join), st.lists(st.integers(0, 200), max_size=4), st.booleans())
def test_cut_redaction_equals_whole_redaction(text, cuts, personal):
    """However a text is cut for display, the pieces put together are the redacted text."""
    from chatqa.redact import redact, redact_pieces

    bounds = sorted({0, len(text), *(min(c, len(text)) for c in cuts)})
    assert "".join(redact_pieces(text, bounds, personal=personal)) == redact(text, personal=personal)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_run_level_findings_are_redacted_too(tmp_path, jobs):
    """CQ501 names the agent, here by an email: redacted like every other finding (local findings
    are redacted when each conversation is checked, run-level ones when the run completes)."""
    agent = "kim.ray@support.example.org"
    lines = [json.dumps({"id": f"c{i}", "messages": [
        {"role": "customer", "time": f"2026-03-01T10:0{i}:00Z", "text": "hi"},
        {"role": "agent", "author": "Kim", "author_id": agent, "time": f"2026-03-01T10:0{i}:30Z", "text": "hello"},
        {"role": "customer", "time": "2026-03-01T10:30:00Z", "text": "thanks"},
    ]}) for i in range(4)]
    (tmp_path / "chats.jsonl").write_text("\n".join(lines) + "\n")
    messages = {}
    for flag in ([], ["--no-redact"]):
        _, out, _ = run("check", tmp_path / "chats.jsonl", "--format", "jsonl", "--select", "CQ501", "--jobs", jobs,
                        *flag)
        messages[bool(flag)] = [f["message"] for line in out.splitlines() for f in json.loads(line)["findings"]]
    assert len(messages[False]) == 4 and all(m.startswith("[email] had 3 other") for m in messages[False])
    assert all(m.startswith(f"{agent} had 3 other") for m in messages[True])
