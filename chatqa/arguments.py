"""The library's arguments, checked and turned into what a run takes.

`chatqa.analyze`, `chatqa.check` and `chatqa.load` accept paths (files, folders), Transcript
objects, neutral records (dicts, or any vendor's raw records), iterables mixing them, and a
messages DataFrame (one message per row, columns mapped like the CLI's ``--map``). Mistakes
raise at once, naming the argument as the caller wrote it: a missing path is a
FileNotFoundError; an unknown format, option or column a ValueError.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from .errors import ConfigError
from .model import Transcript

if TYPE_CHECKING:
    import pandas as pd

    from .config import Config
    from .inputs import Table
    from .parsers import ParseOptions

PathArg: TypeAlias = "str | os.PathLike[str]"
Record: TypeAlias = "Mapping[str, Any]"
Item: TypeAlias = "str | os.PathLike[str] | Transcript | Mapping[str, Any]"
Inputs: TypeAlias = "str | os.PathLike[str] | Transcript | Mapping[str, Any] | pd.DataFrame | Iterable[Item]"

FRAME = "<DataFrame>"  # the name of a DataFrame's rows in sources and errors


def existing(path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """`path`, or FileNotFoundError when nothing is there."""
    if not os.path.lexists(path):
        raise FileNotFoundError(errno.ENOENT, "no such file or directory", os.fspath(path))
    return path


def is_frame(value: Any) -> bool:
    """True for a pandas DataFrame (without importing pandas when it was never imported)."""
    import sys

    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.DataFrame)


def run_inputs(inputs: Any, vendor: str, options: ParseOptions) -> Iterator[Any]:
    """What `chatqa.inputs.plan` reads, from what a library caller gave (see the module
    docstring); paths are checked as they come (FileNotFoundError)."""
    if isinstance(inputs, str | os.PathLike | Transcript | Mapping) or is_frame(inputs):
        inputs = [inputs]
    elif not isinstance(inputs, Iterable):
        raise TypeError(f"inputs: expected paths, Transcripts, records (dicts) or a DataFrame, "
                        f"got {type(inputs).__name__}")
    for item in inputs:
        if isinstance(item, str | os.PathLike):
            yield existing(item)
        elif isinstance(item, Transcript):
            yield item
        elif isinstance(item, Mapping):
            yield item if isinstance(item, dict) else dict(item)
        elif is_frame(item):
            yield table(item, vendor, options)
        else:
            raise TypeError(f"inputs: expected paths, Transcripts, records (dicts) or a DataFrame, "
                            f"got an item of type {type(item).__name__}")


def _cell(value: Any, missing: Any) -> str:
    """A DataFrame cell as the text a CSV export would hold (`missing`: pandas.isna)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if value is None or (not hasattr(value, "__len__") and missing(value)):
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def table(frame: pd.DataFrame, vendor: str, options: ParseOptions) -> Table:
    """A messages DataFrame as a table unit: every mapped column must exist (ValueError naming it)."""
    import pandas as pd

    from .inputs import Table

    header = [str(c) for c in frame.columns]
    for field, column in options.columns.items():
        if column not in header:
            raise ValueError(f"columns[{field!r}]: the DataFrame has no column {column!r} "
                             f"(columns: {', '.join(header)})")
    rows = [(line, [_cell(v, pd.isna) for v in values])
            for line, values in enumerate(frame.itertuples(index=False, name=None), start=2)]
    return Table(FRAME, header, rows, vendor)


class OptionError(ValueError):
    """A reading option that cannot be used: `argument` names it as the caller wrote it
    (``columns``, ``roles``, ``timezone``, ...), `reason` says what is wrong."""

    def __init__(self, argument: str, reason: str) -> None:
        super().__init__(f"{argument}: {reason}")
        self.argument = argument
        self.reason = reason


def parse_options(columns: Mapping[str, str] | None = None, roles: Mapping[str, str] | None = None,
                  bot_ids: Iterable[str] = (), timezone: str | None = None, time_format: str | None = None,
                  channel: str | None = None, *, config: Config | None = None, delimiter: str | None = None,
                  exclude: Iterable[str] = ()) -> ParseOptions:
    """ParseOptions from the library's keyword arguments over the config's reading settings: CSV
    columns and roles merged key by key (the arguments win), bots and exclude patterns added, the
    time zone, time format, channel and delimiter the config's unless given (UTC when neither
    names a zone). OptionError (a ValueError) naming the bad argument."""
    from pydantic import ValidationError

    from .parsers import ParseOptions
    from .parsers.csvmap import FIELDS

    csv = config.csv if config else None
    columns = {**(csv.columns if csv else {}), **(columns or {})}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise OptionError("columns", f"unknown field(s) {', '.join(unknown)} (fields: {', '.join(FIELDS)})")
    if isinstance(bot_ids, str):
        bot_ids = [bot_ids]
    if isinstance(channel, str):
        channel = channel.lower()
    try:
        return ParseOptions.model_validate({
            "columns": columns, "roles": {**(csv.roles if csv else {}), **(roles or {})},
            "bot_ids": frozenset(bot_ids) | frozenset(config.bots if config else ()),
            "timezone": timezone or (config.timezone if config else "UTC"),
            "time_format": time_format or (csv.time_format if csv else None),
            "channel": channel or (config.channel if config else None),
            "delimiter": delimiter or (csv.delimiter if csv else None),
            "exclude": (*(config.exclude if config else ()), *exclude)})
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = str(err["loc"][0]) + "".join(f"[{p!r}]" for p in err["loc"][1:])
        raise OptionError(where, err["msg"].removeprefix("Value error, ")) from None


def known_vendor(vendor: str) -> str:
    """`vendor` when it is "auto" or a registered format; ValueError naming the argument otherwise."""
    if vendor == "auto":
        return vendor
    from .parsers import registry

    try:
        registry.get(vendor)
    except ConfigError as exc:
        raise ValueError(f"vendor: {exc}") from None
    return vendor
