"""Folder walking: every input file in name order, documentation skipped (and counted),
special files and unreadable paths reported as failures."""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
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


def iter_files(paths: Iterable[str | os.PathLike[str]], exclude: Iterable[str] = ()
               ) -> Iterator[Path | Failure | Skipped]:
    """Yield every file under `paths` (folders walked recursively, in name order).

    Hidden files and folders (and ``__MACOSX``) inside a walked folder are skipped, and documentation
    (README, LICENSE, ``*.md``, images...) is yielded as Skipped; a missing path, an
    unreadable folder or a symlink loop is yielded as a Failure. Files and folders inside a
    walked folder that match an `exclude` pattern (`excluded`) are left out.
    """
    leave_out = excluder(exclude)
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
            yield from _walk(path, set(), leave_out)
        elif stat.S_ISREG(mode):
            yield path
        else:
            yield Failure(source=str(path), reason=_special(mode))


def _walk(folder: Path, seen: set[str], leave_out: Callable[[str], bool]) -> Iterator[Path | Failure | Skipped]:
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
        if entry.name.startswith(".") or entry.name == MACOS_FOLDER or leave_out(entry.path):
            continue
        path = Path(entry.path)
        try:
            mode = entry.stat().st_mode
        except OSError as exc:
            yield Failure(source=str(path), reason=_stat_reason(exc))
            continue
        if stat.S_ISDIR(mode):
            yield from _walk(path, seen, leave_out)
        elif stat.S_ISREG(mode):
            yield Skipped(path) if is_documentation(path.name) else path
        else:
            yield Failure(source=str(path), reason=_special(mode))
    seen.discard(real)


def excluder(patterns: Iterable[str]) -> Callable[[str], bool]:
    """A test of walked paths against `exclude` patterns, with ruff's and sqlfluff's meaning: a
    pattern without a slash (``*.bak.json``, ``archive``) matches a file or folder of that name
    anywhere; one with a slash (``exports/old/*``, ``**/tmp/**``) matches the path from the folder
    it is relative to (made absolute before: the config file's folder, or the current one for
    ``--exclude``). ``*`` and ``?`` stay within one name, ``**`` spans folders. An excluded folder
    is not walked."""
    names: list[str] = []
    paths: list[str] = []
    for pattern in patterns:
        pattern = pattern.replace(os.sep, "/").rstrip("/")
        (paths if "/" in pattern else names).append(_glob_regex(pattern))
    if not names and not paths:
        return lambda path: False
    name_re = re.compile("|".join(names)) if names else None
    path_re = re.compile("|".join(paths)) if paths else None

    def leave_out(path: str) -> bool:
        path = os.path.abspath(path).replace(os.sep, "/")
        return bool((name_re and name_re.fullmatch(path.rsplit("/", 1)[-1]))
                    or (path_re and path_re.fullmatch(path)))

    return leave_out


def _glob_regex(pattern: str) -> str:
    """A glob as a regular expression (``**`` spans folders; ``*``, ``?``, ``[...]`` do not)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1:end]
            out.append("[" + ("^" + _class(body[1:]) if body[:1] in "!^" else _class(body)) + "]")
            i = end + 1
            continue
        else:
            out.append(re.escape(c))
        i += 1
    return "(?:" + "".join(out) + ")"


def _class(body: str) -> str:
    return re.escape(body).replace("\\-", "-")


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
