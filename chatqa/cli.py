"""The ``chatqa`` command line (heavy modules are imported inside the commands)."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any, NoReturn

import click

EXIT_OK, EXIT_FAILED_CHECK, EXIT_USAGE, EXIT_PARSE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".txt": "table",
                   ".parquet": "parquet", ".html": "html", ".htm": "html"}
CHECK_FORMATS = ["table", "jsonl", "json", "csv", "parquet", "html"]
_STDOUT_USED = False  # set once results go to stdout (then an interrupted run has written part of them)


def _pairs(values: Iterable[str], option: str) -> dict[str, str]:
    """Parse ``a=b,c=d`` (repeatable) into a dict."""
    out: dict[str, str] = {}
    for value in values:
        for item in filter(None, (p.strip() for p in value.split(","))):
            key, sep, val = item.partition("=")
            if not sep or not key.strip() or not val.strip():
                raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
            out[key.strip()] = val.strip()
    return out


def _parse_options(map_: tuple[str, ...], role_map: tuple[str, ...], bots: tuple[str, ...], timezone: str | None,
                   time_format: str | None, config: Any = None) -> Any:
    """ParseOptions from the config file, overridden by the command-line flags."""
    from pydantic import ValidationError

    from .parsers import ParseOptions
    from .parsers.csvmap import FIELDS

    columns = {**(config.csv.columns if config else {}), **_pairs(map_, "--map")}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise click.BadParameter(f"unknown field(s) {', '.join(unknown)}; fields: {', '.join(FIELDS)}",
                                 param_hint="--map")
    roles = {**(config.csv.roles if config else {}), **_pairs(role_map, "--role-map")}
    bot_ids = {b.strip() for v in bots for b in v.split(",") if b.strip()} | set(config.bots if config else ())
    try:
        return ParseOptions(
            columns=columns, roles=roles, time_format=time_format or (config.csv.time_format if config else None),
            timezone=timezone or (config.timezone if config else "UTC"), bot_ids=frozenset(bot_ids),
        )
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = {"roles": "--role-map", "timezone": "--timezone"}.get(str(err["loc"][0]), "option")
        raise click.BadParameter(err["msg"].removeprefix("Value error, "), param_hint=where) from None


def _input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by every command that reads exports."""
    for option in reversed([
        click.option("--vendor", default="auto", show_default=True, metavar="auto|NAME",
                     help="Input format; `auto` detects it per file (see `chatqa formats`)."),
        click.option("--map", "map_", multiple=True, metavar="FIELD=COLUMN,...",
                     help="CSV column mapping, e.g. conversation=ticket_id,role=sender_type,time=created,"
                          "text=body,author=agent_name."),
        click.option("--role-map", multiple=True, metavar="VALUE=ROLE,...",
                     help="CSV role values, e.g. Staff=agent,Visitor=customer,Bot=bot."),
        click.option("--time-format", metavar="STRPTIME", help="CSV time format, e.g. '%d/%m/%Y %H:%M'."),
        click.option("--timezone", metavar="ZONE", help="Zone of naive times (default UTC), e.g. Europe/Berlin."),
        click.option("--bots", multiple=True, metavar="ID,...", help="Author ids to treat as bots."),
        click.option("--errors", "errors_file", type=click.Path(dir_okay=False, path_type=Path),
                     help="Also write parse failures to this file as JSONL."),
    ]):
        func = option(func)
    return func


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"chatqa: error: {message}", err=True)
    sys.exit(code)


def _check_output_path(output: Path | None, paths: Iterable[str], errors_file: Path | None = None) -> None:
    """Refuse an output file (-o or --errors) that is one of the inputs, or a file inside an input
    folder, however it is named (relative path, symlink, hard link)."""
    for option, target in (("-o", output), ("--errors", errors_file)):
        if target is None or not os.path.lexists(target):
            continue
        real = os.path.realpath(target)
        for given in paths:
            if os.path.isdir(given):
                inside = real.startswith(os.path.realpath(given).rstrip(os.sep) + os.sep)
            else:
                try:
                    inside = os.path.samefile(given, target)
                except OSError:
                    inside = os.path.realpath(given) == real
            if inside:
                _fail(f"{option} {target}: refusing to overwrite an input file")


