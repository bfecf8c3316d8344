"""chatqa.saferegex: user regexes run on RE2 (linear time), with Python's Unicode meaning."""

from __future__ import annotations

import re
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatqa.saferegex import check_token_pattern, compile_regex, safe_token_pattern

EVIL = ["(a+)+$", "(a|aa)+$", "(a*)*b", "(x+x+)+y", "^(\\w+\\s?)*$", "(.*a){20}", "([a-z]+)*=", "(a|a?)+$"]


@pytest.mark.parametrize("pattern", EVIL)
def test_catastrophic_patterns_run_in_linear_time(pattern):
    rx = compile_regex(pattern)
    text = "a" * 200_000 + "!"
    started = time.perf_counter()
    rx.search(text)
    assert time.perf_counter() - started < 5  # Python's re would take longer than the age of the universe


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("hold", "please hold on", True),
    ("^hold$", "holder", False),
    ("(?i)^HOLD$", "hold", True),
    (r"^\d{4}$", "2026", True),
    (r"^\d{4}$", "٢٠٢٦", True),           # Arabic-Indic digits are \d in Python
    (r"^\w+$", "café", True),             # \w is Unicode in Python
    (r"^\w+$", "naïve-ish", False),
    (r"^\W+$", "!!", True),
    (r"^\W+$", "é", False),
    (r"^\s$", "\u00a0", True),            # no-break space is \s in Python
    (r"^\S+$", "a\u2003b", False),
    (r"^[\w-]+$", "über-cool", True),
    (r"^[\d.]+$", "3.14", True),
    (r"^[^\d]+$", "abc", True),
    (r"[]x]", "]", True),                 # "]" first in a set is a literal
    (r"[^]x]", "]", False),
    (r"a\Z", "ba", True),
    (r"\\d", "\\d", True),                # an escaped backslash, then a plain d
    (r"(?P<word>colou?r)", "color", True),
    (r"\bhold\b", "on hold now", True),
])
def test_meaning_matches_python_re(pattern, text, expected):
    assert bool(compile_regex(pattern).search(text)) is expected
    assert bool(re.search(pattern, text)) is expected  # the reference semantics


