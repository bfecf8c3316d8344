"""What chatqa prints to a terminal carries no control sequences or markup from the data
(SPEC section 8): every rich console is built here with markup and emoji codes off, and every
data string goes through `shown`."""

from __future__ import annotations

from typing import Any

from .errors import one_line


def shown(value: object) -> str:
    """`value` as text safe to print: control characters (C0, C1, DEL), line and paragraph
    separators and bidirectional overrides escaped, so it stays on its line and in its place."""
    return one_line(str(value))


def console(**options: Any) -> Any:
    """A rich Console that never reads markup (``[bold]``, ``[link=…]``) or emoji codes in what
    it prints: strings from the data are shown as they are written."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **options)


def width(terminal: bool, default: int) -> int | None:
    """The width to lay out for: None (the terminal's own, or ``COLUMNS`` when set) on a terminal
    or when ``COLUMNS`` is set, else `default` (a file or a pipe)."""
    import os

    return None if terminal or os.environ.get("COLUMNS", "").isdigit() else default
