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
A message is tokenised only when some pattern's required words are all in it (a cheap
word-set check), and only the patterns that passed the check run.
"""

from __future__ import annotations

import bisect
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
    nlp.max_length = 10**9  # tokenizer only (no parser/NER memory): a 1 MB message must not raise E088
    for word, norm in CHAT_NORMS.items():
        for form in (word, word.capitalize(), word.upper()):
            nlp.vocab[form].norm_ = norm
    for word, pieces in CHAT_SPLITS.items():
        for form in (word, word.capitalize()):
            first = form[: len(pieces[0][0])]
            nlp.tokenizer.add_special_case(form, [{ORTH: first, NORM: pieces[0][1]},
                                                  {ORTH: pieces[1][0], NORM: pieces[1][1]}])
    return nlp


def surface_forms(nlp: Any) -> dict[str, frozenset[str]]:
    """NORM -> the whole words (alphanumeric runs, lowercase) a text may hold where a token with
    that NORM is: the word itself, chat spellings, and every tokenizer special case producing it
    ("dont" and "don't" for "not", "gimme" for "give", "im" and "i'm" for "am")."""
    from spacy.symbols import NORM, ORTH

    forms: dict[str, set[str]] = {}

    def add(text: str, pieces: list[tuple[str, str]]) -> None:
        """Each piece (orth, norm) of `text` is spelled by the words of `text` it overlaps."""
        text = text.lower()
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        start = 0
        for orth, norm in pieces:
            end = start + len(orth)
            hit = {w for a, b, w in words if a < end and start < b} if "".join(o for o, _ in pieces) == text \
                else {w for _, _, w in words}
            forms.setdefault(norm, set()).update(hit)
            start = end

    for spelling, norm in CHAT_NORMS.items():
        add(spelling, [(spelling, norm)])
    for spelling, parts in CHAT_SPLITS.items():
        add(spelling, list(parts))
    for text, tokens in nlp.tokenizer.rules.items():
        pieces = []
        for tok in tokens:
            orth = tok[ORTH].lower()
            pieces.append((orth, tok.get(NORM) or CHAT_NORMS.get(orth, orth)))  # else the lexeme's norm
        add(text, pieces)
    return {norm: frozenset(words) for norm, words in forms.items()}


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


# A slot's requirement: alternatives, each a list of word sets the text must all touch.
Requirement = tuple[tuple[frozenset[str], ...], ...]


def slot_requirement(slot: Slot, norm: Normaliser, forms: dict[str, frozenset[str]]) -> Requirement | None:
    """What words a text must hold wherever `slot` matches (None for optional/special slots).

    An alternative "login details" needs both words; a word needs one of its spellings.
    """
    if slot.optional or slot.special:
        return None
    alternatives = []
    for words in slot.words:
        needs = []
        for w in words:
            if w in _SPECIAL_TOKENS:
                continue
            for n in norm.norms(w):
                spellings = frozenset(_WORD.findall(n)) | forms.get(n, frozenset())
                if spellings:
                    needs.append(spellings)
        if not needs:
            return None  # this alternative can match any word: the slot constrains nothing
        alternatives.append(tuple(needs))
    return tuple(alternatives)


def _index_words(req: Requirement) -> frozenset[str]:
    """One word set per slot for the first look-up: each alternative's most selective word."""
    return frozenset().union(*(max(alt, key=_selectivity) for alt in req))


def _selectivity(spellings: frozenset[str]) -> int:
    return min((0 if w in _COMMON else len(w)) for w in spellings)


def requirements(slots: Sequence[Slot], norm: Normaliser, forms: dict[str, frozenset[str]]
                 ) -> tuple[frozenset[str] | None, list[Requirement]]:
    """(words to index the pattern under, requirements to verify) for a parsed pattern.

    The index words come from the most selective slot; None when no slot is selective enough
    (the pattern then runs on every message asked about).
    """
    reqs = [r for slot in slots if (r := slot_requirement(slot, norm, forms)) is not None]
    best = max(reqs, key=lambda r: _selectivity(_index_words(r)), default=None)
    if best is None or _selectivity(_index_words(best)) < 2:
        return None, reqs
    return _index_words(best), reqs


