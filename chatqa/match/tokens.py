"""The token side of phrase matching: spaCy's tokenizer and Matcher, which decide every match.

`Tokens` compiles each pattern for spaCy (compact patterns made only of words on the
PhraseMatcher, every wording they allow expanded; the others on the Matcher) and finds the
matches in a window of text. It also knows how words are spelled (`spellings`, `surface_forms`),
which the scanner needs to find candidates without spaCy.

Matches are remembered per window text (chat wording repeats): the one cache of phrase
matching. spaCy's vocabulary only grows, so it is rebuilt once it holds MAX_STRINGS strings.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

from .glue import break_glued_words
from .lexicon import Lexicon
from .syntax import SENTENCE_ENDS, SKIP_ORTHS, Pattern, Slot

MAX_STRINGS = 50_000  # rebuild the vocabulary past this many strings (spaCy's StringStore only grows)
MAX_SEEN = 20_000  # window texts whose matches are remembered (then the least recently used are forgotten)
PHRASE_LIMIT = 5_000  # wordings of one pattern beyond which it runs on the Matcher instead

_SKIP_BETWEEN = {"ORTH": {"IN": list(SKIP_ORTHS)}, "OP": "?"}
_SKIP_TEXT = ("-", "–", "—", "..", "…", "~")  # a text without these has no skip token
_WORD = re.compile(r"[^\W_]+")
Span = tuple[int, int]


def make_nlp(lexicon: Lexicon) -> Any:
    """A blank English pipeline (tokenizer only) that knows the lexicon's chat spellings."""
    import spacy
    from spacy.symbols import NORM, ORTH

    nlp = spacy.blank("en")
    nlp.max_length = 10**9  # tokenizer only (no parser/NER memory): a 1 MB message must not raise E088
    for word, norm in lexicon.norms.items():
        for form in (word, word.capitalize(), word.upper()):
            nlp.vocab[form].norm_ = norm
    tokenizer: Any = nlp.tokenizer  # a spaCy Tokenizer (compiled: untyped); Language types it as any callable
    break_glued_words(nlp, tokenizer)
    for word, pieces in lexicon.splits.items():
        for form in (word, word.capitalize()):
            start, special = 0, []
            for orth, norm in pieces:
                special.append({ORTH: form[start:start + len(orth)], NORM: norm})
                start += len(orth)
            tokenizer.add_special_case(form, special)
    return nlp


def _pieces(nlp: Any, lexicon: Lexicon) -> list[tuple[str, list[tuple[str, str]]]]:
    """(text, [(orth, norm), ...]) of every chat spelling, split and tokenizer special case:
    the ways a text can spell a token of some NORM."""
    from spacy.symbols import NORM, ORTH

    found = [(s, [(s, n)]) for s, n in lexicon.norms.items()]
    found += [(w, list(p)) for w, p in lexicon.splits.items()]
    for text, tokens in nlp.tokenizer.rules.items():
        found.append((text, [(t[ORTH], t.get(NORM) or lexicon.norms.get(t[ORTH].lower(), t[ORTH].lower()))
                             for t in tokens]))
    return found


def surface_forms(nlp: Any, lexicon: Lexicon) -> dict[str, frozenset[str]]:
    """NORM -> the whole words (alphanumeric runs, lowercase) a text may hold where a token with
    that NORM is: the word itself, chat spellings, and every tokenizer special case producing it
    ("dont" and "don't" for "not", "gimme" for "give", "im" and "i'm" for "am")."""
    forms: dict[str, set[str]] = {}
    for text, pieces in _pieces(nlp, lexicon):
        text = text.lower()
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        whole = "".join(o for o, _ in pieces).lower() == text
        start = 0
        for orth, norm in pieces:
            end = start + len(orth)
            hit = {w for a, b, w in words if a < end and start < b} if whole else {w for _, _, w in words}
            forms.setdefault(norm, set()).update(hit)
            start = end
    return {norm: frozenset(words) for norm, words in forms.items()}


