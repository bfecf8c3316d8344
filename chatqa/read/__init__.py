"""Reading inputs: folders walked, files opened (gzip transparently) and cut into records
(JSON values, JSON Lines, CSV rows), every unreadable part reported with its place."""

from .csv import UNDECODABLE, csv_rows
from .files import Skipped, iter_files
from .json import Page, Record, decode, json_records
from .source import GZIP_MAGIC, InputFile, LineRange, Syntax, split_lines

__all__ = ["GZIP_MAGIC", "UNDECODABLE", "InputFile", "LineRange", "Page", "Record", "Skipped", "Syntax", "csv_rows",
           "decode", "iter_files", "json_records", "split_lines"]
