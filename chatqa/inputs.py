"""What a run reads, cut into units of work, and the accounting of every record read.

A unit is a file (or a member of a ZIP archive, read like a file in a folder), a part of a large
JSON Lines file (cut at line ends, so that processes can share one file), a batch of raw records
in memory (a Dask bag partition) or a batch of
conversations given as objects. `read` turns one unit into conversations and failures;
`Accounting` counts them so that ``records_in == conversations + failure_count + duplicates`` (a
conversation read again is counted once: `chatqa.duplicates`; the first `MAX_LISTED_FAILURES`
failures are kept, every one is counted and passed on as it is met). `Loader` is `chatqa.load`:
transcripts streamed from paths.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

import msgspec

from .duplicates import Duplicate, Key, Seen, conflict_reason, conversation_key
from .errors import Failure, ParseError
from .model import Transcript
from .parsers import (
    JsonParser,
    ParseOptions,
    TableParser,
    all_parsers,
    detect,
    envelope_keys,
    get_parser,
    parse_file,
    registry,
)
from .read import GZIP_MAGIC, InputFile, LineRange, Skipped, iter_files, meter, split_lines
from .read.archive import Member, is_zip, members
from .read.outputs import OwnOutput, own_output
from .records import Conversation, mark_bystanders
from .redact import mask_cards
from .results import Summary

PART_BYTES = 4 << 20  # a JSON Lines file is cut into parts of about this size (~1,000 chats)
BATCH = 1_000  # conversations or records per in-memory unit
MAX_LISTED_FAILURES = 10_000
"""Failures a run keeps (in `Summary.failures`); the rest are counted and passed on, not held."""
GIVE_UP_AFTER = 10_000
"""A file that has given this many failures, more than its conversations, is not read further
(one more failure says so): a file of garbage lines would otherwise run for hours."""
RECORDS = "<records>"  # the name of records given in memory (`chatqa.analyze` of dicts), in errors and sources


@dataclass(frozen=True)
class File:
    """A file, the `lines` part of a JSON Lines file read by `vendor`, or a `member` of the ZIP
    archive at `path`."""

    path: str
    vendor: str
    lines: LineRange | None = None
    first: bool = True  # counts the file (its first part)
    member: Member | None = None


@dataclass(frozen=True)
class Records:
    """Raw records in memory (dicts, or JSON text), named `name` in sources and errors."""

    name: str
    records: Sequence[Any]
    vendor: str = "auto"
    offset: int = 0  # the place of the first record among those of `name`


@dataclass(frozen=True)
class Objects:
    """Conversations given as objects (Transcripts, or already light)."""

    conversations: Sequence[Conversation | Transcript] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """Rows of a table in memory (a messages DataFrame), one message per row, cells as text,
    named `name`; `rows` are (line, cells), lines numbered as the table's CSV would be."""

    name: str
    header: list[str]
    rows: Sequence[tuple[int, list[str] | None]]
    vendor: str = "auto"


Unit = File | Records | Objects | Table
PathArg = str | os.PathLike[str]


def plan(inputs: Iterable[Any], vendor: str, options: ParseOptions, *, split: bool = False
         ) -> Iterator[Unit | Failure | Skipped]:
    """The work of a run, in input order: paths (folders walked; with `split`, large JSON Lines
    files cut into parts) and Transcript objects (in batches)."""
    if vendor != "auto":
        registry.get(vendor)
    batch: list[Transcript] = []
    records: list[Any] = []
    given = 0  # records given so far (each one's place in errors)
    for item in inputs:
        if isinstance(item, Transcript | Conversation):
            batch.append(item)  # type: ignore[arg-type]
            if len(batch) >= BATCH:
                yield Objects(batch)
                batch = []
            continue
        if batch:
            yield Objects(batch)
            batch = []
        if isinstance(item, dict):
            records.append(item)
            if len(records) >= BATCH:
                yield Records(RECORDS, records, vendor, given)
                given, records = given + len(records), []
            continue
        if records:
            yield Records(RECORDS, records, vendor, given)
            given, records = given + len(records), []
        if isinstance(item, Table):
            yield item
            continue
        for path in iter_files([item], options.exclude):
            if isinstance(path, Failure | Skipped):
                yield path
                continue
            if is_zip(path):  # each member a file of its own (workers share an archive member by member)
                for member in members(path):
                    yield member if isinstance(member, Failure | Skipped) else File(str(path), vendor, member=member)
                continue
            parts = _parts(path, vendor, options) if split else None
            if parts is None:
                yield File(str(path), vendor)
                continue
            parser, ranges = parts
            for i, lines in enumerate(ranges):
                yield File(str(path), parser, lines, first=i == 0)
    if batch:
        yield Objects(batch)
    if records:
        yield Records(RECORDS, records, vendor, given)


