"""The phrase pattern language, the scan that finds candidates without spaCy (it must never
lose a match spaCy finds), the windows spaCy reads, and the bounded vocabulary."""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from conftest import SAMPLES, dialogue_files

import chatqa.match.tokens as tokens
from chatqa.engine import Engine
from chatqa.inputs import Loader
from chatqa.match import PhraseIndex, parse_pattern
from chatqa.match.scan import SPACES, fold, windows


@cache
def default_engine() -> Engine:
    return Engine()


def index(*patterns: str) -> PhraseIndex:
    idx = PhraseIndex()
    idx.add("k", list(patterns))
    return idx


def quotes(idx: PhraseIndex, text: str) -> list[str]:
    return [text[a:b] for a, b in idx.match(text).get("k", [])]


@pytest.mark.parametrize(("pattern", "error"), [
    ("", "empty pattern"),
    ("(hold", "unbalanced parentheses"),
    ("(a|)", "empty alternative"),
    ("please? *", "has no required word"),
    ("ho|ld", "misplaced"),
])
def test_malformed_patterns(pattern, error):
    with pytest.raises(ValueError, match=error):
        parse_pattern(pattern)


@pytest.mark.parametrize(("pattern", "text", "found"), [
    ("i'm helping", "I am helping you", ["I am helping"]),
    ("i'm helping", "im helping u", ["im helping"]),
    ("i'm helping", "I'm helping", ["I'm helping"]),
    ("i am helping", "I'm helping", ["I'm helping"]),
    ("please hold", "PLS HOLD", ["PLS HOLD"]),
    ("(hold|hang) on", "hold-on... hang on", ["hold-on", "hang on"]),
    ("hold on", "hold... on", ["hold... on"]),
    ("hold on", "hold. On Monday", []),
    ("give me a minute", "gimme a min", ["gimme a min"]),
    ("(can't|cannot) wait", "I cant wait, can not wait", ["cant wait", "can not wait"]),
    ("wait # (minutes|mins)", "wait 5 mins or wait five minutes", ["wait 5 mins", "wait five minutes"]),
    ("your *2 number", "your card number, your order tracking number", ["your card number",
                                                                         "your order tracking number"]),
    ("your *2 number", "your card. Number", []),
    ("(i'm|this is) <name>", "Hi, I'm Sam. This is Sorry", ["I'm Sam"]),
    ("please? hold", "hold please hold", ["hold", "please hold"]),
    ("(a moment|one sec)", "just a moment or one sec", ["a moment", "one sec"]),
])
def test_pattern_language(pattern, text, found):
    assert quotes(index(pattern), text) == found


@cache
def sample_texts() -> list[str]:
    texts = [m.text for t in Loader(SAMPLES) for m in t.messages]
    return texts + [
        "Hold-on... lemme check ur order pls", "gimme a sec", "im handling several chats rn",
        "U r welcome!! bear w/ me", "can't promise anything", "itll definitely arrive", "Click-and-collect",
        "plz wiat", "What's ur CVV?", "dont share ur pin", "5mins", "whats ur password", "Hello, I'm Ann.",
    ]


def test_prefilter_never_loses_a_match():
    """Scanning for anchor words first must find exactly what running every pattern finds."""
    engine = default_engine()
    for text in sample_texts():
        assert engine.index.match(text) == engine.index.match(text, prefilter=False), text


def matcher_only(engine: Engine) -> PhraseIndex:
    """The engine's patterns, every one on spaCy's Matcher (the reference semantics)."""
    idx = PhraseIndex(phrase_matcher=False)
    for key in engine.index.keys():
        idx.add(key, engine.index._specs[key])
    return idx


@cache
def default_reference() -> PhraseIndex:
    """`matcher_only` of the default engine, built once for the tests below."""
    return matcher_only(default_engine())


def test_phrase_matcher_equals_the_matcher():
    """Plain-word patterns run on the PhraseMatcher: the same spans as the Matcher would give."""
    engine, reference = default_engine(), default_reference()
    for text in sample_texts() + ["hold-on", "hold - - on", "double click or double-click", "-hold on-",
                                  "pls... hold", "please ~ wait", "hold\non"]:
        assert engine.index.match(text) == reference.match(text, prefilter=False), text


