"""The HTML report: one self-contained page (inline CSS and SVG charts, no script, no network),
for the contact-centre manager it is forwarded to.

It counts the run as it goes (`ReportStats`: bounded by the report's size, not the run's) and
keeps only the worst conversations. Every piece of transcript text goes through redaction and
Jinja2's auto-escaping; the page carries a Content-Security-Policy that forbids scripts.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from importlib.resources import files
from typing import IO, Any

from ..redact import redact
from ..results import Summary
from ..stats import human_seconds
from . import Options, Writer
from .html_conversation import conversation_view
from .html_stats import LEVELS, ReportStats, Tally

WORST = 10
WORST_EXPERIENCE = 5
WORST_AGENTS = 10
MAX_AGENTS = 50
MAX_FAILURES = 100
MAX_WEEKS = 104  # past two years of weeks, the trend is drawn by month
_RANK = {"suggestion": 0, "warning": 1, "error": 2}


class HtmlWriter(Writer):
    """Collects run statistics and the worst conversations, then renders the page."""

    name = "html"
    suffixes = (".html", ".htm")
    summary = "a self-contained report to forward (no script, nothing loaded from the network)"
    needs_transcripts = True

    def __init__(self, stream: IO[bytes], options: Options | None = None, worst: int = WORST) -> None:
        super().__init__(stream, options)
        self.rules = {r.code: r for r in self.options.rules}
        self.scorecard = self.options.scorecard
        self.redact_personal = self.options.redact
        self.critical = self.options.critical | {r.code for r in self.options.rules if r.critical}
        self.stats = ReportStats(keep=worst, critical=frozenset(self.critical))

    def write(self, result: Any) -> None:
        """Count the result (kept if among the worst)."""
        self.stats.add(result)

    def close(self, summary: Summary) -> None:
        """Render the page."""
        from jinja2 import Environment, StrictUndefined, select_autoescape

        from . import html_charts as charts

        env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                          undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        env.filters["n"] = lambda v: f"{v:,}" if isinstance(v, int) else v
        env.filters["pct"] = _percent
        template = env.from_string((files("chatqa.write") / "templates" / "report.html.j2").read_text(encoding="utf-8"))
        stats = self.stats
        rule_rows, quiet = self._rule_rows()
        chart_rows: list[dict[str, Any]] = [
            {"code": c, "name": self._name(c), "level": lvl, "count": n, "critical": c in self.critical}
            for (c, lvl), n in stats.rule_levels.items() if n]
        chart_rows.sort(key=lambda r: (-_RANK[r["level"]], not r["critical"], -r["count"], r["code"]))
        periods, unit, stragglers = self._periods()
        worst_agents, least = stats.worst_agents(WORST_AGENTS)
        html = template.render(
            summary=summary, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), scorecard=self.scorecard,
            span=self._span(), channels=self._channels(), total_findings=sum(stats.rule_findings.values()),
            levels=self._levels(), critical=stats.with_critical, median_frt=human_seconds(stats.median_first_reply()),
            scores=self._scores(), histogram_svg=charts.score_histogram(stats.histogram),
            findings_svg=charts.findings_chart(chart_rows), rule_rows=rule_rows, quiet=quiet,
            groups=[{**g, "median": _fmt(g["median"])} for g in stats.group_rows()],
            worst_agents=self._agent_rows(worst_agents), least=least,
            agents=self._agent_rows(stats.busiest_agents(MAX_AGENTS)),
            more_agents=max(0, len(stats.agents) - MAX_AGENTS),
            segments=self._segments(), periods=periods, unit=unit, stragglers=stragglers, untimed=stats.untimed,
            trend_svg=charts.trend_chart(periods) if len(periods) > 1 else "",
            worst=[self._conversation(r) for r in stats.worst() if r.findings][:WORST],
            worst_experience=[self._conversation(r) for r in stats.worst_experience()[:WORST_EXPERIENCE]],
            failures=[str(f) for f in summary.failures[:MAX_FAILURES]],
            more_failures=max(0, summary.failure_count - MAX_FAILURES), redacted=self.redact_personal,
        )
        self.stream.write(html.encode("utf-8"))

    # -- pieces of the page --------------------------------------------------------------

    def _shown(self, text: str) -> str:
        return redact(text, personal=self.redact_personal)

    def _name(self, code: str) -> str:
        rule = self.rules.get(code)
        return rule.name if rule else self.stats.rule_names.get(code, "")

    def _span(self) -> str:
        """The weeks the run's conversations started in."""
        period = self.stats.period()
        if period is None:
            return ""
        first, last = period[0], period[1] + timedelta(days=6)
        return f"{first:%d %b %Y} – {last:%d %b %Y}"

    def _channels(self) -> str:
        counts: Counter[str] = Counter()
        for (vendor, channel), tally in self.stats.segments.items():
            counts[channel or vendor] += tally.conversations
        return ", ".join(c for c, _ in counts.most_common(4)) + (" …" if len(counts) > 4 else "")

    def _levels(self) -> list[dict[str, Any]]:
        run = self.stats.run
        return [{"level": lvl, "findings": run.findings.get(lvl, 0), "conversations": run.with_level.get(lvl, 0),
                 "share": _share(run.with_level.get(lvl, 0), run.conversations)} for lvl in LEVELS]

    def _scores(self) -> dict[str, Any]:
        stats, h = self.stats, self.stats.histogram
        scored = sum(h)
        return {"scored": scored, "unscored": stats.seen - scored, "median": _fmt(stats.median_score()),
                "mean": _fmt(stats.mean_score(), 1), "p10": _fmt(stats.percentile(0.1)),
                "perfect": h[100], "perfect_share": _share(h[100], scored),
                "below70": sum(h[:70]), "below70_share": _share(sum(h[:70]), scored),
                "zero": h[0], "zero_share": _share(h[0], scored)}

    def _rule_rows(self) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
        """Rules with findings (worst level first, then most findings), and the rules that found nothing."""
        stats = self.stats
        rows: list[dict[str, Any]] = []
        quiet: list[dict[str, str]] = []
        for code in sorted(self.rules.keys() | stats.rule_findings.keys()):
            rule = self.rules.get(code)
            description = " ".join(rule.description.split()) if rule else ""
            first, _, rest = description.partition(". ")
            if not stats.rule_findings.get(code):
                quiet.append({"code": code, "name": self._name(code)})
                continue
            levels = sorted(((lvl, n) for (c, lvl), n in stats.rule_levels.items() if c == code and n),
                            key=lambda x: -_RANK[x[0]])
            rows.append({"code": code, "name": self._name(code), "levels": levels, "worst": levels[0][0],
                         "critical": code in self.critical, "group": rule.group if rule else "",
                         "findings": stats.rule_findings[code], "conversations": stats.rule_conversations[code],
                         "share": _share(stats.rule_conversations[code], stats.seen),
                         "summary": first.rstrip(".") + "." if first else "", "more": rest})
        rows.sort(key=lambda r: (not r["critical"], -_RANK[r["worst"]], -r["findings"], r["code"]))
        return rows, quiet

    def _agent_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Agents as people: the transcripts' display name, the id beside it (both masked)."""
        labels = self._agent_labels
        out = []
        for a in rows:
            label, shown_id = labels[a["agent"]]
            out.append({**a, "label": label, "id": shown_id,
                        "median_score": _fmt(a["median_score"]), "median_frt": human_seconds(a["median_first_reply"]),
                        "max_concurrency": a["max_concurrency"] if a["max_concurrency"] is not None else "–",
                        "error_share": _percent(a["error_share"]),
                        "top_rules": [(c, self._name(c)) for c in a["top_rules"]]})
        return out

    @cached_property
    def _agent_labels(self) -> dict[str, tuple[str, str]]:
        """Per agent: the name shown and the (masked) id beside it ("" when it says the same).
        Agents shown alike (two Jamals whose email ids are both masked) are numbered, the same
        way in every table."""
        shown: dict[str, tuple[str, str]] = {}
        for agent in sorted(self.stats.agents):
            shown_id, name = self._shown(agent), self.stats.agent_name(agent)
            label = self._shown(name) if name else shown_id
            shown[agent] = (label, "" if shown_id == label else shown_id)
        alike = Counter(shown.values())
        seen: Counter[tuple[str, str]] = Counter()
        for agent, pair in shown.items():
            if alike[pair] > 1:
                seen[pair] += 1
                shown[agent] = (f"{pair[0]} ({seen[pair]})", pair[1])
        return shown

    def _segments(self) -> list[dict[str, Any]]:
        ranked = sorted(self.stats.segments.items(), key=lambda kv: (-kv[1].conversations, kv[0]))
        return [{"vendor": v, "channel": c or "–", **_tally_row(t)} for (v, c), t in ranked]

    def _periods(self) -> tuple[list[dict[str, Any]], str, int]:
        """Per week (empty weeks included), or per month past MAX_WEEKS, over the weeks that hold
        all but the stragglers (at most 1% of the timed conversations, earliest and latest, are
        left out of the chart, so a few years-old threads do not squash the run into one bar);
        and how many were left out."""
        weeks = self.stats.weeks
        if not weeks:
            return [], "", 0
        days = sorted(weeks)
        total = sum(t.conversations for t in weeks.values())
        allowed, left_out = total // 200, 0
        while len(days) > 1 and left_out + weeks[days[0]].conversations <= allowed:
            left_out += weeks[days.pop(0)].conversations
        while len(days) > 1 and left_out + weeks[days[-1]].conversations <= 2 * allowed:
            left_out += weeks[days.pop()].conversations
        first, last = days[0], days[-1]
        if (last - first).days // 7 < MAX_WEEKS:
            out, day = [], first
            while day <= last:
                out.append({"label": f"{day:%d %b %Y}", **_tally_row(weeks.get(day, Tally()))})
                day += timedelta(days=7)
            return out, "week", left_out
        months: dict[date, Tally] = {}
        for day in days:
            months.setdefault(day.replace(day=1), Tally()).merge(weeks[day])
        out, month = [], first.replace(day=1)
        while month <= last:
            out.append({"label": f"{month:%b %Y}", **_tally_row(months.get(month, Tally()))})
            month = (month + timedelta(days=32)).replace(day=1)
        return out, "month", left_out

    def _conversation(self, result: Any) -> dict[str, Any]:
        info = {c: {"critical": c in self.critical} for c in self.rules}
        return conversation_view(result, info, self.redact_personal)


def _tally_row(tally: Tally) -> dict[str, Any]:
    row = tally.row()
    return {**row, "median": _fmt(row["median"]), "median_value": row["median"],
            "with_error": tally.with_level.get("error", 0), "error_pct": _percent(row["error_share"])}


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if digits else f"{value:g}"


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _percent(share: float) -> str:
    """``37%``; ``<1%`` for a small share that is not zero."""
    if share and share < 0.005:
        return "<1%"
    return f"{share * 100:.0f}%"
