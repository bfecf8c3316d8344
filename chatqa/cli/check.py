"""``chatqa check``: one run over the inputs, written in any registered output format."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from . import (
    EXIT_FAILED_CHECK,
    FailureLog,
    _check_output_path,
    _config,
    _fail,
    _finish,
    _input_options,
    _output,
    _parse_options,
    _rule_options,
    main,
)


def _formats() -> list[str]:
    from ..write import formats

    return formats()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@_input_options
@_rule_options
@click.option("--format", "fmt", type=click.Choice(_formats()),
              help="Output format (default: from -o's suffix, else table on a terminal, else jsonl).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (atomically).")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="SCORE",
              help="Exit 1 if any conversation scores below SCORE.")
@click.option("--fail-on", type=click.Choice(["suggestion", "warning", "error"]),
              help="Exit 1 if any finding is at this level or above.")
@click.option("--no-redact", is_flag=True,
              help="Keep emails and phone numbers in quotes (card numbers are always masked).")
@click.option("--channel", type=click.Choice(["chat", "messaging", "social", "email", "voice"], case_sensitive=False),
              help="Judge every conversation as this channel, whatever the export says (thresholds and rules "
                   "follow the channel).")
@click.option("--jobs", "-j", default="1", show_default=True, metavar="N",
              help="Worker processes (auto: one per CPU); results and their order are the same.")
def check(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str | None,
          output: Path | None, fail_under: float | None, fail_on: str | None, no_redact: bool, channel: str | None,
          jobs: str) -> None:
    """Check transcripts: metrics, findings and a score per conversation.

    Exit codes: 0 fine, 1 --fail-under/--fail-on triggered, 2 usage or config error,
    3 some inputs could not be parsed (everything else was still processed).
    """
    from ..executors import Processes, job_count
    from ..report import writer_options
    from ..run import Run, Serial, engine_for
    from ..write import for_suffix, registry

    try:
        workers = job_count(jobs)
    except ValueError:
        _fail(f"--jobs: expected a number of processes or auto, got {jobs!r}")
    config = _config(config_path, select, ignore, fail_under=fail_under, fail_on=fail_on,
                     redact=False if no_redact else None, channel=channel.lower() if channel else None)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(output, paths, errors_file)
    fmt = fmt or (for_suffix(output) or "jsonl" if output is not None else "table" if sys.stdout.isatty() else "jsonl")
    writer_class = registry.get(fmt)
    keep = writer_class.needs_transcripts
    engine = engine_for(config)
    gc.freeze()  # what is loaded so far lives for the whole run: keep it out of collections
    executor: Any = Processes(workers, config, options, keep) if workers > 1 else Serial()
    with contextlib.ExitStack() as stack:
        stack.enter_context(executor)  # workers are forked before the progress line starts its thread
        log = stack.enter_context(FailureLog(errors_file))
        progress = stack.enter_context(_Progress(enabled=fmt != "jsonl" or output is not None))
        gate = _Gate(config.fail_under, config.fail_on)
        run = Run(paths, engine, executor, vendor=vendor, options=options, keep=keep, on_failure=log)
        with _output(output) as stream:
            writer = writer_class(stream, writer_options(engine, color=output is None and sys.stdout.isatty()))
            for result in progress.track(run, "checking"):
                gate.see(result)
                writer.write(result)
            progress.stop()
            writer.close(run.summary)
    _finish(log)
    if gate.triggered:
        click.echo(f"chatqa: {gate.triggered}", err=True)
        sys.exit(EXIT_FAILED_CHECK)


class _Progress:
    """A transient progress line on stderr for runs on a terminal (a no-op otherwise)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            from ..terminal import console

            self.bar = Progress(SpinnerColumn(), TextColumn("{task.description}: {task.completed:,} conversations",
                                                            markup=False),
                                TimeElapsedColumn(), console=console(stderr=True), transient=True)

    def __enter__(self) -> _Progress:
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
        """Count `items` under `label` as they pass."""
        if self.bar is None:
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
        from ..results import Level

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
