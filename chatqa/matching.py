"""Phrase matching with spaCy: a compact pattern language, a literal pre-filter, bounded memory.

A phrase pattern is a string of token slots separated by spaces, matched on spaCy's NORM
(lowercase, contractions expanded: "I'm" and "I am" both give ``i am``):

* ``please hold`` — literal words (contractions and chat spellings normalised: ``pls``);
* ``(hold|hang) on`` — alternatives for one slot; an alternative may be several words:
  ``(a moment|one sec)``;
* ``please? hold`` or ``(just|kindly)? hold`` — an optional slot;
* ``*`` — any one word; ``*3`` — up to three words or commas (never across a sentence end);
* ``#`` — a number (``5``, ``five``); ``<name>`` — a capitalised word that is not a common
  word (for introductions such as "I'm Sam"); ``<signoff>`` — a first name signed with a
  dash, caret or tilde as on social channels ("-Becky", "^Rachel").

Hyphens and ellipses between words are skipped, so ``hold on`` matches "hold-on" and
"hold... on" (and a hyphen in a pattern is optional: ``double-click`` matches "double click").
A raw spaCy Matcher pattern (a list of token dicts) is accepted as well. Patterns made only
of words run on spaCy's PhraseMatcher (every wording they allow, expanded); the others on
its Matcher.

Most messages are never tokenised: a pattern runs only where its required words are all in
the message (a word-set check), and then only on windows of the text around its anchor
words, as far before and after them as a match can reach (spaCy tokenises each
whitespace-separated chunk on its own, so a window's tokens are the text's). Matches are
remembered per window text, since chat wording repeats.
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
_SKIP_ORTHS = ("-", "–", "—", "...", "…", "..", "~")
_SKIP_BETWEEN = {"ORTH": {"IN": list(_SKIP_ORTHS)}, "OP": "?"}
_SKIP_TEXT = ("-", "–", "—", "..", "…", "~")  # a text without these has no skip token
_SENTENCE_ENDS = [".", "!", "?", "...", "…", "!!", "??", "?!", "!?", ";"]
_SLOT = re.compile(r"\([^()]*\)\??|\S+")
_WORD = re.compile(r"[^\W_]+")
MAX_STRINGS = 50_000  # rebuild the vocabulary past this many strings (spaCy's StringStore only grows)
MAX_SEEN = 20_000  # window texts whose matches are remembered (then forgotten all at once)


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
        elif re.fullmatch(r"\*\d*", body) or body in _SPECIAL_TOKENS:
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
    "<signoff>": {"TEXT": {"REGEX": "^[-–—~^*][A-Z][a-z]{2,}$"}},
}
# What the text must contain wherever a special token matches (a pre-filter; None: anything).
_SPECIAL_TEXT: dict[str, re.Pattern[str]] = {"<signoff>": re.compile(r"[-–—~^*][A-Z][a-z]{2}")}


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
            seqs = {seq for words in slot.words
                    if (seq := tuple(n for w in words for n in ((w,) if w in _SPECIAL_TOKENS else norm.norms(w))
                                     if n not in _SKIP_ORTHS))}
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


PHRASE_LIMIT = 5_000  # wordings of one pattern beyond which it runs on the Matcher instead


def literal_phrases(slots: Sequence[Slot], norm: Normaliser) -> set[tuple[str, ...]] | None:
    """Every token-norm sequence a pattern of plain words can match (None for patterns with
    special slots or more than PHRASE_LIMIT wordings)."""
    choices: list[set[tuple[str, ...]]] = []
    total = 1
    for slot in slots:
        if slot.special:
            return None
        seqs: set[tuple[str, ...]] = set()
        for words in slot.words:
            if any(w in _SPECIAL_TOKENS for w in words):
                return None
            seqs.add(tuple(n for w in words for n in norm.norms(w) if n not in _SKIP_ORTHS))
        seqs.discard(())
        if not seqs:
            return None
        if slot.optional:
            seqs.add(())
        choices.append(seqs)
        total *= len(seqs)
        if total > PHRASE_LIMIT:
            return None
    phrases = {tuple(n for part in combo for n in part) for combo in itertools.product(*choices)}
    phrases.discard(())
    return phrases


# Words too frequent to be worth a pre-filter hit: a slot made of them anchors nothing.
_COMMON = frozenset(
    "the a an your you ur u me us my i we to of and or in on at is are was it its this that for with have has "
    "get got need want can could will would please be do not no so just ok what how one all any some there "
    "here if as by from but up out".split()
)

# ASCII text -> lowercase words split at every non-alphanumeric byte (the `_WORD` split, fast).
_ASCII_WORDS = bytes(
    (c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() and c < 128 else (c if c >= 128 else 32) for c in range(256)
)


def words_of(text: str) -> set[bytes]:
    """The lowercase words (alphanumeric runs, UTF-8) of `text`, for the pre-filter."""
    if text.isascii():
        return set(text.encode().translate(_ASCII_WORDS).split())
    return {w.encode() for w in _WORD.findall(text.lower())}


# A slot's requirement: alternatives, each a list of word sets the text must all touch.
Requirement = tuple[tuple[frozenset[bytes], ...], ...]


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
                    needs.append(frozenset(x.encode() for x in spellings))
        if not needs:
            return None  # this alternative can match any word: the slot constrains nothing
        alternatives.append(tuple(needs))
    return tuple(alternatives)


def _index_words(req: Requirement) -> frozenset[bytes]:
    """One word set per slot for the first look-up: each alternative's most selective word."""
    return frozenset().union(*(max(alt, key=_selectivity) for alt in req))