class _Cli(click.Group):
    """Turn unexpected errors into one line and Ctrl-C into exit 130."""

    def invoke(self, ctx: click.Context) -> Any:
        from .errors import ChatqaError

        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # a file output is renamed into place only when complete; stdout may be partly written
            what = "the output is incomplete" if _STDOUT_USED else "no output was written"
            click.echo(f"chatqa: interrupted; {what}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except ChatqaError as exc:
            message = str(exc)
            if ": error: " in message:  # already "FILE: error: KEY: REASON", like parse failures
                click.echo(message, err=True)
                sys.exit(EXIT_USAGE)
            _fail(message)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(EXIT_OK)
        except Exception as exc:
            if os.environ.get("CHATQA_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (set CHATQA_DEBUG=1 for a traceback)",
                  EXIT_INTERNAL)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="chatqa")
def main() -> None:
    """Audit customer-support chat transcripts exported from chat vendors.

    Start with `chatqa check PATH...` (files or folders; gzip is read transparently).
    """


def _rule_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options choosing and configuring the rules."""
    for option in reversed([
        click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
                     help="Config file (default: the nearest chatqa.toml or pyproject.toml [tool.chatqa])."),
        click.option("--select", multiple=True, metavar="RULES",
                     help="Rules to run: codes, prefixes, names or groups, comma-separated (replaces config)."),
        click.option("--ignore", multiple=True, metavar="RULES",
                     help="Rules to skip: codes, prefixes, names or groups, comma-separated (replaces config)."),
    ]):
        func = option(func)
    return func


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items or None


def _config(config_path: Path | None, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
            **overrides: Any) -> Any:
    from .config import load_config

    return load_config(config_path, select=_split(select), ignore=_split(ignore), **overrides)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@_rule_options
@click.option("--format", "fmt", type=click.Choice(CHECK_FORMATS),
              help="Output format (default: from -o's suffix, else table on a terminal, else jsonl).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="SCORE",
              help="Exit 1 if any conversation scores below SCORE.")
@click.option("--fail-on", type=click.Choice(["suggestion", "warning", "error"]),
              help="Exit 1 if any finding is at this level or above.")
@click.option("--no-redact", is_flag=True, help="Keep emails and phone numbers in quotes (card numbers are always masked).")
@click.option("--jobs", "-j", default="1", show_default=True, metavar="N",
              help="Worker processes (auto: one per CPU); results and their order are the same.")
def check(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str | None,
          output: Path | None, fail_under: float | None, fail_on: str | None, no_redact: bool, jobs: str) -> None:
    """Check transcripts: metrics, findings and a score per conversation.

    Exit codes: 0 fine, 1 --fail-under/--fail-on triggered, 2 usage or config error,
    3 some inputs could not be parsed (everything else was still processed).
    """
    from .engine import Engine
    from .parallel import ParallelLoader, job_count

    try:
        workers = job_count(jobs)
    except ValueError:
        _fail(f"--jobs: expected a number of processes or auto, got {jobs!r}")
    config = _config(config_path, select, ignore, fail_under=fail_under, fail_on=fail_on,
                     redact=False if no_redact else None)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(output, paths, errors_file)
    fmt = fmt or _default_format(output)
    engine = Engine(config)
    gc.freeze()  # what is loaded so far lives for the whole run: keep it out of collections
    keep = _writer_class(fmt).needs_transcripts
    with contextlib.ExitStack() as stack:
        if workers > 1:
            # Workers are forked before the progress line starts its thread.
            loader: Any = stack.enter_context(ParallelLoader(engine, paths, vendor, options, workers, keep))
            loader.on_failure = _echo
        else:
            loader = _loader(paths, vendor, options)
        progress = stack.enter_context(_progress(enabled=fmt != "jsonl" or output is not None))
        gate = _Gate(config.fail_under, config.fail_on)
        with _output(output) as stream:
            writer = _writer(fmt, stream, output, engine, redact_personal=config.redact)
            if workers > 1:
                results = engine.reduce(progress.track(loader, "reading"), keep_transcripts=keep)
            else:
                results = engine.run(progress.track(loader, "reading"), keep_transcripts=keep)
            for result in progress.track(results, "checking" if engine.corpus_rules else ""):
                gate.see(result)
                writer.write(result)
            progress.stop()
            writer.close(loader.summary())
    _finish(loader, errors_file)
    if gate.triggered:
        click.echo(f"chatqa: {gate.triggered}", err=True)
        sys.exit(EXIT_FAILED_CHECK)


class _progress:
    """A transient progress line on stderr for runs on a terminal (a no-op otherwise)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}: {task.completed:,} conversations"),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)

    def __enter__(self) -> _progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None

    def track(self, items: Iterable[Any], label: str) -> Iterable[Any]:
        """Count `items` under `label` as they pass (no label: pass them through)."""
        if self.bar is None or not label:
            return items
        task = self.bar.add_task(label, total=None)

        def counted() -> Iterable[Any]:
            for item in items:
                yield item
                if self.bar is not None:
                    self.bar.advance(task)

        return counted()


