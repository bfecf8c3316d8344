"""``phrase``: wording in messages, matched with spaCy on normalised tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from ..match import PhraseIndex, overlaps, parse_pattern
from ..records import Line
from ..results import Finding
from ..saferegex import check_token_pattern
from . import Context, Pattern, Rule, Scope
from .tone import Shouting, last_turn


def validate_patterns(patterns: list[Pattern]) -> list[Pattern]:
    """Check every pattern: the compact syntax, or spaCy's token-pattern schema for raw ones."""
    for i, pattern in enumerate(patterns):
        if isinstance(pattern, str):
            try:
                parse_pattern(pattern)
            except ValueError as exc:
                raise ValueError(f"[{i}]: {exc}") from None
        else:
            from spacy.schemas import validate_token_pattern

            errors = validate_token_pattern(pattern) if pattern else ["empty token pattern"]
            if errors:
                raise ValueError(f"[{i}]: invalid spaCy token pattern: {errors[0]}")
            try:
                check_token_pattern(pattern)  # regexes run on RE2: no backtracking constructs
            except ValueError as exc:
                raise ValueError(f"[{i}]{exc}") from None
            problem = raw_pattern_problem(pattern)
            if problem:
                raise ValueError(f"[{i}]: {problem}")
    return patterns


MAX_RAW_TOKENS = 24  # token dicts in one raw pattern
MAX_OPEN_OPS = 2  # "*" and "+" operators in one raw pattern (each multiplies the Matcher's states)
MAX_REPEAT = 12  # the largest count of a "{n,m}" operator
_REPEAT = re.compile(r"\{(\d*),?(\d*)\}")


def raw_pattern_problem(pattern: list[dict[str, Any]]) -> str | None:
    """Why a raw spaCy token pattern could make matching explode (None when it cannot): too
    many tokens, too many open-ended operators, or a repeat count that is too large."""
    if len(pattern) > MAX_RAW_TOKENS:
        return f"{len(pattern)} token patterns (at most {MAX_RAW_TOKENS})"
    ops = [str(token.get("OP", "")) for token in pattern if isinstance(token, dict)]
    if sum(op in ("*", "+") for op in ops) > MAX_OPEN_OPS:
        return f"more than {MAX_OPEN_OPS} '*' or '+' operators; use a bounded gap such as {{0,3}}"
    for op in ops:
        repeat = _REPEAT.fullmatch(op)
        if repeat and max((int(n) for n in repeat.groups() if n), default=0) > MAX_REPEAT:
            return f"operator {op} repeats more than {MAX_REPEAT} times"
    return None