def _selectivity(spellings: frozenset[bytes]) -> int:
    return min((0 if w.decode() in _COMMON else len(w)) for w in spellings)


def requirements(slots: Sequence[Slot], norm: Normaliser, forms: dict[str, frozenset[str]]
                 ) -> tuple[frozenset[bytes] | None, list[Requirement], tuple[int, frozenset[bytes]] | None]:
    """(words to index the pattern under, requirements to verify, anchor) for a parsed pattern.

    The index words come from the most selective slot; None when no slot is selective enough
    (the pattern then runs on every message its word requirements allow). The anchor is that
    slot and its words, even when they are too common to index: every match holds one of
    them, so only windows around them need tokenising (None without any word requirement).
    """
    found = [(i, r) for i, slot in enumerate(slots) if (r := slot_requirement(slot, norm, forms)) is not None]
    reqs = [r for _, r in found]
    best = max(found, key=lambda ir: _selectivity(_index_words(ir[1])), default=None)
    if best is None:
        return None, reqs, None
    anchor = (best[0], _index_words(best[1]))
    if _selectivity(anchor[1]) < 2:
        return None, reqs, anchor
    return anchor[1], reqs, anchor


def _slot_width(slot: Slot, norm: Normaliser) -> int:
    """The most tokens one slot can match (without skip tokens)."""
    if slot.special.startswith("*") and slot.special[1:]:
        return int(slot.special[1:])
    if slot.special:
        return 1
    return max(sum(1 if w in _SPECIAL_TOKENS else len([n for n in norm.norms(w) if n not in _SKIP_ORTHS])
                   for w in words) for words in slot.words)


def _sides(slots: Sequence[Slot], anchor: int, norm: Normaliser) -> tuple[int, int]:
    """How many tokens a match can reach before and after its anchor slot's word: every other
    token of the pattern, each perhaps with a skip token ("-", "...") before it."""
    widths = [_slot_width(slot, norm) for slot in slots]
    inner = widths[anchor] - 1  # the anchor word may be any token of its slot
    return 2 * (sum(widths[:anchor]) + inner), 2 * (sum(widths[anchor + 1:]) + inner)


class _Need:
    """A requirement compiled for checking: alternatives of one word in one set."""

    __slots__ = ("single", "multi")

    def __init__(self, req: Requirement) -> None:
        self.single = frozenset().union(*(alt[0] for alt in req if len(alt) == 1))
        self.multi = tuple(alt for alt in req if len(alt) > 1)

    def met(self, words: set[bytes]) -> bool:
        """True when `words` satisfy one of the alternatives."""
        if not self.single.isdisjoint(words):
            return True
        for alt in self.multi:
            for need in alt:
                if words.isdisjoint(need):
                    break
            else:
                return True
        return False


@dataclass(frozen=True)
class _Pattern:
    """One compiled pattern: its key, its label on the key's Matcher, and what a text must hold to match."""

    key: str
    label: int | None  # its match id on the key's Matcher, or None for a pattern on the key's PhraseMatcher
    first: frozenset[bytes] | None  # one of these words must be in the text (None: no such words)
    anchors: frozenset[bytes] | None  # and is, around every match (None: not known)
    needs: tuple[_Need, ...]  # and every requirement met
    texts: tuple[re.Pattern[str], ...]  # and each of these found in the raw text
    reach: tuple[int, int] | None  # tokens a match reaches before and after its anchor word


