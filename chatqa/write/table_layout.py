"""Fitting the conversation table to the terminal's width: columns the reader needs least are
dropped first, text is wrapped only between words (a code, an id or an email is never split),
and a cell too long for its column is shortened with an ellipsis, never folded."""

from __future__ import annotations

from dataclasses import dataclass, field

OVERHEAD_PER_COLUMN = 3  # a border and one space of padding on each side
MIN_ID = 10  # an id is shortened (with an ellipsis) below its length only down to this


@dataclass
class Column:
    """One column: its header, cells and how it may be laid out.

    `keep` ranks the columns (the lowest is dropped first; 100 is never dropped); `wrap` lets
    the cells wrap between words; `cap` is the widest the column gets (longer cells are
    shortened with an ellipsis)."""

    header: str
    justify: str = "left"
    keep: int = 100
    wrap: bool = False
    cap: int | None = None
    cells: list[str] = field(default_factory=list)

    @property
    def natural(self) -> int:
        """The width that shows every cell on one line (within `cap`)."""
        widest = max([len(self.header), *map(len, self.cells)])
        return min(widest, self.cap) if self.cap else widest

    @property
    def least(self) -> int:
        """The narrowest it may get: its longest word (header words included) when it wraps,
        else its natural width."""
        if not self.wrap:
            return self.natural
        return max(len(w) for text in [self.header, *self.cells] for w in text.split() or [""])


def fit(columns: list[Column], width: int) -> list[tuple[Column, int]]:
    """The columns kept for a table `width` characters wide, each with its width."""
    kept = list(columns)

    def needed(cols: list[Column]) -> int:
        return sum(max(c.least, min(c.natural, 24)) if c.wrap else c.least for c in cols) \
            + OVERHEAD_PER_COLUMN * len(cols) + 1

    while needed(kept) > width and any(c.keep < 100 for c in kept):
        kept.remove(min((c for c in kept if c.keep < 100), key=lambda c: c.keep))
    widths = {id(c): c.least for c in kept}
    room = width - sum(widths.values()) - OVERHEAD_PER_COLUMN * len(kept) - 1
    for c in kept:  # what is left goes to the wrapping columns, up to what they can use
        if c.wrap and room > 0:
            extra = min(room, c.natural - widths[id(c)])
            widths[id(c)] += extra
            room -= extra
    for c in sorted(kept, key=lambda c: -widths[id(c)]):  # still too wide: shorten what does not wrap, widest first
        if room >= 0:
            break
        if not c.wrap and widths[id(c)] > MIN_ID:
            cut = min(-room, widths[id(c)] - MIN_ID)
            widths[id(c)] -= cut
            room += cut
    return [(c, widths[id(c)]) for c in kept]
