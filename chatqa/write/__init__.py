"""Writing a run's results: one writer per output format, registered under the
``chatqa.writers`` entry point (name, file suffixes, one constructor), like parsers and rule
kinds, so a plug-in adds a format the same way. Outputs are written atomically.

A writer receives the results one by one (`write`), then the run's summary (`close`).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, ClassVar

from ..registry import Registry

if TYPE_CHECKING:  # (not imported at run time: `chatqa --help` lists the formats without pydantic)
    from ..kinds import Rule
    from ..results import Result, Summary

__all__ = ["Options", "Writer", "atomic_output", "for_suffix", "formats", "registry"]


@dataclass(frozen=True)
class Options:
    """What a writer may need to know about the run besides its results."""

    rules: list[Rule] = field(default_factory=list)  # the rules that ran (names, levels, explanations)
    scorecard: str = ""  # the scorecard's version
    critical: frozenset[str] = frozenset()  # codes of the critical rules
    redact: bool = True  # mask emails and phone numbers (card numbers are always masked)
    color: bool = False  # the stream is a terminal that shows colour
    top: int = 50  # conversations the table shows (the worst; its summary covers them all)


class Writer:
    """Base class of every output format: `name`, `suffixes` (for ``-o FILE``), and the
    constructor ``(stream, options)``."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""
    needs_transcripts: ClassVar[bool] = False  # reads Result.transcript (the run keeps conversations)
    binary: ClassVar[bool] = False  # writes bytes no terminal can show (refused on a terminal's stdout)

    def __init__(self, stream: IO[bytes], options: Options | None = None) -> None:
        self.stream = stream
        self.options = options or Options()

    def write(self, result: Result) -> None:
        """Write one conversation's result."""
        raise NotImplementedError

    def close(self, summary: Summary) -> None:
        """Finish the output (summaries, closing brackets)."""


registry: Registry[type[Writer]] = Registry("chatqa.writers", "output format")


def formats() -> list[str]:
    """Every registered output format."""
    return registry.names()


def for_suffix(path: str | os.PathLike[str]) -> str | None:
    """The format whose suffixes include `path`'s (None when none does)."""
    from ..errors import ConfigError

    suffix = Path(path).suffix.lower()
    for name in registry.names():
        try:
            cls = registry.get(name)
        except ConfigError:
            continue
        if suffix in cls.suffixes:
            return name
    return None


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str] | None, stdout: IO[bytes]) -> Iterator[IO[bytes]]:
    """Write to `path` through a temporary file renamed into place on success (stdout if None).

    An error or Ctrl-C leaves no half-written file behind. ValueError when `path` exists and is
    not a regular file (a FIFO, a device, a folder): it is never replaced.
    """
    if path is None:
        yield stdout
        stdout.flush()
        return
    target = Path(os.path.realpath(path))  # through a symlink: the link stays, its file is replaced
    if os.path.lexists(target) and not stat.S_ISREG(os.stat(target).st_mode):
        raise ValueError(f"{path}: not a regular file (outputs are written only over regular files)")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an output file gets the usual mode
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
