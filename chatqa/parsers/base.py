"""What every parser builds on: `Parser`, `JsonParser` and `TableParser`, the options they
receive and the context a record is converted in.

A parser turns the records of one format into conversations (`RecordContext.build`, which
runs the one normalisation path) and reports each record it cannot read as a `Failure`
naming the place; only a file that cannot be read at all raises ParseError.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import tzinfo
from functools import cached_property
from typing import Any, ClassVar, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..business_hours import known_zone
from ..duplicates import Duplicate
from ..errors import Failure, ParseError, join_locator, quoted
from ..model import Channel, Role
from ..normalize import normalise
from ..read import UNDECODABLE, InputFile, Record, Syntax, csv_rows, decode, json_records
from ..read.groups import Grouped, Repeat
from ..records import Conversation, Line
from .envelopes import PAGE_KEYS, PROBE, unwrap

# What converting a record may raise besides ParseError: the record is a Failure, the run goes on.
RECORD_ERRORS = (ParseError, ValidationError, LookupError, TypeError, ValueError, AttributeError, OverflowError)


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
    channel: Channel | None = None
    """Every conversation's channel, whatever the export says (``--channel``)."""
    delimiter: str | None = None
    """CSV: the field separator (default: told from the header line, a comma when unclear)."""
    exclude: tuple[str, ...] = ()
    """Glob patterns of paths a folder walk leaves out (`chatqa.read.files`)."""

    @field_validator("delimiter")
    @classmethod
    def _one_character(cls, value: str | None) -> str | None:
        if value is not None:
            value = {"\\t": "\t", "tab": "\t"}.get(value, value)
            if len(value) != 1 or value in "\r\n\"":
                raise ValueError(f"expected one character (such as ';', ',' or tab), got {value!r}")
        return value

    _known_zone = field_validator("timezone")(lambda cls, value: known_zone(value))

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

    Subclasses set `name`, `summary`, `syntaxes` and `priority` (and `channel`), and implement
    `sniff` (does this file look like my format?) and `parse` (yield a Conversation or a
    Failure per record; raise ParseError only when the whole file is unreadable).
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    syntaxes: ClassVar[frozenset[Syntax]]
    priority: ClassVar[int] = 50  # higher sniffs first; generic formats go low
    channel: ClassVar[Channel] = Channel.CHAT  # the channel of this format's conversations, unless a record says
    channels: ClassVar[str] = ""  # for `chatqa formats`: the channels its conversations have, and from what
    example: ClassVar[str] = ""  # for `chatqa formats`: the shape of what it reads
    envelope: ClassVar[str | None] = None  # a key of API responses holding a list of records (see JsonParser)

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Return True when `source` looks like this parser's format."""
        raise NotImplementedError

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """Yield one Conversation per conversation and one Failure per unreadable record (and a
        `Duplicate` per record repeating one read before, where the format can tell)."""
        raise NotImplementedError


class RecordContext:
    """What a parser needs while converting one record: where it is and the options."""

    def __init__(self, parser: Parser, source: InputFile | str, locator: str, options: ParseOptions):
        self.parser = parser
        self.name = source if isinstance(source, str) else source.name
        self.source = _Named(source) if isinstance(source, str) else source  # its `name` is the file's
        self.locator = locator
        self.options = options

    @property
    def ref(self) -> str:
        """``path#locator`` for the conversation's source (``line 3`` shortened to ``L3``)."""
        loc = self.locator
        if loc.startswith("line "):
            head, _, rest = loc[5:].partition(", ")
            loc = f"L{head}" + (f".{rest}" if rest else "")
        elif loc.startswith("[") and "]" in loc:
            close = loc.index("]")
            loc = loc[1:close] + loc[close + 1:]
        return f"{self.name}#{loc}" if loc else self.name

    def build(self, *, messages: Sequence[Line], **fields: Any) -> Conversation:
        """Normalise a conversation (raw lines from `RawMessage`) with this record's vendor,
        channel, source and options."""
        opts = self.options
        fields.setdefault("vendor", self.parser.name)
        if opts.channel is not None:
            fields["channel"] = opts.channel
        fields.setdefault("channel", self.parser.channel)
        return normalise(source=self.ref, lines=messages, tz=opts.tz, time_format=opts.time_format,
                         bot_ids=opts.bot_ids, **fields)


class _Named(NamedTuple):
    """The name of records read from memory (a Dask bag partition), where a file would be."""

    name: str


