"""Any text runs through the whole default rule pack: no crash, spans inside the text, and time
linear in the text's length (no catastrophic regex anywhere on the path)."""

from __future__ import annotations

import gc
import os
import time

import pytest
from conftest import make_transcript
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatqa.engine import Engine
from chatqa.parsers.neutral import to_neutral
from chatqa.redact import redact

ENGINE = Engine()
DEFAULT = settings(max_examples=60, deadline=None, derandomize=not os.environ.get("CHATQA_FUZZ_RANDOM"),
                   database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

ODD = ["😀", "👩‍👩‍👧", "🇺🇸", "\u200b", "\u200d", "\u200e", "\u202e", "\u2066", "\ufeff", "e\u0301", "\u0301\u0301",
       "שלום", "مرحبا", "ｈｏｌｄ", "İ", "ß", "ﬁ", "\u00a0", "\u2028", "\r", "\t", "\x00", "\x7f", "4111 1111 1111 1111",
       "4111-1111-1111-1111", "a@b.co", "+44 7700 900123", "please hold", "hold on", "I'm in a hurry", "...", "—",
       "<b>", "&amp;", "I promise", "click here", "sorry", "I'm Sam", "password", "CVV", "#", "@", "(", ")"]
chat_text = st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=12)), max_size=25).map(" ".join)


def _check_result(transcript):
    result = ENGINE.check(transcript)
    for f in result.findings:
        if f.span is not None:
            text = transcript.messages[f.message_index].text
            assert 0 <= f.span[0] <= f.span[1] <= len(text)
            assert "4111 1111 1111 1111" not in (f.quote or "") + f.message
    assert result.score is None or 0 <= result.score <= 100
    return result


@DEFAULT
@given(st.lists(st.tuples(st.sampled_from(["customer", "agent", "bot", "system"]), chat_text,
                          st.one_of(st.none(), st.integers(0, 10**6))), min_size=1, max_size=8))
def test_any_text_runs_the_whole_rule_pack(rows):
    timed = all(at is not None for _, _, at in rows)
    transcript = make_transcript([{role: text, **({"at": at} if timed else {})} for role, text, at in rows])
    _check_result(transcript)
    exported = to_neutral(transcript)
    assert all("4111 1111 1111 1111" not in m["text"] for m in exported["messages"])


@pytest.mark.fuzz_long
@settings(DEFAULT, max_examples=int(os.environ.get("CHATQA_FUZZ_EXAMPLES", "1000")))
@given(st.lists(st.tuples(st.sampled_from(["customer", "agent"]), chat_text), min_size=1, max_size=12))
def test_long_any_text_runs_the_whole_rule_pack(rows):
    _check_result(make_transcript([{role: text} for role, text in rows]))


# ----------------------------------------------------------------------------- linear time

# Text shaped to hurt backtracking regexes and the matcher: near-emails, long digit runs with
# separators, repeated trigger words, long runs of punctuation and spaces, combining marks.
ADVERSARIAL = [
    "a@" + "b." * 40 + "c" * 30 + " ",
    "x" * 200 + "@" + "y" * 200 + " ",
    "1 2-3 " * 40,
    "4" * 300 + " ",
    "please hold on, wait a moment " * 3,
    "- " * 50 + "-" * 50,
    " " * 200 + "\n" * 20,
    "e" + "\u0301" * 100 + " ",
    "hold " * 60,
    "((((((((((" * 10 + "]]]]]" * 10,
    "+1 (" * 30,
    "0" * 50 + " 0" * 50,
    "@" * 200,
    ". " * 100,
]


def _pieces(piece, size: int) -> str:
    """`size` characters of `piece(i)` for i = 0, 1, 2..."""
    out, total, i = [], 0, 0
    while total < size:
        out.append(piece(i))
        total += len(out[-1])
        i += 1
    return "".join(out)[:size]


def _adversarial(size: int, salt: int = 0) -> str:
    """`size` characters of ADVERSARIAL pieces, each tagged with a unique number so that no
    cache of repeated text can hide the real cost."""
    return _pieces(lambda i: f"{ADVERSARIAL[i % len(ADVERSARIAL)]} n{salt}x{i} ", size)


def _pipeline(text: str) -> None:
    """What one run does with a message: every rule, then redaction as the outputs do it."""
    transcript = make_transcript([{"customer": "I'm in a hurry " + text, "at": 0},
                                  {"agent": "Hi, I'm Sam. " + text, "at": 30}])
    result = ENGINE.check(transcript)
    for f in result.findings:
        redact(f.quote or "")
    for m in transcript.messages:
        redact(m.text)
    to_neutral(transcript)


def _seconds(make, size: int, run: int) -> float:
    """One timing on new text (caches of earlier runs cannot help), in CPU time of this thread:
    neither other processes on a busy machine nor threads an earlier test left running count.
    The garbage collector is paused: its full passes scan every object the whole test session
    holds, a cost that has nothing to do with this text."""
    text = make(size, salt=size + run)
    gc.collect()
    gc.disable()
    try:
        started = time.thread_time()
        _pipeline(text)
        return time.thread_time() - started
    finally:
        gc.enable()


def _dense(size: int, salt: int = 0) -> str:
    """One finding's phrase over and over: tens of thousands of matches in one message."""
    return _pieces(lambda i: f"Please hold while I check {salt}x{i}. ", size)


def _anchors(size: int, salt: int = 0) -> str:
    """A phrase's words every few characters of one long line (no newline)."""
    out, total, i = [], 0, 0
    while total < size:
        piece = f"wait {salt}x{i} " if i % 2 else "hold on "
        out.append(piece)
        total += len(piece)
        i += 1
    return "".join(out)[:size]


@pytest.mark.parametrize("make", [_adversarial, _dense, _anchors], ids=["adversarial", "dense-matches", "anchors"])
def test_adversarial_text_takes_linear_time(make):
    """Not a speed claim: 8x more text (64 KB -> 512 KB) may take at most 16x longer (plus slack
    for a noisy shared machine); linear work takes ~8-9x, anything quadratic ~64x, exponential
    far more. Each timing runs on new text, so no cache of repeated windows or matches can hide
    the cost."""
    _pipeline("warm up " + make(4096, salt=-1))
    # Interleaved, best of two each: a slow spell of the machine hits both sizes alike.
    small, large = float("inf"), float("inf")
    for run in range(2):
        small = min(small, _seconds(make, 64 * 1024, run))
        large = min(large, _seconds(make, 512 * 1024, run))
    assert large < 16 * small + 0.5, (small, large)


def test_a_one_megabyte_message_is_checked():
    """Bigger than spaCy's default max_length (1,000,000 characters)."""
    text = _dense(1_100_000)
    transcript = make_transcript([{"customer": "hi", "at": 0}, {"agent": text, "at": 30}])
    codes = {f.code for f in ENGINE.check(transcript).findings}
    assert "CQ201" in codes
