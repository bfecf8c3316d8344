"""chatqa: audit customer-support chat transcripts.

>>> import chatqa
>>> for t in chatqa.load("exports/"):   # Transcript objects, auto-detected, streamed
...     result = chatqa.check(t)        # metrics, findings and score for one conversation
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

from .errors import ChatqaError, ConfigError, Failure, ParseError
from .model import Kind, Message, Participant, Rating, Role, Transcript

if TYPE_CHECKING:
    from .parsers import Loader
    from .results import Result

__version__ = "0.1.0"
__all__ = [
    "ChatqaError", "ConfigError", "Failure", "Kind", "Message", "ParseError", "Participant", "Rating", "Role",
    "Transcript", "check", "load",
]

PathArg = str | os.PathLike[str]


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
    from .parsers import Loader, ParseOptions

    return Loader(paths, vendor=vendor, options=ParseOptions(**options), errors=errors)


def check(transcript: Transcript) -> Result:
    """Metrics, findings and score for one conversation."""
    from .engine import Engine

    return Engine().check(transcript)
