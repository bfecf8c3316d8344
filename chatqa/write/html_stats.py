"""What the HTML report counts besides `RunStats`: findings by their own level, agents' display
names, breakdowns by vendor and channel and by week. Memory is bounded by the report's size
(a 101-bin histogram per row, a few names per agent), never by the number of conversations.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from statistics import median
from typing import Any

from ..redact import mask_cards
from ..results import Result
from ..stats import RunStats, _median

LEVELS = ("error", "warning", "suggestion")
MAX_SEGMENTS = 50  # vendor x channel rows; past that, new ones are counted as "other"
MAX_NAMES = 4  # distinct display names remembered per agent


class Tally:
    """Conversations, scores and findings per level of one slice of the run (a vendor and
    channel, a week, an agent)."""

    __slots__ = ("conversations", "critical", "findings", "histogram", "with_level")

    def __init__(self) -> None:
        self.conversations = 0
        self.histogram = [0] * 101
        self.findings: Counter[str] = Counter()  # level -> findings
        self.with_level: Counter[str] = Counter()  # level -> conversations with a finding of that level
        self.critical = 0

    def add(self, result: Result, levels: Counter[str], critical: bool) -> None:
        self.conversations += 1
        if result.score is not None:
            self.histogram[round(result.score)] += 1
        self.findings.update(levels)
        self.with_level.update(levels.keys())
        self.critical += critical

    def median(self) -> float | None:
        return _median(self.histogram)

    def merge(self, other: Tally) -> None:
        """Add another slice's counts to this one."""
        self.conversations += other.conversations
        self.histogram = [a + b for a, b in zip(self.histogram, other.histogram, strict=True)]
        self.findings.update(other.findings)
        self.with_level.update(other.with_level)
        self.critical += other.critical

    def row(self) -> dict[str, Any]:
        """The figures a table row shows."""
        n = self.conversations
        return {"conversations": n, "median": self.median(), "critical": self.critical,
                **{level: self.findings.get(level, 0) for level in LEVELS},
                "error_share": self.with_level.get("error", 0) / n if n else 0.0}


class ReportStats(RunStats):
    """`RunStats` plus the HTML report's breakdowns."""

    def __init__(self, keep: int = 50, critical: frozenset[str] = frozenset()) -> None:
        super().__init__(keep=keep, critical=critical)
        self.rule_levels: Counter[tuple[str, str]] = Counter()  # (code, level) -> findings
        self.run = Tally()
        self.segments: dict[tuple[str, str], Tally] = defaultdict(Tally)
        self.weeks: dict[date, Tally] = defaultdict(Tally)
        self.untimed = 0  # conversations without a start time
        self.score_sum = 0.0
        self.agents: dict[str, Tally] = defaultdict(Tally)
        self.agent_names: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, result: Result) -> None:
        """Count one conversation's result."""
        super().add(result)
        levels: Counter[str] = Counter()
        for f in result.findings:
            levels[f.level.value] += 1
            self.rule_levels[f.code, f.level.value] += 1
        critical = any(f.code in self.critical for f in result.findings)
        if result.score is not None:
            self.score_sum += result.score
        self.run.add(result, levels, critical)
        conversation = result.__dict__.get("conversation")
        channel = getattr(getattr(conversation, "channel", None), "value", "")
        key = (result.vendor, channel)
        if key not in self.segments and len(self.segments) >= MAX_SEGMENTS:
            key = ("other", "")
        self.segments[key].add(result, levels, critical)
        if result.started_at is None:
            self.untimed += 1
        else:
            day = result.started_at.astimezone(UTC).date()
            self.weeks[day - timedelta(days=day.weekday())].add(result, levels, critical)
        for agent in result.agents:
            self.agents[agent].add(result, levels, critical)
        if result.agents and conversation is not None:
            self._names(conversation, set(result.agents))

    def _names(self, conversation: Any, agents: set[str]) -> None:
        """Remember the display names the conversation gives its agents (by id)."""
        lines = conversation.messages if hasattr(conversation, "messages") else conversation.lines
        seen: dict[str, str] = {}
        for line in lines:
            if line.role.value == "agent" and line.author_id and line.author_name and line.author_id not in seen:
                seen[line.author_id] = line.author_name
        for p in getattr(conversation, "participants", ()):
            if p.role.value == "agent" and p.name and p.id not in seen:
                seen[p.id] = p.name
        for raw, name in seen.items():
            agent = mask_cards(raw)
            if agent in agents and name != raw:
                names = self.agent_names[agent]
                if name in names or len(names) < MAX_NAMES:
                    names[name] += 1

    def mean_score(self) -> float | None:
        """Mean of the scores (None when nothing was scored)."""
        scored = sum(self.histogram)
        return self.score_sum / scored if scored else None

    def percentile(self, q: float) -> float | None:
        """The score below which a share `q` of the scored conversations fall (whole points)."""
        total = sum(self.histogram)
        if not total:
            return None
        rank, seen = q * (total - 1), 0
        for score, count in enumerate(self.histogram):
            seen += count
            if seen > rank:
                return float(score)
        return 100.0

    def agent_name(self, agent: str) -> str | None:
        """The display name the transcripts give this agent most often."""
        names = self.agent_names.get(agent)
        return names.most_common(1)[0][0] if names else None

    def agent_summary(self, agent: str) -> dict[str, Any]:
        """An agent's figures: conversations, median score, findings per level, first reply."""
        tally = self.agents[agent]
        frt = self.agent_first_replies.get(agent)
        return {"agent": agent, "name": self.agent_name(agent), **tally.row(),
                "median_score": median(self.agent_scores[agent]) if self.agent_scores.get(agent) else None,
                "median_first_reply": median(frt) if frt else None,
                "max_concurrency": self.agent_concurrency.get(agent),
                "top_rules": [c for c, _ in self.agent_rules[agent].most_common(3)]}

    def worst_agents(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The agents with the lowest median score (then the most conversations with an error),
        among those with at least 3 conversations when some have that many; and that minimum."""
        least = 3 if any(t.conversations >= 3 for t in self.agents.values()) else 1
        rows = [self.agent_summary(a) for a, t in self.agents.items()
                if t.conversations >= least and self.agent_scores.get(a)]
        rows.sort(key=lambda r: (r["median_score"], -r["error_share"], -r["conversations"], r["agent"]))
        return rows[:limit], least

    def busiest_agents(self, limit: int) -> list[dict[str, Any]]:
        """The agents with the most conversations."""
        ranked = sorted(self.agents.items(), key=lambda kv: (-kv[1].conversations, kv[0]))[:limit]
        return [self.agent_summary(a) for a, _ in ranked]

    def period(self) -> tuple[datetime, datetime] | None:
        """The first and last week's Mondays (None without times)."""
        if not self.weeks:
            return None
        first, last = min(self.weeks), max(self.weeks)
        return (datetime(first.year, first.month, first.day, tzinfo=UTC),
                datetime(last.year, last.month, last.day, tzinfo=UTC))
