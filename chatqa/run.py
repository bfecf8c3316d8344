"""A run: inputs read, every conversation checked and completed, in input order, with the
accounting of every record. One `Run` serves every entry point (the CLI, `chatqa.check`,
`chatqa.analyze`, ``--jobs N``); `chatqa.dask` builds its graph from the same stages.

The stages of a run, for each unit of input (`chatqa.inputs`):

* map (`map_items`, in the executor's workers): read the unit, check each conversation with
  every rule but the run-level ones (`Engine.map`), encode it for the spill;
* fold (here, in input order): the run-level notes into the run states; the encoded
  conversations into the spill file (memory stays flat);
* finish, then complete each conversation from the spill (`Engine.complete`).

Without run-level rules there is no spill: conversations are completed as they come.
"""

from __future__ import annotations

import contextlib
import gc
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any, NamedTuple

from .config import Config
from .duplicates import Duplicate
from .engine import Engine, Partial
from .errors import Failure
from .inputs import Accounting, Identity, Unit, plan, read
from .parsers import ParseOptions
from .read.outputs import OwnOutput
from .results import Result, Summary


class Mapped(NamedTuple):
    """One conversation after `map`: its run-level notes, itself (encoded for the spill when it
    crosses processes) and its identity (to count it once in the run)."""

    notes: tuple[Any, ...]
    data: Partial | bytes
    identity: Identity


def map_items(engine: Engine, unit: Unit, options: ParseOptions, keep: bool, encode: bool = False
              ) -> Iterator[Mapped | Failure | Duplicate | OwnOutput]:
    """Read and map one unit: its mapped conversations, failures and duplicate rows, in order, as
    they come."""
    for item in read(unit, options):
        if isinstance(item, Failure | Duplicate | OwnOutput):
            yield item
        else:
            partial = engine.map(item, keep)
            yield Mapped(partial.notes, engine.encode(partial) if encode else partial, Identity.of(item))


def map_unit(engine: Engine, unit: Unit, options: ParseOptions, keep: bool, encode: bool = False
             ) -> list[Mapped | Failure | Duplicate | OwnOutput]:
    """`map_items` as a list (what a worker process or a Dask task returns for a part of a file)."""
    return list(map_items(engine, unit, options, keep, encode))


def _identity(item: Mapped) -> Identity:
    return item.identity


_ENGINES: dict[str, Engine] = {}


def engine_for(config: Config) -> Engine:
    """The engine of a configuration, built once per process and configuration *value* (two
    equal configs share one; a changed config gets its own)."""
    key = config.model_dump_json()
    engine = _ENGINES.get(key)
    if engine is None:
        if len(_ENGINES) >= 16:
            _ENGINES.clear()
        engine = _ENGINES[key] = Engine(config)
    return engine


class Serial:
    """Map every unit in this process, as the run reads them."""

    def map(self, engine: Engine, units: Iterable[Unit], options: ParseOptions, keep: bool
            ) -> Iterator[Iterable[Mapped | Failure | Duplicate | OwnOutput]]:
        """The mapped units, in order, each streamed (a unit may be a whole file: memory stays flat)."""
        for unit in units:
            yield map_items(engine, unit, options, keep)

    def __enter__(self) -> Serial:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class Run:
    """Check `inputs` (paths, Transcript objects) with `engine`: iterate it for the results, in
    input order; `summary` holds the counts. `executor` maps the units (`Serial` by default,
    `chatqa.executors.Processes` for --jobs). With `keep`, results carry their conversations
    (`Result.transcript`). `on_failure` sees every record that could not be read, as it is met.
    """

    def __init__(self, inputs: Iterable[Any], engine: Engine, executor: Any = None, *, vendor: str = "auto",
                 options: ParseOptions | None = None, keep: bool = False,
                 on_failure: Callable[[Failure], None] | None = None) -> None:
        self.inputs = inputs
        self.engine = engine
        self.executor = executor or Serial()
        self.vendor = vendor
        self.options = options or ParseOptions()
        self.keep = keep
        self.accounting = Accounting("collect", on_failure)

    @property
    def summary(self) -> Summary:
        """The run's counts (complete once the results have been iterated)."""
        return self.accounting.summary()

    def __iter__(self) -> Iterator[Result]:
        engine, accounting = self.engine, self.accounting
        split = not isinstance(self.executor, Serial)
        units = (u for item in plan(self.inputs, self.vendor, self.options, split=split)
                 if (u := accounting.unit(item)) is not None)
        with self.executor, fewer_collections():
            mapped = (m for events in self.executor.map(engine, units, self.options, self.keep)
                      for m in accounting.count(events, _identity))
            if not engine.corpus_rules:
                for item in mapped:
                    yield engine.complete(engine.decode(item.data), {})
                return
            states = engine.new_states()
            with Spill() as spill:
                for item in mapped:
                    engine.observe(item.notes, states)
                    spill.write(item.data if isinstance(item.data, bytes) else engine.encode(item.data))
                corpus = engine.finish(states)
                for data in spill:
                    yield engine.complete(engine.decode(data), corpus)


def collect_less() -> tuple[int, int, int]:
    """Collect garbage less often (returns the old thresholds): a run allocates millions of
    short-lived objects without reference cycles, and collecting them is time for nothing."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], 50_000), *old[1:])
    return old


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """`collect_less` for the duration of the block."""
    old = collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*old)


class Spill:
    """Encoded conversations in an anonymous temporary file (deleted when closed)."""

    def __init__(self) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile(prefix="chatqa-")  # noqa: SIM115 - closed in __exit__

    def write(self, data: bytes) -> None:
        """Append one record."""
        self.file.write(len(data).to_bytes(4, "little") + data)

    def __iter__(self) -> Iterator[bytes]:
        self.file.flush()
        self.file.seek(0)
        read_ = self.file.read
        while head := read_(4):
            yield read_(int.from_bytes(head, "little"))

    def __enter__(self) -> Spill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.file.close()