class JsonParser(Parser):
    """A parser for JSON / JSON Lines exports.

    Subclasses implement `is_record` (does a value look like one of my records?) and
    `convert` (one record -> Conversation). A top-level value is a record or an envelope of
    records (`chatqa.parsers.envelopes`): an API page holding a list of them under one of the
    format's own `envelopes` keys (an empty list is recognised by one of `envelope_markers`)
    or a generic page key (``data``, ``records``, ``results``...), or a webhook body holding one
    under one of `webhooks` paths. Records that are partial snapshots of one conversation
    (webhook bodies) are merged per file: `snapshot_key` names their conversation and `merge`
    combines two of them (None: a snapshot repeated, a `Duplicate`); each merged conversation is
    converted at the end of the file. Any validation error in a record becomes a Failure for that
    record alone. `convert_bytes` may read a JSON Lines record straight from its bytes (faster).
    """

    syntaxes: ClassVar[frozenset[Syntax]] = frozenset({"json", "jsonl"})
    envelopes: ClassVar[tuple[str, ...]] = ()
    envelope_markers: ClassVar[tuple[str, ...]] = ()
    webhooks: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Sniff the first top-level JSON value."""
        value = source.first_record
        return value is not None and self.sniff_value(value)

    def is_record(self, value: Any) -> bool:
        """Return True when `value` has the structure of one of this format's records."""
        raise NotImplementedError

    def own_envelopes(self) -> tuple[str, ...]:
        """This format's own page keys (`envelope` and `envelopes`)."""
        return tuple(dict.fromkeys((*((self.envelope,) if self.envelope else ()), *self.envelopes)))

    def stream_keys(self) -> frozenset[str]:
        """The keys of a big document whose arrays are read element by element: the format's own
        page keys and the generic ones."""
        return frozenset((*self.own_envelopes(), *PAGE_KEYS))

    def unwrap(self, value: Any) -> list[tuple[str, Any]] | None:
        """The records of a top-level value (see `chatqa.parsers.envelopes.unwrap`)."""
        return unwrap(value, self.is_record, self.own_envelopes(), self.webhooks)

    def sniff_value(self, value: Any) -> bool:
        """A record, or an envelope whose first records include one (an empty page: by its markers)."""
        found = self.unwrap(value)
        if found is None:
            return False
        if found:
            return any(self.is_record(record) for _, record in found[:PROBE])
        return isinstance(value, dict) and any(k in value for k in self.envelope_markers)

    def records(self, value: Any) -> Iterator[tuple[str, Any]]:
        """Yield (locator, record) for each conversation in a top-level value."""
        found = self.unwrap(value)
        yield from [("", value)] if found is None else found

    def convert(self, record: Any, ctx: RecordContext) -> Conversation:
        """Turn one record into a Conversation (raise ParseError or ValidationError)."""
        raise NotImplementedError

    def convert_bytes(self, raw: bytes, ctx: RecordContext) -> Conversation | None:
        """A JSON Lines record converted from its bytes, or None to decode it and `convert` it."""
        return None

    def snapshot_key(self, record: Any) -> str | None:
        """The conversation a partial record (a webhook snapshot) belongs to; None for a record
        that is a whole conversation."""
        return None

    def merge(self, first: Any, later: Any) -> Any:
        """Two snapshots of one conversation as one record (`later` was read after `first`); None
        when `later` repeats one merged before, adding nothing: a `Duplicate` (counted as such)."""
        return later

    def splits(self, first: Any) -> bool:
        """Whether a big JSON Lines file whose first record is `first` may be read in parts by
        several processes (``--jobs``): its records are independent, line by line."""
        return True

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """Read every top-level value of the file (see `parse_records`)."""
        yield from self.parse_records(source.name, json_records(source, keys=self.stream_keys()), options)

    def parse_records(self, name: str, records: Iterable[Record | Failure], options: ParseOptions
                      ) -> Iterator[Conversation | Failure | Duplicate]:
        """Unpack and convert each top-level value (raw JSON bytes or a value) of `records`, read
        from `name` (a file, or a batch of records in memory); snapshots merged at the end."""
        held: dict[str, tuple[str, Any]] = {}
        for item in records:
            if isinstance(item, Failure):
                yield item
                continue
            top, value = item
            if type(value) is bytes:
                try:
                    fast = self.convert_bytes(value, RecordContext(self, name, top, options))
                except RECORD_ERRORS as exc:
                    yield record_failure(exc, name, top)
                    continue
                if fast is not None:
                    yield fast
                    continue
                value = decode(name, top, value)
                if isinstance(value, Failure):
                    yield value
                    continue
            try:
                records_ = list(self.records(value))
            except RECORD_ERRORS as exc:
                yield record_failure(exc, name, top)
                continue
            for loc, record in records_:
                where = join_locator(top, loc)
                try:
                    key = self.snapshot_key(record) if self.is_record(record) else None
                    if key is not None:
                        first = held.get(key)
                        merged = record if first is None else self.merge(first[1], record)
                        if merged is None:  # a snapshot read before, changing nothing: counted
                            yield Duplicate(name, where)
                        else:
                            held[key] = (where if first is None else first[0], merged)
                        continue
                except RECORD_ERRORS as exc:
                    yield record_failure(exc, name, where)
                    continue
                yield self._convert(record, name, where, options)
        for where, record in held.values():
            yield self._convert(record, name, where, options)

    def _convert(self, record: Any, name: str, where: str, options: ParseOptions) -> Conversation | Failure:
        try:
            if not self.is_record(record):
                raise ParseError(not_a_record(self))
            return self.convert(record, RecordContext(self, name, where, options))
        except RECORD_ERRORS as exc:
            return record_failure(exc, name, where)


