"""Scores: 100 minus capped per-rule deductions; a critical finding sets the score to 0."""

from __future__ import annotations

from collections.abc import Iterable

from .config import Scorecard
from .kinds import Rule
from .results import Finding

GROUPS = ("responsiveness", "wording", "personalization", "security", "capacity", "experience")


class Scorer:
    """Applies a scorecard to one conversation's findings."""

    def __init__(self, scorecard: Scorecard, rules: Iterable[Rule]) -> None:
        self.card = scorecard
        self.rules = {r.code: r for r in rules}
        critical = scorecard.critical
        self.critical = {r.code for r in self.rules.values()
                         if (r.critical if critical is None else (r.code in critical or r.name in critical))}
        self.weight_override = {r.code: scorecard.rules.get(r.code, scorecard.rules.get(r.name))
                                for r in self.rules.values()}
        groups = list(GROUPS) + sorted({r.group for r in self.rules.values()} - set(GROUPS))
        self.groups = {g: [c for c, r in self.rules.items() if r.group == g] for g in groups}
        # Few conversations differ in what they are scored on: scores are remembered.
        self._known: dict[tuple[tuple[tuple[str, float], ...], tuple[str, ...]],
                          tuple[float, dict[str, float | None]]] = {}

    def weight(self, finding: Finding) -> float:
        """What one finding deducts before the per-rule cap."""
        override = self.weight_override.get(finding.code)
        return override if override is not None else self.card.weights[finding.level]

    def deductions(self, findings: Iterable[Finding]) -> dict[str, float]:
        """Points deducted per rule code, each capped at cap x the rule's heaviest weight."""
        points: dict[str, float] = {}
        heaviest: dict[str, float] = {}
        for f in findings:
            w = self.weight(f)
            points[f.code] = points.get(f.code, 0.0) + w
            if w > heaviest.get(f.code, 0.0):
                heaviest[f.code] = w
        cap = self.card.cap
        return {code: min(p, cap * heaviest.get(code, 0.0)) for code, p in points.items()}

    def score(self, findings: list[Finding], not_applicable: Iterable[str]) -> tuple[float, dict[str, float | None]]:
        """(score, subscores per group); a group whose rules are all not applicable is None."""
        cut = self.deductions(findings)
        key = (tuple(cut.items()), tuple(not_applicable))
        known = self._known.get(key)
        if known is None:
            if len(self._known) >= 10_000:
                self._known.clear()
            known = self._known[key] = self._score(cut, key[1])
        return known[0], dict(known[1])

    def _score(self, cut: dict[str, float], not_applicable: tuple[str, ...]) -> tuple[float, dict[str, float | None]]:
        critical = {code for code in cut if code in self.critical}
        total = 0.0 if critical else max(0.0, 100.0 - self._deducted(cut))
        skipped = set(not_applicable)
        subscores: dict[str, float | None] = {}
        for group, codes in self.groups.items():
            live = [c for c in codes if c not in skipped]
            if not live:
                subscores[group] = None
            elif critical and not critical.isdisjoint(live):
                subscores[group] = 0.0
            else:
                subscores[group] = round(max(0.0, 100.0 - sum(cut[c] for c in live if c in cut)), 1)
        return round(total, 1), subscores

    def _deducted(self, cut: dict[str, float]) -> float:
        """Points off the score: every rule's capped deduction, each group's sum capped by its group cap."""
        caps = self.card.group_caps
        if not caps:
            return sum(cut.values())
        by_group: dict[str, float] = {}
        for code, points in cut.items():
            rule = self.rules.get(code)
            group = rule.group if rule is not None else ""
            by_group[group] = by_group.get(group, 0.0) + points
        return sum(min(points, caps[g]) if g in caps else points for g, points in by_group.items())

    def explain(self) -> str:
        """The formula, with this scorecard's numbers."""
        w = self.card.weights
        lines = [
            f"scorecard {self.card.version}",
            "score = 100 - sum over rules of min(sum of the rule's finding weights, "
            f"{self.card.cap:g} x the rule's heaviest finding weight), floored at 0",
            "finding weight by level: " + ", ".join(f"{lvl.value} {w[lvl]:g}" for lvl in w),
        ]
        overrides = {c: v for c, v in self.weight_override.items() if v is not None}
        if overrides:
            lines.append("per-rule weights: " + ", ".join(f"{c} {v:g}" for c, v in sorted(overrides.items())))
        caps = {g: c for g, c in self.card.group_caps.items() if g in self.groups}
        if caps:
            lines.append("group caps (the most points a group's rules deduct from the score together; "
                         "its subscore is not capped): " + ", ".join(f"{g} {c:g}" for g, c in caps.items()))
        lines.append("critical rules (any finding sets the score to 0): "
                     + (", ".join(sorted(self.critical)) or "none"))
        lines.append("rules that cannot apply (no times, no agent...) are listed as not_applicable and deduct "
                     "nothing")
        lines.append("subscores: the same formula per group; null when every rule of the group is not applicable")
        for group, codes in self.groups.items():
            if codes:
                lines.append(f"  {group}: {', '.join(sorted(codes))}")
        if self.groups.get("experience"):
            lines.append("experience is what the customer went through (frustration, an ending without a solution); "
                         "`chatqa sample --strategy risk` weighs it too")
        return "\n".join(lines)