class PhraseIndex:
    """All phrase patterns of a rule set, matched without tokenising most messages.

    Each pattern is indexed under the words one of which any text it matches must hold. A
    message's words are collected once (`words_of`); a message is tokenised only when a
    pattern's required words are all in it, and only such patterns run. `add` registers
    patterns (and the exceptions that veto them) under a key (``"CQ201"``).
    """

    def __init__(self, phrase_matcher: bool = True) -> None:
        self.phrase_matcher = phrase_matcher  # False: every pattern on the Matcher (for testing)
        self._specs: dict[str, list[str | list[dict[str, Any]]]] = {}
        self._built = False
        self._nlp: Any = None
        self._patterns: list[_Pattern] = []
        self._phrases: dict[str, Any] = {}  # key -> PhraseMatcher of its plain-word patterns
        self._matchers: dict[str, Any] = {}  # key -> one Matcher of its other patterns, a label each
        self._anchored: dict[tuple[int, ...], tuple[frozenset[bytes], int, int] | None] = {}
        self._by_key: dict[str, list[int]] = {}
        self._key_words: dict[str, frozenset[bytes]] = {}
        self._word_keys: dict[bytes, frozenset[str]] = {}  # index word -> keys indexed under it
        self._all_words: frozenset[bytes] = frozenset()
        self._always: set[str] = set()  # keys with a pattern that no index word pins down
        self._always_keys: frozenset[str] = frozenset()
        self._seen: dict[tuple[str, tuple[int, ...], str], list[tuple[int, int]]] = {}

    def add(self, key: str, patterns: Iterable[str | list[dict[str, Any]]],
            exceptions: Iterable[str | list[dict[str, Any]]] = ()) -> None:
        """Register patterns under `key`, and `exceptions` whose matches veto overlapping ones
        (see `MessageMatches.vetoed`). Validated now: ValueError on a bad pattern."""
        for name, found in ((key, list(patterns)), (key + "!", list(exceptions))):
            for p in found:
                if isinstance(p, str):
                    parse_pattern(p)
            if found:
                self._specs.setdefault(name, []).extend(found)
        self._built = False

    def _build(self) -> None:
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        self._nlp = make_nlp()
        norm = Normaliser(self._nlp)
        forms = surface_forms(self._nlp)
        self._patterns, self._phrases, self._matchers, self._by_key, self._always = [], {}, {}, {}, set()
        self._anchored = {}
        key_words: dict[str, set[bytes]] = {}
        for key, specs in self._specs.items():
            for spec in specs:
                label: int | None = None
                token_patterns: list[list[dict[str, Any]]] | None = None
                reach: tuple[int, int] | None = None
                anchors: frozenset[bytes] | None = None
                first: frozenset[bytes] | None = None
                needs: list[Requirement] = []
                texts: tuple[re.Pattern[str], ...] = ()
                if isinstance(spec, str):
                    slots = parse_pattern(spec)
                    first, needs, anchor = requirements(slots, norm, forms)
                    if anchor is not None:
                        reach = _sides(slots, anchor[0], norm)
                        anchors = anchor[1]
                    texts = tuple(_SPECIAL_TEXT[s.special] for s in slots
                                  if s.special in _SPECIAL_TEXT and not s.optional)
                    phrases = literal_phrases(slots, norm) if self.phrase_matcher else None
                    if phrases is not None:
                        if key not in self._phrases:
                            self._phrases[key] = PhraseMatcher(self._nlp.vocab, attr="NORM")
                        docs = []
                        for phrase in sorted(phrases):
                            doc = Doc(self._nlp.vocab, words=list(phrase))
                            for token, n in zip(doc, phrase, strict=True):
                                token.norm_ = n
                            docs.append(doc)
                        self._phrases[key].add(key, docs)
                    else:
                        token_patterns = compile_pattern(slots, norm)
                else:
                    from .saferegex import safe_token_pattern

                    token_patterns = [safe_token_pattern(spec)]  # a user regex runs on RE2, never on `re`
                if token_patterns is not None:
                    # One Matcher per key (a call costs ~10 µs whatever it holds), one label per
                    # pattern so that only the candidates' matches are kept.
                    if key not in self._matchers:
                        self._matchers[key] = Matcher(self._nlp.vocab, validate=True)
                    name = f"{key}#{len(self._patterns)}"
                    self._matchers[key].add(name, token_patterns)
                    label = self._nlp.vocab.strings[name]
                self._by_key.setdefault(key, []).append(len(self._patterns))
                self._patterns.append(_Pattern(key, label, first, anchors, tuple(_Need(r) for r in needs), texts,
                                               reach))
                if first is None:
                    self._always.add(key)
                else:
                    key_words.setdefault(key, set()).update(first)
        self._key_words = {k: frozenset(v) for k, v in key_words.items()}
        self._seen = {}
        word_keys: dict[bytes, set[str]] = {}
        for key, words in self._key_words.items():
            for w in words:
                word_keys.setdefault(w, set()).add(key)
        self._word_keys = {w: frozenset(k) for w, k in word_keys.items()}
        self._all_words = frozenset(word_keys)
        self._always_keys = frozenset(self._always)
        self._built = True

    def keys_for(self, words: set[bytes]) -> frozenset[str]:
        """The keys that may match a text with these `words` (`words_of`): one set look-up."""
        if not self._built:
            self._build()
        found = self._all_words.intersection(words)
        if not found:
            return self._always_keys
        keys = set(self._always_keys)
        for w in found:
            keys.update(self._word_keys[w])
        return frozenset(keys)

    def candidates(self, key: str, text: str, words: set[bytes], tokenized: bool = False) -> list[int]:
        """Ids of `key`'s patterns whose requirements `text` (with `words`) meets. Once the text
        is `tokenized`, plain-word patterns are all kept: the PhraseMatcher costs less than the
        check."""
        if not self._built:
            self._build()
        found = []
        for pid in self._by_key.get(key, ()):
            p = self._patterns[pid]
            if tokenized and p.label is None:
                found.append(pid)
                continue
            if p.first is not None and p.first.isdisjoint(words):
                continue
            for need in p.needs:
                if not need.met(words):
                    break
            else:
                for rx in p.texts:
                    if not rx.search(text):
                        break
                else:
                    found.append(pid)
        return found

    def tokenize(self, text: str) -> Any:
        """A spaCy Doc of `text` in this index's vocabulary."""
        if not self._built:
            self._build()
        return self._nlp.make_doc(text)

    def refresh(self) -> None:
        """Start a fresh vocabulary once the current one holds MAX_STRINGS strings (spaCy's
        string store only grows): memory stays flat on long streams. Call it between
        conversations, never while matches of one are in use."""
        if self._built and len(self._nlp.vocab.strings) > MAX_STRINGS:
            self._build()

    def on(self, text: str, words: set[bytes] | None = None, *, prefilter: bool = True) -> MessageMatches:
        """Lazy matches of one message (without `prefilter`, every pattern runs: for testing)."""
        return MessageMatches(self, text, words_of(text) if words is None else words, prefilter)

    def keys(self) -> list[str]:
        """Every registered key."""
        return list(self._specs)

    def patterns(self, key: str) -> list[int]:
        """Ids of all of `key`'s patterns."""
        if not self._built:
            self._build()
        return list(self._by_key.get(key, ()))

    def spans_in(self, key: str, pids: list[int], message: MessageMatches, start: int, end: int
                 ) -> list[tuple[int, int]]:
        """Character spans of patterns `pids` (of `key`) in `message`'s text between `start` and
        `end`. Results are remembered per window text: chat wording repeats, so most windows
        are found without tokenising."""
        ck = (key, tuple(pids), message.text[start:end])
        seen = self._seen
        found = seen.pop(ck, None)
        if found is None:
            found = self.find(key, pids, message.tokens(start, end))
            if len(seen) >= MAX_SEEN:
                del seen[next(iter(seen))]  # the least recently used
        seen[ck] = found  # (re)inserted last: most recently used
        return [(a + start, b + start) for a, b in found] if start else found

    def find(self, key: str, pids: list[int], tokens: _Tokens) -> list[tuple[int, int]]:
        """Character spans (in the tokenised text) of patterns `pids` (of `key`) in `tokens`."""
        found: list[tuple[int, int]] = []
        doc = tokens.doc
        phrases = False
        labels = set()
        for pid in pids:
            label = self._patterns[pid].label
            if label is None:
                phrases = True
            else:
                labels.add(label)
        if labels:
            for label, start, end in self._matchers[key](doc):
                if label in labels:
                    last = doc[end - 1]
                    found.append((doc[start].idx, last.idx + len(last)))
        if phrases:
            pdoc, where = tokens.phrase_view()
            for _, start, end in self._phrases[key](pdoc):
                last = doc[where[end - 1]]
                found.append((doc[where[start]].idx, last.idx + len(last)))
        return found

    def anchored(self, pids: list[int]) -> tuple[frozenset[bytes], int, int] | None:
        """(anchor words, tokens before, tokens after) when every match of `pids` holds an
        anchor word: then only windows around the anchors need tokenising."""
        key = tuple(pids)
        if key not in self._anchored:
            if len(self._anchored) >= MAX_SEEN:
                self._anchored.clear()
            self._anchored[key] = self._anchored_of(pids)
        return self._anchored[key]

    def _anchored_of(self, pids: list[int]) -> tuple[frozenset[bytes], int, int] | None:
        words: set[bytes] = set()
        before = after = 0
        for pid in pids:
            p = self._patterns[pid]
            if p.anchors is None or p.reach is None:
                return None
            words.update(p.anchors)
            before, after = max(before, p.reach[0]), max(after, p.reach[1])
        return frozenset(words), before, after

    def match(self, text: str, keys: set[str] | None = None, *, prefilter: bool = True
              ) -> dict[str, list[tuple[int, int]]]:
        """Spans per key in `text` (all keys, or `keys`); keys without a match are left out."""
        found = self.on(text, prefilter=prefilter)
        return {k: spans for k in (keys if keys is not None else self.keys()) if (spans := found.spans(k))}


