"""Parsers: one per export format, registered under the ``chatqa.parsers`` entry point.

A parser is a `Parser` subclass; `JsonParser` and `TableParser` cover the common shapes (see
`chatqa.parsers.base`). `detect` picks a parser from a file's structure and `parse_file`
yields the conversations and failures of one file (see `chatqa.parsers.detect`).
"""

from .base import (
    RECORD_ERRORS,
    JsonParser,
    ParseOptions,
    Parser,
    RecordContext,
    Row,
    TableParser,
    VendorModel,
    not_a_record,
    record_failure,
    text_or_empty,
)
from .detect import all_parsers, detect, envelope_keys, get_parser, parse_file, registry

__all__ = [
    "RECORD_ERRORS", "JsonParser", "ParseOptions", "Parser", "RecordContext", "Row", "TableParser", "VendorModel",
    "all_parsers", "detect", "envelope_keys", "get_parser", "not_a_record", "parse_file", "record_failure",
    "registry", "text_or_empty",
]
