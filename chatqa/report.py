"""`analyze`: a whole run as a Report of pandas DataFrames (pandas is imported lazily)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from .config import Config, load_config
from .errors import ParseError
from .frames import (
    CONVERSATION_COLUMNS,
    FAILURE_COLUMNS,
    FINDING_COLUMNS,
    agents_frame,
    conversation_row,
    failure_row,
    finding_rows,
    frame,
)
from .model import Transcript
from .results import Result, Summary

if TYPE_CHECKING:
    import pandas as pd

    from .arguments import Inputs
    from .engine import Engine
    from .parsers import ParseOptions

ConfigArg: TypeAlias = "Config | str | os.PathLike[str] | Mapping[str, Any] | None"


class Report:
    """The results of a run: tables of conversations, findings and agents, plus the summary.

    Columns and dtypes are documented in `chatqa.frames` (times are tz-aware UTC).
    """

    def __init__(self, results: list[Result], summary: Summary, engine: Engine) -> None:
        self.results = results
        self.summary = summary
        self.engine = engine
        self.codes = [r.code for r in engine.rules]

    @cached_property
    def failures(self) -> pd.DataFrame:
        """One row per input that could not be read: ``source`` (the file, or ``<records>`` and
        ``<DataFrame>`` for what was given in memory), ``locator`` (the place in it: ``line 12``,
        ``chats[3].thread``, ``[4]``) and ``reason`` (strings, personal data masked). The same
        failures as typed records (`chatqa.Failure`): ``report.summary.failures``."""
        return frame([failure_row(f) for f in self.summary.failures], FAILURE_COLUMNS)

    @cached_property
    def conversations(self) -> pd.DataFrame:
        """One row per conversation: ids, agents, times, score and subscores, every metric,
        ``n_findings`` and ``codes`` (sorted distinct rule codes)."""
        return frame([conversation_row(r) for r in self.results], CONVERSATION_COLUMNS)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """One row per finding: conversation_id, code, rule, level, message_index, span, quote,
        sent_at, message (and, for CQ501, the overlapping ``conversations``)."""
        return frame([row for r in self.results for row in finding_rows(r)], FINDING_COLUMNS)

    @cached_property
    def agents(self) -> pd.DataFrame:
        """Per agent: conversations, median score, median first response, the share of their
        conversations with each rule (``share_CQ201`` ...), highest concurrency."""
        return agents_frame(self.conversations, self.findings, self.codes)

    def write(self, path: str | os.PathLike[str] | None = None, format: str | None = None) -> None:
        """Write the report in any output format the CLI writes (``jsonl``, ``json``, ``csv``,
        ``parquet``, ``html``, ``table``; by default from `path`'s suffix), atomically; to
        stdout without a path. The html and table formats show the offending lines when the run
        kept the transcripts (``analyze(..., keep_transcripts=True)``). ValueError for an
        unknown format or a suffix that names none; FileNotFoundError for a missing folder."""
        from .write import atomic_output, for_suffix, formats, registry

        name = format or (for_suffix(path) if path is not None else None)
        if name is None:
            raise ValueError(f"format: cannot tell the format from {str(path)!r}; give one of {', '.join(formats())}")
        if name not in formats():
            raise ValueError(f"format: unknown output format {name!r} (known: {', '.join(formats())})")
        if path is not None and not Path(path).resolve().parent.is_dir():
            raise FileNotFoundError(2, "no such folder", str(Path(path).parent))
        with atomic_output(path, sys.stdout.buffer) as stream:
            writer = registry.get(name)(stream, writer_options(self.engine))
            for result in self.results:
                writer.write(result)
            writer.close(self.summary)

    def __repr__(self) -> str:
        s = self.summary
        findings = sum(len(r.findings) for r in self.results)
        return f"<Report {s.conversations} conversations, {findings} findings, {s.failure_count} failures>"


def writer_options(engine: Engine, color: bool = False) -> Any:
    """What a writer needs to know about a run of `engine`."""
    from .write import Options

    return Options(rules=engine.rules, scorecard=engine.config.scorecard.version,
                   critical=frozenset(engine.scorer.critical), redact=engine.config.redact, color=color)


def as_config(config: ConfigArg) -> Config:
    """A Config from a Config, a config file path, a dict of settings, or None (defaults).
    Mistakes raise ValueError (ConfigError) naming the setting: ``config['ignore']: ...``."""
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, str | os.PathLike):
        from .arguments import existing

        return load_config(Path(existing(config)))
    if isinstance(config, Mapping):
        return load_config(None, discover=False, settings=config)
    raise TypeError(f"config: expected a Config, a path or a dict, got {type(config).__name__}")


def call_settings(config: ConfigArg, **arguments: Any) -> tuple[Config, ParseOptions]:
    """The Config and ParseOptions of a library call: `arguments` (those of `parse_options`) over
    the config's reading settings. A channel argument becomes the config's too: the engine judges
    every conversation by it, Transcripts included, and marks their bystanders for it."""
    from .arguments import parse_options

    settings = as_config(config)
    options = parse_options(**arguments, config=settings)
    if options.channel is not None and settings.channel != options.channel:
        settings = settings.model_copy(update={"channel": options.channel})
    return settings, options


def run_report(inputs: Iterable[Any], config: Config, vendor: str, options: ParseOptions, *,
               keep_transcripts: bool = False) -> Report:
    """Check a whole run into a Report: `inputs` as `chatqa.inputs.plan` reads them (missing paths
    are failures of the run, as on the command line)."""
    from .run import Run, engine_for

    engine = engine_for(config)
    run = Run(inputs, engine, vendor=vendor, options=options, keep=keep_transcripts)
    results = list(run)
    return Report(results, run.summary, engine)


def analyze(inputs: Inputs, config: ConfigArg = None, vendor: str = "auto", *, keep_transcripts: bool = False,
            columns: Mapping[str, str] | None = None, roles: Mapping[str, str] | None = None,
            bot_ids: Iterable[str] = (), timezone: str | None = None, time_format: str | None = None,
            channel: str | None = None) -> Report:
    """`chatqa.analyze`: check a whole run (see `chatqa.arguments` for the inputs) into a Report.
    The reading arguments override the config's settings of the same name (`[csv]`, ``bots``,
    ``timezone``, ``channel``), as the command-line flags do."""
    from .arguments import known_vendor, run_inputs

    settings, options = call_settings(config, columns=columns, roles=roles, bot_ids=bot_ids, timezone=timezone,
                                      time_format=time_format, channel=channel)
    vendor = known_vendor(vendor)
    return run_report(run_inputs(inputs, vendor, options), settings, vendor, options,
                      keep_transcripts=keep_transcripts)


def check(conversation: Inputs, config: ConfigArg = None, vendor: str = "auto", *,
          columns: Mapping[str, str] | None = None, roles: Mapping[str, str] | None = None,
          bot_ids: Iterable[str] = (), timezone: str | None = None, time_format: str | None = None,
          channel: str | None = None) -> Result:
    """`chatqa.check`: the result of one conversation. A Transcript is checked as it is; a record,
    a path or a DataFrame must hold exactly one conversation (ValueError otherwise) and be
    readable (ParseError naming the place otherwise)."""
    from .arguments import known_vendor, run_inputs
    from .run import engine_for

    settings, options = call_settings(config, columns=columns, roles=roles, bot_ids=bot_ids, timezone=timezone,
                                      time_format=time_format, channel=channel)
    if isinstance(conversation, Transcript):
        return engine_for(settings).check(conversation)
    report = run_report(run_inputs(conversation, known_vendor(vendor), options), settings, vendor, options)
    if report.summary.failures:
        first = report.summary.failures[0]
        raise ParseError(first.reason, first.locator, first.source)
    if len(report.results) != 1:
        raise ValueError(f"conversation: expected one conversation, got {len(report.results)} "
                         "(chatqa.analyze checks many)")
    return report.results[0]
