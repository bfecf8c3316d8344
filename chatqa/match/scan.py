"""The scanning side of phrase matching: which messages may match, found without spaCy.

Every compact pattern is compiled into a regular expression that matches wherever spaCy could
match the pattern (and in a few more places: it is a filter, spaCy decides). Token texts are
the spellings of their NORM (chat spellings and contraction pieces included), tokens are
separated by nothing or one space, with an optional skip token ("-", "...") between pattern
tokens. A candidate message is kept only where one of its candidate patterns' expressions
matches it (RE2: linear time whatever the text).

Expressions and texts are folded to ASCII first (`fold`: one character for one, every other
letter read as "a" or "A", digit as "0", space as " "): the automaton stays small, and byte
offsets are character offsets.

Every pattern also has anchor words, one of which every match holds: one literal RE2 set of
them over a conversation's text (one pass, its automaton small whatever the text) says which
patterns may match at all, their occurrences say in which messages and where, and spaCy runs
only on windows of the text around them, as far before and after them as a match can reach.
(One RE2 set of the expressions themselves, or a Hyperscan database of them, was measured
slower on real text: see benchmarks/matchers.py.)
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Sequence
from typing import NamedTuple

from .syntax import SKIP_ORTHS, SPECIAL_WIDTHS, Slot
from .tokens import Normaliser

_FOLDED = {"’": "'", "‘": "'", "–": "-", "—": "-", "…": "~"}  # punctuation patterns spell: folded alike
_OTHER = "\x01"  # any other character that is neither a letter nor a digit


def _fold_char(c: str) -> str:
    if c in _FOLDED:
        return _FOLDED[c]
    if c.isspace():
        return " "
    lower = c.lower()
    if lower.isascii() and len(lower) == 1 and lower.isalpha():  # e.g. the Kelvin sign is a "k"
        return lower
    if c.isalpha():
        return "A" if c.isupper() or c.istitle() else "a"
    if c.isdigit() or c.isnumeric():
        return "0"
    return _OTHER


def _fold_errors(exc: UnicodeError) -> tuple[str, int]:
    assert isinstance(exc, UnicodeEncodeError)
    return "".join(_fold_char(c) for c in exc.object[exc.start:exc.end]), exc.end


codecs.register_error("chatqa-fold", _fold_errors)


def fold(text: str) -> bytes:
    """`text` as ASCII, one character for one (see the module docstring)."""
    return text.encode("ascii", "chatqa-fold")


def _literal(text: str) -> str:
    """A case-insensitive expression for `text` as `fold` writes it."""
    return f"(?i:{re.escape(fold(text).decode())})"


_SEP = "[ ]?"  # between two tokens: nothing, or the one space a token may be followed by
_SKIP = "(?:" + "|".join(sorted({re.escape(fold(s).decode()) for s in SKIP_ORTHS}, key=len, reverse=True)) + ")"
_GAP = f"{_SEP}(?:{_SKIP}{_SEP})?"
_LEFT = r"(?:(?m:^)|[^A-Za-z\n])"  # not glued to a letter before (consumes one character of its line)
_RIGHT = r"(?:(?m:$)|[^A-Za-z\n])"
_TOKEN = r"[^ \n]+"
_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
                 "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
                 "hundred thousand million billion trillion first second third fourth fifth sixth seventh eighth "
                 "ninth tenth eleventh twelfth twentieth hundredth thousandth millionth").split()
_SPECIAL_RX = {
    "#": r"(?:[^ \n]*[0-9][^ \n]*|(?i:" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")[^ \n]*)",
    "<name>": r"[A-Z][A-Za-z]*",
    "<url>": r"[^ \n]*[.:/][^ \n]*",  # what spaCy's LIKE_URL may call a web address
    "<signoff>": r"(?:-|~|\^|\*)[-~]?[ ]?[A-Z][a-z]",  # a mark, perhaps a space, a name (see tokens.special_tokens)
}
# Words too frequent to be worth anchoring on when a rarer slot exists.
_COMMON = frozenset(
    "the a an your you ur u me us my i we to of and or in on at is are was it its this that for with have has "
    "get got need want can could will would please be do not no so just ok what how one all any some there "
    "here if as by from but up out".split()
)
_WORD = re.compile(r"[^\W_]+")


class Spelling(NamedTuple):
    """How the scanner spells tokens: NORM -> token texts, texts glued to letters on either side,
    and NORM -> the whole words around such a token (for anchors)."""

    texts: dict[str, frozenset[str]]
    glued_left: frozenset[str]
    glued_right: frozenset[str]
    forms: dict[str, frozenset[str]]


class Scanned(NamedTuple):
    """What the scanner knows of one pattern."""

    regex: str | None  # matches wherever the pattern may (None: anywhere)
    anchors: frozenset[str] | None  # lowercase words one of which every match holds (None: not known)
    reach: tuple[int, int]  # tokens a match reaches before and after its anchor word
    single: bool = False  # one token: its matches start where its expression's do


def scanned(slots: Sequence[Slot], norm: Normaliser, spelling: Spelling) -> Scanned:
    """The superset expression, anchors and reach of a compact pattern."""
    anchor = _anchor(slots, norm, spelling)
    regex = _sequence(slots, 0, len(slots), norm, spelling)
    single = len(slots) == 1 and not slots[0].optional and _slot_width(slots[0], norm) == 1
    if anchor is None:
        return Scanned(regex, None, (0, 0), single)
    return Scanned(regex, anchor[1], _sides(slots, anchor[0], norm), single)


def _sequence(slots: Sequence[Slot], lo: int, hi: int, norm: Normaliser, spelling: Spelling) -> str:
    """The expression of slots[lo:hi] (on the pattern's edges, not glued to letters)."""
    out = ""
    for k in range(lo, hi):
        slot = slots[k]
        left = k == 0 and not slot.optional
        right = k == len(slots) - 1 and not slot.optional
        piece = _slot_rx(slot, norm, spelling, left, right)
        piece = piece if k == lo else _GAP + piece
        out += f"(?:{piece})?" if slot.optional else piece
    return out


def _slot_rx(slot: Slot, norm: Normaliser, spelling: Spelling, left: bool, right: bool) -> str:
    if slot.special in _SPECIAL_RX:
        return _SPECIAL_RX[slot.special]
    if slot.special == "*":
        return _TOKEN
    if slot.gap is not None:
        return "[^\n]*"  # up to N tokens of one line (a tighter bound would blow up the set's automaton)
    branches = []
    for words in slot.words:
        tokens = [n for w in words for n in ((w,) if w in _SPECIAL_RX else norm.norms(w))]
        parts = []
        for i, tok in enumerate(tokens):
            if tok in _SPECIAL_RX:
                parts.append(_SPECIAL_RX[tok])
            else:
                parts.append(_word_rx(tok, spelling, left and i == 0, right and i == len(tokens) - 1))
        if parts:
            branches.append(_GAP.join(parts))
    return "(?:" + "|".join(branches) + ")"


def _word_rx(norm: str, spelling: Spelling, left: bool, right: bool) -> str:
    """One token whose NORM is `norm`; on the pattern's edges, not glued to a letter where no
    tokenizer rule glues that spelling."""
    alternatives = []
    for text in sorted({norm, *spelling.texts.get(norm, ())}, key=lambda t: (-len(t), t)):
        bound_left = left and text[:1].isalpha() and text not in spelling.glued_left
        bound_right = right and text[-1:].isalpha() and text not in spelling.glued_right
        alternatives.append((_LEFT if bound_left else "") + _literal(text) + (_RIGHT if bound_right else ""))
    return "(?:" + "|".join(alternatives) + ")"


def raw_scanned(pattern: list[dict[str, object]]) -> Scanned:
    """A raw spaCy token pattern: the literal texts of its required tokens in order, anything
    between them; no anchors (its windows are whole messages)."""
    literals = []
    for token in pattern:
        if token.get("OP") in ("?", "*", "!") or not isinstance(token, dict):
            continue
        for attr in ("ORTH", "TEXT", "LOWER", "NORM"):
            value = token.get(attr)
            if isinstance(value, str):
                literals.append(_literal(value))
                break
            if isinstance(value, dict) and isinstance(value.get("IN"), list) and value["IN"] \
                    and all(isinstance(v, str) for v in value["IN"]) and attr != "NORM":
                literals.append("(?:" + "|".join(_literal(v) for v in value["IN"]) + ")")
                break
    return Scanned("[^\n]*".join(literals) if literals else None, None, (0, 0))


# -- anchors and reach ------------------------------------------------------------------------

Requirement = tuple[tuple[frozenset[str], ...], ...]  # alternatives, each a list of word sets it must all touch


def _requirement(slot: Slot, norm: Normaliser, spelling: Spelling) -> Requirement | None:
    """What words a text must hold wherever `slot` matches (None for optional/special slots)."""
    if slot.optional or slot.special:
        return None
    alternatives = []
    for words in slot.words:
        needs = []
        for w in words:
            if w in _SPECIAL_RX:
                continue
            for n in norm.norms(w):
                spellings = frozenset(_WORD.findall(n)) | spelling.forms.get(n, frozenset())
                if spellings:
                    needs.append(spellings)
        if not needs:
            return None  # this alternative can match any word: the slot constrains nothing
        alternatives.append(tuple(needs))
    return tuple(alternatives)


def _index_words(req: Requirement) -> frozenset[str]:
    """Each alternative's most selective word: every match holds one of them."""
    return frozenset().union(*(max(alt, key=_selectivity) for alt in req))


def _selectivity(spellings: frozenset[str]) -> int:
    return min((0 if w in _COMMON else len(w)) for w in spellings)


def _anchor(slots: Sequence[Slot], norm: Normaliser, spelling: Spelling) -> tuple[int, frozenset[str]] | None:
    """(slot, words): the most selective required slot and the words one of which every match
    holds there (None without a required word slot)."""
    found = [(i, r) for i, slot in enumerate(slots) if (r := _requirement(slot, norm, spelling)) is not None]
    best = max(found, key=lambda ir: _selectivity(_index_words(ir[1])), default=None)
    return None if best is None else (best[0], _index_words(best[1]))


def _slot_width(slot: Slot, norm: Normaliser) -> int:
    """The most tokens one slot can match (without skip tokens)."""
    if slot.gap is not None:
        return slot.gap
    if slot.special:
        return SPECIAL_WIDTHS.get(slot.special, 1)
    return max(sum(1 if w in _SPECIAL_RX else len(norm.norms(w)) for w in words) for words in slot.words)


def _sides(slots: Sequence[Slot], anchor: int, norm: Normaliser) -> tuple[int, int]:
    """How many tokens a match can reach before and after its anchor slot's word: every other
    token of the pattern, each perhaps with a skip token ("-", "...") before it."""
    widths = [_slot_width(slot, norm) for slot in slots]
    inner = widths[anchor] - 1  # the anchor word may be any token of its slot
    return 2 * (sum(widths[:anchor]) + inner), 2 * (sum(widths[anchor + 1:]) + inner)


# -- windows ----------------------------------------------------------------------------------

# Folded text -> words: letters lowercased, digits kept, everything else a space (word boundaries).
WORDS = bytes((c + 32 if 65 <= c <= 90 else c) if chr(c).isalnum() and c < 128 else 32 for c in range(256))


# Folded text -> whitespace (what separates spaCy's chunks: str.isspace) as " ", the rest as "x".
SPACES = bytes(32 if chr(c).isspace() else 120 for c in range(128)) + b"x" * 128


def windows(spaces: bytes, positions: Sequence[int], before: int, after: int) -> list[tuple[int, int]]:
    """Ranges of a text (given as `spaces`: its folded form translated by SPACES) covering
    `before` whitespace-separated chunks before and `after` after the chunk of every position
    (anchor words), merged where they touch. Chunks are found from the first position outwards,
    each once: linear in the text, and only a few steps for a few positions."""
    if not positions:
        return []
    n = len(spaces)
    find, rfind = spaces.find, spaces.rfind
    ordered = sorted(positions)
    first = rfind(b" ", 0, ordered[0]) + 1  # the chunk of the first position, then `before` more back
    starts = [first]
    for _ in range(before):
        prev = starts[0] - 1
        while prev >= 0 and spaces[prev] == 32:
            prev -= 1
        if prev < 0:
            break
        starts.insert(0, rfind(b" ", 0, prev) + 1)
    ends: list[int] = []
    for start in starts:
        end = find(b" ", start)
        ends.append(n if end < 0 else end)

    def grow() -> bool:
        """Find the chunk after the last one found (False at the end of the text)."""
        nxt = ends[-1]
        while nxt < n and spaces[nxt] == 32:
            nxt += 1
        if nxt >= n:
            return False
        end = find(b" ", nxt)
        starts.append(nxt)
        ends.append(n if end < 0 else end)
        return True

    merged: list[list[int]] = []
    for pos in ordered:
        while ends[-1] <= pos and grow():
            pass
        i = bisect.bisect_right(starts, pos) - 1
        a, b = max(0, i - before), i + after
        while len(starts) <= b and grow():
            pass
        b = min(b, len(starts) - 1)
        if merged and a <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(starts[a], ends[b]) for a, b in merged]
