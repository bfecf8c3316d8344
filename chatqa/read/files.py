"""Folder walking: every input file in name order, documentation skipped (and counted),
special files and unreadable paths reported as failures."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from ..errors import Failure

# Inside walked folders, documentation next to the exports is skipped (and counted); a file
# named explicitly is always read.
_DOC_SUFFIXES = frozenset(".md .markdown .rst .pdf .png .jpg .jpeg .gif .svg .ico .py .toml .yaml .yml "
                          ".ini .cfg .html .htm .css .js .docx .xlsx .doc .xls".split())
_DOC_STEMS = frozenset("readme license licence notice copying authors changelog".split())


MACOS_FOLDER = "__MACOSX"  # resource forks an archive made on a Mac carries: skipped like hidden files


class Skipped(NamedTuple):
    """A file inside a walked folder that is documentation, not an export."""

    path: Path


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | Failure | Skipped]:
    """Yield every file under `paths` (folders walked recursively, in name order).

    Hidden files and folders (and ``__MACOSX``) inside a walked folder are skipped, and documentation
    (README, LICENSE, ``*.md``, images...) is yielded as Skipped; a missing path, an
    unreadable folder or a symlink loop is yielded as a Failure.
    """
    for given in paths:
        path = Path(given)
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            reason = "no such file or directory" if isinstance(exc, FileNotFoundError) and not path.is_symlink() \
                else _stat_reason(exc)
            yield Failure(source=str(path), reason=reason)
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, set())
        elif stat.S_ISREG(mode):
            yield path
        else:
            yield Failure(source=str(path), reason=_special(mode))


def _walk(folder: Path, seen: set[str]) -> Iterator[Path | Failure | Skipped]:
    real = os.path.realpath(folder)
    if real in seen:
        yield Failure(source=str(folder), reason="symlink loop (folder already visited)")
        return
    seen.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Failure(source=str(folder), reason=f"cannot read folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name == MACOS_FOLDER:
            continue
        path = Path(entry.path)
        try:
            mode = entry.stat().st_mode
        except OSError as exc:
            yield Failure(source=str(path), reason=_stat_reason(exc))
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, seen)
        elif stat.S_ISREG(mode):
            yield Skipped(path) if is_documentation(path.name) else path
        else:
            yield Failure(source=str(path), reason=_special(mode))
    seen.discard(real)


def is_documentation(name: str) -> bool:
    """README, LICENSE, Markdown, images... beside the exports (skipped inside folders and archives)."""
    suffix = name[name.rfind("."):].lower() if "." in name[1:] else ""
    return suffix in _DOC_SUFFIXES or name.split(".")[0].lower() in _DOC_STEMS


def _stat_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if isinstance(exc, FileNotFoundError):
        return "broken symlink (its target does not exist)"
    return f"cannot read: {exc.strerror or exc}"


def _special(mode: int) -> str:
    what = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a special file")
    return f"not a regular file ({what}); save the export to a file first"