class MessageMatches:
    """One message's phrase matches, computed per key on first use.

    A pattern that every match anchors on one of its words, spanning a bounded number of
    tokens, is run on windows of the text around those words (spaCy tokenises each
    whitespace-separated chunk on its own, so a window's tokens are the text's); others on
    the whole text. Each window, and the whole text, is tokenised once.
    """

    def __init__(self, index: PhraseIndex, text: str, words: set[bytes], prefilter: bool) -> None:
        self.index = index
        self.text = text
        self.words = words
        self.prefilter = prefilter
        self._whole = False  # the whole text is tokenised
        self._windows: dict[tuple[int, int], _Tokens] = {}
        self._chunks: list[tuple[int, int]] | None = None  # whitespace-separated chunks
        self._starts: list[int] = []
        self._lowered: str | None = None
        self._positions: dict[bytes, list[int]] = {}  # anchor word -> its offsets
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def spans(self, key: str) -> list[tuple[int, int]]:
        """Character spans of `key`'s patterns, longest first among overlaps, in text order."""
        if key in self._spans:
            return self._spans[key]
        index = self.index
        if self.prefilter:
            pids = index.candidates(key, self.text, self.words, tokenized=self._whole)
        else:
            pids = index.patterns(key)
        found: list[tuple[int, int]] = []
        if pids:
            for start, end in self._ranges(pids):
                found.extend(index.spans_in(key, pids, self, start, end))
        self._spans[key] = result = _longest_first(found)
        return result

    def vetoed(self, key: str) -> list[tuple[int, int]]:
        """Spans of `key` that no match of its exceptions overlaps."""
        spans = self.spans(key)
        if spans and key + "!" in self.index._specs:
            vetoes = self.spans(key + "!")
            spans = [s for s in spans if not overlaps(s, vetoes)]
        return spans

    def tokens(self, start: int, end: int) -> _Tokens:
        """The tokenised text between `start` and `end` (chunk boundaries), computed once."""
        view = self._windows.get((start, end))
        if view is None:
            text = self.text[start:end]
            view = self._windows[start, end] = _Tokens(self.index.tokenize(text), text)
            self._whole = self._whole or (start == 0 and end == len(self.text))
        return view

    def _ranges(self, pids: list[int]) -> list[tuple[int, int]]:
        """The windows (or the whole text) patterns `pids` must run on."""
        if self.prefilter and not self._whole:
            anchored = self.index.anchored(pids)
            windows = self._anchor_windows(*anchored) if anchored is not None else None
            if windows is not None:
                return windows
        return [(0, len(self.text))]

    def _anchor_windows(self, anchors: frozenset[bytes], before: int, after: int) -> list[tuple[int, int]] | None:
        """Character ranges covering `before` whitespace-separated chunks before and `after`
        after every anchor word (None when the text's lowercase form has other offsets)."""
        if self._lowered is None:
            self._lowered = self.text.lower()
        lowered = self._lowered
        if len(lowered) != len(self.text):
            return None
        found: list[int] = []
        for word in anchors.intersection(self.words):
            at = self._positions.get(word)
            if at is None:
                at = self._positions[word] = list(_occurrences(lowered, word.decode(), self.text.isascii()))
            found.extend(at)
        if not found:
            return None  # the words are there but not as we find them: play safe
        if len(found) <= _LOCAL_ANCHORS and _single_spaced(self.text):
            return _spaced_windows(self.text, sorted(found), before, after)
        if self._chunks is None:
            self._chunks = [m.span() for m in _CHUNK.finditer(self.text)]
            self._starts = [a for a, _ in self._chunks]
        last = len(self._starts) - 1
        ranges = []
        for pos in found:
            i = bisect.bisect_right(self._starts, pos) - 1
            ranges.append((max(0, i - before), min(last, i + after)))
        ranges.sort()
        merged = [ranges[0]]
        for a, b in ranges[1:]:
            if a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        chunks = self._chunks
        return [(chunks[a][0], chunks[b][1]) for a, b in merged]


