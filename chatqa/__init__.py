"""chatqa: audit customer-support chat transcripts.

>>> import chatqa
>>> for t in chatqa.load("exports/"):   # Transcript objects, auto-detected, streamed
...     result = chatqa.check(t)        # metrics, findings and score for one conversation
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .errors import ChatqaError, ConfigError, Failure, ParseError
    from .inputs import Loader
    from .model import Kind, Message, Participant, Rating, Role, Transcript
    from .report import Report
    from .results import Result

__version__ = "0.1.0"
__all__ = [
    "ChatqaError", "ConfigError", "Failure", "Kind", "Message", "ParseError", "Participant", "Rating", "Role",
    "Transcript", "agreement", "analyze", "check", "load", "sample",
]

PathArg = str | os.PathLike[str]

# The model and the errors are pydantic classes, imported on first use so that `chatqa --help`
# (which imports this package) does not pay for pydantic.
_LAZY = {"ChatqaError": "errors", "ConfigError": "errors", "Failure": "errors", "ParseError": "errors",
         "Kind": "model", "Message": "model", "Participant": "model", "Rating": "model", "Role": "model",
         "Transcript": "model"}


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
    **options: Any,
) -> Loader:
    """Stream Transcript objects from export files and folders (formats auto-detected).

    With ``errors="raise"`` (the default) an unreadable record raises ParseError; with
    ``errors="collect"`` it is kept in the returned loader's ``failures`` and the stream
    goes on. `options` are ParseOptions fields (``columns``, ``roles``, ``bot_ids``,
    ``timezone``, ``time_format``).
    """
    from .inputs import Loader
    from .parsers import ParseOptions

    return Loader(paths, vendor=vendor, options=ParseOptions(**options), errors=errors)


def check(transcript: Transcript, config: Any = None) -> Result:
    """Metrics, findings and score for one conversation (run-level rules see only this one).

    `config` is a Config, a config file path, a dict of settings, or None for the defaults;
    equal configs give equal results, a changed config the changed results.
    """
    from .report import as_config
    from .run import engine_for

    return engine_for(as_config(config)).check(transcript)


def analyze(inputs: Any, config: Any = None, vendor: str = "auto", **options: Any) -> Report:
    """Check a whole run (files, folders or Transcript objects) into a Report of DataFrames.

    >>> report = chatqa.analyze("exports/")
    >>> report.conversations   # one row per conversation
    >>> report.findings        # one row per finding
    >>> report.agents          # one row per agent
    """
    from .report import analyze as _analyze

    return _analyze(inputs, config, vendor, **options)


def sample(conversations: Any, n: int, strategy: str = "random", **options: Any) -> Any:
    """Pick `n` conversations of ``report.conversations`` for human review (see chatqa.sampling).

    >>> chatqa.sample(report.conversations, n=50, strategy="risk", seed=7)
    """
    from .sampling import sample as _sample

    return _sample(conversations, n, strategy, **options)  # type: ignore[arg-type]


def agreement(report: Report, labels: str | os.PathLike[str]) -> dict[str, Any]:
    """Per-rule precision, recall and Cohen's kappa of a run against a human labels CSV."""
    from .calibration import agreement as _agreement

    return _agreement(report, labels)
