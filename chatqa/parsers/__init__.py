"""Parsers: one per export format, registered under the ``chatqa.parsers`` entry point.

A parser is a `Parser` subclass; `JsonParser` and `CsvParser`-style helpers cover the
common shapes. `parse_file` picks a parser (``vendor="auto"`` sniffs the structure) and
yields transcripts and failures for one file; `Loader` does the same for many paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from datetime import tzinfo
from functools import cached_property
from typing import Any, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import ConfigError, Failure, ParseError, join_locator
from ..model import Channel, Role, Transcript
from ..normalize import RawMessage, build_transcript, plain_transcript
from ..registry import Registry
from ..results import Summary
from ..sources import InputFile, LineRange, Skipped, Syntax, csv_rows, iter_files, json_records

__all__ = [
    "Accounting",
    "JsonParser",
    "Loader",
    "ParseOptions",
    "Parser",
    "RecordContext",
    "TableParser",
    "VendorModel",
    "detect",
    "get_parser",
    "parse_file",
    "registry",
]


class ParseOptions(BaseModel, frozen=True):
    """Options every parser receives (from the CLI, the config file or the library call)."""

    model_config = ConfigDict(extra="forbid")

    bot_ids: frozenset[str] = frozenset()
    """Author ids to treat as bots, for exports that do not mark bots."""
    timezone: str = "UTC"
    """Zone for naive times (IANA name); offsets in the data always win."""
    columns: dict[str, str] = Field(default_factory=dict)
    """CSV: chatqa field -> column name (conversation, role, time, text, author, ...)."""
    roles: dict[str, Role] = Field(default_factory=dict)
    """CSV: role value in the file -> chatqa role (case-insensitive)."""
    time_format: str | None = None
    """CSV: an explicit strptime format for the time column."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @cached_property
    def tz(self) -> tzinfo:
        """The zone object for naive times."""
        return ZoneInfo(self.timezone)


class VendorModel(BaseModel):
    """Base for models of raw vendor records: unknown keys ignored, numeric ids accepted."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True)


def text_or_empty(value: Any) -> Any:
    """Before-validator: a null text becomes an empty string."""
    return "" if value is None else value


class Parser:
    """Base class of every format parser (built-in or plug-in).

    Subclasses set `name`, `summary`, `syntaxes` and `priority`, and implement `sniff`
    (does this file look like my format?) and `parse` (yield Transcript or Failure per
    record; raise ParseError only when the whole file is unreadable).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    syntaxes: ClassVar[frozenset[Syntax]]
    priority: ClassVar[int] = 50  # higher sniffs first; generic formats go low
    channel: ClassVar[Channel] = Channel.CHAT  # the channel of this format's conversations, unless a record says

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Return True when `source` looks like this parser's format."""
        raise NotImplementedError

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Transcript | Failure]:
        """Yield one Transcript per conversation and one Failure per unreadable record."""
        raise NotImplementedError


class RecordContext:
    """What a parser needs while converting one record: where it is and the options."""

    def __init__(self, parser: Parser, source: InputFile, locator: str, options: ParseOptions):
        self.parser = parser
        self.source = source
        self.locator = locator
        self.options = options

    @property
    def ref(self) -> str:
        """``path#locator`` for Transcript.source (``line 3`` shortened to ``L3``)."""
        loc = self.locator
        if loc.startswith("line "):
            head, _, rest = loc[5:].partition(", ")
            loc = f"L{head}" + (f".{rest}" if rest else "")
        elif loc.startswith("[") and "]" in loc:
            close = loc.index("]")
            loc = loc[1:close] + loc[close + 1:]
        return f"{self.source.name}#{loc}" if loc else self.source.name

    def build(self, *, messages: list[RawMessage], **fields: Any) -> Transcript:
        """Normalise a conversation with this record's vendor, source and options."""
        opts = self.options
        fields.setdefault("vendor", self.parser.name)
        fields.setdefault("channel", self.parser.channel)
        return build_transcript(
            source=self.ref, messages=messages, tz=opts.tz, time_format=opts.time_format,
            bot_ids=opts.bot_ids, **fields,
        )

    def build_plain(self, *, messages: list[Any], **fields: Any) -> Transcript | None:
        """`plain_transcript` with this record's vendor, source and options (None: use `build`)."""
        if self.options.bot_ids:
            return None
        fields.setdefault("vendor", self.parser.name)
        fields.setdefault("channel", self.parser.channel)
        return plain_transcript(source=self.ref, messages=messages, **fields)


