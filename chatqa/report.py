"""`analyze`: a whole run as a Report of pandas DataFrames (pandas is imported lazily)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Config, load_config
from .errors import ConfigError, Failure
from .frames import CONVERSATION_COLUMNS, FINDING_COLUMNS, agents_frame, conversation_row, finding_rows, frame
from .model import Transcript
from .results import Result, Summary

if TYPE_CHECKING:
    import pandas as pd

    from .engine import Engine

Inputs = str | os.PathLike[str] | Transcript | Iterable[str | os.PathLike[str] | Transcript]


class Report:
    """The results of a run: tables of conversations, findings and agents, plus the summary.

    Columns and dtypes are documented in `chatqa.frames` (times are tz-aware UTC).
    """

    def __init__(self, results: list[Result], summary: Summary, engine: Engine) -> None:
        self.results = results
        self.summary = summary
        self.engine = engine
        self.codes = [r.code for r in engine.rules]

    @property
    def failures(self) -> list[Failure]:
        """Inputs that could not be read (file, place, reason)."""
        return self.summary.failures

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
        kept the transcripts (``analyze(..., keep_transcripts=True)``)."""
        from .write import atomic_output, for_suffix, formats, registry

        name = format or (for_suffix(path) if path is not None else None)
        if name is None:
            raise ValueError(f"format: cannot tell the format from {str(path)!r}; give one of {', '.join(formats())}")
        if name not in formats():
            raise ValueError(f"format: unknown output format {name!r} (known: {', '.join(formats())})")
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


def as_config(config: Config | str | os.PathLike[str] | dict[str, Any] | None) -> Config:
    """A Config from a Config, a config file path, a dict of settings, or None (defaults)."""
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if isinstance(config, str | os.PathLike):
        return load_config(Path(config))
    if isinstance(config, dict):
        return load_config(None, discover=False, **config)
    raise ConfigError(f"config: expected a Config, a path or a dict, got {type(config).__name__}")


def analyze(inputs: Inputs, config: Config | str | os.PathLike[str] | dict[str, Any] | None = None,
            vendor: str = "auto", *, keep_transcripts: bool = False, **options: Any) -> Report:
    """Check a whole run (files, folders or Transcript objects) and return a Report.

    Run-level rules (canned templates, concurrency) see every conversation of the run. Bad
    records do not stop the run: they are in ``report.failures``. `options` are parse options
    (``columns``, ``roles``, ``bot_ids``, ``timezone``, ``time_format``).
    """
    from .parsers import ParseOptions
    from .run import Run, engine_for

    engine = engine_for(as_config(config))
    if isinstance(inputs, str | os.PathLike | Transcript):
        inputs = [inputs]
    if engine.config.channel is not None:  # the config's channel, unless the parse options name one
        options = {"channel": engine.config.channel, **options}
    run = Run(inputs, engine, vendor=vendor, options=ParseOptions(**options), keep=keep_transcripts)
    results = list(run)
    return Report(results, run.summary, engine)