class _Gate:
    """--fail-under / --fail-on: remembers the first result that trips them."""

    def __init__(self, fail_under: float | None, fail_on: Any) -> None:
        from .results import Level

        self.fail_under = fail_under
        self.fail_on = Level(fail_on) if fail_on else None
        self.triggered = ""
        self.count = 0

    def see(self, result: Any) -> None:
        hit = ""
        if self.fail_under is not None and result.score is not None and result.score < self.fail_under:
            hit = f"score {result.score:g} is below --fail-under {self.fail_under:g}"
        elif self.fail_on is not None and any(f.level.rank >= self.fail_on.rank for f in result.findings):
            hit = f"a finding at level {self.fail_on.value} or above"
        if hit:
            self.count += 1
            if not self.triggered:
                self.triggered = f"{result.id}: {hit}"
        if self.count > 1:
            self.triggered = self.triggered.split(" (and ")[0] + f" (and {self.count - 1} more conversation(s))"


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@click.option("--format", "fmt", type=click.Choice(["chatqa"]), default="chatqa", show_default=True,
              help="Export format: chatqa's neutral JSONL.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
@click.option("--no-redact", is_flag=True, help="Keep emails and phone numbers (card numbers are always masked).")
def export(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
           time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
           fmt: str, output: Path | None, no_redact: bool) -> None:
    """Convert exports to chatqa's neutral JSONL, redacted so it is safe to share."""
    import orjson

    from .parsers.neutral import to_neutral

    options = _parse_options(map_, role_map, bots, timezone, time_format)
    _check_output_path(output, paths, errors_file)
    loader = _loader(paths, vendor, options)
    with _output(output) as stream:
        for transcript in loader:
            stream.write(orjson.dumps(to_neutral(transcript, redact_personal=not no_redact)) + b"\n")
    _finish(loader, errors_file)


def _report(paths: tuple[str, ...], vendor: str, options: Any, config: Any) -> Any:
    """Analyze the inputs into a Report, printing parse failures on stderr."""
    from .report import analyze

    report = analyze(list(paths), config, vendor, **options.model_dump(exclude_defaults=True))
    for failure in report.failures:
        click.echo(str(failure), err=True)
    return report


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@_rule_options
@click.option("-n", "count", type=click.IntRange(min=0), required=True, help="How many conversations to pick.")
@click.option("--strategy", type=click.Choice(["random", "stratified", "risk"]), default="random", show_default=True,
              help="random; stratified by --by; risk (low scores weighted up, critical findings always in).")
@click.option("--by", metavar="FIELD", help="Column to stratify by: agent, vendor, tags (first tag), ...")
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
    """Pick conversations for human review and write the review queue, with a reason per pick."""
    import orjson

    from .engine import Engine
    from .sampling import SampleError
    from .sampling import sample as pick

    config = _config(config_path, select, ignore)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(output, paths, errors_file)
    critical = frozenset(Engine(config).scorer.critical)
    report = _report(paths, vendor, options, config)
    try:
        queue = pick(report.conversations, count, strategy, by=by, per_agent=per_agent, seed=seed,  # type: ignore[arg-type]
                     min_words=min_words, both_sides=both_sides, allocation=allocation,  # type: ignore[arg-type]
                     findings=report.findings, critical=critical)
    except SampleError as exc:
        _fail(str(exc))
    with _output(output) as stream:
        if output is not None and output.suffix.lower() in (".jsonl", ".ndjson"):
            for row in queue.to_dict("records"):
                stream.write(orjson.dumps({k: (None if v is None or v != v else v) for k, v in row.items()}) + b"\n")
        else:
            stream.write(queue.to_csv(index=False).encode("utf-8"))
    if len(queue) < count:
        click.echo(f"chatqa: picked {len(queue)} of {count}: {queue.attrs['eligible']} conversations are eligible"
                   + (f" and at most {per_agent} per agent" if per_agent else ""), err=True)
    _finish(_Failures(report), errors_file)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--human", "labels", type=click.Path(dir_okay=False, exists=True, path_type=Path), required=True,
              help="Labels CSV: conversation_id,code,present (1/0), optional human_score.")