class JsonParser(Parser):
    """A parser for JSON / JSON Lines exports.

    Subclasses implement `is_record` (does a value look like one of my records?) and
    `convert` (one record -> Transcript). A top-level value is either a record or, when
    `envelope` names a key, an API response holding a list of records under it (an empty
    list is recognised by one of `envelope_markers`). Any validation error in a record
    becomes a Failure for that record alone.
    """

    syntaxes: ClassVar[frozenset[Syntax]] = frozenset({"json", "jsonl"})
    envelope: ClassVar[str | None] = None
    envelope_markers: ClassVar[tuple[str, ...]] = ()

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Sniff the first top-level JSON value."""
        value = source.first_record()
        return value is not None and self.sniff_value(value)

    def is_record(self, value: Any) -> bool:
        """Return True when `value` has the structure of one of this format's records."""
        raise NotImplementedError

    def _enveloped(self, value: Any) -> list[Any] | None:
        if self.envelope and isinstance(value, dict) and isinstance(value.get(self.envelope), list):
            return value[self.envelope]
        return None

    def sniff_value(self, value: Any) -> bool:
        """A record, or an envelope whose first record is one."""
        items = self._enveloped(value)
        if items is None:
            return self.is_record(value)
        return self.is_record(items[0]) if items else any(k in value for k in self.envelope_markers)

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """Yield (locator, record) for each conversation in a top-level value."""
        items = self._enveloped(value)
        if items is None:
            yield "", value
        else:
            for i, item in enumerate(items):
                yield f"{self.envelope}[{i}]", item

    def convert(self, record: Any, ctx: RecordContext) -> Transcript:
        """Turn one record into a Transcript (raise ParseError or ValidationError)."""
        raise NotImplementedError

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Transcript | Failure]:
        """Read every top-level value, unpack its records and convert each one."""
        for item in json_records(source):
            if isinstance(item, Failure):
                yield item
                continue
            top, value = item
            try:
                records = list(self.records(value))
            except (ParseError, ValidationError, LookupError, TypeError, ValueError, AttributeError) as exc:
                yield record_failure(exc, source.name, top)
                continue
            for loc, record in records:
                where = join_locator(top, loc)
                try:
                    if not self.is_record(record):
                        raise ParseError(not_a_record(self))
                    yield self.convert(record, RecordContext(self, source, where, options))
                except (ParseError, ValidationError, LookupError, TypeError, ValueError,
                        AttributeError, OverflowError) as exc:
                    yield record_failure(exc, source.name, where)


class TableParser(Parser):
    """A parser for CSV exports with one message per row.

    Subclasses implement `sniff_header`, `plan` (resolve the columns they need, raising
    ParseError when one is missing), `group` (rows -> conversations) and `convert`. Rows
    with the wrong number of fields are failures of their own; a conversation with a bad
    row fails as a whole, naming the row.
    """

    syntaxes: ClassVar[frozenset[Syntax]] = frozenset({"csv"})

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Sniff the header row."""
        return self.sniff_header(csv_rows(source)[0], options)

    def sniff_header(self, header: list[str], options: ParseOptions) -> bool:
        """Return True when the header has this format's columns."""
        raise NotImplementedError

    def plan(self, header: list[str], options: ParseOptions) -> Any:
        """Resolve column positions from the header (raise ParseError if one is missing)."""
        raise NotImplementedError

    def group(self, rows: list[Row], plan: Any) -> Iterator[tuple[str, list[Row]]]:
        """Yield (conversation id, rows) per conversation, in file order."""
        raise NotImplementedError

    def convert(self, key: str, rows: list[Row], plan: Any, ctx: RecordContext) -> Transcript:
        """Turn one conversation's rows (id `key`) into a Transcript."""
        raise NotImplementedError

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Transcript | Failure]:
        """Read all rows, group them into conversations and convert each one."""
        header, reader = csv_rows(source)
        plan = self.plan(header, options)
        rows: list[Row] = []
        try:
            for line, fields in reader:
                if len(fields) != len(header):
                    yield Failure(source=source.name, locator=f"line {line}",
                                  reason=f"expected {len(header)} fields, found {len(fields)}")
                else:
                    rows.append((line, fields))
        except ParseError as exc:  # the CSV reader cannot go on; keep what was read
            yield exc.failure(source.name)
        for key, members in self.group(rows, plan):
            where = f"line {members[0][0]}"
            try:
                yield self.convert(key, members, plan, RecordContext(self, source, where, options))
            except (ParseError, ValidationError, LookupError, TypeError, ValueError) as exc:
                failure = exc.failure(source.name) if isinstance(exc, ParseError) and exc.locator \
                    else record_failure(exc, source.name, where)
                yield failure.model_copy(update={"reason": f"{failure.reason}; conversation {key} skipped"})


Row = tuple[int, list[str]]


def not_a_record(parser: Parser) -> str:
    """The reason for a value that is not one of `parser`'s records."""
    article = "an" if parser.name[:1] in "aeiou" else "a"
    return f"not {article} {parser.name} record ({parser.summary})"


def record_failure(exc: Exception, source: str, where: str) -> Failure:
    """Describe why one record could not be converted, with its locator."""
    if isinstance(exc, ParseError):
        return exc.at(where).failure(source)
    if isinstance(exc, ValidationError):
        err = exc.errors(include_url=False)[0]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
        got = err.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f", got {str(got)[:40]!r}"
        reason = f"{err['msg'][0].lower()}{err['msg'][1:]}{shown}"
        if err["type"] == "missing":
            reason = f"missing field {str(err['loc'][-1])!r}"
        return Failure(source=source, locator=join_locator(where, path), reason=reason)
    if isinstance(exc, KeyError):
        return Failure(source=source, locator=where, reason=f"missing field {exc.args[0]!r}")
    return Failure(source=source, locator=where, reason=f"unexpected structure ({exc})")


