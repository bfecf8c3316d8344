"""`analyze`: a whole run as a Report of pandas DataFrames (pandas is imported lazily)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
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

    def __init__(self, conversation_rows: list[dict[str, Any]], finding_rows: list[dict[str, Any]],
                 summary: Summary, codes: list[str]) -> None:
        self._conversations = conversation_rows
        self._findings = finding_rows
        self.summary = summary
        self.codes = codes

    @property
    def failures(self) -> list[Failure]:
        """Inputs that could not be read (file, place, reason)."""
        return self.summary.failures

    @cached_property
    def conversations(self) -> pd.DataFrame:
        """One row per conversation: ids, agents, times, score and subscores, every metric,
        ``n_findings`` and ``codes`` (sorted distinct rule codes)."""
        return frame(self._conversations, CONVERSATION_COLUMNS)

    @cached_property
    def findings(self) -> pd.DataFrame:
        """One row per finding: conversation_id, code, rule, level, message_index, span, quote,
        sent_at, message (and, for CQ501, the overlapping ``conversations``)."""
        return frame(self._findings, FINDING_COLUMNS)

    @cached_property
    def agents(self) -> pd.DataFrame:
        """Per agent: conversations, median score, median first response, the share of their
        conversations with each rule (``share_CQ201`` ...), highest concurrency."""
        return agents_frame(self.conversations, self.findings, self.codes)

    def __repr__(self) -> str:
        s = self.summary
        return f"<Report {s.conversations} conversations, {len(self._findings)} findings, {len(s.failures)} failures>"


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


class _Source:
    """Transcripts from files (read once) and objects, accounting for every record."""

    def __init__(self, inputs: Inputs, vendor: str, options: dict[str, Any]) -> None:
        from .parsers import Loader, ParseOptions

        if isinstance(inputs, Transcript) or isinstance(inputs, str | os.PathLike):
            inputs = [inputs]
        items = list(inputs)
        self.transcripts = [i for i in items if isinstance(i, Transcript)]
        self.paths = [i for i in items if not isinstance(i, Transcript)]
        self.loader = Loader(self.paths, vendor=vendor, options=ParseOptions(**options), errors="collect")

    def __iter__(self) -> Iterator[Transcript]:
        yield from self.transcripts
        if self.paths:
            yield from self.loader

    def summary(self) -> Summary:
        summary = self.loader.summary()  # plus the Transcript objects given
        summary.records_in += len(self.transcripts)
        summary.conversations += len(self.transcripts)
        return summary


def run(engine: Engine, inputs: Inputs, vendor: str = "auto", keep_transcripts: bool = True,
        **options: Any) -> tuple[Iterator[Result], _Source]:
    """Results of every input (files or Transcript objects), and the source for the summary."""
    source = _Source(inputs, vendor, options)
    return engine.run(source, keep_transcripts=keep_transcripts), source


def analyze(inputs: Inputs, config: Config | str | os.PathLike[str] | dict[str, Any] | None = None,
            vendor: str = "auto", **options: Any) -> Report:
    """Check a whole run (files, folders or Transcript objects) and return a Report.

    Run-level rules (canned templates, concurrency) see every conversation of the run. Bad
    records do not stop the run: they are in ``report.failures``. `options` are parse options
    (``columns``, ``roles``, ``bot_ids``, ``timezone``, ``time_format``).
    """
    from .engine import Engine

    engine = Engine(as_config(config))
    results, source = run(engine, inputs, vendor, keep_transcripts=False, **options)
    conversations: list[dict[str, Any]] = []
    findings: list[dict[str, Any]] = []
    for result in results:
        conversations.append(conversation_row(result))
        findings.extend(finding_rows(result))
    return Report(conversations, findings, source.summary(), [r.code for r in engine.rules])
