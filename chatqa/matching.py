"""Phrase matching with spaCy: a compact pattern language, a literal pre-filter, bounded memory.

A phrase pattern is a string of token slots separated by spaces, matched on spaCy's NORM
(lowercase, contractions expanded: "I'm" and "I am" both give ``i am``):

* ``please hold`` — literal words (contractions and chat spellings normalised: ``pls``);
* ``(hold|hang) on`` — alternatives for one slot; an alternative may be several words:
  ``(a moment|one sec)``;
* ``please? hold`` or ``(just|kindly)? hold`` — an optional slot;
* ``*`` — any one word; ``*3`` — up to three words or commas (never across a sentence end);
* ``#`` — a number (``5``, ``five``); ``<name>`` — a capitalised word that is not a common
  word (for introductions such as "I'm Sam").

Hyphens and ellipses between words are skipped, so ``hold on`` matches "hold-on" and
"hold... on". A raw spaCy Matcher pattern (a list of token dicts) is accepted as well.
Only messages that contain one of a pattern's anchor words (found by a cheap literal scan)
are tokenised.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

# Chat spellings mapped to the word they stand for (the token's NORM). Contractions ("I'm",
# "dont", "cant") are already split and normalised by spaCy's English tokenizer exceptions.
CHAT_NORMS: dict[str, str] = {
    "pls": "please", "plz": "please", "plse": "please", "pleas": "please", "plss": "please", "pleaae": "please",
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "r": "are", "m": "am",
    "sec": "second", "secs": "seconds", "sek": "second", "min": "minute", "mins": "minutes", "mo": "moment",
    "momment": "moment", "moement": "moment", "minit": "minute", "minuite": "minute", "secound": "second",
    "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tks": "thanks", "ty": "thanks",
    "cud": "could", "cld": "could", "wud": "would", "shud": "should", "hv": "have", "abt": "about",
    "apologise": "apologize", "apologised": "apologized", "apologising": "apologizing", "apologises": "apologizes",
    "okay": "ok", "k": "ok", "kk": "ok", "okey": "ok", "alright": "ok", "urgnt": "urgent",
    "guarentee": "guarantee", "garantee": "guarantee", "gurantee": "guarantee", "promis": "promise",
    "waite": "wait", "wiat": "wait", "hols": "hold", "holf": "hold",
}
# Chat spellings that stand for two words: (pieces, norms).
CHAT_SPLITS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "gimme": (("gim", "give"), ("me", "me")), "lemme": (("lem", "let"), ("me", "me")),
    "wanna": (("wan", "want"), ("na", "to")), "whats": (("what", "what"), ("s", "is")),
    "thats": (("that", "that"), ("s", "is")),
}
# Capitalised words that are not names ("I'm Sorry", "This is Important").
NOT_NAMES = frozenset(
    "sorry happy glad here afraid checking looking going just so very really still not now back able unable "
    "sure certain aware new online available busy unavailable currently working trying the a an your our this "
    "that it we they you he she what please thanks thank hello hi hey welcome good great fine ok okay important "
    "urgent customer support service team agent manager supervisor assistant bot chat live help helping "
    "there unfortunately absolutely definitely totally also always in on at with from for and or but".split()
)
_SKIP_BETWEEN = {"ORTH": {"IN": ["-", "–", "—", "...", "…", "..", "~"]}, "OP": "?"}
_SENTENCE_ENDS = [".", "!", "?", "...", "…", "!!", "??", "?!", "!?", ";"]
_SLOT = re.compile(r"\([^()]*\)\??|\S+")
_WORD = re.compile(r"[^\W_]+")
MAX_STRINGS = 400_000  # rebuild the vocabulary past this many strings (spaCy's StringStore only grows)


def make_nlp() -> Any:
    """A blank English pipeline (tokenizer only) that knows chat spellings."""
    import spacy
    from spacy.symbols import NORM, ORTH

    nlp = spacy.blank("en")
    for word, norm in CHAT_NORMS.items():
        for form in (word, word.capitalize(), word.upper()):
            nlp.vocab[form].norm_ = norm
    for word, pieces in CHAT_SPLITS.items():
        for form in (word, word.capitalize()):
            first = form[: len(pieces[0][0])]
            nlp.tokenizer.add_special_case(form, [{ORTH: first, NORM: pieces[0][1]},
                                                  {ORTH: pieces[1][0], NORM: pieces[1][1]}])
    return nlp


def surface_forms(nlp: Any) -> dict[str, set[str]]:
    """NORM -> lowercase spellings that produce it (chat spellings and tokenizer exceptions)."""
    from spacy.symbols import NORM, ORTH

    forms: dict[str, set[str]] = {}
    pieces: set[str] = set()  # norms that can come from a fragment of a longer word ("dont" -> "nt")
    for spelling, norm in CHAT_NORMS.items():
        forms.setdefault(norm, set()).add(spelling)
    for spelling, parts in CHAT_SPLITS.items():
        for orth, norm in parts:
            forms.setdefault(norm, set()).add(orth)
            pieces.add(norm)
    for tokens in nlp.tokenizer.rules.values():
        for tok in tokens:
            if NORM in tok:
                forms.setdefault(tok[NORM], set()).add(tok[ORTH].lower())
                if len(tokens) > 1:
                    pieces.add(tok[NORM])
    forms["__pieces__"] = pieces
    return forms


@dataclass(frozen=True)
class Slot:
    """One token position of a compact pattern."""

    words: tuple[tuple[str, ...], ...]  # alternatives, each a sequence of words
    optional: bool = False
    special: str = ""  # "", "*", "*N", "#", "<name>"


def parse_pattern(text: str) -> list[Slot]:
    """Parse the compact pattern syntax into slots (ValueError on a malformed pattern)."""
    slots = []
    for raw in _SLOT.findall(text.strip()):
        optional = raw.endswith("?") and len(raw) > 1
        body = raw[:-1] if optional else raw
        if body.startswith("(") != body.endswith(")"):
            raise ValueError(f"unbalanced parentheses in {text!r}")
        if body.startswith("("):
            alternatives = [a.strip() for a in body[1:-1].split("|")]
            if not all(alternatives):
                raise ValueError(f"empty alternative in {text!r}")
            slots.append(Slot(tuple(tuple(a.split()) for a in alternatives), optional))
        elif re.fullmatch(r"\*\d*", body) or body in ("#", "<name>"):
            slots.append(Slot((), optional, body))
        elif any(c in body for c in "()|"):
            raise ValueError(f"misplaced '(', ')' or '|' in {text!r}")
        else:
            slots.append(Slot(((body,),), optional))
    if not slots:
        raise ValueError("empty pattern")
    if all(s.optional or s.special.startswith("*") for s in slots):
        raise ValueError(f"pattern {text!r} has no required word")
    return slots


class Normaliser:
    """Turns pattern words into the NORM values the tokenizer gives the same words."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.cache: dict[str, tuple[str, ...]] = {}

    def norms(self, word: str) -> tuple[str, ...]:
        """``"i'm"`` -> ``("i", "am")``."""
        if word not in self.cache:
            self.cache[word] = tuple(t.norm_ for t in self.nlp.make_doc(word) if not t.is_space)
        return self.cache[word]


