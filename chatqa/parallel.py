"""``--jobs N``: parse and check in N worker processes; results in input order.

The inputs are cut into units (whole files, and parts of large JSON Lines files cut at line
ends), which workers parse and map (`Engine.map`: every rule but the run-level ones). The
parent folds the run-level notes in input order, so results (run-level rules included) and
their order are those of a one-process run. At most a few units per worker are in flight,
so memory stays bounded.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .engine import Engine, Pickled, collect_less
from .errors import Failure, ParseError
from .parsers import Accounting, JsonParser, ParseOptions, detect, get_parser, parse_file
from .sources import GZIP_MAGIC, InputFile, LineRange, Skipped, iter_files, split_lines

PART_BYTES = 4 << 20  # a JSON Lines file is cut into parts of about this size (~1,000 chats)


def job_count(value: str | int) -> int:
    """``auto`` -> the CPUs this process may use; otherwise a positive number."""
    if value == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)
    number = int(value)
    if number < 1:
        raise ValueError("--jobs must be at least 1 (or auto)")
    return number


@dataclass(frozen=True)
class Unit:
    """One piece of work: a file, or part of one."""

    path: str
    vendor: str
    lines: LineRange | None = None
    first: bool = True  # counts the file (the first part of it)


def plan(paths: Iterable[str | os.PathLike[str]], vendor: str, options: ParseOptions
         ) -> Iterator[Unit | Failure | Skipped]:
    """The work of a run, in input order: files, with large JSON Lines files cut into parts."""
    for item in iter_files(paths):
        if isinstance(item, Failure | Skipped):
            yield item
            continue
        parts = _parts(item, vendor, options)
        if parts is None:
            yield Unit(str(item), vendor)
            continue
        parser, ranges = parts
        for i, lines in enumerate(ranges):
            yield Unit(str(item), parser, lines, first=i == 0)


def _parts(path: Path, vendor: str, options: ParseOptions) -> tuple[str, list[LineRange]] | None:
    """(parser, line ranges) for a large plain JSON Lines file; None to read it whole."""
    try:
        if path.stat().st_size < 2 * PART_BYTES:
            return None
        source = InputFile(path)
        if source.head[:2] == GZIP_MAGIC or source.syntax != "jsonl" or source.encoding != "utf-8":
            return None
        parser = detect(source, options) if vendor == "auto" else get_parser(vendor)
    except (OSError, ParseError):
        return None  # read whole: the worker reports the problem as a one-process run would
    if not isinstance(parser, JsonParser):
        return None
    return parser.name, split_lines(path, PART_BYTES)


def map_unit(engine: Engine, unit: Unit, options: ParseOptions, keep_transcripts: bool) -> list[Pickled | Failure]:
    """Parse and map one unit: its mapped conversations (pickled) and failures, in order."""
    events: list[Pickled | Failure] = []
    for item in parse_file(unit.path, unit.vendor, options, lines=unit.lines):
        events.append(item if isinstance(item, Failure) else Pickled.of(engine.map(item), keep_transcripts))
    return events


class ParallelLoader(Accounting):
    """Mapped conversations of `paths` (pickled, with their notes) from worker processes, with
    a Loader's accounting (files, conversations, failures, skipped). Use it as a context
    manager to start the workers early; iterating starts them otherwise."""

    def __init__(self, engine: Engine, paths: Iterable[str | os.PathLike[str]], vendor: str, options: ParseOptions,
                 jobs: int, keep_transcripts: bool) -> None:
        super().__init__("collect")
        self.engine = engine
        self.paths = list(paths)
        self.vendor = vendor
        self.options = options
        self.jobs = jobs
        self.keep_transcripts = keep_transcripts
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelLoader:
        """Start the workers (before the caller starts any thread: they are forked on Linux)."""
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_start,
                                         initargs=(self.engine.config, self.options, self.keep_transcripts))
        self._pool.submit(int).result()  # starts every worker now
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __iter__(self) -> Iterator[Pickled]:
        if self._pool is None:
            with self:
                yield from self
            return
        pending: deque[Future[Any] | Failure | Skipped] = deque()
        for unit in plan(self.paths, self.vendor, self.options):
            pending.append(self._pool.submit(_work, unit) if isinstance(unit, Unit) else unit)
            while len(pending) > 2 * self.jobs:
                yield from self._take(pending.popleft())
        while pending:
            yield from self._take(pending.popleft())

    def _take(self, item: Future[Any] | Failure | Skipped) -> Iterator[Pickled]:
        if isinstance(item, Skipped):
            self.skipped.append(str(item.path))
            return
        if isinstance(item, Failure):
            self._fail(item)
            return
        counted, events = item.result()
        self.files += counted
        yield from self._count(events)


_WORKER: dict[str, Any] = {}


def _start(config: Config, options: ParseOptions, keep_transcripts: bool) -> None:
    """Worker set-up: its own engine (rules, phrase index) for the run's config."""
    _WORKER.update(engine=Engine(config), options=options, keep=keep_transcripts)
    collect_less()  # for the worker's whole life


def _work(unit: Unit) -> tuple[int, list[Pickled | Failure]]:
    """Parse and map one unit: (files counted, mapped conversations and failures in order)."""
    return int(unit.first), map_unit(_WORKER["engine"], unit, _WORKER["options"], _WORKER["keep"])