def _parts(path: Path, vendor: str, options: ParseOptions) -> tuple[str, list[LineRange]] | None:
    """(parser, line ranges) for a large plain JSON Lines file; None to read it whole."""
    try:
        if path.stat().st_size < 2 * PART_BYTES:
            return None
        source = InputFile(path, envelopes=envelope_keys())
        if source.head[:2] == GZIP_MAGIC or source.syntax != "jsonl" or source.encoding != "utf-8":
            return None
        if own_output(source):
            return None  # read whole: it is skipped, once
        parser = detect(source, options) if vendor == "auto" else get_parser(vendor)
        if not isinstance(parser, JsonParser) or not parser.splits(source.first_record):
            return None  # not JSON records that are independent line by line
    except (OSError, ParseError):
        return None  # read whole: the reader reports the problem as a one-process run would
    return parser.name, split_lines(path, PART_BYTES)


def read(unit: Unit, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate | OwnOutput]:
    """The conversations and failures of one unit, in order."""
    if isinstance(unit, File):
        yield from _given_up(parse_file(unit.path, unit.vendor, options, lines=unit.lines, member=unit.member))
    elif isinstance(unit, Records):
        yield from _records(unit, options)
    elif isinstance(unit, Table):
        yield from _table(unit, options)
    else:
        channel = options.channel
        for item in unit.conversations:
            conversation = Conversation.of(item) if isinstance(item, Transcript) else item
            if channel is not None and conversation.channel is not channel:
                conversation = msgspec.structs.replace(conversation, channel=channel)
                mark_bystanders(conversation.lines, channel)  # who is a bystander depends on the channel
            yield conversation


def _given_up(items: Iterator[Conversation | Failure | Duplicate | OwnOutput]
              ) -> Iterator[Conversation | Failure | Duplicate | OwnOutput]:
    """`items`, up to the failure that makes the file hopeless (`GIVE_UP_AFTER`)."""
    failed = read = 0
    for item in items:
        yield item
        if type(item) is not Failure:
            read += 1
            continue
        failed += 1
        if failed >= GIVE_UP_AFTER and failed > read:
            yield Failure(source=item.source, locator=item.locator,
                          reason=f"{failed:,} records of this file could not be read, more than it has "
                                 "conversations: the rest of the file is not read")
            if hasattr(items, "close"):
                items.close()
            return


