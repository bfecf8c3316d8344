"""The terminal report: the worst conversations, their offending lines, then the run summary."""

from __future__ import annotations

import io
from collections import Counter
from typing import IO, TYPE_CHECKING, Any

from ..redact import redact, redact_pieces
from ..results import Result, Summary
from ..stats import RunStats, human_seconds
from ..terminal import console as terminal_console
from ..terminal import shown
from . import Options, Writer

if TYPE_CHECKING:
    from rich.console import JustifyMethod

MAX_ROWS = 50
DETAILS = 5  # conversations shown with their offending lines


class TableWriter(Writer):
    """A rich table of the worst conversations (bounded), their findings, and a summary."""

    name = "table"
    suffixes = (".txt",)
    summary = "the worst conversations, their offending lines and the run's summary (terminal)"
    needs_transcripts = True

    def __init__(self, stream: IO[bytes], options: Options | None = None, max_rows: int = MAX_ROWS,
                 details: int = DETAILS) -> None:
        super().__init__(stream, options)
        self.color = self.options.color
        self.redact_personal = self.options.redact
        self.details = details
        self.max_rows = max_rows
        self.stats = RunStats(keep=max_rows)

    def write(self, result: Result) -> None:
        """Count the result (kept if among the worst)."""
        self.stats.add(result)

    def close(self, summary: Summary) -> None:
        """Print the table, the worst conversations' findings and the summary."""
        from rich.table import Table

        text = io.TextIOWrapper(self.stream, encoding="utf-8", write_through=True)
        console = terminal_console(file=text, force_terminal=self.color, no_color=not self.color,
                                   width=None if self.color else 160, soft_wrap=False)
        rows = self.stats.worst()
        table = Table(title="chatqa: conversations (worst first)", header_style="bold", expand=False)
        columns: tuple[tuple[str, JustifyMethod], ...] = (
            ("conversation", "left"), ("vendor", "left"), ("msgs c/a/b", "right"), ("agents", "left"),
            ("first reply", "right"), ("avg reply", "right"), ("duration", "right"), ("score", "right"),
            ("findings", "left"))
        for name, justify in columns:
            table.add_column(name, justify=justify, overflow="fold")
        for r in rows:
            m = r.metrics
            codes = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in Counter(f.code for f in r.findings).items())
            style = "" if r.score is None or r.score >= 80 else ("yellow" if r.score >= 50 else "red")
            table.add_row(
                shown(r.id), shown(r.vendor), f"{m.customer_messages}/{m.agent_messages}/{m.bot_messages}",
                shown(", ".join(r.agents)) or "–", human_seconds(m.first_response_s), human_seconds(m.avg_response_s),
                human_seconds(m.duration_s), "–" if r.score is None else f"{r.score:.0f}", codes or "–",
                style=style,
            )
        if self.stats.seen > self.max_rows:
            table.caption = f"showing the {self.max_rows} worst of {self.stats.seen}; use --format jsonl for all"
        if self.stats.seen:
            console.print(table)
            self._details(console, [r for r in rows if r.findings][: self.details])
        self._summary(console, summary)
        text.flush()
        text.detach()

    def _details(self, console: Any, worst: list[Result]) -> None:
        """The worst conversations' findings, each with the offending line and the quote highlighted."""
        from rich.text import Text

        for r in worst:
            console.print(Text(f"\n{shown(r.id)}  ({shown(r.vendor)}, score {r.score:g})  {shown(r.source)}",
                               style="bold"))
            for f in r.findings:
                head = Text(f"  {f.code} {f.rule} ", style="bold")
                head.append(f"[{f.level.value}] ", style={"error": "red", "warning": "yellow"}.get(f.level.value, ""))
                head.append(shown(f.message))
                console.print(head)
                if f.message_index is not None:
                    console.print(self._line(r.transcript.messages[f.message_index], f.span))

    def _line(self, message: Any, span: tuple[int, int] | None) -> Any:
        """``#5 agent (sam): ...text...`` with the span highlighted, redacted, shortened."""
        from rich.text import Text

        text = message.text.replace("\n", " ")
        start, end = span if span else (0, 0)
        left, hit, right = redact_pieces(text, [0, start, end, len(text)], personal=self.redact_personal)
        left = ("…" + left[-60:]) if len(left) > 60 else left
        right = (right[:80] + "…") if len(right) > 80 else right
        author = message.author_name or message.author_id
        if author and message.role.value == "customer":
            author = redact(author, personal=self.redact_personal)
        role = message.role.value + (", bystander" if message.bystander else "")
        line = Text(f"      #{message.index} {role}" + (f" ({shown(author)})" if author else "")
                    + ": ", style="dim")
        for part, style in ((left, ""), (hit, "bold red"), (right, "")):
            line.append(shown(part), style=style)
        return line

    def _summary(self, console: Any, summary: Summary) -> None:
        stats = self.stats
        lines = [
            f"files: {summary.files}   conversations: {summary.conversations}   "
            f"parse failures: {summary.failure_count}   "
            + (f"duplicates (counted once): {summary.duplicates}   " if summary.duplicates else "")
            + f"records in: {summary.records_in}"
            + (f"   skipped (not exports): {len(summary.skipped)}" if summary.skipped else "")
        ]
        if stats.seen:
            dist = "  ".join(f"{band}: {n}" for band, n in stats.score_bands().items())
            lines.append(f"scores: median {stats.median_score():.0f}   {dist}")
        if stats.rule_findings:
            top = ", ".join(f"{c} {shown(stats.rule_names[c])} ×{n}" for c, n in stats.rule_findings.most_common(5))
            lines.append(f"top rules: {top}")
        agents = stats.agent_rows(limit=5)
        if agents:
            parts = [f"{shown(a['agent'])} {a['conversations']} conv, median score {a['median_score']:.0f}"
                     + (f", median first reply {human_seconds(a['median_first_reply'])}"
                        if a["median_first_reply"] is not None else "") for a in agents]
            lines.append("agents: " + "; ".join(parts))
        for line in lines:
            console.print(line)
