"""Which parser reads a file: registered formats (entry point ``chatqa.parsers``), detection
from the file's structure, and `parse_file` for one file."""

from __future__ import annotations

import os
from collections.abc import Iterator

from ..duplicates import Duplicate
from ..errors import ConfigError, Failure, ParseError
from ..read import InputFile, LineRange
from ..read.archive import Member, is_zip, members
from ..read.outputs import OwnOutput, own_output
from ..records import Conversation
from ..registry import Registry
from .base import JsonParser, ParseOptions, Parser
from .envelopes import PAGE_KEYS

registry: Registry[type[Parser]] = Registry("chatqa.parsers", "format")


def get_parser(name: str) -> Parser:
    """Instantiate the parser registered as `name` (ConfigError if unknown)."""
    cls = registry.get(name)
    return cls()


def all_parsers() -> list[Parser]:
    """Every registered parser, in sniffing order (highest priority first)."""
    parsers = [get_parser(name) for name in registry.names()]
    return sorted(parsers, key=lambda p: (-p.priority, p.name))


def envelope_keys() -> frozenset[str]:
    """Keys of API responses that hold the records in an array, as the parsers declare them, and
    the generic ones (a big document shows its first element under them to format detection; each
    parser then streams its own keys and the generic ones)."""
    keys = set(PAGE_KEYS)
    for parser in all_parsers():
        if isinstance(parser, JsonParser):
            keys.update(parser.stream_keys())
        elif parser.envelope:
            keys.add(parser.envelope)
    return frozenset(keys)


def detect(source: InputFile, options: ParseOptions | None = None) -> Parser | None:
    """Pick the parser whose format `source` has; None for a JSON file with no records.

    The first record (or CSV header) is read once, whatever the number of formats. Raises
    ParseError when the file matches no registered format.
    """
    options = options or ParseOptions()
    syntax = source.syntax
    for parser in all_parsers():
        if syntax in parser.syntaxes and parser.sniff(source, options):
            return parser
    if syntax != "csv" and source.first_record is None:
        return None
    raise ParseError(_unknown_format(source))


def _unknown_format(source: InputFile) -> str:
    if source.syntax == "csv":
        header = source.csv_header
        if len(header) < 2:
            return "not a transcript export (neither JSON nor a CSV with columns)"
        return f"no known format for this CSV (columns: {', '.join(header[:8])}); use --vendor csv with --map"
    value = source.first_record
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:8])
        return f"no known export format (top-level keys: {keys}); see `chatqa formats`"
    return "no known export format; see `chatqa formats`"


def parse_file(
    path: str | os.PathLike[str], vendor: str = "auto", options: ParseOptions | None = None,
    lines: LineRange | None = None, member: Member | None = None,
) -> Iterator[Conversation | Failure | Duplicate | OwnOutput]:
    """Yield the conversations and failures of one file (gzip read transparently), of the
    `lines` of a JSON Lines file, or of a `member` of a ZIP archive; a ZIP archive given alone
    is read member by member (documentation members skipped)."""
    options = options or ParseOptions()
    if member is None and lines is None and is_zip(path):
        for item in members(path):
            if isinstance(item, Failure):
                yield item
            elif isinstance(item, Member):
                yield from parse_file(path, vendor, options, member=item)
        return
    source = InputFile(path, lines, envelope_keys(), member, options.delimiter)
    parser: Parser | None = None
    if lines is None or lines.start == 0:
        what = own_output(source)
        if what is not None:
            yield OwnOutput(source.name, what)
            return
    try:
        parser = detect(source, options) if vendor == "auto" else get_parser(vendor)
        if parser is None:
            return
        yield from parser.parse(source, options)
    except ParseError as exc:
        yield exc.failure(source.name)
    except (ConfigError, RecursionError, MemoryError):
        raise
    except Exception as exc:  # a plug-in bug is reported on its file, not as a traceback
        name = parser.name if parser else "format detection"
        yield Failure(source=source.name, reason=f"internal error in {name}: {type(exc).__name__}: {exc}")
