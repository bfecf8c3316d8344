"""Rows of a table grouped into conversations in bounded memory.

A CSV export is not sorted by conversation, so a conversation is complete only at the end of the
file. `Grouped` holds the rows in memory, grouped by key in order of first appearance, and
drops rows that repeat an earlier row cell for cell (duplicates). Past `SPILL_ABOVE` rows it
moves them to temporary bucket files by a stable hash of the key and reads the buckets back one
at a time: memory then holds one bucket, not the file, and the conversations come out bucket by
bucket (in order of first appearance within each), the same ones, in the same order every run.
"""

from __future__ import annotations

import pickle
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

SPILL_ABOVE = 200_000
"""Rows held in memory before they go to bucket files (about 150 MB of rows)."""
BUCKETS = 128


class Group(NamedTuple):
    """One conversation's rows: its key and (locator, item) pairs in file order."""

    key: str
    items: list[tuple[str, Any]]


class Repeat(NamedTuple):
    """A row that repeats an earlier row of the file cell for cell."""

    where: str


class Grouped:
    """Rows grouped by key (see the module's docstring). `add` says False for a duplicate known
    at once; after a spill, duplicates come out of iteration as `Repeat`s instead."""

    def __init__(self) -> None:
        self.groups: dict[str, list[tuple[str, Any, tuple[str, ...]]]] = {}
        self.seen: set[tuple[str, ...]] = set()
        self.rows = 0
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.buckets: list[IO[bytes]] = []

    def add(self, key: str, where: str, item: Any, cells: tuple[str, ...]) -> bool:
        """Add one row (`item`, at `where`, whose cells are `cells`) to the conversation `key`."""
        if self.folder is not None:
            self._write(key, where, item, cells)
            return True
        if cells in self.seen:
            return False
        self.seen.add(cells)
        self.groups.setdefault(key, []).append((where, item, cells))
        self.rows += 1
        if self.rows > SPILL_ABOVE:
            self._spill()
        return True

    def __iter__(self) -> Iterator[Group | Repeat]:
        if self.folder is None:
            for key, rows in self.groups.items():
                yield Group(key, [(where, item) for where, item, _ in rows])
            return
        try:
            for bucket in self.buckets:
                bucket.seek(0)
                yield from _bucket(bucket)
                bucket.close()
        finally:
            self.close()

    def close(self) -> None:
        """Remove the bucket files (if any)."""
        for bucket in self.buckets:
            bucket.close()
        if self.folder is not None:
            self.folder.cleanup()

    def _spill(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="chatqa-rows-")
        self.buckets = [open(Path(self.folder.name) / f"{i}.rows", "w+b")  # noqa: SIM115 - closed in close()
                        for i in range(BUCKETS)]
        for key, rows in self.groups.items():
            for where, item, cells in rows:
                self._write(key, where, item, cells)
        self.groups, self.seen = {}, set()

    def _write(self, key: str, where: str, item: Any, cells: tuple[str, ...]) -> None:
        bucket = self.buckets[zlib.crc32(key.encode("utf-8", "surrogatepass")) % BUCKETS]
        pickle.dump((key, where, item, cells), bucket, pickle.HIGHEST_PROTOCOL)


def _bucket(stream: IO[bytes]) -> Iterator[Group | Repeat]:
    groups: dict[str, list[tuple[str, Any]]] = {}
    seen: set[tuple[str, ...]] = set()
    while True:
        try:
            key, where, item, cells = pickle.load(stream)
        except EOFError:
            break
        if cells in seen:
            yield Repeat(where)
            continue
        seen.add(cells)
        groups.setdefault(key, []).append((where, item))
    for key, items in groups.items():
        yield Group(key, items)
