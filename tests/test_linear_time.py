"""Every built-in regex and text walk runs in linear time (SPEC section 8): on adversarial text,
four times the input takes about four times as long. The bound is generous (a quadratic pass
would take 16x, an exponential one far more); each size is timed in CPU time of this process
(time other processes take on a busy machine does not count), as the best of a few runs taken
in turns."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from chatqa.kinds.corpus import canned_keys
from chatqa.redact import find_cards, redact, redact_message

BOUND = 9.0


def cpu_time(func: Callable[[str], object], text: str) -> float:
    start = time.process_time()
    func(text)
    return time.process_time() - start


def growth(func: Callable[[str], object], make: Callable[[int], str], n: int, runs: int = 5) -> float:
    small_text, large_text = make(n), make(4 * n)
    small = large = float("inf")
    for _ in range(runs):
        small = min(small, cpu_time(func, small_text))
        large = min(large, cpu_time(func, large_text))
    return large / max(small, 1e-6)


def _twcs(n: int) -> str:
    rows = ["tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"]
    rows += [f"{i},{'Brand' if i % 2 else 'cust'},{'False' if i % 2 else 'True'},Tue Oct 31 22:10:47 +0000 2017,"
             f"hi -A https://t.co/x https://t.co/y,,{i - 1 if i else ''}" for i in range(n)]
    return "\n".join(rows) + "\n"


def _parse_twcs(text: str) -> object:
    import tempfile
    from pathlib import Path

    import chatqa

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "twcs.csv"
        path.write_text(text)
        return list(chatqa.load(path, vendor="twcs"))


CASES = {
    "email in redaction (long word)": (redact, lambda n: "a" * n, 4000),
    "email in redaction (many @)": (redact, lambda n: "a@a." * n, 4000),
    "phone numbers": (redact, lambda n: "+1 " * n, 4000),
    "card runs (one-digit groups)": (lambda t: list(find_cards(t)), lambda n: "4 " * n, 2000),
    "card runs (Luhn windows)": (lambda t: list(find_cards(t)), lambda n: "41-" * n, 2000),
    "redaction of many cards": (redact, lambda n: "4111-1111-1111-1111-" * n, 300),
    "export masking of many cards": (redact_message, lambda n: "4111-1111-1111-1111-" * n, 300),
    "canned keys: emails": (lambda t: canned_keys([t], frozenset(), 3), lambda n: "a@" * n, 4000),
    "canned keys: only @": (lambda t: canned_keys([t], frozenset(), 3), lambda n: "@" * n, 4000),
    "canned keys: placeholders": (lambda t: canned_keys([t], frozenset(), 3, template=True),
                                  lambda n: "{{ " + " " * n, 8000),
    "canned keys: sign-offs": (lambda t: canned_keys([t], frozenset(), 3), lambda n: " -a" * n, 4000),
    "twcs signature with links": (lambda t: __import__("chatqa.parsers.twcs", fromlist=["x"]).signature(t),
                                  lambda n: "Sorry! -A " + "https://t.co/ab " * n + "!", 2000),
    "twcs reply chain": (_parse_twcs, _twcs, 200),
}


@pytest.mark.parametrize("name", CASES)
def test_linear_growth(name):
    func, make, n = CASES[name]
    ratio = growth(func, make, n)
    if ratio > BOUND:  # once more before failing: a busy machine can stall one measurement
        ratio = min(ratio, growth(func, make, n))
    assert ratio < BOUND, f"{name}: 4x the input took {ratio:.1f}x the time"
