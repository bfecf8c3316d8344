"""Reading the files that configure a run (config, rule, lexicon and canned-library files) so
that no such file can hang, exhaust or crash it: regular files only, a size cap, YAML without
aliases and with bounded nesting, TOML whose nesting cannot crash the run. Every refusal is a `ConfigError`
``FILE: error: REASON``.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError

MAX_BYTES = 8 << 20  # a config or rule file larger than this is refused (the core pack's files are < 4 KB)
MAX_DEPTH = 64  # levels of nesting a YAML or TOML document may have


def read_text(path: str | os.PathLike[str], what: str = "file", limit: int = MAX_BYTES) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes (`what` names it in errors).

    Never blocks: a FIFO, socket or device is refused before it is opened, and the file is
    opened non-blocking and checked again, so swapping one in between does not hang a run."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ConfigError(f"{path}: error: cannot read the {what}: not a regular file")
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ConfigError(f"{path}: error: cannot read the {what}: not a regular file")
            data = f.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: error: cannot read the {what}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise ConfigError(f"{path}: error: the {what} is larger than {limit >> 20} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: error: the {what} is not UTF-8 text (byte {exc.start})") from None


class _Loader(yaml.SafeLoader):
    """Safe YAML without aliases (a few bytes of aliases can expand to gigabytes) and with at
    most MAX_DEPTH levels of nesting."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, path: str | os.PathLike[str]) -> Any:
    """The YAML document in `text` (ConfigError naming `path` and the line when malformed)."""
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark else ""
        raise ConfigError(f"{path}: error: invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: error: invalid YAML: nested too deeply") from None


def load_yaml(path: str | os.PathLike[str], what: str = "file") -> Any:
    """`read_text` then `parse_yaml`."""
    return parse_yaml(read_text(path, what), path)


def load_toml(path: str | os.PathLike[str], what: str = "config") -> dict[str, Any]:
    """A TOML file read with `read_text` (a document nested deeper than Python recurses is a
    config error, not a crash)."""
    text = read_text(path, what)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: error: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: error: invalid TOML: nested too deeply") from None


def is_regular(path: Path) -> bool:
    """True for an existing regular file (symlinks followed); never opens it."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
