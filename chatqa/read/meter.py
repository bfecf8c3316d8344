"""How far a run has read its inputs, in bytes of the files it was given, for a progress bar.

`Meter.read` is cheap and may be called from another thread (a progress bar's refresh): it adds
the sizes of the units finished to the position of the file being read in this process (the
file descriptor's offset, the compressed one for gzip). Units read by worker processes count
when they finish (a part of a JSON Lines file is about 4 MB)."""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable
from typing import Any

from .files import iter_files

ACTIVE: Meter | None = None  # the meter of this process's run, when a progress bar shows it


class Meter:
    """Bytes read of `total` (None when unknown)."""

    def __init__(self, total: int | None) -> None:
        self.total = total
        self.done = 0
        self.best = 0
        self.pending: deque[tuple[str, int]] = deque()  # units handed out and not finished: (path, bytes)
        self.archive: tuple[str, int] | None = None  # a ZIP archive whose members are being read
        self.file: tuple[str, Any] | None = None  # the file this process opened last, and its handle

    @classmethod
    def of(cls, paths: Iterable[Any], exclude: Iterable[str] = ()) -> Meter:
        """A meter for the regular files under `paths` (walked as a run walks them)."""
        total = 0
        for path in iter_files([p for p in paths if isinstance(p, str | os.PathLike)], exclude):
            if isinstance(path, os.PathLike):
                try:
                    total += os.stat(path).st_size
                except OSError:
                    continue
        return cls(total)

    def queued(self, path: str, size: int | None, member: bool = False) -> None:
        """A unit of `path` handed out to be read (`size` bytes; None: the whole file)."""
        if self.archive is not None and self.archive[0] != path:
            self.done += self.archive[1]  # the members of that archive are all handed out
            self.archive = None
        if member:
            if self.archive is None:
                self.archive = (path, _size(path))
            size = 0
        self.pending.append((path, _size(path) if size is None else size))

    def finished(self) -> None:
        """The oldest unit handed out has been read."""
        if self.pending:
            self.done += self.pending.popleft()[1]

    def opened(self, path: str, handle: Any) -> None:
        """This process opened `path` for reading (through `handle`)."""
        self.file = (path, handle)

    def read(self) -> int:
        """Bytes read so far (never less than a call before)."""
        position = self.done
        file, pending = self.file, self.pending
        if file is not None and pending:
            path, size = pending[0]
            handle = file[1]
            if file[0] == path and size and not handle.closed:
                try:
                    position += min(size, os.lseek(handle.fileno(), 0, os.SEEK_CUR))
                except (OSError, ValueError):
                    pass
        if self.total is not None:
            position = min(position, self.total)
        self.best = max(self.best, position)
        return self.best


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