@pytest.mark.parametrize(("pattern", "reason"), [
    (r"(\w)\1", "backreference \\1 is not supported"),
    (r"(?P<x>a)(?P=x)", "backreference (?P=name) is not supported"),
    (r"foo(?=bar)", "lookahead (?=...) is not supported"),
    (r"foo(?!bar)", "lookahead (?!...) is not supported"),
    (r"(?<=a)b", "lookbehind (?<=...) is not supported"),
    (r"(?<!a)b", "lookbehind (?<!...) is not supported"),
    (r"(?>a+)b", "atomic group (?>...) is not supported"),
    (r"a++b", "possessive quantifiers"),
    (r"[\W]", "\\W inside [...] is not supported"),
    (r"(unclosed", "invalid or unsupported regular expression '(unclosed'"),
    (r"a{2000}", "invalid or unsupported regular expression"),
    ("x" * 20_000, "regular expression is too long"),
])
def test_patterns_rre2_cannot_run_are_clear_errors(pattern, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        compile_regex(pattern)


def test_non_string_regex_is_an_error():
    with pytest.raises(ValueError, match="must be a string, got int"):
        compile_regex(5)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab()[]*+?|^$.\\dwsDWS{}1,-", max_size=14), st.text(alphabet="ab1 -_é٣", max_size=30))
def test_agrees_with_python_re_on_random_patterns(pattern, text):
    """Wherever both engines accept a pattern, they agree on whether it matches."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = re.compile(pattern)
    except (re.error, OverflowError, RecursionError):
        return
    try:
        ours = compile_regex(pattern)
    except ValueError:
        return  # refused with a reason (tested above); never a wrong answer
    assert (ours.search(text) is not None) == (reference.search(text) is not None), (pattern, text)


# ----------------------------------------------------------------------------- token patterns


def _matcher(pattern):
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab, validate=True)
    matcher.add("P", [pattern])
    return nlp, matcher


def _texts(pattern, text):
    nlp, matcher = _matcher(pattern)
    doc = nlp.make_doc(text)
    return [doc[s:e].text for _, s, e in matcher(doc)]


def test_no_regex_is_left_for_spacy():
    pattern = [{"TEXT": {"REGEX": "^a+$"}}, {"LOWER": {"REGEX": {"IN": ["x", "y"]}, "NOT_IN": ["z"]}},
               {"NORM": {"FUZZY": {"REGEX": "b"}}}, {"_": {"mine": {"REGEX": "c"}}, "OP": "?"}]
    safe = safe_token_pattern(pattern)
    assert "REGEX" not in repr(safe)
    assert safe[1]["LOWER"] == {"NOT_IN": ["z"]}  # other predicates are kept
    assert safe[3]["OP"] == "?"
    assert all(list(tok["_"].values()) == [True] for tok in safe)
    assert pattern[0] == {"TEXT": {"REGEX": "^a+$"}}  # the input is not modified


def test_catastrophic_token_regex_finishes_quickly_through_the_matcher():
    pattern = safe_token_pattern([{"TEXT": {"REGEX": "(a+)+$"}}])
    nlp, matcher = _matcher(pattern)
    from spacy.tokens import Doc

    doc = Doc(nlp.vocab, words=["a" * 100_000 + "!", "and", "a" * 50])  # one token "aaa...a!"
    started = time.perf_counter()
    found = matcher(doc)
    assert time.perf_counter() - started < 5
    assert [doc[s:e].text for _, s, e in found] == ["a" * 50]


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ([{"TEXT": {"REGEX": "^[A-Z]{2}\\d+$"}}], "order AB123 and ab123", ["AB123"]),
    ([{"LOWER": {"REGEX": "^ab\\d+$"}}], "order AB123 and ab123", ["AB123", "ab123"]),
    ([{"LOWER": "please"}, {"LOWER": {"REGEX": "^(hold|wait)$"}}], "Please hold, please WAIT", ["Please hold",
                                                                                            "please WAIT"]),
    ([{"TEXT": {"REGEX": {"IN": ["^x", "^y"]}}}], "xa ya za", ["xa", "ya"]),
    ([{"TEXT": {"REGEX": {"NOT_IN": ["^x", "^y"]}}}], "xa ya za", ["za"]),
    ([{"TEXT": {"REGEX": "a", "NOT_IN": ["ba"]}}], "ab ba", ["ab"]),
    ([{"ORTH": {"REGEX": "^\\w+$"}, "OP": "+"}], "olé !", ["olé"]),
    ([{"SHAPE": {"REGEX": "^dd$"}}], "at 42 or 420", ["42"]),
    ([{"NORM": {"FUZZY": {"REGEX": "^hol"}}}], "hold on", ["hold"]),
])
def test_rewritten_patterns_match_like_spacy_would(pattern, text, expected):
    assert _texts(safe_token_pattern(pattern), text) == expected
    assert _texts(pattern, text) == expected  # spaCy's own regex semantics agree


def test_regex_on_a_custom_extension_attribute():
    from spacy.tokens import Token

    Token.set_extension("cq_test_reversed", getter=lambda t: t.text[::-1], force=True)
    pattern = [{"_": {"cq_test_reversed": {"REGEX": "^dl"}}}]
    assert _texts(safe_token_pattern(pattern), "old bold cold x") == ["old", "bold", "cold"]
    assert _texts(pattern, "old bold cold x") == ["old", "bold", "cold"]
    Token.set_extension("cq_test_number", getter=lambda t: len(t.text), force=True)
    assert _texts(safe_token_pattern([{"_": {"cq_test_number": {"REGEX": "1"}}}]), "a bb") == []


def test_the_same_regex_shares_one_extension():
    a = safe_token_pattern([{"TEXT": {"REGEX": "^q"}}])
    b = safe_token_pattern([{"TEXT": {"REGEX": "^q"}}])
    c = safe_token_pattern([{"LOWER": {"REGEX": "^q"}}])
    assert a == b and a != c


@pytest.mark.parametrize(("pattern", "message"), [
    ([{"TEXT": {"REGEX": "(\\w)\\1"}}], "[0].TEXT.REGEX: backreference \\1 is not supported"),
    ([{"LOWER": "a"}, {"NORM": {"REGEX": {"IN": ["ok", "(?=x)"]}}}], "[1].NORM.REGEX: lookahead (?=...)"),
    ([{"_": {"mine": {"REGEX": "(?<!a)b"}}}], "[0]._.mine.REGEX: lookbehind (?<!...)"),
    ([{"LENGTH": {"REGEX": "1"}}], "[0].LENGTH.REGEX: REGEX works on text attributes only"),
    ([{"TEXT": {"REGEX": {"IS_SUBSET": ["a"]}}}], "[0].TEXT.REGEX.IS_SUBSET: not supported with REGEX"),
])
def test_unsupported_token_regexes_name_their_place(pattern, message):
    with pytest.raises(ValueError) as err:
        check_token_pattern(pattern)
    assert str(err.value).startswith(message)
    with pytest.raises(ValueError):
        safe_token_pattern(pattern)


def test_patterns_without_regexes_are_unchanged():
    pattern = [{"LOWER": "please"}, {"IS_PUNCT": True, "OP": "?"}, {"NORM": {"IN": ["hold", "wait"]}},
               {"_": {"x": 1}}]
    assert safe_token_pattern(pattern) == pattern
    check_token_pattern(pattern)