def spellings(nlp: Any, lexicon: Lexicon) -> tuple[dict[str, frozenset[str]], frozenset[str], frozenset[str]]:
    """(NORM -> the texts (lowercase) a token with that NORM may have besides the NORM itself,
    texts that may be a token glued to a letter before it, texts glued to a letter after it):
    chat spellings and the pieces of tokenizer special cases ("'m" and "m" for "am", "nt" in
    "dont")."""
    texts: dict[str, set[str]] = {}
    glued_left: set[str] = set()
    glued_right: set[str] = set()
    for _, pieces in _pieces(nlp, lexicon):
        for k, (orth, norm) in enumerate(pieces):
            texts.setdefault(norm, set()).add(orth.lower())
            if k and pieces[k - 1][0][-1:].isalnum() and orth[:1].isalnum():
                glued_left.add(orth.lower())
            if k + 1 < len(pieces) and orth[-1:].isalnum() and pieces[k + 1][0][:1].isalnum():
                glued_right.add(orth.lower())
    return {n: frozenset(t) for n, t in texts.items()}, frozenset(glued_left), frozenset(glued_right)


class Normaliser:
    """Turns pattern words into the NORM values the tokenizer gives the same words."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.cache: dict[str, tuple[str, ...]] = {}

    def norms(self, word: str) -> tuple[str, ...]:
        """``"i'm"`` -> ``("i", "am")`` (skip tokens such as "-" left out)."""
        if word not in self.cache:
            self.cache[word] = tuple(t.norm_ for t in self.nlp.make_doc(word) if not t.is_space
                                     and t.norm_ not in SKIP_ORTHS)
        return self.cache[word]


SIGNOFF_MARKS = ("-", "--", "\u2013", "\u2014", "~", "~~", "^", "*")  # what a sign-off's name follows
_FIRST_NAME = r"^[A-Z][a-z]+(?:[A-Z][a-z]+)*$"  # "Becky", "DannyHarvey"; not initials ("JK")


def special_tokens(lexicon: Lexicon) -> dict[str, list[dict[str, Any]]]:
    """The Matcher tokens of each special slot (a sign-off is two: the mark and the name)."""
    not_names = sorted(lexicon.not_names)
    return {
        "#": [{"LIKE_NUM": True}],
        "<name>": [{"IS_TITLE": True, "IS_ALPHA": True, "NORM": {"NOT_IN": not_names}}],
        "<signoff>": [{"ORTH": {"IN": list(SIGNOFF_MARKS)}},
                      {"TEXT": {"REGEX": _FIRST_NAME}, "NORM": {"NOT_IN": not_names}}],
        "<url>": [{"LIKE_URL": True}],
    }


def compile_pattern(slots: Sequence[Slot], norm: Normaliser, specials: dict[str, list[dict[str, Any]]]
                    ) -> list[list[dict[str, Any]]]:
    """Expand slots into spaCy Matcher token patterns (alternatives of several words branch)."""
    choices: list[list[list[dict[str, Any]]]] = []
    for slot in slots:
        if slot.special in specials:
            branches = [specials[slot.special]]
        elif slot.special == "*":
            branches = [[{"IS_PUNCT": False, "IS_SPACE": False}]]
        elif slot.gap is not None and slot.wide:  # "*" (one state, where "{0,N}" branches N ways); see `widest`
            branches = [[{"IS_SPACE": False, "OP": "*"}]]
        elif slot.gap is not None:
            branches = [[{"ORTH": {"NOT_IN": list(SENTENCE_ENDS)}, "IS_SPACE": False, "OP": f"{{0,{slot.gap}}}"}]]
        else:
            seqs = {seq for words in slot.words
                    if (seq := tuple(n for w in words for n in ((w,) if w in specials else norm.norms(w))))}
            singles = sorted(s[0] for s in seqs if len(s) == 1 and s[0] not in specials)
            branches = [[{"NORM": {"IN": singles} if len(singles) > 1 else singles[0]}]] if singles else []
            branches += [_joined([specials.get(n) or [{"NORM": n}] for n in seq]) for seq in sorted(seqs)
                         if len(seq) > 1 or seq[0] in specials]
        if slot.optional and len(branches) == 1 and len(branches[0]) == 1 and "OP" not in branches[0][0]:
            branches = [[{**branches[0][0], "OP": "?"}]]  # one optional token: no need to branch
        elif slot.optional:
            branches = [*branches, []]
        choices.append(branches)
    patterns = []
    for combo in itertools.product(*choices):
        tokens = _joined([part for part in combo if part])
        if tokens:
            patterns.append(tokens)
    return patterns


def widest(slots: Sequence[Slot], patterns: list[list[dict[str, Any]]]) -> int | None:
    """The most tokens a match of a pattern with a ``**N`` gap may span (None without one): its
    other tokens, skip tokens included, and N per such gap. Longer matches of the unbounded
    "*" that stands for it are dropped."""
    gaps = sum(slot.gap or 0 for slot in slots if slot.wide)
    if not gaps:
        return None

    def width(token: dict[str, Any]) -> int:
        op = str(token.get("OP", ""))
        return 0 if op == "*" else int(op[3:-1]) if op.startswith("{0,") else 1
    return gaps + max(sum(width(t) for t in p) for p in patterns)


def _joined(parts: Sequence[Sequence[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Token patterns one after another, a skip token allowed between them (never inside a
    special's tokens: a sign-off's mark and name)."""
    tokens: list[dict[str, Any]] = []
    for part in parts:
        if tokens:
            tokens.append(_SKIP_BETWEEN)
        tokens.extend(part)
    return tokens


