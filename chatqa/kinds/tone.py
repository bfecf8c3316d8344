"""Helpers for rules about how a conversation went: the scope's last turn, and shouting."""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from ..model import Kind, Role
from ..records import Line

# A word written in capitals (an apostrophe inside, as in DON'T); handles, hashtags and links are not words.
_CAPS_WORD = re.compile(r"(?<![\w@#/.\[<{-])[A-Z]+(?:['’][A-Z]+)?(?![\w/@])")
_CAPS_PAIR = re.compile(r"[A-Z]{2}")
_BRACKETED = re.compile(r"\[[^\[\]\n]*\]|<[^<>\n]*>|\{[^{}\n]*\}")
_SEPARATOR = re.compile(r"[\s,.!?;:'\"’()*]*")  # between two words of a run (a hyphen joins a name: "GODADDY-AMS")


def last_turn(lines: list[Line], scoped: list[Line]) -> list[Line]:
    """The last run of `scoped` messages: its last message and the ones just before it that no
    other visible chat message (e.g. an agent's reply) separates from it."""
    if not scoped:
        return []
    chosen = {m.index for m in scoped}
    between = [m for m in lines
               if m.kind is Kind.MESSAGE and not m.internal and m.role is not Role.SYSTEM and not m.bystander]
    turn: list[Line] = []
    for m in reversed(between):
        if m.index > scoped[-1].index:
            continue
        if m.index not in chosen:
            break
        turn.append(m)
    return turn[::-1]


class Shouting(BaseModel):
    """A message written in capitals: a run of at least `min_words` capitalised words (of two
    letters or more, `acronyms` such as "USPS" not counted) holding at least `min_letters`
    letters, and none of the `unless` words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_words: int = Field(default=3, ge=1)
    min_letters: int = Field(default=10, ge=1)
    acronyms: list[str] = []
    unless: list[str] = []  # a run holding one of these words is not shouting in anger ("THANK YOU")

    @cached_property
    def _acronyms(self) -> frozenset[str]:
        return frozenset(a.upper() for a in self.acronyms)

    @cached_property
    def _unless(self) -> frozenset[str]:
        return frozenset(w.upper() for w in self.unless)

    def find(self, text: str) -> tuple[int, int] | None:
        """The span of the first shouted run in `text`, or None."""
        if not _CAPS_PAIR.search(text):  # most messages: no two capitals in a row, nothing to read
            return None
        text = _BRACKETED.sub(lambda m: " " * len(m.group()), text)  # "[TYPE YOUR QUESTION HERE]" is a template
        run: list[re.Match[str]] = []
        for word in _CAPS_WORD.finditer(text):
            if run and not _SEPARATOR.fullmatch(text, run[-1].end(), word.start()):
                span = self._judge(run)
                if span:
                    return span
                run = []
            run.append(word)
        return self._judge(run) if run else None

    def _judge(self, run: list[re.Match[str]]) -> tuple[int, int] | None:
        words = [w.group() for w in run if len(w.group()) > 1]  # "I" and "A" join a run but do not make one
        if self._unless.intersection(words):
            return None
        if sum(w not in self._acronyms for w in words) < self.min_words or sum(map(len, words)) < self.min_letters:
            return None
        return run[0].start(), run[-1].end()