T = TypeVar("T")
registry: Registry[type[Parser]] = Registry("chatqa.parsers", "format")


def get_parser(name: str) -> Parser:
    """Instantiate the parser registered as `name` (ConfigError if unknown)."""
    cls = registry.get(name)
    return cls()


def all_parsers() -> list[Parser]:
    """Every registered parser, in sniffing order (highest priority first)."""
    parsers = [get_parser(name) for name in registry.names()]
    return sorted(parsers, key=lambda p: (-p.priority, p.name))


def detect(source: InputFile, options: ParseOptions | None = None) -> Parser | None:
    """Pick the parser whose format `source` has; None for a JSON file with no records.

    Raises ParseError when the file matches no registered format.
    """
    options = options or ParseOptions()
    syntax = source.syntax
    for parser in all_parsers():
        if syntax in parser.syntaxes and parser.sniff(source, options):
            return parser
    if syntax != "csv" and source.first_record() is None:
        return None
    raise ParseError(_unknown_format(source))


def _unknown_format(source: InputFile) -> str:
    if source.syntax == "csv":
        header = csv_rows(source)[0]
        if len(header) < 2:
            return "not a transcript export (neither JSON nor a CSV with columns)"
        return f"no known format for this CSV (columns: {', '.join(header[:8])}); use --vendor csv with --map"
    value = source.first_record()
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:8])
        return f"no known export format (top-level keys: {keys}); see `chatqa formats`"
    return "no known export format; see `chatqa formats`"


def parse_file(
    path: str | os.PathLike[str], vendor: str = "auto", options: ParseOptions | None = None,
    lines: LineRange | None = None,
) -> Iterator[Transcript | Failure]:
    """Yield the transcripts and failures of one file (gzip read transparently), or of the
    `lines` of a JSON Lines file."""
    options = options or ParseOptions()
    source = InputFile(path, lines)
    parser: Parser | None = None
    try:
        parser = detect(source, options) if vendor == "auto" else get_parser(vendor)
        if parser is None:
            return
        for item in parser.parse(source, options):
            yield item
    except ParseError as exc:
        yield exc.failure(source.name)
    except (ConfigError, RecursionError, MemoryError):
        raise
    except Exception as exc:  # a plug-in bug is reported on its file, not as a traceback
        name = parser.name if parser else "format detection"
        yield Failure(source=source.name, reason=f"internal error in {name}: {type(exc).__name__}: {exc}")


class Accounting:
    """What a run read: files, conversations, failures and skipped files, so that
    ``records_in == conversations + len(failures)``. `on_failure` (if set) is called with each
    failure as it is met; with ``errors="raise"`` the first failure raises ParseError."""

    def __init__(self, errors: Literal["raise", "collect"] = "collect") -> None:
        self.errors = errors
        self.files = 0
        self.conversations = 0
        self.failures: list[Failure] = []
        self.skipped: list[str] = []
        self.on_failure: Callable[[Failure], None] | None = None

    @property
    def records_in(self) -> int:
        """Records read so far: conversations plus failures."""
        return self.conversations + len(self.failures)

    def summary(self) -> Summary:
        """The counts as the JSON output's summary."""
        return Summary(files=self.files, records_in=self.records_in, conversations=self.conversations,
                       failures=self.failures, skipped=self.skipped)

    def _count(self, items: Iterable[T | Failure]) -> Iterator[T]:
        """The conversations of `items`, counting them and reporting the failures."""
        for item in items:
            if isinstance(item, Failure):
                self._fail(item)
            else:
                self.conversations += 1
                yield item

    def _fail(self, failure: Failure) -> None:
        self.failures.append(failure)
        if self.on_failure is not None:
            self.on_failure(failure)
        if self.errors == "raise":
            raise ParseError(failure.reason, failure.locator, failure.source)


class Loader(Accounting):
    """Stream transcripts from files and folders, accounting for every record.

    Iterating yields Transcript objects. With ``errors="raise"`` the first failure raises
    ParseError; with ``errors="collect"`` failures are kept in `failures` and the run goes
    on. After iteration, ``records_in == conversations + len(failures)``.
    """

    def __init__(
        self,
        paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        vendor: str = "auto",
        options: ParseOptions | None = None,
        errors: Literal["raise", "collect"] = "raise",
    ) -> None:
        super().__init__(errors)
        if isinstance(paths, str | os.PathLike):
            paths = [paths]
        self.paths = list(paths)
        self.vendor = vendor
        self.options = options or ParseOptions()
        if vendor != "auto":
            registry.get(vendor)

    def __iter__(self) -> Iterator[Transcript]:
        for path in iter_files(self.paths):
            if isinstance(path, Failure):
                self._fail(path)
            elif isinstance(path, Skipped):
                self.skipped.append(str(path.path))
            else:
                self.files += 1
                yield from self._count(parse_file(path, self.vendor, self.options))
