"""chatqa: audit customer-support chat transcripts.

>>> import chatqa
>>> for t in chatqa.load("exports/"):   # Transcript objects, auto-detected, streamed
...     result = chatqa.check(t)        # metrics, findings and score for one conversation
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

    from .arguments import Inputs
    from .config import Config
    from .errors import ChatqaError, ConfigError, Failure, ParseError
    from .inputs import Loader
    from .model import Channel, Kind, Message, Participant, Rating, Role, Transcript
    from .report import Report
    from .results import Result
    from .sampling import Strategy

__version__ = "0.1.0"
__all__ = [
    "Channel", "ChatqaError", "Config", "ConfigError", "Failure", "Kind", "Message", "ParseError", "Participant",
    "Rating", "Report", "Result", "Role", "Transcript", "agreement", "analyze", "check", "load", "sample",
]

PathArg = str | os.PathLike[str]

# The model and the errors are pydantic classes, imported on first use so that `chatqa --help`
# (which imports this package) does not pay for pydantic.
_LAZY = {"ChatqaError": "errors", "ConfigError": "errors", "Failure": "errors", "ParseError": "errors",
         "Channel": "model", "Kind": "model", "Message": "model", "Participant": "model", "Rating": "model",
         "Role": "model", "Transcript": "model", "Config": "config", "Report": "report", "Result": "results"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chatqa' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def load(
    paths: PathArg | Iterable[PathArg],
    vendor: str = "auto",
    *,
    errors: Literal["raise", "collect"] = "raise",
    columns: Mapping[str, str] | None = None,
    roles: Mapping[str, str] | None = None,
    bot_ids: Iterable[str] = (),
    timezone: str | None = None,
    time_format: str | None = None,
    channel: Channel | str | None = None,
) -> Loader:
    """Stream Transcript objects from export files and folders (formats auto-detected).

    With ``errors="raise"`` (the default) an unreadable record raises ParseError; with
    ``errors="collect"`` it is kept in the returned loader's ``failures`` and the stream
    goes on. `columns` maps chatqa's fields to a CSV's columns (``{"conversation":
    "ticket_id", "role": "sender_type", "time": "created", "text": "body"}``, as ``--map``),
    `roles` its role values (``{"Staff": "agent"}``); `bot_ids` are author ids to treat as bots;
    naive times are in `timezone` (UTC when not given), read with `time_format` (strptime) when given; `channel`
    (``chat``, ``messaging``, ``social``, ``email``, ``voice``) judges every conversation as that
    channel, whatever the export says. A missing path raises FileNotFoundError, an unknown
    format or option ValueError.
    """
    from .arguments import existing, known_vendor, parse_options
    from .inputs import Loader

    if errors not in ("raise", "collect"):
        raise ValueError(f"errors: expected 'raise' or 'collect', got {errors!r}")
    options = parse_options(columns, roles, bot_ids, timezone, time_format, channel)
    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    return Loader([existing(p) for p in given], vendor=known_vendor(vendor), options=options, errors=errors)


def check(
    conversation: Transcript | Mapping[str, Any] | PathArg | pd.DataFrame,
    config: Config | PathArg | Mapping[str, Any] | None = None,
    vendor: str = "auto",
    *,
    columns: Mapping[str, str] | None = None,
    roles: Mapping[str, str] | None = None,
    bot_ids: Iterable[str] = (),
    timezone: str | None = None,
    time_format: str | None = None,
    channel: Channel | str | None = None,
) -> Result:
    """Metrics, findings and score for one conversation (run-level rules see only this one).

    `conversation` is a Transcript, a neutral record (a dict, as `Transcript.from_record` reads
    it, or any vendor's raw record), or a file or a messages DataFrame holding exactly one
    conversation (ValueError otherwise; an unreadable one raises ParseError). `config` is a
    Config, a config file path, a dict of settings (``{"ignore": ["CQ5"]}``), or None for the
    defaults; equal configs give equal results, a changed config the changed results. The other
    arguments are those of `load`; they override the config's reading settings of the same name
    (``[csv]`` columns and roles key by key, ``bots`` added, ``timezone``, ``channel``), as the
    command-line flags do.
    """
    from .report import check as _check

    return _check(conversation, config, vendor, columns=columns, roles=roles, bot_ids=bot_ids, timezone=timezone,
                  time_format=time_format, channel=channel)


def analyze(
    inputs: Inputs,
    config: Config | PathArg | Mapping[str, Any] | None = None,
    vendor: str = "auto",
    *,
    keep_transcripts: bool = False,
    columns: Mapping[str, str] | None = None,
    roles: Mapping[str, str] | None = None,
    bot_ids: Iterable[str] = (),
    timezone: str | None = None,
    time_format: str | None = None,
    channel: Channel | str | None = None,
) -> Report:
    """Check a whole run into a Report of DataFrames.

    `inputs`: paths (files, folders), Transcript objects, records (dicts: neutral records, or
    any vendor's raw records), an iterable mixing them, or a messages DataFrame (one message per
    row; `columns` maps its columns as ``--map`` does). Run-level rules (canned templates,
    concurrency) see every conversation. Records that cannot be read do not stop the run: they
    are in ``report.failures``; a missing path raises FileNotFoundError, an unknown format,
    option or setting ValueError. With `keep_transcripts`, ``report.results[i].transcript``
    holds each conversation (and the html and table outputs show the offending lines). The
    reading arguments are those of `load` and override the config's settings, as in `check`.

    >>> report = chatqa.analyze("exports/")
    >>> report.conversations   # one row per conversation
    >>> report.findings        # one row per finding
    >>> report.agents          # one row per agent
    """
    from .report import analyze as _analyze

    return _analyze(inputs, config, vendor, keep_transcripts=keep_transcripts, columns=columns, roles=roles,
                    bot_ids=bot_ids, timezone=timezone, time_format=time_format, channel=channel)


def sample(
    conversations: Report | pd.DataFrame,
    n: int,
    strategy: Strategy = "random",
    *,
    by: str | None = None,
    allocation: Literal["proportional", "equal"] = "proportional",
    per_agent: int | None = None,
    seed: int | None = None,
    min_words: int | None = None,
    both_sides: bool = False,
    findings: pd.DataFrame | None = None,
    critical: Iterable[str] | None = None,
    rules: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Pick `n` conversations for human review: the review queue (see `chatqa.sampling`), which
    is also the labels file `agreement` reads once a reviewer has filled it in.

    `conversations` is a Report (its findings, critical rules and checked rules are used) or
    its ``conversations`` table. `strategy` is ``random``, ``stratified`` (by the column `by`,
    with `allocation` between strata) or ``risk``; `per_agent` caps the picks per agent;
    `min_words` and `both_sides` filter who is eligible; `seed` makes the pick reproducible.
    `rules` are the rule columns the reviewer fills in (default: the rules the Report checked).
    Unknown strategies, columns or values raise ValueError.

    >>> chatqa.sample(report, n=50, strategy="risk", seed=7)
    """
    from .sampling import sample as _sample

    return _sample(conversations, n, strategy, by=by, allocation=allocation, per_agent=per_agent, seed=seed,
                   min_words=min_words, both_sides=both_sides, findings=findings, critical=critical, rules=rules)


def agreement(report: Report, labels: PathArg | pd.DataFrame) -> dict[str, Any]:
    """Per-rule precision, recall and Cohen's kappa of a run against a reviewer's labels: a filled-in
    review queue (CSV, JSONL or DataFrame from `sample`) or a ``conversation_id,code,present`` CSV
    (see `chatqa.calibration`)."""
    from .calibration import agreement as _agreement

    return _agreement(report, labels)
