"""Pseudonyms for the people of a run (`chatqa export`): ``customer-1``, ``agent-3``.

The same person gets the same pseudonym in every conversation of the run, so an export keeps
what the rules need (who replied, an agent's conversations open at once) without saying who
anyone is. A person is known by their author id (or their name when the export has no id);
their name is replaced along with their id. Bots and system authors are products, not people:
they keep their names. Anywhere else a person's id or name appears in a structured field
(metadata, tags, event names) it is replaced by their pseudonym too, and so is each part of
their name ("owner:Ann" for Ann Lee); emails and phone numbers left there are masked as
everywhere. Message text is not rewritten: it gets the usual masking of emails, phone and card
numbers only.
"""

from __future__ import annotations

import re
from collections import Counter

from .model import Role, Transcript

PEOPLE = (Role.CUSTOMER, Role.AGENT)
_MIN_LENGTH = 3  # shorter ids and names ("1", "Al") are replaced where they are the whole field only
_PARTS = re.compile(r"[\s._@\-]+")  # a name's parts ("Ann Lee": "Ann", "Lee"), each replaced on its own too


class Pseudonyms:
    """The pseudonyms of one run: every (role, person) its own ``role-N``, numbered in order of
    first appearance per role."""

    def __init__(self) -> None:
        self.known: dict[tuple[Role, str], str] = {}
        self.counts: Counter[Role] = Counter()

    def of(self, role: Role, person: str) -> str:
        """The pseudonym of `person` (an id or a name) in `role`."""
        key = (role, person)
        found = self.known.get(key)
        if found is None:
            self.counts[role] += 1
            found = self.known[key] = f"{role.value}-{self.counts[role]}"
        return found

    def people(self, transcript: Transcript) -> Cast:
        """The people of one conversation with their pseudonyms (participants first, then authors)."""
        cast = Cast()
        for p in transcript.participants:
            if p.role in PEOPLE:
                cast.add(p.id, p.name, self.of(p.role, p.id))
        for m in transcript.messages:
            if m.role not in PEOPLE or (m.author_id is None and m.author_name is None):
                continue
            key = m.author_id if m.author_id is not None else cast.names.get(m.author_name or "", m.author_name)
            assert key is not None
            cast.add(m.author_id, m.author_name, cast.ids.get(key) or self.of(m.role, key))
        return cast


class Cast:
    """One conversation's people: id -> pseudonym, name -> pseudonym, and a pattern finding either
    in other fields."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._words: dict[str, str] = {}

    def add(self, person_id: str | None, name: str | None, pseudonym: str) -> None:
        """Record a person's id and name under `pseudonym`."""
        if person_id is not None:
            self.ids.setdefault(person_id, pseudonym)
        if name is not None:
            self.names.setdefault(name, self.ids.get(person_id or "", pseudonym))
        self._pattern = None

    def author(self, author_id: str | None, name: str | None) -> tuple[str | None, str | None]:
        """The pseudonymised (author_id, author_name) of a message."""
        pseudonym = self.ids.get(author_id or "") or self.names.get(name or "")
        if pseudonym is None:
            return author_id, name
        return (None if author_id is None else pseudonym), (None if name is None else pseudonym)

    def replace(self, text: str) -> str:
        """`text` (a structured field) with every person's id and name in it replaced."""
        whole = self.ids.get(text) or self.names.get(text)
        if whole is not None:
            return whole
        pattern = self._compiled()
        if pattern is None:
            return text
        return pattern.sub(lambda m: self._words[m.group().casefold()], text)

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None:
            parts = [(part, v) for k, v in self.names.items() for part in _PARTS.split(k) if part.isalpha()]
            words = {k.casefold(): v for k, v in [*parts, *self.names.items(), *self.ids.items()]
                     if len(k) >= _MIN_LENGTH}
            if not words:
                return None
            self._words = words
            alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return self._pattern
