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
``{source, locator, reason}``: every record read is a row or a failure.

Needs the optional extra: ``pip install "chatqa[dask]"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

try:
    import dask
    import dask.bag as db
    import dask.dataframe as dd
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError('chatqa.dask needs Dask: pip install "chatqa[dask]"') from exc

from pydantic import ValidationError

from .config import Config
from .engine import Engine, Pickled
from .errors import Failure, ParseError
from .frames import CONVERSATION_COLUMNS, conversation_row, frame
from .parallel import Unit, map_unit, plan
from .parsers import (JsonParser, ParseOptions, RecordContext, all_parsers, get_parser, not_a_record,
                      record_failure)
from .report import as_config
from .sources import InputFile, Skipped

if TYPE_CHECKING:
    import pandas as pd

Inputs = str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | db.Bag | dd.DataFrame


@dataclass(frozen=True)
class DaskRun:
    """A run on Dask: the conversations table, and what could not be read."""

    conversations: dd.DataFrame  # the columns and dtypes of Report.conversations
    failures: db.Bag  # {source, locator, reason} per record that could not be read
    skipped: list[str]  # documentation files skipped inside folders


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
    """`analyze`, with the records that could not be read (see `DaskRun`)."""
    settings = as_config(config)
    parse_options = ParseOptions(**options)
    Engine(settings)  # check the configuration here, not in a worker
    if isinstance(inputs, dd.DataFrame):
        inputs = inputs.to_bag(format="dict")
    if isinstance(inputs, db.Bag):
        bag = inputs.repartition(npartitions=partitions) if partitions else inputs
        parts = [dask.delayed(_map_records)(chunk, i, settings, vendor, parse_options)
                 for i, chunk in enumerate(bag.to_delayed())]
        skipped: list[str] = []
    else:
        paths = [inputs] if isinstance(inputs, str | os.PathLike) else list(inputs)
        units: list[Unit | Failure] = []
        skipped = []
        for item in plan(paths, vendor, parse_options):
            if isinstance(item, Skipped):
                skipped.append(str(item.path))
            else:
                units.append(item)
        count = max(1, min(partitions or len(units), len(units)))
        groups = [units[len(units) * k // count: len(units) * (k + 1) // count] for k in range(count)]
        parts = [dask.delayed(_map_units)(group, settings, parse_options) for group in groups]
    states = [dask.delayed(_fold)(part, settings) for part in parts]
    corpus = dask.delayed(_finish)(states, settings)
    meta = frame([], CONVERSATION_COLUMNS)
    tables = [dask.delayed(_complete)(part, corpus, settings) for part in parts]
    with dask.config.set({"dataframe.convert-string": False}):  # keep the documented dtypes (lists stay lists)
        conversations = dd.from_delayed(tables, meta=meta, verify_meta=False)
    return DaskRun(conversations, db.from_delayed([dask.delayed(_failures)(part) for part in parts]), skipped)


_ENGINES: dict[str, Engine] = {}


def _engine(config: Config) -> Engine:
    """One engine per worker process and configuration (building one loads the rule pack)."""
    key = config.model_dump_json()
    if key not in _ENGINES:
        _ENGINES[key] = Engine(config)
    return _ENGINES[key]


Part = list[Pickled | Failure]


def _map_units(units: list[Unit | Failure], config: Config, options: ParseOptions) -> Part:
    engine = _engine(config)
    events: Part = []
    for unit in units:
        events.extend([unit] if isinstance(unit, Failure) else map_unit(engine, unit, options, False))
    return events


def _map_records(records: Iterable[Any], partition: int, config: Config, vendor: str, options: ParseOptions
                 ) -> Part:
    engine = _engine(config)
    source = InputFile(f"dask-bag-partition-{partition}")
    events: Part = []
    for i, record in enumerate(records):
        where = f"[{i}]"
        try:
            value = _value(record)
            parser = _parser(value, vendor, options)
            for loc, item in parser.records(value):
                if not parser.is_record(item):
                    raise ParseError(not_a_record(parser))
                transcript = parser.convert(item, RecordContext(parser, source, where + loc, options))
                events.append(Pickled.of(engine.map(transcript), False))
        except _RECORD_ERRORS as exc:
            events.append(record_failure(exc, source.name, where))
    return events


_RECORD_ERRORS = (ParseError, ValidationError, LookupError, TypeError, ValueError, AttributeError, OverflowError)


def _value(record: Any) -> Any:
    if isinstance(record, str | bytes):
        import orjson

        try:
            return orjson.loads(record)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"invalid JSON: {exc}") from None
    return record


def _parser(value: Any, vendor: str, options: ParseOptions) -> JsonParser:
    if vendor != "auto":
        parser = get_parser(vendor)
        if not isinstance(parser, JsonParser):
            raise ParseError(f"{vendor} records are table rows; give files to chatqa.dask.analyze instead")
        return parser
    for parser in all_parsers():
        if isinstance(parser, JsonParser) and parser.sniff_value(value):
            return parser
    raise ParseError("no known export format for this record; see `chatqa formats`")


def _fold(part: Part, config: Config) -> dict[str, Any]:
    """The run states of one partition (its notes folded in order)."""
    engine = _engine(config)
    states = engine.new_states()
    for event in part:
        if isinstance(event, Pickled):
            engine.observe(event.notes, states)
    return states


def _finish(states: list[dict[str, Any]], config: Config) -> dict[str, Any]:
    """Merge the partitions' states in input order, then finish them."""
    engine = _engine(config)
    merged = engine.new_states()
    for state in states:
        merged = engine.merge(merged, state)
    return engine.finish(merged)


def _complete(part: Part, corpus: dict[str, Any], config: Config) -> pd.DataFrame:
    engine = _engine(config)
    return frame(_rows(engine, part, corpus), CONVERSATION_COLUMNS)


def _rows(engine: Engine, part: Part, corpus: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for event in part:
        if isinstance(event, Pickled):
            yield conversation_row(engine.complete(event.partial(), corpus))


def _failures(part: Part) -> list[dict[str, str]]:
    return [event.model_dump() for event in part if isinstance(event, Failure)]
