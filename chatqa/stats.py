"""Run statistics for the human-readable reports, in memory bounded by the report's size.

Scores go into a 101-bin histogram; per-agent values into compact arrays; only the worst
conversations (with their transcripts) are kept.
"""

from __future__ import annotations

import heapq
from array import array
from collections import Counter, defaultdict
from statistics import median
from typing import Any

from .results import Result


def human_seconds(seconds: float | None) -> str:
    """``41s``, ``2m 05s``, ``1h 02m``, ``3d 04h``; a dash for None."""
    if seconds is None or seconds != seconds:
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


class RunStats:
    """Counts, distributions and the worst conversations of a run."""

    def __init__(self, keep: int = 50, critical: frozenset[str] = frozenset(), experience: str = "experience") -> None:
        self.keep = keep
        self.critical = critical
        self.seen = 0
        self.histogram = [0] * 101  # conversations per whole score 0..100
        self.rule_findings: Counter[str] = Counter()
        self.rule_conversations: Counter[str] = Counter()
        self.rule_names: dict[str, str] = {}
        self.with_critical = 0
        self.first_replies = array("d")
        self.agent_scores: dict[str, array[float]] = defaultdict(lambda: array("d"))
        self.agent_first_replies: dict[str, array[float]] = defaultdict(lambda: array("d"))
        self.agent_concurrency: dict[str, int] = {}
        self.agent_rules: dict[str, Counter[str]] = defaultdict(Counter)
        self._worst: list[tuple[float, int, Result]] = []  # min-heap: the least bad is dropped first
        self.group_histograms: dict[str, list[int]] = {}  # per group: conversations per whole subscore
        self.experience_group = experience
        self._worst_experience: list[tuple[float, int, Result]] = []  # as _worst, by the experience subscore

    def add(self, result: Result) -> None:
        """Count one conversation's result."""
        score = result.score if result.score is not None else 100.0
        _keep(self._worst, ((100.0 - score) * 1000 + len(result.findings), -self.seen, result), self.keep)
        felt = result.subscores.get(self.experience_group)
        if felt is not None and felt < 100:
            _keep(self._worst_experience, ((100.0 - felt) * 1000 + len(result.findings), -self.seen, result), self.keep)
        for group, value in result.subscores.items():
            if value is not None:
                self.group_histograms.setdefault(group, [0] * 101)[round(value)] += 1
        self.seen += 1
        if result.score is not None:
            self.histogram[round(result.score)] += 1
        codes = set()
        for finding in result.findings:
            self.rule_findings[finding.code] += 1
            self.rule_names[finding.code] = finding.rule
            codes.add(finding.code)
        self.rule_conversations.update(codes)
        if codes & self.critical:
            self.with_critical += 1
        frt = result.metrics.first_response_s
        if frt is not None:
            self.first_replies.append(frt)
        for i, agent in enumerate(result.agents):
            if result.score is not None:
                self.agent_scores[agent].append(result.score)
            if i == 0 and frt is not None:
                self.agent_first_replies[agent].append(frt)
            conc = result.metrics.max_concurrency
            if conc is not None:
                self.agent_concurrency[agent] = max(conc, self.agent_concurrency.get(agent, 0))
            self.agent_rules[agent].update(codes)

    def worst(self) -> list[Result]:
        """The kept conversations, worst first (ties: earliest first)."""
        return [r for _, _, r in sorted(self._worst, key=lambda x: (-x[0], -x[1]))]

    def worst_experience(self) -> list[Result]:
        """The kept conversations that went worst for the customer (lowest experience subscore first)."""
        return [r for _, _, r in sorted(self._worst_experience, key=lambda x: (-x[0], -x[1]))]

    def group_rows(self) -> list[dict[str, Any]]:
        """Per scoring group: conversations it applied to, median subscore, conversations below 100."""
        return [{"group": g, "scored": sum(h), "median": _median(h), "below": sum(h) - h[100]}
                for g, h in self.group_histograms.items()]

    def median_score(self) -> float | None:
        """Median of the scores (from the histogram: whole points)."""
        return _median(self.histogram)

    def median_first_reply(self) -> float | None:
        """Median first reply over the run (None without times)."""
        return median(self.first_replies) if self.first_replies else None

    def score_bands(self) -> dict[str, int]:
        """Conversations per score band."""
        h = self.histogram
        return {"90-100": sum(h[90:]), "70-89": sum(h[70:90]), "50-69": sum(h[50:70]), "<50": sum(h[:50])}

    def agent_rows(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Per agent: conversations, median score and first reply, max concurrency, top rules."""
        rows = []
        for agent, scores in sorted(self.agent_scores.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            frt = self.agent_first_replies.get(agent)
            rows.append({
                "agent": agent, "conversations": len(scores), "median_score": median(scores),
                "median_first_reply": median(frt) if frt else None,
                "max_concurrency": self.agent_concurrency.get(agent),
                "top_rules": [c for c, _ in self.agent_rules[agent].most_common(3)],
            })
        return rows[:limit] if limit else rows


def _median(histogram: list[int]) -> float | None:
    """Median of the values counted in a 101-bin histogram (whole points)."""
    total = sum(histogram)
    if not total:
        return None
    ranks = [(total - 1) // 2, total // 2]
    values = []
    for rank in ranks:
        seen = 0
        for score, count in enumerate(histogram):
            seen += count
            if seen > rank:
                values.append(score)
                break
    return sum(values) / 2


def _keep(heap: list[tuple[float, int, Result]], item: tuple[float, int, Result], size: int) -> None:
    """Keep the `size` largest items in a min-heap."""
    if len(heap) < size:
        heapq.heappush(heap, item)
    elif heap and item > heap[0]:
        heapq.heapreplace(heap, item)