_SPECIAL_TOKENS: dict[str, dict[str, Any]] = {
    "#": {"LIKE_NUM": True},
    "<name>": {"IS_TITLE": True, "IS_ALPHA": True, "NORM": {"NOT_IN": sorted(NOT_NAMES)}},
}


def compile_pattern(slots: Sequence[Slot], norm: Normaliser) -> list[list[dict[str, Any]]]:
    """Expand slots into spaCy Matcher token patterns (alternatives of several words branch)."""
    choices: list[list[list[dict[str, Any]]]] = []
    for slot in slots:
        if slot.special in _SPECIAL_TOKENS:
            branches = [[_SPECIAL_TOKENS[slot.special]]]
        elif slot.special == "*":
            branches = [[{"IS_PUNCT": False, "IS_SPACE": False}]]
        elif slot.special.startswith("*"):
            branches = [[{"ORTH": {"NOT_IN": _SENTENCE_ENDS}, "IS_SPACE": False,
                          "OP": f"{{0,{int(slot.special[1:])}}}"}]]
        else:
            seqs = {tuple(n for w in words for n in ((w,) if w in _SPECIAL_TOKENS else norm.norms(w)))
                    for words in slot.words}
            singles = sorted(s[0] for s in seqs if len(s) == 1 and s[0] not in _SPECIAL_TOKENS)
            branches = [[{"NORM": {"IN": singles} if len(singles) > 1 else singles[0]}]] if singles else []
            branches += [[_SPECIAL_TOKENS.get(n) or {"NORM": n} for n in seq] for seq in sorted(seqs)
                         if len(seq) > 1 or seq[0] in _SPECIAL_TOKENS]
        if slot.optional and len(branches) == 1 and len(branches[0]) == 1 and "OP" not in branches[0][0]:
            branches = [[{**branches[0][0], "OP": "?"}]]  # one optional token: no need to branch
        elif slot.optional:
            branches = [*branches, []]
        choices.append(branches)
    patterns = []
    for combo in itertools.product(*choices):
        tokens: list[dict[str, Any]] = []
        for part in combo:
            for tok in part:
                if tokens:
                    tokens.append(_SKIP_BETWEEN)
                tokens.append(tok)
        if tokens:
            patterns.append(tokens)
    return patterns


# Words too frequent to be worth a pre-filter hit: a slot made of them anchors nothing.
_COMMON = frozenset(
    "the a an your you ur u me us my i we to of and or in on at is are was it its this that for with have has "
    "get got need want can could will would please be do not no so just ok what how one all any some there "
    "here if as by from but up out".split()
)