Row = tuple[int, list[str]]


class TableParser(Parser):
    """A parser for CSV exports with one message per row.

    Subclasses implement `sniff_header`, `plan` (resolve the columns they need, raising
    ParseError when one is missing), `group` (rows -> conversations) and `convert`. Rows
    with the wrong number of fields are failures of their own; a row that repeats an earlier
    row of the file cell for cell is a `Duplicate` (counted once); a conversation with a bad
    row fails as a whole, naming the row.
    """

    syntaxes: ClassVar[frozenset[Syntax]] = frozenset({"csv"})

    def sniff(self, source: InputFile, options: ParseOptions) -> bool:
        """Sniff the header row."""
        return self.sniff_header(source.csv_header, options)

    def sniff_header(self, header: list[str], options: ParseOptions) -> bool:
        """Return True when the header has this format's columns."""
        raise NotImplementedError

    def plan(self, header: list[str], options: ParseOptions) -> Any:
        """Resolve column positions from the header (raise ParseError if one is missing)."""
        raise NotImplementedError

    def group(self, rows: list[Row], plan: Any) -> Iterator[tuple[str, list[Row]]]:
        """Yield (conversation id, rows) per conversation, in file order (see `key`)."""
        raise NotImplementedError

    def key(self, fields: list[str], plan: Any) -> str | None:
        """The conversation a row belongs to, for formats that name it in a column (their rows
        are then grouped in bounded memory, `chatqa.read.groups`); None: `group` sees all rows."""
        return None

    def convert(self, key: str, rows: list[Row], plan: Any, ctx: RecordContext) -> Conversation:
        """Turn one conversation's rows (id `key`) into a Conversation."""
        raise NotImplementedError

    def parse(self, source: InputFile, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """Read all rows, group them into conversations and convert each one."""
        header, reader = csv_rows(source)
        yield from self.parse_rows(source, header, reader, options)

    def parse_rows(self, source: InputFile | str, header: list[str], reader: Iterable[tuple[int, list[str] | None]],
                   options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
        """`parse` for rows already cut into cells: (line, cells or None when undecodable), read
        from `source` (a file, or the name of a table in memory)."""
        name = source if isinstance(source, str) else source.name
        plan = self.plan(header, options)
        keyed = type(self).key is not TableParser.key
        rows: list[Row] = []
        grouped = Grouped()
        seen: set[tuple[str, ...]] = set()
        try:
            for line, fields in reader:
                if fields is None:
                    yield Failure(source=name, locator=f"line {line}", reason=UNDECODABLE)
                elif len(fields) != len(header):
                    yield Failure(source=name, locator=f"line {line}",
                                  reason=f"expected {len(header)} fields, found {len(fields)}")
                elif keyed:
                    if not grouped.add(self.key(fields, plan) or "", f"line {line}", (line, fields), tuple(fields)):
                        yield Duplicate(name, f"line {line}")
                elif (cells := tuple(fields)) not in seen:  # else a row repeated cell for cell
                    seen.add(cells)
                    rows.append((line, fields))
                else:
                    yield Duplicate(name, f"line {line}")
        except ParseError as exc:  # the CSV reader cannot go on; keep what was read
            yield exc.failure(name)
        groups = ((g if isinstance(g, Repeat) else (g.key, [row for _, row in g.items])) for g in grouped) \
            if keyed else self.group(rows, plan)
        for group in groups:
            if isinstance(group, Repeat):
                yield Duplicate(name, group.where)
                continue
            key, members = group
            where = f"line {members[0][0]}"
            try:
                yield self.convert(key, members, plan, RecordContext(self, source, where, options))
            except RECORD_ERRORS as exc:
                failure = exc.failure(name) if isinstance(exc, ParseError) and exc.locator \
                    else record_failure(exc, name, where)
                yield failure.model_copy(update={"reason": f"{failure.reason}; conversation {key} skipped"})



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
        shown = "" if isinstance(got, dict | list) or got is None else f", got {quoted(got)}"
        reason = f"{err['msg'][0].lower()}{err['msg'][1:]}{shown}"
        if err["type"] == "missing":
            reason = f"missing field {str(err['loc'][-1])!r}"
        return Failure(source=source, locator=join_locator(where, path), reason=reason)
    if isinstance(exc, KeyError):
        return Failure(source=source, locator=where, reason=f"missing field {exc.args[0]!r}")
    return Failure(source=source, locator=where, reason=f"unexpected structure ({exc})")