def literal_phrases(slots: Sequence[Slot], norm: Normaliser, specials: dict[str, Any]) -> set[tuple[str, ...]] | None:
    """Every token-norm sequence a pattern of plain words can match (None for patterns with
    special slots or more than PHRASE_LIMIT wordings)."""
    choices: list[set[tuple[str, ...]]] = []
    total = 1
    for slot in slots:
        if slot.special:
            return None
        seqs: set[tuple[str, ...]] = set()
        for words in slot.words:
            if any(w in specials for w in words):
                return None
            seqs.add(tuple(n for w in words for n in norm.norms(w)))
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


class Tokens:
    """Every pattern compiled for spaCy, by key: `add` them, then `find` the matches of some of a
    key's patterns in a window of text (character spans, remembered per window text)."""

    def __init__(self, lexicon: Lexicon, phrase_matcher: bool = True) -> None:
        self.lexicon = lexicon
        self.phrase_matcher = phrase_matcher  # False: every pattern on the Matcher (for testing)
        self._specs: list[tuple[str, Pattern]] = []
        self._seen: dict[tuple[str, tuple[int, ...], str], list[Span]] = {}
        self._build()

    def _build(self) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.nlp = make_nlp(self.lexicon)
        self.norm = Normaliser(self.nlp)
        self.specials = special_tokens(self.lexicon)
        self._phrases: dict[str, Any] = {}  # key -> PhraseMatcher of its plain-word patterns
        self._matchers: dict[str, Any] = {}  # key -> one Matcher of its other patterns, a label each
        self._labels: list[int | None] = []  # pattern id -> its label on its key's Matcher (None: PhraseMatcher)
        self._widest: dict[int, int] = {}  # label -> the most tokens its matches span (patterns with ``**N``)
        self._signed: set[int] = set()  # labels of patterns ending on a sign-off (see `_signs_off`)
        self._Matcher, self._PhraseMatcher = Matcher, PhraseMatcher
        specs, self._specs = self._specs, []
        for key, spec in specs:
            self.add(key, spec)
        self._seen = {}

    def add(self, key: str, spec: Pattern, slots: Sequence[Slot] | None = None) -> int:
        """Compile one pattern of `key` (parsed `slots` for a compact one); its pattern id."""
        from spacy.tokens import Doc

        from ..saferegex import safe_token_pattern

        pid = len(self._specs)
        self._specs.append((key, spec))
        label: int | None = None
        if isinstance(spec, str):
            from .syntax import parse_pattern

            slots = slots or parse_pattern(spec)
            phrases = literal_phrases(slots, self.norm, self.specials) if self.phrase_matcher else None
            if phrases is not None:
                if key not in self._phrases:
                    self._phrases[key] = self._PhraseMatcher(self.nlp.vocab, attr="NORM")
                docs = []
                for phrase in sorted(phrases):
                    doc = Doc(self.nlp.vocab, words=list(phrase))
                    for token, n in zip(doc, phrase, strict=True):
                        token.norm_ = n
                    docs.append(doc)
                self._phrases[key].add(key, docs)
                self._labels.append(None)
                return pid
            token_patterns = compile_pattern(slots, self.norm, self.specials)
            bound = widest(slots, token_patterns)
            signed = slots[-1].special == "<signoff>" and not slots[-1].optional
        else:
            bound, signed = None, False
            token_patterns = [safe_token_pattern(spec)]  # a user regex runs on RE2, never on `re`
        # One Matcher per key (a call costs ~10 µs whatever it holds), one label per pattern so
        # that only the candidates' matches are kept.
        if key not in self._matchers:
            self._matchers[key] = self._Matcher(self.nlp.vocab, validate=True)
        name = f"{key}#{pid}"
        self._matchers[key].add(name, token_patterns)
        label = self.nlp.vocab.strings[name]
        self._labels.append(label)
        if bound is not None:
            self._widest[label] = bound
        if signed:
            self._signed.add(label)
        return pid

    def refresh(self) -> None:
        """Start a fresh vocabulary once the current one holds MAX_STRINGS strings (spaCy's
        string store only grows): memory stays flat on long streams. Call it between
        conversations, never while matches of one are in use."""
        if len(self.nlp.vocab.strings) > MAX_STRINGS:
            self._build()

    def find(self, key: str, pids: tuple[int, ...], text: str) -> list[Span]:
        """Character spans of patterns `pids` (of `key`) in `text` (a whole message, or a window
        of it cut at whitespace: spaCy tokenises each whitespace-separated chunk on its own)."""
        ck = (key, pids, text)
        seen = self._seen
        found = seen.pop(ck, None)
        if found is None:
            found = self._find(key, pids, text)
            if len(seen) >= MAX_SEEN:
                del seen[next(iter(seen))]  # the least recently used
        seen[ck] = found  # (re)inserted last: most recently used
        return found

    def _find(self, key: str, pids: tuple[int, ...], text: str) -> list[Span]:
        doc = self.nlp.make_doc(text)
        found: list[Span] = []
        labels = {label for pid in pids if (label := self._labels[pid]) is not None}
        if labels:
            widest, signed = self._widest, self._signed
            for label, start, end in self._matchers[key](doc):
                if label in labels and (label not in widest or end - start <= widest[label]) \
                        and (label not in signed or _signs_off(doc, end)):
                    # a skip token may stand before an optional slot that is absent: never an edge
                    while end - start > 1 and doc[start].text in SKIP_ORTHS:
                        start += 1
                    while end - start > 1 and doc[end - 1].text in SKIP_ORTHS:
                        end -= 1
                    last = doc[end - 1]
                    found.append((doc[start].idx, last.idx + len(last)))
        if len(labels) < len(pids):  # some are on the PhraseMatcher
            pdoc, where = _phrase_view(doc, text)
            for _, start, end in self._phrases[key](pdoc):
                last = doc[where[end - 1]]
                found.append((doc[where[start]].idx, last.idx + len(last)))
        return found