class PhraseRule(Rule):
    """Flags messages of `scope` that match `patterns`, unless an `exceptions` pattern overlaps.

    ``mode: require`` flips it: the rule fires when no message matches (e.g. no agent
    introduction); `within` limits the rule to each author's first messages. ``min_count`` fires once the
    conversation holds that many matches (e.g. three apologies). ``last_turn`` reads only the
    scope's last turn (its last run of messages, e.g. how the customer ended the chat);
    `cleared_by` patterns withdraw a match when a later message of the scope says them ("still
    broken" ... "it works now"). `shouting` also flags a message written in capitals.
    """

    kind: Literal["phrase"] = "phrase"
    scope: Scope = "agent"
    patterns: list[Pattern] = Field(min_length=1)
    exceptions: list[Pattern] = []
    include_internal: bool = False
    within: int | None = Field(default=None, ge=1)
    mode: Literal["forbid", "require"] = "forbid"
    min_count: int = Field(default=1, ge=1)
    last_turn: bool = False
    cleared_by: list[Pattern] = []
    shouting: Shouting | None = None

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "count", "within", "min_count"})

    _check_patterns = field_validator("patterns", "exceptions", "cleared_by")(validate_patterns)

    @property
    def key(self) -> str:
        """This rule's key in the phrase index."""
        return self.code

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register the patterns and the exceptions."""
        index.add(self.key, self.patterns, self.exceptions)
        if self.cleared_by:
            index.add(self.key + "~", self.cleared_by)

    def scoped(self, ctx: Context) -> list[Line]:
        """The messages this rule reads, in order (each author's first `within` ones, if set)."""
        found = ctx.scoped(self.scope, self.include_internal)
        if self.last_turn:
            found = last_turn(ctx.lines, found)
        if not self.within:
            return found
        seen: dict[str, int] = {}
        kept = []
        for m in found:
            author = m.author_id or m.author_name or m.role.value
            seen[author] = seen.get(author, 0) + 1
            if seen[author] <= self.within:
                kept.append(m)
        return kept

    def candidates(self, ctx: Context) -> list[Line]:
        """The messages of `scoped` where the patterns may match, in order (found without reading
        the others)."""
        if self.within or self.last_turn:  # a few messages: searched one by one
            return ctx.candidates_among(self.key, self.scoped(ctx))
        return ctx.candidates(self.key, self.scope, self.include_internal)

    def hits(self, ctx: Context, message: Line) -> list[tuple[int, int]]:
        """Pattern spans in `message` that no exception overlaps."""
        return ctx.matches(message, self.key)

    def applies(self, ctx: Context) -> bool:
        """Only when the scope wrote something."""
        return bool(ctx.scoped(self.scope, self.include_internal))

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Findings per matching message (forbid), once (require / min_count)."""
        found = self.candidates(ctx)
        if self.mode == "require":
            if not any(self.hits(ctx, m) for m in found):
                yield self.finding(within=self.within or len(self.scoped(ctx)))
            return
        if self.shouting is not None:
            found = self._with_shouting(ctx, found)
        cleared: tuple[int, int] | None = None  # read once a match needs it
        count = 0
        for message in found:
            spans = self.hits(ctx, message) or self._shout(ctx, message)
            if spans and self.cleared_by:
                cleared = cleared or self._cleared(ctx, message.index)
                spans = [s for s in spans if (message.index, s[0]) >= cleared]
            if not spans:
                continue
            if self.min_count == 1:
                yield self.finding(message, spans[0])
                continue
            for span in spans:
                count += 1
                if count == self.min_count:
                    yield self.finding(message, span, count=self._total(ctx, found), min_count=self.min_count)
                    return

    def _cleared(self, ctx: Context, since: int) -> tuple[int, int]:
        """(message index, offset): matches before the last `cleared_by` match (one that no match
        of the patterns overlaps; in messages from index `since` on) are withdrawn."""
        key = self.key + "~"
        said = [(-1, 0)]
        for m in ctx.candidates(key, self.scope, self.include_internal):
            if m.index < since:
                continue
            hits = self.hits(ctx, m)  # "haven't got the code" is no "got the code"
            said += [(m.index, span[0]) for span in ctx.matches(m, key) if not overlaps(span, hits)]
        return max(said)

    def _with_shouting(self, ctx: Context, found: list[Line]) -> list[Line]:
        seen = {m.index for m in found}
        extra = [m for m in self.scoped(ctx) if m.index not in seen and self._shout(ctx, m)]
        return sorted([*found, *extra], key=lambda m: m.index) if extra else found

    def _shout(self, ctx: Context, message: Line) -> list[tuple[int, int]]:
        """A shouted run in `message` (see `Shouting`) that no exception overlaps."""
        span = self.shouting.find(message.text) if self.shouting is not None else None
        if span is None:
            return []
        if self.exceptions and overlaps(span, ctx.scan.spans(message, self.key + "!")):
            return []
        return [span]

    def _total(self, ctx: Context, found: list[Line]) -> int:
        return sum(len(self.hits(ctx, m)) for m in found)


def referenced_wording(refs: list[str], catalogue: dict[str, Rule], field: str) -> tuple[list[Pattern], list[Pattern]]:
    """The patterns and exceptions of the phrase rules `refs` names (by code or name); ValueError
    naming `field` when one is not a phrase rule."""
    patterns: list[Pattern] = []
    exceptions: list[Pattern] = []
    for ref in refs:
        rule = catalogue.get(ref)
        if not isinstance(rule, PhraseRule):
            raise ValueError(f"{field}: {ref!r} is not a phrase rule")
        patterns += rule.patterns
        exceptions += rule.exceptions
    return patterns, exceptions
