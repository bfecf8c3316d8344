"""``sequence``: a phrase from one side, later followed by a phrase from the other side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..match import PhraseIndex
from ..results import Finding
from . import Context, Pattern, Rule, Scope
from .phrase import referenced_wording, validate_patterns


class Step(BaseModel):
    """One side of a sequence: who says it and how it is worded."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scope: Scope
    patterns: list[Pattern] = []
    exceptions: list[Pattern] = []
    rules: list[str] = []  # reuse the patterns (and exceptions) of these phrase rules (code or name)

    _check_patterns = field_validator("patterns", "exceptions")(validate_patterns)


class SequenceRule(Rule):
    """Flags a `then` message that follows a `when` message (e.g. a customer in a hurry, then
    an agent asking them to wait). One finding per `then` message after the first `when`.

    ``mode: require`` flips it: a `when` message is flagged when none of the next `within`
    messages of the `then` scope matches (e.g. a customer upset, and no acknowledgement in the
    agent's next two messages). Several `when` messages answered by the same messages give
    one finding; with no `then`-scope message after it, there is nothing to judge.
    """

    kind: Literal["sequence"] = "sequence"
    when: Step
    then: Step
    mode: Literal["forbid", "require"] = "forbid"
    within: int = Field(default=2, ge=1)

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "trigger", "within"})

    @field_validator("when", "then")
    @classmethod
    def _has_wording(cls, step: Step) -> Step:
        if not step.patterns and not step.rules:
            raise ValueError("needs patterns or rules")
        return step

    def _key(self, step: str) -> str:
        return f"{self.code}>{step}"

    def prepare(self, index: PhraseIndex, catalogue: dict[str, Rule]) -> None:
        """Register both steps, pulling in the patterns of referenced rules."""
        for name, step in (("when", self.when), ("then", self.then)):
            patterns, exceptions = referenced_wording(step.rules, catalogue, f"{name}.rules")
            index.add(self._key(name), [*step.patterns, *patterns], [*step.exceptions, *exceptions])

    def applies(self, ctx: Context) -> bool:
        """Needs both sides of the conversation."""
        return bool(ctx.scoped(self.when.scope)) and bool(ctx.scoped(self.then.scope))

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Findings on `then` messages after the first `when` message (``require``: on `when`
        messages that no `then` message answers)."""
        if self.mode == "require":
            yield from self._unanswered(ctx)
            return
        first: tuple[int, str] | None = None
        for m in ctx.candidates(self._key("when"), self.when.scope):
            if spans := ctx.matches(m, self._key("when")):
                first = (m.index, m.text[spans[0][0]:spans[0][1]])
                break
        if first is None:
            return
        for m in ctx.candidates(self._key("then"), self.then.scope):
            if m.index > first[0] and (spans := ctx.matches(m, self._key("then"))):
                yield self.finding(m, spans[0], trigger=first[1])

    def _unanswered(self, ctx: Context) -> Iterator[Finding]:
        followers = ctx.scoped(self.then.scope)
        judged = -1  # the index of the first follower already judged
        for m in ctx.candidates(self._key("when"), self.when.scope):
            spans = ctx.matches(m, self._key("when"))
            if not spans:
                continue
            after = [f for f in followers if f.index > m.index][:self.within]
            if not after or after[0].index == judged:
                continue
            judged = after[0].index
            if not any(ctx.matches(f, self._key("then")) for f in after):
                yield self.finding(m, spans[0], trigger=m.text[spans[0][0]:spans[0][1]], within=self.within)
