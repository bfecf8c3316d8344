"""Where a run's units are mapped: `Processes` for ``--jobs N`` (`chatqa.run.Serial` maps them in
the run's own process; `chatqa.dask` on a cluster)."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from .config import Config
from .duplicates import Duplicate
from .engine import Engine
from .errors import Failure
from .inputs import Unit
from .parsers import ParseOptions
from .read.outputs import OwnOutput
from .run import Mapped, collect_less, engine_for, map_unit


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


class Processes:
    """Map units in `jobs` worker processes, each with its own engine for the run's config; at
    most two units per worker are in flight, so memory stays bounded. Enter it before the caller
    starts any thread (workers are forked where the platform allows)."""

    def __init__(self, jobs: int, config: Config, options: ParseOptions, keep: bool) -> None:
        self.jobs = jobs
        self.config = config
        self.options = options
        self.keep = keep
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Processes:
        if self._pool is None:
            context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_start,
                                             initargs=(self.config, self.options, self.keep))
            self._pool.submit(int).result()  # starts every worker now
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, engine: Engine, units: Iterable[Unit], options: ParseOptions, keep: bool
            ) -> Iterator[list[Mapped | Failure | Duplicate | OwnOutput]]:
        """The mapped units, in order."""
        self.__enter__()
        assert self._pool is not None
        pending: deque[Future[Any]] = deque()
        for unit in units:
            pending.append(self._pool.submit(_work, unit))
            while len(pending) > 2 * self.jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_WORKER: dict[str, Any] = {}


def _start(config: Config, options: ParseOptions, keep: bool) -> None:
    """Worker set-up: its own engine (rules, phrase index) for the run's config."""
    _WORKER.update(engine=engine_for(config), options=options, keep=keep)
    collect_less()  # for the worker's whole life


def _work(unit: Unit) -> list[Mapped | Failure | Duplicate | OwnOutput]:
    return map_unit(_WORKER["engine"], unit, _WORKER["options"], _WORKER["keep"], encode=True)
