"""Phrase matching: every pattern of a rule set, found in a conversation in one compiled pass
and decided by spaCy where it may match.

`PhraseIndex.add` registers a rule's patterns (and the exceptions that veto them) under a key
(``"CQ201"``). `PhraseIndex.scan` reads a conversation once: one literal RE2 set of every
pattern's anchor words over its text says which keys may match at all and in which messages
(see `scan`); in such a message, a pattern's own expression (RE2) says whether it may match,
and spaCy's Matcher confirms the matches on windows of the message around the anchor words
(see `tokens`), with their exact token semantics (NORM, contractions, chat spellings). The
pattern language is in `syntax`, the chat spellings in `lexicon` (data: `rules/lexicon.yaml`).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import re2

from ..model import Kind, Role
from ..records import Line, in_scope
from .lexicon import Lexicon
from .scan import SPACES, WORDS, Scanned, Spelling, fold, raw_scanned, scanned, windows
from .syntax import Pattern, parse_pattern
from .tokens import Span, Tokens, spellings, surface_forms

__all__ = ["Lexicon", "PhraseIndex", "Scan", "overlaps", "parse_pattern"]

_RE2_MEMORY = 256 << 20  # per compiled expression and for the anchor set (RE2 falls back to a slower engine beyond it)
_SCANNED = (Kind.MESSAGE, Kind.NOTE)  # what phrase rules read


class _Key(NamedTuple):
    """A key's patterns: their ids, their anchor words (as `Scan` looks for them: " word ") with
    the patterns each anchors, and the patterns without anchor words."""

    pids: tuple[int, ...]
    needles: dict[bytes, tuple[int, ...]]
    loose: tuple[int, ...]
    words: frozenset[bytes]  # the anchor words themselves (needles without their spaces)


class PhraseIndex:
    """All phrase patterns of a rule set, compiled once (on first use)."""

    def __init__(self, lexicon: Lexicon | None = None, phrase_matcher: bool = True) -> None:
        if lexicon is None:
            from ..rulepack import core_lexicon

            lexicon = core_lexicon()
        self.lexicon = lexicon
        self.phrase_matcher = phrase_matcher  # False: every pattern on spaCy's Matcher (for testing)
        self._specs: dict[str, list[Pattern]] = {}
        self._built = False

    def add(self, key: str, patterns: Iterable[Pattern], exceptions: Iterable[Pattern] = ()) -> None:
        """Register patterns under `key`, and `exceptions` whose matches veto overlapping ones.
        Validated now: ValueError on a malformed compact pattern."""
        for name, found in ((key, list(patterns)), (key + "!", list(exceptions))):
            for p in found:
                if isinstance(p, str):
                    parse_pattern(p)
            if found:
                self._specs.setdefault(name, []).extend(found)
        self._built = False

    def keys(self) -> list[str]:
        """Every registered key (exceptions are ``key + "!"``)."""
        return list(self._specs)

    def _build(self) -> None:
        self.tokens = tokens = Tokens(self.lexicon, self.phrase_matcher)
        texts, glued_left, glued_right = spellings(tokens.nlp, self.lexicon)
        spelling = Spelling(texts, glued_left, glued_right, surface_forms(tokens.nlp, self.lexicon))
        options = re2.Options()
        options.max_mem = _RE2_MEMORY
        self._scanned: list[Scanned] = []
        self._regexes: list[Any] = []  # pattern id -> its expression, compiled (None: it may match anything)
        self._owner: list[str] = []  # pattern id -> key
        self._anchors: list[tuple[bytes, ...]] = []  # pattern id -> its anchor words, folded
        self._always: list[int] = []  # patterns without anchor words
        self._keys: dict[str, _Key] = {}
        words: dict[bytes, list[int]] = {}
        for key, specs in self._specs.items():
            pids = []
            for spec in specs:
                if isinstance(spec, str):
                    slots = parse_pattern(spec)
                    pid = tokens.add(key, spec, slots)
                    found = scanned(slots, tokens.norm, spelling)
                else:
                    pid = tokens.add(key, spec, None)
                    found = raw_scanned(spec)
                self._scanned.append(found)
                self._regexes.append(None if found.regex is None else re2._re2.RE2(found.regex.encode(), options))
                self._owner.append(key)
                pids.append(pid)
                anchors = tuple(sorted({fold(w).translate(WORDS) for w in found.anchors or ()}))
                self._anchors.append(anchors)
                for word in anchors:
                    words.setdefault(word, []).append(pid)
                if not anchors:
                    self._always.append(pid)
            by_word: dict[bytes, list[int]] = {}
            for pid in pids:
                for w in self._anchors[pid]:
                    by_word.setdefault(b" " + w + b" ", []).append(pid)
            self._keys[key] = _Key(tuple(pids), {w: tuple(p) for w, p in sorted(by_word.items())},
                                   tuple(pid for pid in pids if not self._anchors[pid]),
                                   frozenset(w.strip(b" ") for w in by_word))
        # Anchor words as literals (" word " in the text with every non-alphanumeric character a
        # space): the set's automaton stays small whatever the text, unlike one of the patterns.
        self._set = re2.Set.SearchSet(options)
        self._words = list(words)
        self._word_keys = [frozenset(self._owner[pid] for pid in words[w]) for w in self._words]
        self._always_keys = frozenset(self._owner[pid] for pid in self._always)
        for word in self._words:
            self._set.Add(b" " + word + b" ")
        self._set.Compile()
        self._built = True

    def refresh(self) -> None:
        """Keep spaCy's vocabulary bounded (call between conversations)."""
        if self._built:
            self.tokens.refresh()

    def scan(self, lines: Sequence[Line], scoped: dict[str, list[Line]] | None = None, text: str | None = None
             ) -> Scan:
        """Read one conversation: which keys may match, and where (see `Scan`); `scoped` are its
        visible chat lines per scope and `text` every line's text, one per line, if the caller
        has them."""
        if not self._built:
            self._build()
        return Scan(self, lines, scoped, text)

    def match(self, text: str, keys: Iterable[str] | None = None, *, prefilter: bool = True
              ) -> dict[str, list[Span]]:
        """Spans per key in one text (all keys, exceptions' ``key!`` included, or `keys`), before
        exceptions veto any; keys without a match are left out. Without `prefilter`, spaCy runs
        every pattern on the whole text (the reference the scan must agree with)."""
        if not self._built:
            self._build()
        line = Line(role=Role.AGENT, text=text)
        scan = self.scan([line]) if prefilter else None
        found = {}
        for key in (keys if keys is not None else self.keys()):
            if scan is not None:
                spans = scan.spans(line, key)
            else:
                spans = _longest_first(self.tokens.find(key, self._keys[key].pids, text))
            if spans:
                found[key] = spans
        return found


