"""``chatqa check``: one run over the inputs, written in any registered output format."""

from __future__ import annotations

import contextlib
import dataclasses
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
    _echo,
    _fail,
    _finish,
    _input_options,
    _output,
    _parse_options,
    _rule_options,
    _stdin,
    main,
)


def _formats() -> list[str]:
    from ..write import formats

    return formats()


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(allow_dash=True), callback=_stdin)
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
@click.option("--top", type=click.IntRange(min=0), default=50, show_default=True, metavar="N",
              help="How many conversations the table shows, the worst first (its summary covers them all).")
@click.option("--jobs", "-j", default="1", show_default=True, metavar="N",
              help="Worker processes (auto: one per CPU); results and their order are the same.")
def check(paths: tuple[str, ...], vendor: str, map_: tuple[str, ...], role_map: tuple[str, ...],
          time_format: str | None, timezone: str | None, bots: tuple[str, ...], errors_file: Path | None,
          config_path: Path | None, select: tuple[str, ...], ignore: tuple[str, ...], fmt: str | None,
          output: Path | None, fail_under: float | None, fail_on: str | None, no_redact: bool, channel: str | None,
          top: int,
          jobs: str) -> None:
    """Check transcripts: metrics, findings and a score per conversation.

    Exit codes: 0 fine, 1 --fail-under/--fail-on triggered, 2 usage or config error,
    3 some inputs could not be parsed (everything else was still processed).
    """
    from ..executors import Processes, job_count
    from ..report import writer_options
    from ..run import Run, Serial, engine_for
    from ..write import registry

    try:
        workers = job_count(jobs)
    except ValueError:
        _fail(f"--jobs: expected a number of processes or auto, got {jobs!r}")
    config = _config(config_path, select, ignore, fail_under=fail_under, fail_on=fail_on,
                     redact=False if no_redact else None, channel=channel.lower() if channel else None)
    options = _parse_options(map_, role_map, bots, timezone, time_format, config)
    _check_output_path(output, paths, errors_file)
    fmt = _format(fmt, output)
    writer_class = registry.get(fmt)
    if writer_class.binary and output is None and sys.stdout.isatty():
        _fail(f"--format {fmt} writes binary data, which a terminal cannot show: give -o FILE.{fmt} (or pipe it)")
    keep = writer_class.needs_transcripts
    engine = engine_for(config)
    gc.freeze()  # what is loaded so far lives for the whole run: keep it out of collections
    executor: Any = Processes(workers, config, options, keep) if workers > 1 else Serial()
    with contextlib.ExitStack() as stack:
        stack.enter_context(executor)  # workers are forked before the progress line starts its thread
        log = stack.enter_context(FailureLog(errors_file))
        progress = stack.enter_context(_Progress(fmt != "jsonl" or output is not None, paths, options.exclude))
        gate = _Gate(config.fail_under, config.fail_on)
        run = Run(paths, engine, executor, vendor=vendor, options=options, keep=keep, on_failure=log)
        run.accounting.on_skip = _echo
        with _output(output) as stream:
            options_ = writer_options(engine, color=output is None and sys.stdout.isatty())
            writer = writer_class(stream, dataclasses.replace(options_, top=top))
            for result in progress.track(run):
                gate.see(result)
                writer.write(result)
            progress.stop()
            writer.close(run.summary)
    _finish(log)
    if gate.triggered:
        click.echo(f"chatqa: {gate.triggered}", err=True)
        sys.exit(EXIT_FAILED_CHECK)


def _format(fmt: str | None, output: Path | None) -> str:
    """The output format: --format, else the one -o's suffix names (an unknown suffix is a usage
    error, not a guess), else a table on a terminal and JSON Lines elsewhere."""
    from ..write import for_suffix, registry

    if fmt:
        return fmt
    if output is None:
        return "table" if sys.stdout.isatty() else "jsonl"
    found = for_suffix(output)
    if found is None:
        known = ", ".join(sorted({s for name in registry.names() for s in registry.get(name).suffixes}))
        what = f"no output format has the suffix {output.suffix!r}" if output.suffix else "the file name has no suffix"
        _fail(f"-o {output}: {what} ({known}); name the format with --format")
    return found


class _Progress:
    """A transient progress bar on stderr for runs on a terminal (a no-op otherwise): bytes read of
    the inputs' size, percentage, conversations read and the time left, refreshed four times a
    second by rich's own thread (which polls the run: reading costs nothing more)."""

    def __init__(self, enabled: bool, paths: Iterable[str] = (), exclude: Iterable[str] = ()) -> None:
        self.bar: Any = None
        self.counts: Any = None  # the run's accounting (conversations read so far)
        self.written = 0
        self.task: Any = None
        if not (enabled and sys.stderr.isatty()):
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        from ..read import meter
        from ..terminal import console

        self.meter = meter.ACTIVE = meter.Meter.of(paths, exclude)
        progress = self

        class Bar(Progress):
            def get_renderables(self) -> Any:
                progress.poll(self)
                return super().get_renderables()

        self.bar = Bar(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                       DownloadColumn(), TextColumn("{task.fields[conversations]}", markup=False),
                       TimeRemainingColumn(), console=console(stderr=True), transient=True, refresh_per_second=4)
        self.task = self.bar.add_task("checking", total=self.meter.total or None, conversations="")

    def poll(self, bar: Any) -> None:
        """Show the run's progress on `bar` (called by its refresh thread)."""
        if self.task is None:
            return
        read = self.counts.conversations if self.counts is not None else 0
        done = self.meter.read()
        if self.meter.total and done >= self.meter.total and self.written < read:
            label, what = "writing", f"{self.written:,}/{read:,} conversations"  # run-level rules: now completing
        else:
            label, what = "checking", f"{read:,} conversations"
        bar.update(self.task, completed=done, description=label, conversations=what)

    def __enter__(self) -> _Progress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.bar is not None:
            from ..read import meter

            self.bar.stop()
            self.bar = None
            meter.ACTIVE = None

    def track(self, run: Any) -> Iterable[Any]:
        """The results of `run`, counted as they pass."""
        if self.bar is None:
            return run
        self.counts = run.accounting

        def counted() -> Iterable[Any]:
            for item in run:
                yield item
                self.written += 1

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