def _records(unit: Records, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
    """Raw records, each read by the parser its structure (or `unit.vendor`) names."""
    from .read import decode

    parsers = [get_parser(unit.vendor)] if unit.vendor != "auto" else all_parsers()
    for i, record in enumerate(unit.records, unit.offset):
        where = f"[{i}]"
        raw = record.encode() if isinstance(record, str) else record
        value = decode(unit.name, where, raw)
        if isinstance(value, Failure):
            yield value
            continue
        parser = next((p for p in parsers if isinstance(p, JsonParser) and p.sniff_value(value)), None)
        if parser is None:
            reason = (f"{unit.vendor} records are table rows; give files instead" if unit.vendor != "auto"
                      else "no known export format for this record; see `chatqa formats`")
            yield Failure(source=unit.name, locator=where, reason=reason)
            continue
        yield from parser.parse_records(unit.name, [(where, value)], options)


def _table(unit: Table, options: ParseOptions) -> Iterator[Conversation | Failure | Duplicate]:
    """The rows of a table, read by the table format its columns (or `unit.vendor`) name."""
    if unit.vendor != "auto":
        parser = get_parser(unit.vendor)
        if not isinstance(parser, TableParser):
            yield Failure(source=unit.name, reason=f"{unit.vendor} exports are JSON records, not table rows")
            return
    else:
        tables = (p for p in all_parsers() if isinstance(p, TableParser))
        found = next((p for p in tables if p.sniff_header(unit.header, options)), None)
        if found is None:
            yield Failure(source=unit.name, reason=f"no known format for these columns ({', '.join(unit.header[:8])}): "
                                                   "map them with columns={'conversation': ..., 'role': ..., "
                                                   "'text': ...}")
            return
        parser = found
    try:
        yield from parser.parse_rows(unit.name, unit.header, unit.rows, options)
    except ParseError as exc:
        yield exc.failure(unit.name)


T = TypeVar("T")


class Identity(NamedTuple):
    """What the accounting needs to know of a conversation to count it once: its digests (see
    `chatqa.duplicates`), id, vendor and source."""

    key: Key
    id: str
    vendor: str
    source: str

    @classmethod
    def of(cls, conversation: Conversation) -> Identity:
        """The identity of a light conversation."""
        c = conversation
        return cls(conversation_key(c), c.id, c.vendor, c.source)

    def conflict(self) -> Failure:
        """The failure of this conversation read again with other content (the first is kept)."""
        source, _, locator = self.source.rpartition("#") if "#" in self.source else (self.source, "", "")
        return Failure(source=source, locator=locator, reason=conflict_reason(self.id, self.vendor))


class Accounting:
    """What a run read: files, conversations, failures, duplicates and skipped files, so that
    ``records_in == conversations + failure_count + duplicates`` (`failures` keeps the first
    `MAX_LISTED_FAILURES`). A conversation read again is
    counted once (`chatqa.duplicates`). `on_failure` (if set) is called with each failure as it
    is met; with ``errors="raise"`` the first failure raises ParseError."""

    def __init__(self, errors: Literal["raise", "collect"] = "collect",
                 on_failure: Callable[[Failure], None] | None = None) -> None:
        self.errors = errors
        self.files = 0
        self.conversations = 0
        self.duplicates = 0
        self.failures: list[Failure] = []
        self.failure_count = 0
        self.skipped: list[str] = []
        self.on_failure = on_failure
        self.on_skip: Callable[[OwnOutput], None] | None = None  # sees each of chatqa's own outputs skipped
        self.seen = Seen()

    @property
    def records_in(self) -> int:
        """Records read so far: conversations, failures and duplicates."""
        return self.conversations + self.failure_count + self.duplicates

    def summary(self) -> Summary:
        """The counts as the JSON output's summary."""
        return Summary(files=self.files, records_in=self.records_in, conversations=self.conversations,
                       duplicates=self.duplicates, failures=self.failures, failure_count=self.failure_count,
                       skipped=self.skipped)

    def unit(self, unit: Unit | Failure | Skipped) -> Unit | None:
        """Count a planned item: the unit to read, or None for a failure or a skipped file."""
        if isinstance(unit, Skipped):
            self.skipped.append(mask_cards(str(unit.path)))
            return None
        if isinstance(unit, Failure):
            self.fail(unit)
            return None
        if isinstance(unit, File) and unit.first:
            self.files += 1
        if meter.ACTIVE is not None:
            if isinstance(unit, File):
                size = unit.lines.end - unit.lines.start if unit.lines else None
                meter.ACTIVE.queued(unit.path, size, member=unit.member is not None)
            else:
                meter.ACTIVE.queued("", 0)
        return unit

    def count(self, items: Iterable[T | Failure | Duplicate | OwnOutput], identity: Callable[[T], Identity]
              ) -> Iterator[T]:
        """The conversations of `items` read for the first time (`identity` tells them apart),
        counting them, the duplicates, and reporting the failures."""
        for item in items:
            if isinstance(item, Failure):
                self.fail(item)
            elif isinstance(item, Duplicate):
                self.duplicates += 1
            elif isinstance(item, OwnOutput):
                self.skip(item)
            elif self.first_time(identity(item)):
                self.conversations += 1
                yield item
        if meter.ACTIVE is not None:
            meter.ACTIVE.finished()

    def skip(self, output: OwnOutput) -> None:
        """Count one of chatqa's own outputs met among the inputs (skipped, not a file read)."""
        self.skipped.append(mask_cards(output.path))
        self.files -= 1
        if self.on_skip is not None:
            self.on_skip(output)

    def first_time(self, who: Identity) -> bool:
        """True for a conversation not read before; a duplicate is counted, a conflicting one
        (same id, different content) is a failure."""
        verdict = self.seen.add(who.key)
        if verdict == "new":
            return True
        if verdict == "duplicate":
            self.duplicates += 1
        else:
            self.fail(who.conflict())
        return False

    def fail(self, failure: Failure) -> None:
        """Count (and report) one failure."""
        self.failure_count += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(failure)
        if self.on_failure is not None:
            self.on_failure(failure)
        if self.errors == "raise":
            raise ParseError(failure.reason, failure.locator, failure.source)


class Loader(Accounting):
    """Stream Transcript objects from files and folders, accounting for every record.

    With ``errors="raise"`` the first failure raises ParseError; with ``errors="collect"``
    failures are kept in `failures` and the stream goes on. A conversation read again is
    yielded once (`duplicates` counts the repeats). After iteration,
    ``records_in == conversations + failure_count + duplicates``.
    """

    def __init__(self, paths: PathArg | Iterable[PathArg], vendor: str = "auto", options: ParseOptions | None = None,
                 errors: Literal["raise", "collect"] = "raise") -> None:
        super().__init__(errors)
        self.paths = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
        self.vendor = vendor
        self.options = options or ParseOptions()
        if vendor != "auto":
            registry.get(vendor)

    def iter_conversations(self) -> Iterator[Conversation]:
        """The light records instead of Transcripts (faster)."""
        for unit in plan(self.paths, self.vendor, self.options):
            found = self.unit(unit)
            if found is not None:
                yield from self.count(read(found, self.options), Identity.of)

    def __iter__(self) -> Iterator[Transcript]:
        for conversation in self.iter_conversations():
            yield conversation.transcript()