class Scan:
    """One conversation as phrase rules read it, each part computed once, on first use:

    * the keys that may match at all: one literal RE2 set of anchor words over all its text;
    * for such a key, the lines of a scope where it may: those holding one of its anchor words
      (or every line, for a pattern without anchor words);
    * the spans in such a line: the candidate patterns whose expression matches the line, then
      spaCy on windows of the line around their anchor words.
    """

    def __init__(self, index: PhraseIndex, lines: Sequence[Line], scoped: dict[str, list[Line]] | None = None,
                 text: str | None = None) -> None:
        self.index = index
        self.lines = lines
        self._given = scoped or {}  # scope -> its lines, when the caller has them already
        self._read = [line for line in lines if line.kind in _SCANNED]
        if text is None or len(self._read) < len(lines):  # `text`: every line's text, one per line
            text = "\n".join([line.text for line in self._read])
        self.data = fold(text)  # ASCII, one byte a character: line offsets are byte offsets
        self.words = b" " + self.data.translate(WORDS) + b" "  # a word w of data[i:] is " w " at words[i:]
        present = index._set.Match(self.words) or ()
        self.keys = index._always_keys.union(*[index._word_keys[i] for i in present])  # the keys that may match
        self._present = {b" " + index._words[i] + b" " for i in present}
        self._offsets: dict[int, int] | None = None  # line index -> offset in `data`
        self._starts: list[int] = []
        self._indices: list[int] = []
        self._found: dict[bytes, dict[int, list[int]]] = {}  # anchor word -> line index -> offsets in the line
        self._in_lines: dict[tuple[bytes, int], list[int]] = {}  # (anchor word, line index) -> offsets, line by line
        self._lengths: dict[int, int] = {}  # line index -> its length
        self._line_words: dict[int, frozenset[bytes]] = {}
        self._spaces: bytes | None = None
        self._located: dict[tuple[str, str, bool], list[Line]] = {}
        self._spans: dict[tuple[str, int], list[Span]] = {}
        self._loose: dict[int, bool] = {}  # pattern without anchor words -> its expression matches the text

    def _anywhere(self, pid: int) -> bool:
        """Whether a pattern without anchor words may match anywhere in the conversation: its
        expression over the whole text, once (instead of once per line)."""
        found = self._loose.get(pid)
        if found is None:
            regex = self.index._regexes[pid]
            found = self._loose[pid] = regex is None or \
                regex.Match(re2._Anchor.UNANCHORED, self.data, 0, len(self.data))[0][0] >= 0
        return found

    def candidates(self, key: str, scope: str, include_internal: bool = False) -> list[Line]:
        """The lines of `scope` (see `chatqa.kinds.in_scope`) where `key` may match, in order."""
        if key not in self.keys:
            return []
        ck = (key, scope, include_internal)
        found = self._located.get(ck)
        if found is None:
            k = self.index._keys[key]
            lines = self._given.get(scope) if not include_internal else None
            if lines is None:
                lines = [line for line in self.lines if in_scope(line, scope, include_internal)]
            if any(self._anywhere(pid) for pid in k.loose):
                found = list(lines)
            else:
                holding: set[int] = set()
                for needle in self._present.intersection(k.needles):
                    holding.update(self._occurrences(needle))
                found = [line for line in lines if line.index in holding]
            self._located[ck] = found
        return found

    def among(self, key: str, lines: Sequence[Line]) -> list[Line]:
        """The lines of `lines` (a few lines of one scope: a rule reading each author's first
        messages, or the last turn) where `key` may match, in order: each line is searched on
        its own instead of the whole text."""
        if key not in self.keys:
            return []
        k = self.index._keys[key]
        if any(self._anywhere(pid) for pid in k.loose):
            return list(lines)
        return [line for line in lines if not k.words.isdisjoint(self._words_of(line.index))]

    def _words_of(self, index: int) -> frozenset[bytes]:
        """The words of line `index` (as anchor words are spelled), computed once."""
        found = self._line_words.get(index)
        if found is None:
            start = (self._offsets or self._line_offsets()).get(index)
            found = frozenset() if start is None else \
                frozenset(self.words[start + 1:start + 1 + self._lengths[index]].split())
            self._line_words[index] = found
        return found

    def _in_line(self, needle: bytes, index: int) -> list[int]:
        """Offsets in line `index` of an anchor word present in the text (see `_occurrences`),
        from the whole text's occurrences when they are known, else from the line alone."""
        known = self._found.get(needle)
        if known is not None:
            return known.get(index, [])
        ck = (needle, index)
        found = self._in_lines.get(ck)
        if found is None:
            start = (self._offsets or self._line_offsets()).get(index)
            found = self._in_lines[ck] = []
            if start is not None:
                words, end = self.words, start + self._lengths[index] + 2  # (" w " ends one past the line)
                pos = words.find(needle, start, end)
                while pos >= 0:
                    found.append(pos - start)
                    pos = words.find(needle, pos + 1, end)
        return found

    def _occurrences(self, needle: bytes) -> dict[int, list[int]]:
        """Line index -> offsets in that line of an anchor word (" word ") present in the text."""
        found = self._found.get(needle)
        if found is None:
            if self._offsets is None:
                self._line_offsets()
            starts, indices, words = self._starts, self._indices, self.words
            found = self._found[needle] = {}
            pos = words.find(needle)
            while pos >= 0:  # `pos` in words is the word's offset in data
                i = bisect.bisect_right(starts, pos) - 1
                found.setdefault(indices[i], []).append(pos - starts[i])
                pos = words.find(needle, pos + 1)
        return found

    def _line_offsets(self) -> dict[int, int]:
        """Line index -> offset of the line in `data` (computed once)."""
        if self._offsets is None:
            at = 0
            for line in self._read:
                self._starts.append(at)
                self._indices.append(line.index)
                at += len(line.text) + 1
            self._offsets = dict(zip(self._indices, self._starts, strict=True))
            self._lengths = {line.index: len(line.text) for line in self._read}
        return self._offsets

    def spans(self, line: Line, key: str) -> list[Span]:
        """Character spans of `key`'s patterns in `line`, longest first among overlaps, in text order."""
        ck = (key, line.index)
        found = self._spans.get(ck)
        if found is None:
            found = self._spans[ck] = self._find(line, key)
        return found

    def _find(self, line: Line, key: str) -> list[Span]:
        if key not in self.keys or line.kind not in _SCANNED:
            return []
        index = self.index
        k = index._keys[key]
        # The candidate patterns: an anchor word in the line (or none to look for) and their
        # expression matching it; `positions` are where their matches must be.
        found: dict[int, list[int]] = {pid: [] for pid in k.loose if self._anywhere(pid)}
        for word in k.words.intersection(self._words_of(line.index)):
            needle = b" " + word + b" "
            offsets = self._in_line(needle, line.index)
            if offsets:
                for pid in k.needles[needle]:
                    found.setdefault(pid, []).extend(offsets)
        if not found:
            return []
        start = (self._offsets or self._line_offsets())[line.index]
        end = start + len(line.text)
        data, unanchored, regexes, scanned = self.data, re2._Anchor.UNANCHORED, index._regexes, index._scanned
        positions: list[int] = []
        pids: list[int] = []
        whole = False
        before = after = 0
        for pid, offsets in found.items():
            regex = regexes[pid]
            if regex is not None and regex.Match(unanchored, data, start, end)[0][0] < 0:
                continue
            pids.append(pid)
            reach = scanned[pid].reach
            before, after = max(before, reach[0]), max(after, reach[1])
            if offsets:
                positions.extend(offsets)
            elif regex is not None and scanned[pid].single:
                positions.extend(at - start for at in _starts(regex, data, start, end))  # around its matches
            else:
                whole = True  # no anchor words: the whole line
        if not pids:
            return []
        text = line.text
        if whole:
            ranges = [(0, len(text))]
        else:
            if self._spaces is None:
                self._spaces = data.translate(SPACES)
            ranges = windows(self._spaces[start:end], positions, before, after)
        key_pids = tuple(sorted(pids))
        find = index.tokens.find
        spans: list[Span] = []
        for a0, b0 in ranges:
            got = find(key, key_pids, text[a0:b0])
            spans.extend((a + a0, b + a0) for a, b in got) if a0 else spans.extend(got)
        return _longest_first(spans) if len(spans) > 1 else spans

    def vetoed(self, line: Line, key: str) -> list[Span]:
        """Spans of `key` in `line` that no match of its exceptions overlaps."""
        spans = self.spans(line, key)
        if spans and key + "!" in self.keys:
            vetoes = self.spans(line, key + "!")
            spans = [s for s in spans if not overlaps(s, vetoes)]
        return spans


def _starts(regex: Any, data: bytes, pos: int, end: int) -> list[int]:
    """Every offset between `pos` and `end` where `regex` matches (overlapping matches included)."""
    found = []
    while pos < end:
        start = regex.Match(re2._Anchor.UNANCHORED, data, pos, end)[0][0]
        if start < 0:
            break
        found.append(start)
        pos = start + 1
    return found


def _longest_first(spans: list[Span]) -> list[Span]:
    """Drop spans contained in or overlapping an earlier, longer span; return in text order."""
    kept: list[Span] = []  # sorted and disjoint: only the neighbours can overlap
    for start, end in sorted(spans, key=lambda s: (-(s[1] - s[0]), s[0])):
        i = bisect.bisect_left(kept, (start, end))
        if (i and kept[i - 1][1] > start) or (i < len(kept) and kept[i][0] < end):
            continue
        kept.insert(i, (start, end))
    return kept


def overlaps(span: Span, others: Iterable[Span]) -> bool:
    """True when `span` overlaps any of `others`."""
    return any(span[0] < b and a < span[1] for a, b in others)