def anchors(slots: Sequence[Slot], norm: Normaliser, forms: dict[str, set[str]]) -> set[str] | None:
    """Lowercase words one of which occurs (as a whole word) in any text the pattern matches.

    Picks the required slot whose weakest word is the longest uncommon one. Words that can
    be a fragment of a longer word in the text ("going" from "gonna") never anchor; None
    when no slot can (the pattern then runs on every message it is asked for).
    """
    pieces = forms.get("__pieces__", set())
    best: tuple[int, set[str]] | None = None
    for slot in slots:
        if slot.optional or slot.special:
            continue
        found: set[str] = set()
        for words in slot.words:
            tokens = [n for w in words if w not in _SPECIAL_TOKENS for n in norm.norms(w)
                      if n not in pieces and any(c.isalnum() for c in n)]
            if not tokens:
                found = set()
                break
            target = max(tokens, key=len)
            for spelling in {target} | forms.get(target, set()):
                found.update(_WORD.findall(spelling.lower()))
        if not found:
            continue
        weakest = min(0 if f in _COMMON else len(f) for f in found)
        if weakest >= 2 and (best is None or weakest > best[0]):
            best = (weakest, found)
    return best[1] if best else None


class PhraseIndex:
    """All phrase patterns of a rule set, matched together on the messages that need it.

    `add` registers a pattern under a key (e.g. ``"CQ201"`` or ``"CQ201!"`` for its
    exceptions); `match` returns, per key, the (start, end) character spans found.
    """

    def __init__(self) -> None:
        self._specs: dict[str, list[str | list[dict[str, Any]]]] = {}
        self._nlp: Any = None
        self._matcher: dict[str, Any] | None = None  # one Matcher per key: only wanted keys run
        self._anchor_keys: dict[str, set[str]] = {}
        self._always: set[str] = set()
        self._anchor_words: frozenset[str] = frozenset()

    def add(self, key: str, patterns: Iterable[str | list[dict[str, Any]]]) -> None:
        """Register patterns under `key` (validated now: ValueError on a bad one)."""
        patterns = list(patterns)
        for p in patterns:
            if isinstance(p, str):
                parse_pattern(p)
        self._specs.setdefault(key, []).extend(patterns)
        self._matcher = None

    def _build(self) -> None:
        from spacy.matcher import Matcher

        self._nlp = make_nlp()
        norm = Normaliser(self._nlp)
        self._matcher = {}
        forms = surface_forms(self._nlp)
        self._anchor_keys, self._always = {}, set()
        for key, specs in self._specs.items():
            compiled: list[list[dict[str, Any]]] = []
            for spec in specs:
                if isinstance(spec, str):
                    slots = parse_pattern(spec)
                    compiled.extend(compile_pattern(slots, norm))
                    found = anchors(slots, norm, forms)
                    if found is None:
                        self._always.add(key)
                    for a in found or ():
                        self._anchor_keys.setdefault(a, set()).add(key)
                else:
                    compiled.append(spec)
                    self._always.add(key)
            matcher = Matcher(self._nlp.vocab, validate=True)
            matcher.add(key, compiled)
            self._matcher[key] = matcher
        self._anchor_words = frozenset(self._anchor_keys)

    def candidates(self, lowered: str) -> set[str]:
        """Keys whose anchors occur in the (lowercased) text."""
        if self._matcher is None:
            self._build()
        found = set(self._always)
        for word in self._anchor_words.intersection(_WORD.findall(lowered)):
            found |= self._anchor_keys[word]
        return found

    def match(self, text: str, keys: set[str] | None = None, *, prefilter: bool = True
              ) -> dict[str, list[tuple[int, int]]]:
        """Spans per key in `text`; without `prefilter`, every key runs (for testing the scan)."""
        if self._matcher is None:
            self._build()
        assert self._matcher is not None
        wanted = self.candidates(text.lower()) if prefilter else set(self._matcher)
        if keys is not None:
            wanted &= keys
        if not wanted:
            return {}
        if len(self._nlp.vocab.strings) > MAX_STRINGS:
            self._build()  # a fresh vocabulary keeps memory flat on long streams
        doc = self._nlp.make_doc(text)
        out: dict[str, list[tuple[int, int]]] = {}
        for key in wanted:
            spans = [doc[start:end] for _, start, end in self._matcher[key](doc)]
            if spans:
                out[key] = _longest_first([(s.start_char, s.end_char) for s in spans])
        return out


def _longest_first(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop spans contained in or overlapping an earlier, longer span; return in text order."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        if all(end <= a or start >= b for a, b in kept):
            kept.append((start, end))
    return sorted(kept)


def overlaps(span: tuple[int, int], others: Iterator[tuple[int, int]] | list[tuple[int, int]]) -> bool:
    """True when `span` overlaps any of `others`."""
    return any(span[0] < b and a < span[1] for a, b in others)