def _satisfied(req: Requirement, words: set[str]) -> bool:
    return any(all(not words.isdisjoint(need) for need in alt) for alt in req)


def trie_regex(words: Iterable[str]) -> str:
    """A regex source matching any of `words`, as a trie (shared prefixes factored out)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie) if trie else "(?!)"


class PhraseIndex:
    """All phrase patterns of a rule set, matched without tokenising most messages.

    Each pattern is indexed under the words one of which any text it matches must hold. A
    conversation is scanned once for those words (one regex over all its messages); a message
    is tokenised only when a pattern's required words are all in it, and only such patterns
    run. `add` registers patterns under a key (``"CQ201"``, or ``"CQ201!"`` for exceptions).
    """

    def __init__(self) -> None:
        self._specs: dict[str, list[str | list[dict[str, Any]]]] = {}
        self._built = False
        self._nlp: Any = None
        self._matchers: list[Any] = []  # one spaCy Matcher per pattern
        self._keys: list[str] = []  # pattern id -> key
        self._first: list[frozenset[str] | None] = []  # pattern id -> index words (None: always runs)
        self._needs: list[list[Requirement]] = []  # pattern id -> what its text must hold
        self._by_key: dict[str, list[int]] = {}
        self._key_words: dict[str, frozenset[str]] = {}
        self._always: set[str] = set()  # keys with a pattern that no word pins down
        self._scan: re.Pattern[str] | None = None

    def add(self, key: str, patterns: Iterable[str | list[dict[str, Any]]]) -> None:
        """Register patterns under `key` (validated now: ValueError on a bad one)."""
        patterns = list(patterns)
        for p in patterns:
            if isinstance(p, str):
                parse_pattern(p)
        self._specs.setdefault(key, []).extend(patterns)
        self._built = False

    def _build(self) -> None:
        from spacy.matcher import Matcher

        self._nlp = make_nlp()
        norm = Normaliser(self._nlp)
        forms = surface_forms(self._nlp)
        self._matchers, self._keys, self._first, self._needs = [], [], [], []
        self._by_key, self._always = {}, set()
        key_words: dict[str, set[str]] = {}
        for key, specs in self._specs.items():
            for spec in specs:
                matcher = Matcher(self._nlp.vocab, validate=True)
                first: frozenset[str] | None = None
                needs: list[Requirement] = []
                if isinstance(spec, str):
                    slots = parse_pattern(spec)
                    matcher.add(key, compile_pattern(slots, norm))
                    first, needs = requirements(slots, norm, forms)
                else:
                    matcher.add(key, [spec])
                self._by_key.setdefault(key, []).append(len(self._matchers))
                self._matchers.append(matcher)
                self._keys.append(key)
                self._first.append(first)
                self._needs.append(needs)
                if first is None:
                    self._always.add(key)
                else:
                    key_words.setdefault(key, set()).update(first)
        self._key_words = {k: frozenset(v) for k, v in key_words.items()}
        words = set().union(*self._key_words.values()) if self._key_words else set()
        self._scan = re.compile(rf"(?<![^\W_])(?:{trie_regex(sorted(words))})(?![^\W_])")
        self._built = True

    def scan(self, texts: Sequence[str]) -> dict[int, set[str]]:
        """Message position -> the index words it holds (one regex pass over all `texts`)."""
        if not self._built:
            self._build()
        assert self._scan is not None
        joined = "\n".join(texts).lower()
        if len(joined) != sum(len(t) for t in texts) + max(len(texts) - 1, 0):
            return {i: set(self._scan.findall(t.lower())) for i, t in enumerate(texts)}  # lower() changed lengths
        starts = list(itertools.accumulate((len(t) + 1 for t in texts[:-1]), initial=0))
        found: dict[int, set[str]] = {}
        for m in self._scan.finditer(joined):
            found.setdefault(bisect.bisect_right(starts, m.start()) - 1, set()).add(m.group())
        return found

    def may_match(self, key: str, hits: dict[int, set[str]]) -> set[int] | None:
        """Positions of the messages where `key` may match (None: any message, for patterns no
        word pins down)."""
        if not self._built:
            self._build()
        if key in self._always:
            return None
        words = self._key_words.get(key, frozenset())
        return {i for i, found in hits.items() if not words.isdisjoint(found)}

    def candidates(self, key: str, text: str, hit_words: set[str] | None) -> list[int]:
        """Ids of `key`'s patterns whose required words are all in `text` (`hit_words`: the
        index words the scan found in it, or None to look them up)."""
        if not self._built:
            self._build()
        lowered = text.lower()
        words: set[str] | None = None
        found = []
        for pid in self._by_key.get(key, ()):
            first = self._first[pid]
            if first is not None:
                if hit_words is None:
                    words = hit_words = set(_WORD.findall(lowered))
                if first.isdisjoint(hit_words):
                    continue
            if self._needs[pid]:
                words = words if words is not None else set(_WORD.findall(lowered))
                if not all(_satisfied(req, words) for req in self._needs[pid]):
                    continue
            found.append(pid)
        return found

    def tokenize(self, text: str) -> tuple[Any, list[Any]]:
        """A spaCy Doc of `text` and the matchers of the same vocabulary."""
        if not self._built or len(self._nlp.vocab.strings) > MAX_STRINGS:
            self._build()  # a fresh vocabulary keeps memory flat on long streams
        return self._nlp.make_doc(text), self._matchers

    def on(self, text: str, hit_words: set[str] | None = None, *, prefilter: bool = True) -> MessageMatches:
        """Lazy matches of one message (without `prefilter`, every pattern runs: for testing)."""
        return MessageMatches(self, text, hit_words, prefilter)

    def keys(self) -> list[str]:
        """Every registered key."""
        return list(self._specs)

    def patterns(self, key: str) -> list[int]:
        """Ids of all of `key`'s patterns."""
        if not self._built:
            self._build()
        return list(self._by_key.get(key, ()))

    def match(self, text: str, keys: set[str] | None = None, *, prefilter: bool = True
              ) -> dict[str, list[tuple[int, int]]]:
        """Spans per key in `text` (all keys, or `keys`); keys without a match are left out."""
        found = self.on(text, prefilter=prefilter)
        return {k: spans for k in (keys if keys is not None else self.keys()) if (spans := found.spans(k))}


