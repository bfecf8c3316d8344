"""Agent concurrency over a whole run, in bounded memory.

Every conversation is an interval (first to last visible time) for each of its agents.
`Intervals` collects them (in memory up to `Intervals.SPILL_AT` rows, then in a temporary
SQLite database that sorts on disk); `Intervals.peaks` sweeps each agent's intervals in time
order and returns, per conversation, the most conversations its agent had open at once
during it, with the ids of the others at that moment.

Overlap is closed: a conversation that ends exactly when another starts overlaps it. Among
moments with the same count the earliest wins; among agents of one conversation, the first
(in order of appearance) with the highest count.
"""

from __future__ import annotations

import heapq
import math
import os
import sqlite3
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple


class Interval(NamedTuple):
    """One conversation's open interval (POSIX seconds) and its agents."""

    start: float
    end: float
    source: str  # unique per conversation of a run (file and place)
    id: str
    agents: tuple[str, ...]


Row = tuple[str, float, float, str, str]  # agent, start, end, source, id
Peak = tuple[int, str, tuple[str, ...]]  # open at once (this one included), agent, the others' ids


class _Table:
    """Rows kept in a list, moved to a temporary SQLite database past `spill_at`."""

    def __init__(self, spill_at: int, schema: str) -> None:
        self.spill_at = spill_at
        self.schema = schema  # "CREATE TABLE t (...)"
        self.rows: list[Any] = []
        self.db: sqlite3.Connection | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.count = 0

    def add_many(self, rows: Iterable[Any]) -> None:
        if self.db is None:
            self.rows.extend(rows)
            if len(self.rows) > self.spill_at:
                self._spill()
        else:
            self.rows.extend(rows)
            if len(self.rows) >= 10_000:
                self._flush()

    def _spill(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="chatqa-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "run.db"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-4096")  # 4 MiB: sorting spills to disk beyond it
        self.db.execute(self.schema)
        self._flush()

    def _flush(self) -> None:
        assert self.db is not None
        if self.rows:
            marks = ",".join("?" * len(self.rows[0]))
            self.db.executemany(f"INSERT INTO t VALUES ({marks})", self.rows)
            self.rows = []

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None


class Intervals:
    """Every agent's open intervals of a run (the state of the concurrency rule)."""

    SPILL_AT = 20_000

    def __init__(self) -> None:
        self._table = _Table(self.SPILL_AT, "CREATE TABLE t (agent TEXT, start REAL, end REAL, source TEXT, id TEXT)")

    def add(self, interval: Interval) -> None:
        """Record `interval` for each of its agents."""
        self._table.add_many((a, interval.start, interval.end, interval.source, interval.id)
                             for a in dict.fromkeys(interval.agents))

    def extend(self, other: Intervals) -> None:
        """Add every row of `other` (which is closed)."""
        self._table.add_many(other.rows())
        other._table.close()

    def rows(self) -> Iterator[Row]:
        """The rows sorted by agent, start, end, source, id."""
        table = self._table
        if table.db is None:
            yield from sorted(table.rows)
            return
        table._flush()
        yield from table.db.execute("SELECT agent, start, end, source, id FROM t "
                                    "ORDER BY agent, start, end, source, id")

    def peaks(self) -> Peaks:
        """Each conversation's peak per agent (see the module docstring); closes this state."""
        peaks = Peaks()
        batch: list[tuple[str, str, int, str]] = []
        for source, agent, (count, others) in sweep(self.rows()):
            batch.append((source, agent, count, "\x1f".join(others)))
            if len(batch) >= 10_000:
                peaks.add_many(batch)
                batch = []
        peaks.add_many(batch)
        self._table.close()
        return peaks

    def __getstate__(self) -> list[Row]:
        return list(self.rows())

    def __setstate__(self, rows: list[Row]) -> None:
        self.__init__()  # type: ignore[misc]
        self._table.add_many(rows)


