"""The other commands: export, sample, agree, rules, explain, formats."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import (
    FailureLog,
    _check_output_path,
    _config,
    _fail,
    _finish,
    _input_options,
    _loader,
    _output,
    _parse_options,
    _rule_options,
    _stdin,
    main,
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True), callback=_stdin)
@_input_options
@click.option("--format", "fmt", type=click.Choice(["chatqa"]), default="chatqa", show_default=True,
              help="Export format: chatqa's neutral JSONL.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
@click.option("--no-redact", is_flag=True,
              help="Keep people's names and ids, emails and phone numbers (card numbers are always masked).")
def export(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
           time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
           fmt: str, output: Path | None, no_redact: bool) -> None:
    """Convert exports to chatqa's neutral JSONL, redacted so it is safe to share: people
    pseudonymised (customer-1, agent-3: one person, one pseudonym in the run), emails, phone
    and card numbers masked; checking the export gives the findings checking the originals does."""
    import orjson

    from ..parsers.neutral import to_neutral
    from ..pseudonyms import Pseudonyms

    options = _parse_options(map_, role_map, bots, timezone, time_format)
    _check_output_path(output, paths, errors_file)
    people = Pseudonyms()  # one person, one pseudonym in the whole run
    with FailureLog(errors_file) as log, _output(output) as stream:
        for transcript in _loader(paths, vendor, options, log):
            record = to_neutral(transcript, redact_personal=not no_redact, people=people)
            stream.write(orjson.dumps(record) + b"\n")
    _finish(log)


def _report(paths: tuple[str, ...], vendor: str, options: Any, config: Any, errors_file: Path | None
            ) -> tuple[Any, FailureLog]:
    """Analyze the inputs into a Report, its parse failures on stderr (and in `errors_file`)."""
    from ..report import run_report

    report = run_report(list(paths), config, vendor, options)
    with FailureLog(errors_file) as log:
        log.replay(report.summary)
    return report, log


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True), callback=_stdin)
@_input_options
@_rule_options
@click.option("-n", "count", type=click.IntRange(min=0), required=True, help="How many conversations to pick.")
@click.option("--strategy", type=click.Choice(["random", "stratified", "risk"]), default="random", show_default=True,
              help="random; stratified by --by; risk (low scores weighted up, critical findings always in).")
@click.option("--by", metavar="FIELD", help="Column to stratify by: agent, vendor, channel, tags (first tag), ...")
@click.option("--allocation", type=click.Choice(["proportional", "equal"]), default="proportional",
              show_default=True, help="How --strategy stratified shares n between strata.")
@click.option("--per-agent", type=click.IntRange(min=1), metavar="K", help="Never more than K per agent.")
@click.option("--seed", type=int, help="Seed for a reproducible sample (one is drawn and shown if omitted).")
@click.option("--min-words", type=click.IntRange(min=0), metavar="W", help="Only conversations with W+ words.")
@click.option("--both-sides", is_flag=True, help="Only conversations where customer and agent both wrote.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="The review queue: .csv or .jsonl (default: CSV on stdout).")
def sample(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
           time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
           config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], count: int,
           strategy: str, by: str | None, allocation: str, per_agent: int | None, seed: int | None,
           min_words: int | None, both_sides: bool, output: Path | None) -> None:
    """Pick conversations for human review and write the review queue, with a reason per pick.

    The queue is the labels file for `chatqa agree`: fill in its empty human_score column and
    the column of each rule (1 present, 0 absent, empty: not labelled)."""
    from ..labels import write_queue
    from ..sampling import SampleError
    from ..sampling import sample as pick

    config = _config(config_path, select, ignore)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(output, paths, errors_file)
    suffix = output.suffix.lower() if output is not None else ".csv"
    if suffix not in _QUEUE_SUFFIXES:  # refused before the run, not guessed after it
        what = f"not {output.suffix!r}" if output and output.suffix else "the file name has no suffix"
        _fail(f"-o {output}: a review queue is .csv, or .jsonl / .ndjson for JSON Lines ({what})")
    report, log = _report(paths, vendor, options, config, errors_file)
    try:
        queue = pick(report, count, strategy, by=by, per_agent=per_agent, seed=seed,  # type: ignore[arg-type]
                     min_words=min_words, both_sides=both_sides, allocation=allocation)  # type: ignore[arg-type]
    except SampleError as exc:
        argument, _, reason = str(exc).partition(": ")
        _fail(f"{_SAMPLE_FLAGS.get(argument, argument)}: {reason}")
    with _output(output) as stream:
        write_queue(queue, stream, jsonl=suffix != ".csv")
    if len(queue) < count:
        click.echo(f"chatqa: picked {len(queue)} of {count}: {queue.attrs['eligible']} conversations are eligible"
                   + (f" and at most {per_agent} per agent" if per_agent else ""), err=True)
    _finish(log)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True), callback=_stdin)
@click.option("--human", "labels", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Labels: a review queue from `chatqa sample`, filled in (CSV or JSONL), or a CSV "
                   "conversation_id,code,present (1/0), optional human_score.")
@_input_options
@_rule_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def agree(paths: tuple[str, ...], labels: Path, vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str) -> None:
    """Compare chatqa's findings with a human reviewer's labels: precision, recall, kappa per rule.

    The labels are a review queue from `chatqa sample`, filled in, as it is (codes or rule
    names as columns; empty cells are not labelled), or rows conversation_id,code,present."""
    import orjson

    from ..calibration import agreement

    config = _config(config_path, select, ignore)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(None, paths, errors_file)
    report, log = _report(paths, vendor, options, config, errors_file)
    result = agreement(report, labels)
    for problem in result["problems"]:
        click.echo(problem, err=True)
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _agreement_table(result)
    _finish(log)


def _agreement_table(result: dict[str, Any]) -> None:
    from rich.table import Table

    from ..terminal import console as terminal_console
    from ..terminal import shown

    def fmt(value: Any) -> str:
        return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else shown(value)

    console = terminal_console(width=None if sys.stdout.isatty() else 120)
    table = Table(title="agreement with human labels", header_style="bold")
    for name in ("rule", "n", "tp", "fp", "fn", "tn", "precision", "recall", "kappa"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for code, s in result["rules"].items():
        table.add_row(shown(code), *(fmt(s[k]) for k in ("n", "tp", "fp", "fn", "tn", "precision", "recall", "kappa")))
    console.print(table)
    scores = result["scores"]
    console.print(f"score vs human score: Spearman {fmt(scores['spearman'])} over {scores['n']} conversations")
    missing = result["missing"]
    if missing["conversations_not_in_run"]:
        console.print(f"labelled conversations not in the run ({len(missing['conversations_not_in_run'])}): "
                      + shown(", ".join(missing["conversations_not_in_run"][:10])))
    if missing["unknown_rules"]:
        console.print("labelled rules chatqa has not got: " + shown(", ".join(missing["unknown_rules"])))
    if missing["codes_not_checked"]:
        console.print("labelled codes chatqa did not check: " + shown(", ".join(missing["codes_not_checked"])))
    if missing["rows_not_labelled"]:
        console.print(f"rows not labelled yet (every cell empty): {missing['rows_not_labelled']}")
    console.print(f"conversations without labels: {missing['conversations_without_labels']}; "
                  f"rules without labels: {', '.join(missing['rules_without_labels']) or 'none'}")


_QUEUE_SUFFIXES = (".csv", ".jsonl", ".ndjson")
_SAMPLE_FLAGS = {"n": "-n", "by": "--by", "per_agent": "--per-agent", "strategy": "--strategy",
                 "allocation": "--allocation", "rules": "--select"}


@main.command()
@_rule_options
def rules(config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """List the rule catalogue (and which rules the config selects)."""
    from ..run import engine_for
    from ..terminal import console as terminal_console
    from ..terminal import width as terminal_width

    engine = engine_for(_config(config_path, select, ignore))
    console = terminal_console(width=terminal_width(sys.stdout.isatty(), 160))
    console.print(_rules_table(engine, console.width))


def _rules_table(engine: Any, width: int) -> Any:
    """The catalogue fitted to `width`: codes and names are never cut; the description, then
    the kind and the group, make room first."""
    from rich.table import Table

    from ..write.table_layout import Column, fit

    chosen = {r.code for r in engine.rules}
    columns = [Column("code"), Column("name"), Column("group", keep=30), Column("level", keep=90),
               Column("kind", keep=20), Column("on", keep=80), Column("what it flags", keep=10, wrap=True)]
    for rule in engine.catalogue:
        level = rule.level.value + (" (critical)" if rule.code in engine.scorer.critical else "")
        flags = " ".join(rule.description.split(". ")[0].split()).rstrip(".") + "."
        for column, cell in zip(columns, [rule.code, rule.name, rule.group, level, rule.kind,
                                          "yes" if rule.code in chosen else "no", flags], strict=True):
            column.cells.append(cell)
    table = Table(title="chatqa rules", header_style="bold")
    fitted = fit(columns, width)
    for column, size in fitted:
        table.add_column(column.header, width=size, no_wrap=not column.wrap,
                         overflow="fold" if column.wrap else "ellipsis")
    for i in range(len(engine.catalogue)):
        table.add_row(*(column.cells[i] for column, _ in fitted))
    return table


@main.command()
@click.argument("rule", required=False, metavar="CODE|NAME")
@click.option("--scoring", is_flag=True, help="Print the scoring formula instead.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Config file (default: the nearest chatqa.toml or pyproject.toml [tool.chatqa]).")
def explain(rule: str | None, scoring: bool, config_path: Path | None) -> None:
    """Explain a rule (description, examples, thresholds, YAML) or, with --scoring, the score."""
    from ..run import engine_for

    config = _config(config_path)
    engine = engine_for(config)
    if scoring:
        click.echo(engine.scorer.explain())
        if figures := _judged_figures(engine):
            click.echo(figures)
        return
    if not rule:
        _fail("give a rule code or name (see `chatqa rules`), or --scoring")
    found = next((r for r in engine.catalogue if rule in (r.code, r.name) or rule.upper() == r.code), None)
    if found is None:
        from ..suggest import did_you_mean

        hint = did_you_mean(rule, [k for r in engine.catalogue for k in (r.code, r.name)])
        _fail(f"unknown rule {rule!r}{hint} (see `chatqa rules`)")
    click.echo(_explain_rule(found, engine, config))


def _judged_figures(engine: Any) -> str:
    """Which response-time figures the timing rules judge under this configuration."""
    from ..kinds.timing import LatencyRule

    timing = [r for r in engine.rules if isinstance(r, LatencyRule)]
    if not timing:
        return ""
    calendar = engine.calendar
    head = ("\nResponse times: judged in business hours (" + calendar.describe() + "); the all-hours figures "
            "stay in the output." if calendar is not None else
            "\nResponse times: judged in all hours (no [tool.chatqa.business_hours] calendar).")
    return "\n".join([head, *(f"  {r.code} {r.name}: {r.figure(calendar is not None)}" for r in timing)])


def _explain_rule(rule: Any, engine: Any, config: Any) -> str:
    import yaml

    critical = " (critical: any finding sets the score to 0)" if rule.code in engine.scorer.critical else ""
    out = [f"{rule.code} {rule.name}  [{rule.group}, {rule.level.value}{critical}, kind {rule.kind}]", "",
           rule.description.strip(), "", "Flags:"]
    out += [f"  - {ex}" for ex in rule.examples.bad]
    out += ["Accepts:"] + [f"  - {ex}" for ex in rule.examples.good]
    if rule.channels is None:
        out += ["", "Channels: all (set channels = [...] to judge only some)"]
    else:
        out += ["", f"Channels: {', '.join(c.value for c in rule.channels)} (elsewhere not applicable; "
                    "override with channels = [...])"]
    out += rule.describe()
    common = {"code", "kind", "level", "message", "description", "examples", "critical", *rule.described}
    settings = {k: v for k, v in rule.model_dump(mode="json", exclude=common).items()
                if not isinstance(v, list) or len(v) <= 3}
    if settings:
        from .toml_out import settings_table, table_header

        where = config.source or "chatqa.toml or pyproject.toml"  # (the config loaded: equal ones share an engine)
        out += ["", f"Settings, as TOML for {where} (change them there):", ""]
        out += settings_table(table_header(config.table if config.source else "tool.chatqa", "rules", rule.name),
                              settings)
    out += ["", f"Rule file: {rule.path}", "", Path(rule.path).read_text(encoding="utf-8").rstrip()
            if Path(rule.path).is_file() else yaml.safe_dump(rule.model_dump(), sort_keys=False)]
    return "\n".join(out)


@main.command()
def formats() -> None:
    """List the input formats chatqa reads (and that `--vendor auto` detects): each one's
    channel and an example of what it reads. Any of them may come in an API page, a webhook
    body, gzip or a ZIP archive."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from ..parsers import all_parsers

    console = Console(highlight=False)
    table = Table(title="chatqa input formats", header_style="bold", show_lines=True)
    table.add_column("name", no_wrap=True)
    table.add_column("channel", max_width=max(28, console.width // 4))
    table.add_column("what it reads", overflow="fold")
    for parser in sorted(all_parsers(), key=lambda p: p.name):
        what = Text(f"{parser.summary} ({'/'.join(sorted(parser.syntaxes))})")
        if parser.example:
            what.append(f"\n{parser.example}", style="dim")
        table.add_row(parser.name, parser.channels or parser.channel.value, what)
    console.print(table)
    console.print("Also read: API pages (data, records, results, tickets, conversations, items: streamed when big), "
                  "webhook bodies, gzip files and ZIP archives (each member like a file in a folder).",
                  soft_wrap=True)
