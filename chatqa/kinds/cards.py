"""What CQ401 (``detector: card_number``) reads around a card-like number: the card networks'
issuer ranges, and the words that label a digit string as something else (SPEC section 5).

Masking (`chatqa.redact.find_cards`) stays broad on purpose: anything card-like is hidden in every
output. Only the finding is narrowed here: a number outside every issuer range, or one the
conversation calls an order, tracking, reference, ticket, IMEI or account number, is no finding.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..model import Role
from ..records import Line
from . import Context

Span = tuple[int, int]


class Issuer(BaseModel):
    """A card network's issuer ranges: `prefixes` (``"4"``, ``"51-55"``) and card `lengths`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    prefixes: list[str] = Field(min_length=1)
    lengths: list[int] = Field(min_length=1)

    @field_validator("prefixes")
    @classmethod
    def _ranges(cls, value: list[str]) -> list[str]:
        for p in value:
            low, _, high = p.partition("-")
            if not low.isdigit() or (high and (not high.isdigit() or len(high) != len(low) or high < low)):
                raise ValueError(f"{p!r}: expected digits or a range of digits of one width, such as 51-55")
        return value

    @field_validator("lengths")
    @classmethod
    def _lengths(cls, value: list[int]) -> list[int]:
        if any(not 12 <= n <= 19 for n in value):
            raise ValueError("card numbers have 12 to 19 digits")
        return value

    def issued(self, digits: str) -> bool:
        """True when `digits` has one of the prefixes and lengths."""
        if len(digits) not in self.lengths:
            return False
        for p in self.prefixes:
            low, _, high = p.partition("-")
            head = digits[:len(low)]
            if low <= head <= (high or low):
                return True
        return False


def issued(issuers: dict[str, Issuer], digits: str) -> bool:
    """True when a card network issues numbers like `digits` (always, with no table given)."""
    return not issuers or any(i.issued(digits) for i in issuers.values())


def labelled(ctx: Context, message: Line, span: Span, key: str, before: int, after: int) -> bool:
    """True when `message` labels the digits at `span` as something else than a card: a label
    (phrase key `key`) ends at most `before` characters before them, or starts at most `after`
    characters after them ("... is my order number"), with no card word (key ``key + "$"``) closer;
    or the message answers an agent who asked for such a number and not for a card."""
    labels = ctx.matches(message, key)
    cards = ctx.matches(message, key + "$")
    start, end = span
    near = [start - b for a, b in labels if b <= start and start - b <= before]
    near += [a - end for a, b in labels if a >= end and a - end <= after]
    if near:
        distance = min(near)
        card = [start - b for a, b in cards if b <= start] + [a - end for a, b in cards if a >= end]
        return not any(d <= distance for d in card)
    if cards or message.role is not Role.CUSTOMER:
        return False
    asked = _asked(ctx, message)
    return asked is not None and bool(ctx.matches(asked, key)) and not ctx.matches(asked, key + "$")


def _asked(ctx: Context, message: Line) -> Line | None:
    """The agent message the customer's `message` answers: the last visible agent message before
    it with only customer messages in between (None without one)."""
    for m in reversed(ctx.lines[:message.index]):
        if m.internal or m.role is Role.SYSTEM or m.role is Role.BOT:
            continue
        if m.role is Role.AGENT:
            return m
    return None