_CHUNK = re.compile(r"\S+")
_LOCAL_ANCHORS = 8  # more anchors than this: one pass over all chunks (linear on huge texts)


def _single_spaced(text: str) -> bool:
    """True when `text`'s chunks are separated by single spaces and nothing else (cleaned one-line
    text): every other whitespace character is unprintable."""
    return text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " "


def _spaced_windows(text: str, positions: list[int], before: int, after: int) -> list[tuple[int, int]]:
    """`_anchor_windows` for text whose chunks are separated by single spaces: each window
    found by stepping from space to space around its anchor (`positions`, sorted)."""
    n = len(text)
    find, rfind = text.find, text.rfind
    merged: list[tuple[int, int]] = []
    for pos in positions:
        start = rfind(" ", 0, pos) + 1
        for _ in range(before):
            if not start:
                break
            start = rfind(" ", 0, start - 1) + 1
        end = find(" ", pos)
        end = n if end < 0 else end
        for _ in range(after):
            if end == n:
                break
            end = find(" ", end + 1)
            end = n if end < 0 else end
        if merged and start <= merged[-1][1] + 1:  # overlapping or next to the previous window
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _occurrences(lowered: str, word: str, ascii_text: bool) -> Iterator[int]:
    """Start offsets of `word` as a whole word (an alphanumeric run) in `lowered`."""
    if not ascii_text:
        for m in re.finditer(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])", lowered):
            yield m.start()
        return
    at = lowered.find(word)
    n = len(word)
    while at >= 0:
        end = at + n
        if (at == 0 or not lowered[at - 1].isalnum()) and (end == len(lowered) or not lowered[end].isalnum()):
            yield at
        at = lowered.find(word, at + 1)


