"""Small field readers shared by the vendor parsers (each raises ParseError naming the field)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import ParseError, quoted


def rating_number(value: Any, loc: str) -> float:
    """A rating score as a finite float (numbers and numeric strings); ParseError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ParseError(f"rating must be a number, got {type(value).__name__}", loc)
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ParseError(f"rating must be a number, got {quoted(value)}", loc) from None
    if not math.isfinite(number):
        raise ParseError(f"rating must be a finite number, got {quoted(value)}", loc)
    return number