# The reference runs every pattern of the pack on spaCy's Matcher (~40 ms a message): the default
# run checks every 32nd conversation of each corpus, the long run every 4th.
@pytest.mark.parametrize(("every", "at_least"), [(32, 300), pytest.param(4, 2_500, marks=pytest.mark.fuzz_long)],
                         ids=["every-32nd", "every-4th"])
def test_prefilter_on_real_corpora(corpora, every, at_least):
    engine, reference = default_engine(), default_reference()
    checked = 0
    for i, t in enumerate(Loader(dialogue_files(corpora))):
        for m in t.messages[:4] if i % every == 0 else ():
            assert engine.index.match(m.text) == reference.match(m.text, prefilter=False), m.text
            checked += 1
    assert checked > at_least


def test_vocabulary_is_rebuilt_when_it_grows(monkeypatch):
    monkeypatch.setattr(tokens, "MAX_STRINGS", 3_000)
    idx = index("please hold")
    for i in range(2_000):
        idx.match(f"please hold token{i} other{i} more{i}")
        idx.refresh()
    assert len(idx.tokens.nlp.vocab.strings) < 3_000 + 10
    assert quotes(idx, "ok please hold on") == ["please hold"]


WORDS = ["sorry", "Sorry!", "(sorry", "hold", "on", "x", "a-b", "é", "sorry,hold", "I'm", "please", "pls", "wait",
         "a", "moment", "-", "...", "…", "–", "\u00a0", "Sam", "this", "is", "5", "min", "can't", "dont", "gimme"]


@settings(deadline=None, max_examples=300)
@given(st.lists(st.sampled_from(WORDS), max_size=14), st.lists(st.sampled_from([" ", "  ", "\n", "", " \u00a0"]),
                                                              min_size=14, max_size=14))
def test_scan_never_loses_a_match(words, gaps):
    """Whatever the text, the scan (anchor words, expressions, windows) finds what spaCy finds
    running every pattern on the whole text."""
    engine = default_engine()
    text = "".join(w + g for w, g in zip(words, gaps, strict=False)).strip()
    assert engine.index.match(text) == engine.index.match(text, prefilter=False), repr(text)


def chunk_windows(text: str, positions: list[int], before: int, after: int) -> list[tuple[int, int]]:
    """The reference: windows as ranges of whitespace-separated chunks, merged when they touch."""
    import bisect
    import re

    chunks = [m.span() for m in re.finditer(r"\S+", text)]
    starts = [a for a, _ in chunks]
    ranges = sorted((max(0, i - before), min(len(chunks) - 1, i + after))
                    for i in (bisect.bisect_right(starts, p) - 1 for p in positions))
    merged = [ranges[0]]
    for a, b in ranges[1:]:
        if a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return [(chunks[a][0], chunks[b][1]) for a, b in merged]


@given(st.lists(st.sampled_from(["sorry", "Sorry!", "x", "a-b", "é", "hold"]), min_size=1, max_size=12),
       st.sampled_from([" ", "  ", "\n", " \u00a0", "\t\n "]), st.integers(0, 4), st.integers(0, 4), st.data())
def test_windows_are_chunks_around_the_anchors(words, gap, before, after, data):
    text = gap.join(words)
    offsets = [i for i, c in enumerate(text) if not c.isspace()]
    positions = data.draw(st.lists(st.sampled_from(offsets), min_size=1, max_size=4))
    got = windows(fold(text).translate(SPACES), positions, before, after)
    assert got == chunk_windows(text, positions, before, after)


def test_a_match_never_starts_with_a_skip_token():
    """A skip token ("...", "-") may stand before an optional first slot that is absent: the
    span starts at the first word, on the Matcher as on the scan."""
    idx = PhraseIndex(phrase_matcher=False)
    idx.add("k", ["(the)? (second|2nd) time (i|this)"])
    text = "an hour ago... 2nd time this has happened"
    assert idx.match(text, prefilter=False) == idx.match(text) == {"k": [(15, 28)]}
