"""chatqa on Dask: a run as a map-reduce over partitions, equal to the local run.

    import chatqa.dask
    df = chatqa.dask.analyze("s3-mounted/exports/", partitions=64)   # a dask DataFrame
    df.groupby("agent").score.mean().compute()

Each partition parses its inputs and checks every conversation with every rule but the
run-level ones (canned templates, agent concurrency), which take notes (map). The notes of
each partition are folded into a run state, the partition states are merged in input
order and finished (reduce), and the finished state completes every conversation (apply).
The result has the columns and dtypes of `Report.conversations` (see `chatqa.frames`).
`run` also gives the records that could not be read, as a dask Bag of
``{source, locator, reason}``, and how many records repeated a conversation read before
(counted once, as in a local run: `chatqa.duplicates`): every record read is a row, a failure
or a duplicate.

Needs the optional extra: ``pip install "chatqa[dask]"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
    from dask.delayed import Delayed
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError('chatqa.dask needs Dask: pip install "chatqa[dask]"') from exc

from .config import Config
from .duplicates import Duplicate, Key, Seen
from .errors import Failure
from .frames import CONVERSATION_COLUMNS, conversation_row, frame
from .inputs import Records, Unit, plan
from .parsers import ParseOptions
from .read import Skipped
from .read.outputs import OwnOutput
from .redact import mask_cards
from .report import call_settings
from .run import Mapped, engine_for, map_unit

if TYPE_CHECKING:
    import pandas as pd

Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | db.Bag | dd.DataFrame


@dataclass(frozen=True)
class DaskRun:
    """A run on Dask: the conversations table, and what could not be read."""

    conversations: dd.DataFrame  # the columns and dtypes of Report.conversations
    failures: db.Bag  # {source, locator, reason} per record that could not be read
    skipped: list[str]  # documentation files skipped inside folders
    duplicates: Delayed  # records that repeated a conversation (or a CSV row) read before: .compute() -> int


def analyze(inputs: Inputs, partitions: int | None = None, config: Config | str | os.PathLike[str] | dict[str, Any]
            | None = None, vendor: str = "auto", **options: Any) -> dd.DataFrame:
    """Check a run on Dask; a lazy DataFrame with the columns of `Report.conversations`
    (`run` gives the failures too).

    `inputs` are files and folders (read by the workers; large JSON Lines files are cut
    into parts), or a dask Bag of raw records (dicts or JSON text, one conversation each),
    or a dask DataFrame whose rows are such records. `partitions` sets how many partitions
    the work is spread over (default: one per file part, or the Bag's). `config` and
    `options` are those of `chatqa.analyze`.
    """
    return run(inputs, partitions, config, vendor, **options).conversations


def run(inputs: Inputs, partitions: int | None = None, config: Config | str | os.PathLike[str] | dict[str, Any]
        | None = None, vendor: str = "auto", **options: Any) -> DaskRun:
    """`analyze`, with the records that could not be read (see `DaskRun`).

    The stages are those of `chatqa.run.Run`: each partition maps its units (`map_unit`), the
    partitions' notes are folded and merged in input order and finished, and the finished state
    completes every conversation.
    """
    settings, parse_options = call_settings(config, **options)
    engine_for(settings)  # check the configuration here, not in a worker
    if isinstance(inputs, dd.DataFrame):
        inputs = inputs.to_bag(format="dict")
    skipped: list[str] = []
    if isinstance(inputs, db.Bag):
        bag = inputs.repartition(npartitions=partitions) if partitions else inputs
        parts = [dask.delayed(_map_records)(chunk, f"dask-bag-partition-{i}", vendor, settings, parse_options)
                 for i, chunk in enumerate(bag.to_delayed())]
    else:
        paths = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
        units: list[Unit | Failure] = []
        for item in plan(paths, vendor, parse_options, split=True):
            if isinstance(item, Skipped):
                skipped.append(mask_cards(str(item.path)))
            else:
                units.append(item)
        count = max(1, min(partitions or len(units), len(units)))
        groups = [units[len(units) * k // count: len(units) * (k + 1) // count] for k in range(count)]
        parts = [dask.delayed(_map_units)(group, settings, parse_options) for group in groups]
    # conversations read again are counted once, in input order over all partitions (a reduce of
    # their 16-byte digests), before any run-level rule sees them
    identities = [dask.delayed(_identities)(part) for part in parts]
    verdicts = dask.delayed(_verdicts)(identities)
    states = [dask.delayed(_fold)(part, verdicts, i, settings) for i, part in enumerate(parts)]
    corpus = dask.delayed(_finish)(states, settings)
    meta = frame([], CONVERSATION_COLUMNS)
    tables = [dask.delayed(_complete)(part, verdicts, i, corpus, settings) for i, part in enumerate(parts)]
    with dask.config.set({"dataframe.convert-string": False}):  # keep the documented dtypes (lists stay lists)
        conversations = dd.from_delayed(tables, meta=meta, verify_meta=False)
    failures = db.from_delayed([dask.delayed(_failures)(part, verdicts, i) for i, part in enumerate(parts)])
    return DaskRun(conversations, failures, skipped, dask.delayed(_duplicates)(identities, verdicts))


Part = list[Mapped | Failure | Duplicate | OwnOutput]  # (own outputs: not conversations, left out)
NEW, DUPLICATE, CONFLICT = 0, 1, 2


def _map_units(units: list[Unit | Failure], config: Config, options: ParseOptions) -> Part:
    engine = engine_for(config)
    events: Part = []
    for unit in units:
        events.extend([unit] if isinstance(unit, Failure) else map_unit(engine, unit, options, False, encode=True))
    return events


def _map_records(records: list[Any], name: str, vendor: str, config: Config, options: ParseOptions) -> Part:
    return map_unit(engine_for(config), Records(name, records, vendor), options, False, encode=True)


def _identities(part: Part) -> tuple[list[Key], int]:
    """The digests of a partition's conversations, and how many duplicate rows its parsers met."""
    return [e.identity.key for e in part if isinstance(e, Mapped)], sum(isinstance(e, Duplicate) for e in part)


def _verdicts(identities: list[tuple[list[Key], int]]) -> list[bytes]:
    """Per partition, per conversation: NEW, DUPLICATE (same content) or CONFLICT (same id, other
    content), in input order over the whole run."""
    seen = Seen()
    codes = {"new": NEW, "duplicate": DUPLICATE, "conflict": CONFLICT}
    return [bytes(codes[seen.add(key)] for key in keys) for keys, _ in identities]


def _kept(part: Part, verdicts: list[bytes], i: int) -> Iterable[Mapped]:
    mapped = (event for event in part if isinstance(event, Mapped))
    return (event for event, verdict in zip(mapped, verdicts[i], strict=True) if verdict == NEW)


def _fold(part: Part, verdicts: list[bytes], i: int, config: Config) -> dict[str, Any]:
    """The run states of one partition (its notes folded in order)."""
    engine = engine_for(config)
    states = engine.new_states()
    for event in _kept(part, verdicts, i):
        engine.observe(event.notes, states)
    return states


def _finish(states: list[dict[str, Any]], config: Config) -> dict[str, Any]:
    """Merge the partitions' states in input order, then finish them."""
    engine = engine_for(config)
    merged = engine.new_states()
    for state in states:
        merged = engine.merge(merged, state)
    return engine.finish(merged)


def _complete(part: Part, verdicts: list[bytes], i: int, corpus: dict[str, Any], config: Config) -> pd.DataFrame:
    engine = engine_for(config)
    return frame((conversation_row(engine.complete(engine.decode(e.data), corpus)) for e in _kept(part, verdicts, i)),
                 CONVERSATION_COLUMNS)


def _failures(part: Part, verdicts: list[bytes], i: int) -> list[dict[str, str]]:
    """The partition's failures in order, a conversation that conflicts with one read before among them."""
    out: list[dict[str, str]] = []
    codes = iter(verdicts[i])
    for event in part:
        if isinstance(event, Failure):
            out.append(event.model_dump())
        elif isinstance(event, Mapped) and next(codes) == CONFLICT:
            out.append(event.identity.conflict().model_dump())
    return out


def _duplicates(identities: list[tuple[list[Key], int]], verdicts: list[bytes]) -> int:
    return sum(rows for _, rows in identities) + sum(part.count(DUPLICATE) for part in verdicts)