class MessageMatches:
    """One message's phrase matches, computed per key on first use (one tokenisation at most)."""

    def __init__(self, index: PhraseIndex, text: str, hit_words: set[str] | None, prefilter: bool) -> None:
        self.index = index
        self.text = text
        self.hit_words = hit_words
        self.prefilter = prefilter
        self._doc: Any = None
        self._matchers: list[Any] = []
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def spans(self, key: str) -> list[tuple[int, int]]:
        """Character spans of `key`'s patterns, longest first among overlaps, in text order."""
        if key in self._spans:
            return self._spans[key]
        if self.prefilter:
            pids = self.index.candidates(key, self.text, self.hit_words)
        else:
            pids = self.index.patterns(key)
        found: list[tuple[int, int]] = []
        if pids:
            if self._doc is None:
                self._doc, self._matchers = self.index.tokenize(self.text)
            doc = self._doc
            for pid in pids:
                for _, start, end in self._matchers[pid](doc):
                    span = doc[start:end]
                    found.append((span.start_char, span.end_char))
        self._spans[key] = result = _longest_first(found)
        return result


def _longest_first(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop spans contained in or overlapping an earlier, longer span; return in text order."""
    kept: list[tuple[int, int]] = []  # sorted and disjoint: only the neighbours can overlap
    for start, end in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        i = bisect.bisect_left(kept, (start, end))
        if (i and kept[i - 1][1] > start) or (i < len(kept) and kept[i][0] < end):
            continue
        kept.insert(i, (start, end))
    return kept


def overlaps(span: tuple[int, int], others: Iterator[tuple[int, int]] | list[tuple[int, int]]) -> bool:
    """True when `span` overlaps any of `others`."""
    return any(span[0] < b and a < span[1] for a, b in others)
