"""The compact phrase-pattern language (parsed here; compiled by `tokens` and `scan`).

A phrase pattern is a string of token slots separated by spaces, matched on spaCy's NORM
(lowercase, contractions expanded: "I'm" and "I am" both give ``i am``):

* ``please hold`` — literal words (contractions and chat spellings normalised: ``pls``);
* ``(hold|hang) on`` — alternatives for one slot; an alternative may be several words:
  ``(a moment|one sec)``;
* ``please? hold`` or ``(just|kindly)? hold`` — an optional slot;
* ``*`` — any one word; ``*3`` — up to three words or commas (never across a sentence end);
  ``**20`` — up to twenty tokens of any kind, sentence ends included ("click here. Thanks!
  https://...");
* ``#`` — a number (``5``, ``five``); ``<name>`` — a capitalised word that is not a common
  word (for introductions such as "I'm Sam"); ``<signoff>`` — a first name signed with a
  dash, caret, tilde or star as on social channels ("-Becky", "- Paul", "^Rachel",
  "Thanks.^Kartika", "*DannyHarvey"; initials such as "^JK" are not names); ``<url>`` — a
  web address ("https://t.co/x", "www.example.com").

Hyphens and ellipses between words are skipped, so ``hold on`` matches "hold-on" and
"hold... on" (and a hyphen in a pattern is optional: ``double-click`` matches "double click").
A raw spaCy Matcher pattern (a list of token dicts) is accepted as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SKIP_ORTHS = ("-", "–", "—", "...", "…", "..", "~")  # tokens a match may skip between two words
SENTENCE_ENDS = (".", "!", "?", "...", "…", "!!", "??", "?!", "!?", ";")  # a `*N` gap never crosses these
SPECIALS = ("#", "<name>", "<signoff>", "<url>")
SPECIAL_WIDTHS = {"<signoff>": 3}  # tokens a special slot reaches (others: one); a sign-off's name and what follows it
Pattern = str | list[dict[str, Any]]

_SLOT = re.compile(r"\([^()]*\)\??|\S+")

# Bounds on one pattern, so that no rule file can make loading or matching explode: its length,
# its slots, the widest gap (``*N``) and the number of Matcher patterns it compiles to (each
# slot's single words are one token; several-word alternatives and optional slots branch, and
# branches multiply: ``(a b|c d) (e f|g h) ...``).
MAX_CHARS = 2_000
MAX_SLOTS = 24
MAX_GAP = 12
MAX_WIDE_GAP = 40  # ``**N``
MAX_BRANCHES = 2_000


@dataclass(frozen=True)
class Slot:
    """One token position of a compact pattern."""

    words: tuple[tuple[str, ...], ...]  # alternatives, each a sequence of words
    optional: bool = False
    special: str = ""  # "", "*", "*N", "**N", "#", "<name>", "<signoff>", "<url>"

    @property
    def gap(self) -> int | None:
        """For ``*N`` and ``**N``: N (``*`` is one word, not a gap); None otherwise."""
        digits = self.special.lstrip("*")
        return int(digits) if self.special.startswith("*") and digits else None

    @property
    def wide(self) -> bool:
        """A ``**N`` gap: it may cross sentence ends."""
        return self.special.startswith("**")


def parse_pattern(text: str) -> list[Slot]:
    """Parse the compact pattern syntax into slots (ValueError on a malformed pattern, or on one
    beyond the bounds above)."""
    if len(text) > MAX_CHARS:
        raise ValueError(f"pattern is {len(text):,} characters long (at most {MAX_CHARS:,})")
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
        elif re.fullmatch(r"\*\d*|\*\*\d+", body) or body in SPECIALS:
            slots.append(Slot((), optional, body))
        elif any(c in body for c in "()|"):
            raise ValueError(f"misplaced '(', ')' or '|' in {text!r}")
        else:
            slots.append(Slot(((body,),), optional))
    if not slots:
        raise ValueError("empty pattern")
    _check_bounds(text, slots)
    if all(s.optional or s.special.startswith("*") for s in slots):
        raise ValueError(f"pattern {text!r} has no required word")
    return slots


def _check_bounds(text: str, slots: list[Slot]) -> None:
    if len(slots) > MAX_SLOTS:
        raise ValueError(f"pattern {text[:60]!r} has {len(slots)} slots (at most {MAX_SLOTS})")
    total = 1
    for slot in slots:
        widest, stars = (MAX_WIDE_GAP, "**") if slot.wide else (MAX_GAP, "*")
        if slot.gap is not None and slot.gap > widest:
            raise ValueError(f"gap {stars}{slot.gap} in {text[:60]!r} is wider than {stars}{widest}")
        several = sum(1 for words in slot.words if len(words) > 1 or "'" in words[0])  # contractions split too
        branches = several + (1 if len(slot.words) > several or slot.special else 0)
        total *= branches + (1 if slot.optional and branches > 1 else 0)
        if total > MAX_BRANCHES:
            raise ValueError(f"pattern {text[:60]!r} compiles to more than {MAX_BRANCHES:,} token patterns; "
                             "split it into several patterns")
