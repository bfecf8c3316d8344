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
from ..terminal import width as terminal_width
from . import Options, Writer
from .table_layout import Column, fit

if TYPE_CHECKING:
    from rich.console import JustifyMethod

DETAILS = 5  # conversations shown with their offending lines


class TableWriter(Writer):
    """A rich table of the worst conversations (bounded), their findings, and a summary."""

    name = "table"
    suffixes = (".txt",)
    summary = "the worst conversations, their offending lines and the run's summary (terminal)"
    needs_transcripts = True

    def __init__(self, stream: IO[bytes], options: Options | None = None, max_rows: int | None = None,
                 details: int = DETAILS) -> None:
        super().__init__(stream, options)
        self.color = self.options.color
        self.redact_personal = self.options.redact
        self.details = details  # (never more than the table shows: --top 0 prints the summary alone)
        self.max_rows = self.options.top if max_rows is None else max_rows
        self.stats = RunStats(keep=self.max_rows)

    def write(self, result: Result) -> None:
        """Count the result (kept if among the worst)."""
        self.stats.add(result)

    def close(self, summary: Summary) -> None:
        """Print the table, the worst conversations' findings and the summary."""

        text = io.TextIOWrapper(self.stream, encoding="utf-8", write_through=True)
        console = terminal_console(file=text, force_terminal=self.color, no_color=not self.color,
                                   width=terminal_width(self.color, 160), soft_wrap=False)
        rows = self.stats.worst()
        table = self._table(rows, console.width)
        if self.stats.seen > self.max_rows:
            table.caption = (f"the {self.max_rows} worst of {self.stats.seen} conversations (--top N shows more or "
                             "fewer; the summary covers them all)")
        if self.stats.seen and self.max_rows:
            console.print(table)
            self._details(console, [r for r in rows if r.findings][: min(self.details, self.max_rows)])
        self._summary(console, summary)
        text.flush()
        text.detach()

    @staticmethod
    def _table(rows: list[Result], width: int) -> Any:
        """The conversations as a table fitted to `width` (see `chatqa.write.table_layout`)."""
        from rich.table import Table

        columns = [Column("conversation", keep=100), Column("vendor", keep=20), Column("msgs c/a/b", "right", keep=40),
                   Column("agents", keep=50, cap=30), Column("1st reply", "right", keep=60),
                   Column("avg reply", "right", keep=25), Column("duration", "right", keep=30),
                   Column("score", "right", keep=100), Column("findings", keep=100, wrap=True)]
        styles = []
        for r in rows:
            m = r.metrics
            codes = ", ".join(f"{c}×{n}" if n > 1 else c for c, n in Counter(f.code for f in r.findings).items())
            agents = shown(r.agents[0]) + (f" +{len(r.agents) - 1}" if len(r.agents) > 1 else "") if r.agents else "–"
            cells = [shown(r.id), shown(r.vendor), f"{m.customer_messages}/{m.agent_messages}/{m.bot_messages}",
                     agents, human_seconds(m.first_response_s), human_seconds(m.avg_response_s),
                     human_seconds(m.duration_s), "–" if r.score is None else f"{r.score:.0f}", codes or "–"]
            for column, cell in zip(columns, cells, strict=True):
                column.cells.append(cell)
            styles.append("" if r.score is None or r.score >= 80 else ("yellow" if r.score >= 50 else "red"))
        table = Table(title="chatqa: conversations (worst first)", header_style="bold", expand=False)
        fitted = fit(columns, width)
        for column, size in fitted:
            justify: JustifyMethod = "right" if column.justify == "right" else "left"
            table.add_column(column.header, justify=justify, width=size, no_wrap=not column.wrap,
                             overflow="fold" if column.wrap else "ellipsis")
        for i, style in enumerate(styles):
            table.add_row(*(column.cells[i] for column, _ in fitted), style=style)
        return table

    def _details(self, console: Any, worst: list[Result]) -> None:
        """The worst conversations' findings, each with the offending line and the quote highlighted."""
        from rich.text import Text

        for r in worst:
            # the id and the source are never cut or folded by chatqa (the terminal wraps them if it must)
            head = Text(f"\n{shown(r.id)}  ({shown(r.vendor)}, score {r.score:g})", style="bold")
            if console.width >= len(head) + len(r.source) + 2:
                head.append(f"  {shown(r.source)}")
                console.print(head, soft_wrap=True)
            else:
                console.print(head, soft_wrap=True)
                console.print(Text(shown(r.source), style="dim"), soft_wrap=True)
            for f in r.findings:
                head = Text(f"  {f.code} {f.rule} ", style="bold")
                head.append(f"[{f.level.value}] ", style={"error": "red", "warning": "yellow"}.get(f.level.value, ""))
                head.append(shown(f.message))
                console.print(head)
                if f.message_index is not None and r.kept:
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
        """The run's counts, scores, top rules and agents: a line each when it fits the width, else
        one item per line (an item is never cut)."""
        stats = self.stats
        counts = [f"files: {summary.files}", f"conversations: {summary.conversations}",
                  f"parse failures: {summary.failure_count}"]
        counts += [f"duplicates (counted once): {summary.duplicates}"] if summary.duplicates else []
        counts += [f"records in: {summary.records_in}"]
        counts += [f"skipped (not exports): {len(summary.skipped)}"] if summary.skipped else []
        lines: list[tuple[str, list[str], str]] = [("", counts, "   ")]
        if stats.seen:
            lines.append(("scores: ", [f"median {stats.median_score():.0f}",
                                       *(f"{band}: {n}" for band, n in stats.score_bands().items())], "  "))
        if stats.rule_findings:
            lines.append(("top rules: ", [f"{c} {shown(stats.rule_names[c])} ×{n}"
                                          for c, n in stats.rule_findings.most_common(5)], ", "))
        agents = stats.agent_rows(limit=5)
        if agents:
            lines.append(("agents: ", [f"{shown(a['agent'])} {a['conversations']} conv, median score "
                                       f"{a['median_score']:.0f}" + (f", median first reply "
                                                                     f"{human_seconds(a['median_first_reply'])}"
                                                                     if a["median_first_reply"] is not None else "")
                                       for a in agents], "; "))
        for label, parts, sep in lines:
            line = label + sep.join(parts)
            if len(line) <= console.width:
                console.print(line, soft_wrap=True)
                continue
            if sep.strip():  # a list: one item per line
                console.print(label.rstrip(), soft_wrap=True)
                for part in parts:
                    console.print("  " + part, soft_wrap=True)
                continue
            line = label + parts[0]  # counts: as many per line as fit
            for part in parts[1:]:
                if len(line) + len(sep) + len(part) > console.width:
                    console.print(line, soft_wrap=True)
                    line = "  " + part
                else:
                    line += sep + part
            console.print(line, soft_wrap=True)