def sweep(rows: Iterable[Row]) -> Iterator[tuple[str, str, tuple[int, tuple[str, ...]]]]:
    """(source, agent, (count, others)) for every row, from rows sorted by agent then start.

    Events are processed per agent by time, starts before ends at the same time (closed
    overlap), starts in row order. A conversation's count (itself included) is raised when a
    start brings more other conversations open with it than its best so far; `others` are
    their ids at that moment.
    """
    agent = ""
    ends: list[tuple[float, int]] = []  # min-heap of (end, rank) of the open rows
    open_rows: dict[int, tuple[str, str]] = {}  # rank -> (source, id), in start order
    sources: Counter[str] = Counter()  # sources of the open rows (a duplicate is not an "other")
    # rank -> (count, the open rows when it was reached): one snapshot per start, shared by every
    # row it raises, and the ids listed only when the row closes (else thousands of chats open
    # at once for one agent cost a sorted list per row per start: cubic)
    best: dict[int, tuple[int, tuple[tuple[str, str], ...]]] = {}

    def close_until(time: float) -> Iterator[tuple[str, str, tuple[int, tuple[str, ...]]]]:
        while ends and ends[0][0] < time:
            _, rank = heapq.heappop(ends)
            source, _ = open_rows.pop(rank)
            sources[source] -= 1
            count, snapshot = best.pop(rank)
            yield source, agent, (count, tuple(sorted(c for s, c in snapshot if s != source)))

    for rank, (row_agent, start, end, source, _cid) in enumerate(rows, 1):
        if row_agent != agent:
            yield from close_until(math.inf)
            agent = row_agent
        yield from close_until(start)  # ends strictly before this start; equal times overlap
        open_rows[rank] = (source, _cid)
        sources[source] += 1
        heapq.heappush(ends, (end, rank))
        snapshot = tuple(open_rows.values())
        best[rank] = (len(open_rows) - sources[source] + 1, snapshot)
        for other, (other_source, _) in open_rows.items():
            if other != rank:
                count = len(open_rows) - sources[other_source] + 1
                if count > best[other][0]:
                    best[other] = (count, snapshot)
    yield from close_until(math.inf)


class Peaks:
    """(source, agent) -> (count, others) of a run's conversations (SQLite past a size)."""

    def __init__(self) -> None:
        self._table = _Table(Intervals.SPILL_AT, "CREATE TABLE t (source TEXT, agent TEXT, count INT, others TEXT, "
                                                 "PRIMARY KEY (source, agent))")
        self._index: dict[tuple[str, str], tuple[int, str]] = {}

    def add_many(self, rows: list[tuple[str, str, int, str]]) -> None:
        """Add (source, agent, count, others joined by \\x1f) rows."""
        if self._table.db is None:
            for source, agent, count, others in rows:
                self._index[source, agent] = (count, others)
            if len(self._index) > Intervals.SPILL_AT:
                self._table.add_many([(s, a, c, o) for (s, a), (c, o) in self._index.items()])
                self._index = {}
                if self._table.db is None:
                    self._table._spill()
        else:
            self._table.add_many(rows)

    def peak(self, interval: Interval) -> Peak:
        """The most conversations open at once during `interval`'s conversation (itself
        included), the agent, and the others' ids; the first agent wins ties."""
        best: Peak = (1, interval.agents[0], ())
        for agent in interval.agents:
            found = self._get(interval.source, agent)
            if found is not None and found[0] > best[0]:
                best = (found[0], agent, tuple(found[1].split("\x1f")) if found[1] else ())
        return best

    def _get(self, source: str, agent: str) -> tuple[int, str] | None:
        if self._table.db is None:
            return self._index.get((source, agent))
        self._table._flush()
        return self._table.db.execute("SELECT count, others FROM t WHERE source = ? AND agent = ?",
                                      (source, agent)).fetchone()

    def __getstate__(self) -> dict[tuple[str, str], tuple[int, str]]:
        if self._table.db is None:
            return self._index
        self._table._flush()
        return {(s, a): (c, o) for s, a, c, o in self._table.db.execute("SELECT source, agent, count, others FROM t")}

    def __setstate__(self, index: dict[tuple[str, str], tuple[int, str]]) -> None:
        self.__init__()  # type: ignore[misc]
        self._index = dict(index)