class _Tokens:
    """A tokenised text (a whole message or a window of it)."""

    __slots__ = ("doc", "text", "_phrase")

    def __init__(self, doc: Any, text: str) -> None:
        self.doc = doc
        self.text = text
        self._phrase: tuple[Any, Any] | None = None

    def phrase_view(self) -> tuple[Any, Any]:
        """The doc without single skip tokens between words (for the PhraseMatcher), and the
        positions of its tokens in the doc."""
        if self._phrase is None:
            doc = self.doc
            drop = set()
            if any(s in self.text for s in _SKIP_TEXT):
                from spacy.attrs import ORTH

                skip_orths = {doc.vocab.strings.add(s) for s in _SKIP_ORTHS}
                skip = [o in skip_orths for o in doc.to_array(ORTH).tolist()]
                drop = {i for i in range(1, len(doc) - 1) if skip[i] and not skip[i - 1] and not skip[i + 1]}
            if not drop:
                self._phrase = (doc, _Identity())
            else:
                from spacy.tokens import Doc

                keep = [i for i in range(len(doc)) if i not in drop]
                tokens = [doc[i] for i in keep]
                short = Doc(doc.vocab, words=[t.text for t in tokens], spaces=[False] * len(tokens))
                for token, original in zip(short, tokens, strict=True):
                    token.norm_ = original.norm_
                self._phrase = (short, keep)
        return self._phrase


class _Identity:
    """Token positions of a doc in itself."""

    def __getitem__(self, i: int) -> int:
        return i


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
