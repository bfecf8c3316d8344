"""Masking of personal data: payment card numbers (always), emails and phone numbers."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

# 13-19 digits, optionally grouped by single spaces or dashes; digit neighbours excluded.
_CARD = re.compile(r"(?<![\d\w+])\d(?:[ -]?\d){12,18}(?![\d\w])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Phone numbers: North American (555-123-4567), international with a plus sign, or national
# with a leading 0 (07700 900123). Bare digit runs (order numbers, ids) and dates are left alone.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?!\w)"
    r"|(?<![\w+])\+\d[\d ().-]{6,18}\d(?!\w)"
    r"|(?<![\w+])0\d{2,4}[ .-]?\d{3,4}[ .-]?\d{3,4}(?!\w)"
)


def luhn_ok(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Card schemes: (first digits, lengths). A Luhn-valid number outside every scheme is an order
# number, an IMEI or an id, not a payment card.
_SCHEMES: list[tuple[tuple[int, int], tuple[int, ...]]] = [
    ((4, 4), (13, 16, 19)),                      # Visa
    ((51, 55), (16,)), ((2221, 2720), (16,)),     # Mastercard
    ((34, 34), (15,)), ((37, 37), (15,)),         # American Express
    ((6011, 6011), (16, 17, 18, 19)), ((644, 649), (16, 17, 18, 19)), ((65, 65), (16, 17, 18, 19)),  # Discover
    ((3528, 3589), (16, 17, 18, 19)),             # JCB
    ((300, 305), (14, 16, 17, 18, 19)), ((36, 36), (14, 16, 17, 18, 19)), ((38, 39), (16, 17, 18, 19)),  # Diners
    ((62, 62), (16, 17, 18, 19)),                 # UnionPay
    ((50, 50), (13, 16, 17, 18, 19)), ((56, 58), (13, 16, 17, 18, 19)), ((60, 69), (16, 17, 18, 19)),  # Maestro
    ((2200, 2204), (16, 17, 18, 19)),             # Mir
]


def card_scheme_ok(digits: str) -> bool:
    """True when the digits have the prefix and length of a payment card scheme."""
    for (low, high), lengths in _SCHEMES:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


# Digits -> "0", spaces and dashes deleted, anything else -> "x": a text holds a card number
# only if this leaves 13 zeros in a row (a cheap test before the regular expression).
_DIGIT_RUNS = bytes(48 if 48 <= c <= 57 else 120 for c in range(256))
_THIRTEEN = b"0" * 13
_EIGHT_DIGITS = b"0" * 8  # a phone number is masked only with 8+ digits (see _phone)


def may_hold_card(text: str) -> bool:
    """False when `text` cannot hold a card number (fewer than 13 digits in a row, counting
    across spaces and dashes)."""
    if text.isascii():
        return _THIRTEEN in text.encode().translate(_DIGIT_RUNS, b" -")
    return _CARD.search(text) is not None


def find_cards(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, digits) of each payment card number in `text`: 13-19 digits (spaces
    or dashes allowed) with a card scheme's prefix and length, passing the Luhn check.

    Digit runs inside URLs or paths (tweet ids in links, order ids in query strings) are not
    card numbers.
    """
    if not may_hold_card(text):
        return
    for match in _CARD.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        if (before in "/=&?#._" or after in "/=&?#_"
                or (after == "." and text[match.end() + 1:match.end() + 2].isalnum())):
            continue
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and card_scheme_ok(digits) and luhn_ok(digits) and len(set(digits)) > 1:
            yield match.start(), match.end(), digits


def mask_card(digits: str) -> str:
    """The masked form of a card number: ``**** **** **** 1111``."""
    return f"**** **** **** {digits[-4:]}"


def mask_cards(text: str) -> str:
    """Replace every card number in `text` by its masked form."""
    if not may_hold_card(text):
        return text
    found = list(find_cards(text))
    for start, end, digits in reversed(found):
        text = text[:start] + mask_card(digits) + text[end:]
    return text


def _phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group())
    return "[phone]" if 8 <= digits <= 15 else match.group()


def redact(text: str, *, personal: bool = True) -> str:
    """Mask card numbers always, and emails and phone numbers when `personal` is True."""
    text = mask_cards(text)
    if personal:
        if "@" in text:
            text = _EMAIL.sub("[email]", text)
        if not text.isascii() or _EIGHT_DIGITS in text.encode().translate(_DIGIT_RUNS, b" -().+"):
            text = _PHONE.sub(_phone, text)
    return text


def _sensitive(text: str, personal: bool) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of every card number (and email and phone) in `text`, in order."""
    found = [(s, e, mask_card(d)) for s, e, d in find_cards(text)]
    if personal:  # as `redact` does it: cards first, then emails, then phone numbers
        emails = [(m.start(), m.end(), "[email]") for m in _EMAIL.finditer(text)] if "@" in text else []
        phones = [(m.start(), m.end(), r) for m in _PHONE.finditer(text) if (r := _phone(m)) != m.group()]
        for group in (emails, phones):
            found += [h for h in group if not any(h[0] < e and s < h[1] for s, e, _ in found)]
    return sorted(found)


def redact_pieces(text: str, cuts: list[int], *, personal: bool = True) -> list[str]:
    """Redact `text` cut at `cuts` (sorted offsets, 0 and len(text) included): the redacted
    pieces between consecutive cuts. A value straddling a cut is masked whole, in the piece
    where it starts, so cutting a text for display never splits a value past its masking."""
    hits = _sensitive(text, personal)
    pieces = []
    for a, b in itertools.pairwise(cuts):
        out, pos = [], a
        for start, end, replacement in hits:
            if end <= pos or start >= b:
                continue
            if start < pos:  # started in an earlier piece, which masked it whole
                pos = min(end, b)
                continue
            out.append(text[pos:start])
            out.append(replacement)
            pos = end
        if pos < b:
            out.append(text[pos:b])
        pieces.append("".join(out))
    return pieces


def redact_data(value: Any, *, personal: bool = True) -> Any:
    """Redact every string inside a JSON-like value (dict values, list items), keys kept."""
    if isinstance(value, str):
        return redact(value, personal=personal)
    if isinstance(value, dict):
        return {k: redact_data(v, personal=personal) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, personal=personal) for v in value]
    return value
