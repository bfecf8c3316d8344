"""Phrase matching with spaCy: a compact pattern language, a literal pre-filter, bounded memory.

A phrase pattern is a string of token slots separated by spaces, matched on spaCy's NORM
(lowercase, contractions expanded: "I'm" and "I am" both give ``i am``):

* ``please hold`` — literal words (contractions and chat spellings normalised: ``pls``);
* ``(hold|hang) on`` — alternatives for one slot; an alternative may be several words:
  ``(a moment|one sec)``;
* ``please? hold`` or ``(just|kindly)? hold`` — an optional slot;
* ``*`` — any one word; ``*3`` — up to three words;
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
_SKIP_BETWEEN = {"ORTH": {"IN": ["-", "–", "—", "...", "…", "..", "~"]}, "OP": "*"}
_SLOT = re.compile(r"\([^()]*\)\??|\S+")
MAX_STRINGS = 400_000  # rebuild the vocabulary past this many strings (spaCy's StringStore only grows)


def make_nlp() -> Any:
    """A blank English pipeline (tokenizer only) that knows chat spellings."""
    import spacy
    from spacy.symbols import NORM, ORTH

    nlp = spacy.blank("en")
    for word, norm in CHAT_NORMS.items():
        nlp.vocab[word].norm_ = norm
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
    for spelling, norm in CHAT_NORMS.items():
        forms.setdefault(norm, set()).add(spelling)
    for spelling, pieces in CHAT_SPLITS.items():
        for orth, norm in pieces:
            forms.setdefault(norm, set()).add(orth)
    for tokens in nlp.tokenizer.rules.values():
        for tok in tokens:
            if NORM in tok:
                forms.setdefault(tok[NORM], set()).add(tok[ORTH].lower())
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


def compile_pattern(slots: Sequence[Slot], norm: Normaliser) -> list[list[dict[str, Any]]]:
    """Expand slots into spaCy Matcher token patterns (alternatives of several words branch)."""
    choices: list[list[list[dict[str, Any]]]] = []
    for slot in slots:
        if slot.special == "#":
            branches = [[{"LIKE_NUM": True}]]
        elif slot.special == "<name>":
            branches = [[{"IS_TITLE": True, "IS_ALPHA": True, "NORM": {"NOT_IN": sorted(NOT_NAMES)}}]]
        elif slot.special == "*":
            branches = [[{"IS_PUNCT": False, "IS_SPACE": False}]]
        elif slot.special.startswith("*"):
            branches = [[{"IS_PUNCT": False, "IS_SPACE": False, "OP": f"{{0,{int(slot.special[1:])}}}"}]]
        else:
            seqs = {tuple(n for w in words for n in norm.norms(w)) for words in slot.words}
            singles = sorted(s[0] for s in seqs if len(s) == 1)
            branches = [[{"NORM": {"IN": singles} if len(singles) > 1 else singles[0]}]] if singles else []
            branches += [[{"NORM": n} for n in seq] for seq in sorted(seqs) if len(seq) > 1]
        if slot.optional:
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


def anchors(slots: Sequence[Slot], norm: Normaliser, forms: dict[str, set[str]]) -> set[str] | None:
    """Lowercase literals one of which occurs in any text the pattern matches.

    Picks the required slot whose shortest literal is longest; None when no slot can serve
    (messages must then always be tokenised for this pattern).
    """
    best: tuple[int, set[str]] | None = None
    for slot in slots:
        if slot.optional or slot.special:
            continue
        found: set[str] = set()
        for words in slot.words:
            usable = [w for w in words if len(norm.norms(w)) == 1]
            if not usable:
                found = set()
                break
            word = max(usable, key=len)
            target = norm.norms(word)[0]
            found |= {word.lower(), target} | forms.get(target, set())
        weakest = min((len(f) for f in found), default=0)
        if weakest >= 2 and (best is None or weakest > best[0]):
            best = (weakest, found)
    return best[1] if best else None


def trie_regex(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of `words`, compiled as a trie (shared prefixes factored out)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        if list(node) == [""]:
            return ""
        alts, optional = [], "" in node
        for ch in sorted(k for k in node if k):
            alts.append(re.escape(ch) + emit(node[ch]))
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if optional:
            body = f"(?:{body})?"
        return body

    return re.compile(emit(trie) if trie else r"(?!)")


class PhraseIndex:
    """All phrase patterns of a rule set, matched together on the messages that need it.

    `add` registers a pattern under a key (e.g. ``"CQ201"`` or ``"CQ201!"`` for its
    exceptions); `match` returns, per key, the (start, end) character spans found.
    """

    def __init__(self) -> None:
        self._specs: dict[str, list[str | list[dict[str, Any]]]] = {}
        self._nlp: Any = None
        self._matcher: Any = None
        self._anchor_keys: dict[str, set[str]] = {}
        self._always: set[str] = set()
        self._scan: re.Pattern[str] | None = None
        self._anchor_lengths: list[int] = []

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
        self._matcher = Matcher(self._nlp.vocab, validate=True)
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
            self._matcher.add(key, compiled)
        # Zero-width lookahead: report an anchor at every position, even inside another one.
        self._scan = re.compile(f"(?=({trie_regex(self._anchor_keys).pattern}))")
        self._anchor_lengths = sorted({len(a) for a in self._anchor_keys})

    def candidates(self, lowered: str) -> set[str]:
        """Keys whose anchors occur in the (lowercased) text."""
        if self._matcher is None:
            self._build()
        assert self._scan is not None
        found = set(self._always)
        keys = self._anchor_keys
        for m in self._scan.finditer(lowered):
            word = m.group(1)
            for length in self._anchor_lengths:
                if length > len(word):
                    break
                hit = keys.get(word[:length])
                if hit:
                    found |= hit
        return found

    def match(self, text: str, keys: set[str] | None = None) -> dict[str, list[tuple[int, int]]]:
        """Spans per key in `text` (only keys that are candidates by the literal scan)."""
        wanted = self.candidates(text.lower())
        if keys is not None:
            wanted &= keys
        if not wanted:
            return {}
        if len(self._nlp.vocab.strings) > MAX_STRINGS:
            self._build()  # a fresh vocabulary keeps memory flat on long streams
        doc = self._nlp.make_doc(text)
        strings = self._nlp.vocab.strings
        out: dict[str, list[tuple[int, int]]] = {}
        for match_id, start, end in self._matcher(doc):
            key = strings[match_id]
            if key in wanted:
                span = doc[start:end]
                out.setdefault(key, []).append((span.start_char, span.end_char))
        return {k: _longest_first(v) for k, v in out.items()}


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
