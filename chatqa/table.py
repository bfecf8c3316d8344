"""The terminal report: a rich table of conversations, then the run summary."""

from __future__ import annotations

import heapq
import io
from collections import Counter, defaultdict
from statistics import median
from typing import IO, Any

from .redact import redact
from .report import Writer
from .results import Result, Summary

MAX_ROWS = 50
DETAILS = 5  # conversations shown with their offending lines


def human_seconds(seconds: float | None) -> str:
    """``41s``, ``2m 05s``, ``1h 02m``, ``3d 04h``; a dash for None."""
    if seconds is None:
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600:02d}h"


class TableWriter(Writer):
    """Keeps the worst conversations (bounded) and run statistics, and prints them at the end."""

    def __init__(self, stream: IO[bytes], color: bool = False, max_rows: int = MAX_ROWS,
                 redact_personal: bool = True, details: int = DETAILS) -> None:
        super().__init__(stream)
        self.color = color
        self.redact_personal = redact_personal
        self.details = details
        self.max_rows = max_rows
        self.kept: list[tuple[float, int, Result]] = []  # min-heap on -badness: the worst survive
        self.seen = 0
        self.scores: list[float] = []
        self.rules: Counter[str] = Counter()
        self.rule_names: dict[str, str] = {}
        self.agent_scores: dict[str, list[float]] = defaultdict(list)
        self.agent_frt: dict[str, list[float]] = defaultdict(list)

    def write(self, result: Result) -> None:
        """Record statistics and keep the result if it is among the worst."""
        score = result.score if result.score is not None else 100.0
        badness = (100.0 - score) * 1000 + len(result.findings)
        item = (badness, -self.seen, result)
        if len(self.kept) < self.max_rows:
            heapq.heappush(self.kept, item)
        elif item > self.kept[0]:
            heapq.heapreplace(self.kept, item)
        self.seen += 1
        if result.score is not None:
            self.scores.append(result.score)
        for finding in result.findings:
            self.rules[finding.code] += 1
            self.rule_names[finding.code] = finding.rule
        for agent in result.agents[:1]:
            if result.score is not None:
                self.agent_scores[agent].append(result.score)
            if result.metrics.first_response_s is not None:
                self.agent_frt[agent].append(result.metrics.first_response_s)

    def close(self, summary: Summary) -> None:
        """Print the table and the summary."""
        from rich.console import Console
        from rich.table import Table

        text = io.TextIOWrapper(self.stream, encoding="utf-8", write_through=True)
        console = Console(file=text, force_terminal=self.color, no_color=not self.color, width=None if self.color
                          else 160, highlight=False, soft_wrap=False)
        rows = [r for _, _, r in sorted(self.kept, key=lambda x: (-x[0], -x[1]))]
        if self.seen <= self.max_rows:
            rows.sort(key=lambda r: (r.score if r.score is not None else 100.0))
        table = Table(title="chatqa: conversations (worst first)", header_style="bold", expand=False)
        for name, justify in (("conversation", "left"), ("vendor", "left"), ("msgs c/a/b", "right"),
                              ("agents", "left"), ("first reply", "right"), ("avg reply", "right"),
                              ("duration", "right"), ("score", "right"), ("findings", "left")):
            table.add_column(name, justify=justify, overflow="fold")
        for r in rows:
            m = r.metrics
            codes = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in Counter(f.code for f in r.findings).items())
            style = "" if r.score is None or r.score >= 80 else ("yellow" if r.score >= 50 else "red")
            table.add_row(
                r.id, r.transcript.vendor, f"{m.customer_messages}/{m.agent_messages}/{m.bot_messages}",
                ", ".join(r.agents) or "–", human_seconds(m.first_response_s), human_seconds(m.avg_response_s),
                human_seconds(m.duration_s), "–" if r.score is None else f"{r.score:.0f}", codes or "–",
                style=style,
            )
        if self.seen > self.max_rows:
            table.caption = f"showing the {self.max_rows} worst of {self.seen}; use --format jsonl for all"
        if self.seen:
            console.print(table)
            self._details(console, [r for r in rows if r.findings][: self.details])
        self._summary(console, summary)
        text.flush()
        text.detach()

    def _details(self, console: Any, worst: list[Result]) -> None:
        """The worst conversations' findings, each with the offending line and the quote highlighted."""
        from rich.text import Text

        for r in worst:
            console.print(Text(f"\n{r.id}  ({r.transcript.vendor}, score {r.score:g})  {r.transcript.source}",
                               style="bold"))
            for f in r.findings:
                head = Text(f"  {f.code} {f.rule} ", style="bold")
                head.append(f"[{f.level.value}] ", style={"error": "red", "warning": "yellow"}.get(f.level.value, ""))
                head.append(f.message)
                console.print(head)
                if f.message_index is not None:
                    console.print(self._line(r.transcript.messages[f.message_index], f.span))

    def _line(self, message: Any, span: tuple[int, int] | None) -> Any:
        """``#5 agent (sam): ...text...`` with the span highlighted, redacted, shortened."""
        from rich.text import Text

        text = message.text.replace("\n", " ")
        start, end = span if span else (0, 0)
        left, hit, right = (redact(part, personal=self.redact_personal)
                            for part in (text[:start], text[start:end], text[end:]))
        left = ("…" + left[-60:]) if len(left) > 60 else left
        right = (right[:80] + "…") if len(right) > 80 else right
        line = Text(f"      #{message.index} {message.role.value}"
                    + (f" ({message.author_name or message.author_id})" if message.author_id or message.author_name
                       else "") + ": ", style="dim")
        for part, style in ((left, ""), (hit, "bold red"), (right, "")):
            line.append(part, style=style)
        return line

    def _summary(self, console: Any, summary: Summary) -> None:
        lines = [
            f"files: {summary.files}   conversations: {summary.conversations}   "
            f"parse failures: {len(summary.failures)}   records in: {summary.records_in}"
            + (f"   skipped (not exports): {len(summary.skipped)}" if summary.skipped else "")
        ]
        if self.scores:
            bands = Counter("90-100" if s >= 90 else "70-89" if s >= 70 else "50-69" if s >= 50 else "<50"
                            for s in self.scores)
            dist = "  ".join(f"{band}: {bands[band]}" for band in ("90-100", "70-89", "50-69", "<50"))
            lines.append(f"scores: median {median(self.scores):.0f}   {dist}")
        if self.rules:
            top = ", ".join(f"{c} {self.rule_names[c]} ×{n}" for c, n in self.rules.most_common(5))
            lines.append(f"top rules: {top}")
        if self.agent_scores:
            per_agent = sorted(self.agent_scores.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:5]
            parts = []
            for agent, scores in per_agent:
                frt = self.agent_frt.get(agent)
                parts.append(f"{agent} {len(scores)} conv, median score {median(scores):.0f}"
                             + (f", median first reply {human_seconds(median(frt))}" if frt else ""))
            lines.append("agents: " + "; ".join(parts))
        for line in lines:
            console.print(line)
