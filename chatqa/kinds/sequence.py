"""``sequence``: a phrase from one side, later followed by a phrase from the other side."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from ..match import PhraseIndex
from ..results import Finding
from . import Context, Pattern, Rule, Scope
from .phrase import PhraseRule, validate_patterns


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
    an agent asking them to wait). One finding per `then` message after the first `when`."""

    kind: Literal["sequence"] = "sequence"
    when: Step
    then: Step

    placeholders: ClassVar[frozenset[str]] = frozenset({"quote", "trigger"})

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
            patterns, exceptions = list(step.patterns), list(step.exceptions)
            for ref in step.rules:
                rule = catalogue.get(ref)
                if not isinstance(rule, PhraseRule):
                    raise ValueError(f"{name}.rules: {ref!r} is not a phrase rule")
                patterns += rule.patterns
                exceptions += rule.exceptions
            index.add(self._key(name), patterns, exceptions)

    def applies(self, ctx: Context) -> bool:
        """Needs both sides of the conversation."""
        return bool(ctx.scoped(self.when.scope)) and bool(ctx.scoped(self.then.scope))

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Findings on `then` messages after the first `when` message."""
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