_AFTER_SIGNOFF = frozenset({",", ";", ":", "(", ")", "[", "]", "&", "/", "-", "\u2013", "\u2014", "*", "+", "=",
                            '"', "'", "\u201c", "\u201d", "\u2018", "\u2019", "\u300d", "\u300f", "\u3011"})
_PART = re.compile(r"\d+/\d+")  # "2/2": the part of a split tweet


def _signs_off(doc: Any, end: int) -> bool:
    """A sign-off's name ends its message, or only a line break, a link, the part of a split
    tweet ("2/2"), an emoji or sentence punctuation follows it ("-Becky https://...", "^Helen 2/2"):
    "Settings - General - About" and "Wi-Fi signal" are no sign-offs."""
    if end >= len(doc):
        return True
    name, after = doc[end - 1], doc[end]
    if "\n" in doc.text[name.idx + len(name):after.idx]:
        return True
    text = after.text
    return bool(after.like_url or _PART.fullmatch(text) or after.is_space
                or (not after.is_alpha and not after.like_num and text not in _AFTER_SIGNOFF
                    and not text[:1].isalnum()))


def _phrase_view(doc: Any, text: str) -> tuple[Any, Any]:
    """The doc without single skip tokens between words (for the PhraseMatcher), and the
    positions of its tokens in the doc."""
    if not any(s in text for s in _SKIP_TEXT):
        return doc, _Identity()
    from spacy.attrs import ORTH
    from spacy.tokens import Doc

    skip_orths = {doc.vocab.strings.add(s) for s in SKIP_ORTHS}
    skip = [o in skip_orths for o in doc.to_array(ORTH).tolist()]
    drop = {i for i in range(1, len(doc) - 1) if skip[i] and not skip[i - 1] and not skip[i + 1]}
    if not drop:
        return doc, _Identity()
    keep = [i for i in range(len(doc)) if i not in drop]
    tokens = [doc[i] for i in keep]
    short = Doc(doc.vocab, words=[t.text for t in tokens], spaces=[False] * len(tokens))
    for token, original in zip(short, tokens, strict=True):
        token.norm_ = original.norm_
    return short, keep


class _Identity:
    """Token positions of a doc in itself."""

    def __getitem__(self, i: int) -> int:
        return i