@_input_options
@_rule_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def agree(paths: tuple[str, ...], labels: Path, vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str) -> None:
    """Compare chatqa's findings with a human reviewer's labels: precision, recall, kappa per rule."""
    import orjson

    from .calibration import agreement

    config = _config(config_path, select, ignore)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(None, paths, errors_file)
    report = _report(paths, vendor, options, config)
    result = agreement(report, labels)
    for problem in result["problems"]:
        click.echo(problem, err=True)
    if fmt == "json":
        sys.stdout.buffer.write(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _agreement_table(result)
    _finish(_Failures(report), errors_file)


def _agreement_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    def fmt(value: Any) -> str:
        return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)

    console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
    table = Table(title="agreement with human labels", header_style="bold")
    for name in ("rule", "n", "tp", "fp", "fn", "tn", "precision", "recall", "kappa"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for code, s in result["rules"].items():
        table.add_row(code, *(fmt(s[k]) for k in ("n", "tp", "fp", "fn", "tn", "precision", "recall", "kappa")))
    console.print(table)
    scores = result["scores"]
    console.print(f"score vs human score: Spearman {fmt(scores['spearman'])} over {scores['n']} conversations")
    missing = result["missing"]
    if missing["conversations_not_in_run"]:
        console.print(f"labelled conversations not in the run ({len(missing['conversations_not_in_run'])}): "
                      + ", ".join(missing["conversations_not_in_run"][:10]))
    if missing["codes_not_checked"]:
        console.print("labelled codes chatqa did not check: " + ", ".join(missing["codes_not_checked"]))
    console.print(f"conversations without labels: {missing['conversations_without_labels']}; "
                  f"rules without labels: {', '.join(missing['rules_without_labels']) or 'none'}")


class _Failures:
    """A Report seen as a loader by `_finish` (its failures)."""

    def __init__(self, report: Any) -> None:
        self.failures = report.failures


@main.command()
@_rule_options
def rules(config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    """List the rule catalogue (and which rules the config selects)."""
    from rich.console import Console
    from rich.table import Table

    from .engine import Engine

    engine = Engine(_config(config_path, select, ignore))
    chosen = {r.code for r in engine.rules}
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    wide = console.width >= 120
    table = Table(title="chatqa rules", header_style="bold")
    for column in ("code", "name", "group", "level", "kind", "on"):
        table.add_column(column, no_wrap=True)
    if wide:
        table.add_column("what it flags", overflow="fold", min_width=20)
    for rule in engine.catalogue:
        level = rule.level.value + (" (critical)" if rule.code in engine.scorer.critical else "")
        row = [rule.code, rule.name, rule.group, level, rule.kind, "yes" if rule.code in chosen else "no"]
        if wide:
            row.append(" ".join(rule.description.split(". ")[0].split()).rstrip(".") + ".")
        table.add_row(*row)
    console.print(table)


@main.command()
@click.argument("rule", required=False, metavar="CODE|NAME")
@click.option("--scoring", is_flag=True, help="Print the scoring formula instead.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Config file (default: the nearest chatqa.toml or pyproject.toml [tool.chatqa]).")
def explain(rule: str | None, scoring: bool, config_path: Path | None) -> None:
    """Explain a rule (description, examples, thresholds, YAML) or, with --scoring, the score."""
    from .engine import Engine

    engine = Engine(_config(config_path))
    if scoring:
        click.echo(engine.scorer.explain())
        return
    if not rule:
        _fail("give a rule code or name (see `chatqa rules`), or --scoring")
    found = next((r for r in engine.catalogue if rule in (r.code, r.name) or rule.upper() == r.code), None)
    if found is None:
        _fail(f"unknown rule {rule!r} (see `chatqa rules`)")
    click.echo(_explain_rule(found, engine))


def _explain_rule(rule: Any, engine: Any) -> str:
    import yaml

    critical = " (critical: any finding sets the score to 0)" if rule.code in engine.scorer.critical else ""
    out = [f"{rule.code} {rule.name}  [{rule.group}, {rule.level.value}{critical}, kind {rule.kind}]", "",
           rule.description.strip(), "", "Flags:"]
    out += [f"  - {ex}" for ex in rule.examples.bad]
    out += ["Accepts:"] + [f"  - {ex}" for ex in rule.examples.good]
    common = {"code", "kind", "level", "message", "description", "examples", "critical"}
    settings = {k: v for k, v in rule.model_dump(exclude=common).items()
                if not isinstance(v, list) or len(v) <= 3}
    if settings:
        out += ["", "Settings (override in [tool.chatqa.rules." + rule.name + "]):"]
        out += [f"  {k} = {v!r}" for k, v in settings.items()]
    out += ["", f"Rule file: {rule.path}", "", Path(rule.path).read_text(encoding="utf-8").rstrip()
            if Path(rule.path).is_file() else yaml.safe_dump(rule.model_dump(), sort_keys=False)]
    return "\n".join(out)


@main.command()
def formats() -> None:
    """List the input formats chatqa reads (and that `--vendor auto` detects)."""
    from rich.console import Console
    from rich.table import Table

    from .parsers import all_parsers

    table = Table(title="chatqa input formats", header_style="bold")
    table.add_column("name")
    table.add_column("syntax")
    table.add_column("what")
    for parser in sorted(all_parsers(), key=lambda p: p.name):
        table.add_row(parser.name, "/".join(sorted(parser.syntaxes)), parser.summary)
    Console(highlight=False).print(table)


def _default_format(output: Path | None) -> str:
    if output is not None:
        return OUTPUT_SUFFIXES.get(output.suffix.lower(), "jsonl")
    return "table" if sys.stdout.isatty() else "jsonl"


def _loader(paths: tuple[str, ...], vendor: str, options: Any) -> Any:
    """A Loader that prints each parse failure on stderr as it is met, and goes on."""
    from .parsers import Loader

    loader = Loader(paths, vendor=vendor, options=options, errors="collect")
    loader.on_failure = _echo
    return loader


def _echo(failure: Any) -> None:
    click.echo(str(failure), err=True)


def _output(output: Path | None) -> Any:
    from .outputs import atomic_output

    global _STDOUT_USED
    _STDOUT_USED = _STDOUT_USED or output is None

    return atomic_output(output, sys.stdout.buffer)


def _writer_class(fmt: str) -> Any:
    from . import outputs

    if fmt == "table":
        from .table import TableWriter

        return TableWriter
    if fmt == "html":
        from .html import HtmlWriter

        return HtmlWriter
    return {"jsonl": outputs.JsonlWriter, "json": outputs.JsonWriter, "csv": outputs.CsvWriter,
            "parquet": outputs.ParquetWriter}[fmt]


def _writer(fmt: str, stream: IO[bytes], output: Path | None, engine: Any, redact_personal: bool = True) -> Any:
    cls = _writer_class(fmt)
    if fmt == "table":
        return cls(stream, color=output is None and sys.stdout.isatty(), redact_personal=redact_personal)
    if fmt == "html":
        return cls(stream, engine.rules, scorecard=engine.config.scorecard.version,
                   critical=frozenset(engine.scorer.critical), redact_personal=redact_personal)
    return cls(stream)


def _finish(loader: Any, errors_file: Path | None) -> None:
    if errors_file is not None:
        import orjson

        from .outputs import atomic_output

        with atomic_output(errors_file, sys.stdout.buffer) as stream:
            for failure in loader.failures:
                stream.write(orjson.dumps(failure.model_dump()) + b"\n")
    if loader.failures:
        sys.exit(EXIT_PARSE)


if __name__ == "__main__":  # pragma: no cover
    main()
