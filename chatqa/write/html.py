"""The HTML report: one self-contained page (inline CSS and SVG charts, no script, no network).

Every piece of transcript text goes through Jinja2's auto-escaping and through redaction;
the page carries a Content-Security-Policy that forbids scripts.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from importlib.resources import files
from typing import IO, Any

from ..redact import redact, redact_pieces
from ..results import Finding, Result, Summary
from ..stats import RunStats, human_seconds
from . import Options, Writer

WORST = 10
WORST_EXPERIENCE = 5
MAX_AGENTS = 50
MAX_FAILURES = 100
_COLORS = {"error": "#b91c1c", "warning": "#b45309", "suggestion": "#1d4ed8"}


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
        self.stats = RunStats(keep=worst, critical=self.options.critical)

    def write(self, result: Result) -> None:
        """Count the result (kept if among the worst)."""
        self.stats.add(result)

    def close(self, summary: Summary) -> None:
        """Render the page."""
        from jinja2 import Environment, select_autoescape

        env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
        template = env.from_string((files("chatqa.write") / "templates" / "report.html.j2").read_text(encoding="utf-8"))
        stats = self.stats
        median_score = stats.median_score()
        html = template.render(
            summary=summary, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), scorecard=self.scorecard,
            total_findings=sum(stats.rule_findings.values()),
            median_score="–" if median_score is None else f"{median_score:g}",
            critical=stats.with_critical, median_frt=human_seconds(stats.median_first_reply()),
            histogram_svg=self._histogram(), rules_svg=self._rule_chart(), rule_rows=self._rule_rows(),
            agents=self._agents(), more_agents=max(0, len(stats.agent_scores) - MAX_AGENTS),
            worst=[self._conversation(r) for r in stats.worst() if r.findings],
            groups=[{**g, "median": "–" if g["median"] is None else f"{g['median']:g}"} for g in stats.group_rows()],
            worst_experience=[self._conversation(r) for r in stats.worst_experience()[:WORST_EXPERIENCE]],
            failures=[str(f) for f in summary.failures[:MAX_FAILURES]],
            more_failures=max(0, summary.failure_count - MAX_FAILURES), redacted=self.redact_personal,
        )
        self.stream.write(html.encode("utf-8"))

    def _redact(self, text: str) -> str:
        return redact(text, personal=self.redact_personal)

    def _rule_rows(self) -> list[dict[str, Any]]:
        rows = []
        for code, rule in sorted(self.rules.items()):
            rows.append({"code": code, "name": rule.name, "level": rule.level.value,
                         "findings": self.stats.rule_findings.get(code, 0),
                         "conversations": self.stats.rule_conversations.get(code, 0),
                         "summary": " ".join(rule.description.split(". ")[0].split()).rstrip(".") + "."})
        return rows

    def _agents(self) -> list[dict[str, Any]]:
        rows = []
        for a in self.stats.agent_rows(limit=MAX_AGENTS):
            rows.append({
                "agent": a["agent"], "conversations": a["conversations"], "median_score": f"{a['median_score']:g}",
                "median_frt": human_seconds(a["median_first_reply"]),
                "max_concurrency": a["max_concurrency"] if a["max_concurrency"] is not None else "–",
                "top_rules": ", ".join(f"{c} {self.rules[c].name}" if c in self.rules else c
                                       for c in a["top_rules"]) or "–",
            })
        return rows

    def _explain(self, finding: Finding) -> str:
        rule = self.rules.get(finding.code)
        return " ".join(rule.description.split()) if rule else ""

    def _conversation(self, result: Result) -> dict[str, Any]:
        """A worst conversation: its messages with the findings' spans marked, rules beside them."""
        t = result.transcript
        by_message: dict[int, list[Finding]] = {}
        for f in result.findings:
            if f.message_index is not None:
                by_message.setdefault(f.message_index, []).append(f)
        messages = []
        for m in t.messages:
            found = by_message.get(m.index, [])
            author = m.author_name or m.author_id
            if author and m.role.value == "customer":
                author = self._redact(author)
            messages.append({
                "index": m.index, "role": m.role.value + (" (bystander)" if m.bystander else ""),
                "author": author, "internal": m.internal,
                "time": m.sent_at.strftime("%Y-%m-%d %H:%M:%S") if m.sent_at else "",
                "classes": " ".join(c for c in ("flagged" if found else "", "internal" if m.internal else "",
                                                 "event" if m.kind.value == "event" else "") if c),
                "parts": self._parts(m.text, found),
                "findings": [{"code": f.code, "rule": f.rule, "level": f.level.value, "message": f.message,
                              "explanation": self._explain(f)} for f in found],
            })
        subscores = ", ".join(f"{g} {v:g}" for g, v in result.subscores.items() if v is not None)
        return {
            "id": t.id, "vendor": t.vendor, "source": t.source, "score": f"{result.score:g}", "subscores": subscores,
            "messages": messages,
            "whole": [{"code": f.code, "rule": f.rule, "level": f.level.value, "message": f.message,
                       "explanation": self._explain(f)} for f in result.findings if f.message_index is None],
        }

    def _parts(self, text: str, findings: list[Finding]) -> list[dict[str, str]]:
        """The text cut at the findings' span edges; marked pieces carry the worst level covering them."""
        rank = {"suggestion": 0, "warning": 1, "error": 2}
        spans = [(f.span, f.level.value) for f in findings if f.span]
        cuts = sorted({0, len(text), *(s for (a, b), _ in spans for s in (a, b))})
        pieces = redact_pieces(text, cuts, personal=self.redact_personal)
        parts = []
        for a, b, piece in zip(cuts, cuts[1:], pieces, strict=False):
            levels = [lvl for (s, e), lvl in spans if s <= a and b <= e]
            level = max(levels, key=rank.__getitem__) if levels else ""
            parts.append({"text": piece, "level": level})
        return parts

    def _svg(self, fig: Any) -> str:
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight")
        svg = buffer.getvalue()
        return svg[svg.index("<svg"):]

    def _figure(self, height: float) -> Any:
        import matplotlib
        from matplotlib.figure import Figure

        matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text (small, selectable)
        fig = Figure(figsize=(6.4, height))
        return fig, fig.add_subplot()

    def _histogram(self) -> str:
        fig, ax = self._figure(2.6)
        bins = [sum(self.stats.histogram[i:i + 5]) for i in range(0, 100, 5)]
        bins[-1] += self.stats.histogram[100]
        ax.bar([i + 2.5 for i in range(0, 100, 5)], bins, width=4.6, color="#4c72b0")
        ax.set_xlim(0, 100)
        ax.set_xlabel("score")
        ax.set_ylabel("conversations")
        ax.spines[["top", "right"]].set_visible(False)
        return self._svg(fig)

    def _rule_chart(self) -> str:
        counts = self.stats.rule_findings
        codes = [c for c in sorted(self.rules) if counts.get(c)]
        fig, ax = self._figure(max(1.6, 0.28 * len(codes) + 0.8))
        if codes:
            ax.barh(codes[::-1], [counts[c] for c in codes[::-1]],
                    color=[_COLORS[self.rules[c].level.value] for c in codes[::-1]])
        else:
            ax.text(0.5, 0.5, "no findings", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel("findings")
        ax.spines[["top", "right"]].set_visible(False)
        return self._svg(fig)
