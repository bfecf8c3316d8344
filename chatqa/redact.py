"""Masking of personal data: payment card numbers (always), emails and phone numbers."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

from .saferegex import compile_regex

# RE2 (linear time): with `re` the local part is tried from every letter of a long word.
_EMAIL = compile_regex(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
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


# How people write card numbers: groups of digits (any script's decimal digits: Arabic-Indic,
# fullwidth...) separated by spaces, line breaks, dashes of every kind, dots or slashes, with
# invisible characters (soft hyphen, zero-width joiners) or HTML leftovers (``&shy;``, ``<br>``)
# in between. `_RUN` finds such runs (digit classes and separator classes are disjoint, so it
# cannot backtrack); every window of whole groups with 13-19 digits in a run is a candidate.
_SEP_CHARS = (" \t\n\r\v\f\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # spaces, line breaks
              "\\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d"  # dashes and minus signs
              "./\u2024\uff0e\uff0f"  # dots and slashes
              "\xad\u200b-\u200d\u2060\ufeff\u180e")  # invisible: soft hyphen, zero-width space/joiners
_RUN = re.compile(rf"\d(?:[{_SEP_CHARS}]{{0,8}}\d)*")
_DIGIT = re.compile(r"\d")
# HTML leftovers in plain text, blanked to as many soft hyphens (offsets stay those of the text).
_MARKUP = re.compile(r"&(?:shy|nbsp|#173|#xad|#160|#xa0|#8203|#x200b);|<br\s{0,3}/?>", re.IGNORECASE)
# Digits -> "0", separators deleted, anything else -> "x": an ASCII text holds a card number only
# if this leaves 13 zeros in a row (a cheap test before the regular expression).
_DIGIT_RUNS = bytes(48 if 48 <= c <= 57 else 120 for c in range(256))
_ASCII_SEPS = b" \t\n\r\v\f-./"
_THIRTEEN = b"0" * 13
_EIGHT_DIGITS = b"0" * 8  # a phone number is masked only with 8+ digits (see _phone)


def may_hold_card(text: str) -> bool:
    """False when `text` cannot hold a card number (fewer than 13 digits, or, in plain ASCII
    text, fewer than 13 in a row counting across separators)."""
    if text.isascii() and "&" not in text and "<" not in text:
        return _THIRTEEN in text.encode().translate(_DIGIT_RUNS, _ASCII_SEPS)
    return len(_DIGIT.findall(text)) >= 13


def _in_link(text: str, start: int) -> bool:
    """True when offset `start` is inside a URL or a path (tweet ids in links, order ids in
    query strings are not card numbers)."""
    token_start = max(text.rfind(" ", 0, start), text.rfind("\n", 0, start)) + 1
    ends = [i for i in (text.find(" ", start), text.find("\n", start)) if i >= 0]
    return _Word(text, token_start, min(ends, default=len(text))).links(start)


class _Word:
    """A word of a text (split at spaces and line breaks) and where links begin in it: a number
    at `start` is in a link after ``://``, in a word starting ``www.`` or ``/``, or after a
    ``/`` of a word holding a ``.`` (a path: a folder before the number, a suffix after)."""

    __slots__ = ("dotted", "scheme", "slash", "whole")

    def __init__(self, text: str, begin: int, end: int) -> None:
        scheme, slash = text.find("://", begin, end), text.find("/", begin, end)
        self.scheme = scheme + 3 if scheme >= 0 else end + 1  # offsets from which a number is in a link
        self.slash = slash + 1 if slash >= 0 else end + 1
        self.whole = text[begin:begin + 4].lower().startswith(("www.", "/"))
        self.dotted = text.find(".", begin, end) >= 0

    def links(self, start: int) -> bool:
        """True when offset `start` of this word is inside a link or a path."""
        return start >= self.scheme or self.whole or (self.dotted and start >= self.slash)


_WORD = re.compile(r"[^ \n]+")


def find_cards(text: str, *, links: bool = False) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, digits) of each payment card number in `text`: 13-19 digits written
    as people write them (see `_RUN`), with a card scheme's prefix and length, passing the Luhn
    check, not all one digit. Every window of whole digit groups of a run is tried, leftmost
    and longest first, so numbers followed by an expiry date or a CVV are found too; a group
    of more than 19 digits is a reference, not a card. `digits` are ASCII.

    Numbers inside a URL or a path are skipped (ids in links are not posted cards, for CQ401)
    unless `links`: masking takes them too, since a card is a card wherever it is written."""
    if not may_hold_card(text):
        return
    scan = _MARKUP.sub(lambda m: "\xad" * len(m.group()), text) if ("&" in text or "<" in text) else text
    for run in _RUN.finditer(scan):
        places = [m.start() + run.start() for m in _DIGIT.finditer(run.group())]
        if len(places) < 13:
            continue
        digits = "".join(str(int(scan[i])) for i in places)
        if len(set(digits)) == 1:
            continue
        bounds = [0] + [k for k in range(1, len(places)) if places[k] != places[k - 1] + 1] + [len(places)]
        luhn = _LuhnSums(digits)
        g = 0
        while g < len(bounds) - 1:
            found = None
            if digits[bounds[g]] in "23456":  # no card scheme starts otherwise
                last = g + 1
                while last + 1 < len(bounds) and bounds[last + 1] - bounds[g] <= 19:
                    last += 1
                for h in range(last, g, -1):  # the longest window of groups g..h-1 first
                    size = bounds[h] - bounds[g]
                    if size < 13:
                        break
                    if luhn.ok(bounds[g], bounds[h]):
                        window = digits[bounds[g]:bounds[h]]
                        if card_scheme_ok(window) and len(set(window)) > 1:
                            found = h
                            break
            if found is None:
                g += 1
                continue
            start, end = places[bounds[g]], places[bounds[found] - 1] + 1
            if links or not _in_link(text, start):
                yield start, end, digits[bounds[g]:bounds[found]]
            g = found


class _LuhnSums:
    """The Luhn check of any window of a digit string in constant time: prefix sums of the digits
    and of their doubled values, split by position parity (a digit is doubled when an odd
    number of digits follow it in the window)."""

    def __init__(self, digits: str) -> None:
        plain = [[0], [0]]
        doubled = [[0], [0]]
        for k, ch in enumerate(digits):
            d = ord(ch) - 48
            for parity in (0, 1):
                own = parity == k % 2
                plain[parity].append(plain[parity][-1] + (d if own else 0))
                doubled[parity].append(doubled[parity][-1] + ((d * 2 - 9 if d > 4 else d * 2) if own else 0))
        self.plain, self.doubled = plain, doubled

    def ok(self, i: int, j: int) -> bool:
        """True when digits[i:j] passes the Luhn checksum."""
        twice = j % 2  # positions k with k % 2 == j % 2 have an odd number of digits after them
        plain, doubled = self.plain[1 - twice], self.doubled[twice]
        total = doubled[j] - doubled[i] + plain[j] - plain[i]
        return total % 10 == 0


def mask_card(digits: str) -> str:
    """The masked form of a card number: ``**** **** **** 1111``."""
    return f"**** **** **** {digits[-4:]}"


# How `chatqa export` writes a card number that CQ401 flagged (posted in a message, not inside a
# link): its mask, marked as a card, so that checking the export flags it again. The bare mask
# (how vendors show a card they masked themselves) is not a posted card number.
_MARKED_CARD = re.compile(r"\[card \*{4} \*{4} \*{4} \d{4}\]")


def mark_card(digits: str) -> str:
    """The masked form of a posted card number in an export: ``[card **** **** **** 1111]``."""
    return f"[card {mask_card(digits)}]"


def find_marked_cards(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each card number `chatqa export` masked and marked (see `mark_card`)."""
    if "[card " in text:
        for m in _MARKED_CARD.finditer(text):
            yield m.start(), m.end()


def redact_message(text: str, *, personal: bool = True) -> str:
    """`redact` for a message of an export: a card number posted in it (not in a link) is
    written as `mark_card`, so the export is checked as the original was."""
    hits = _sensitive(text, personal)
    if not hits:
        return text
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    starts = [a for a, _ in words]
    seen: dict[int, _Word] = {}
    marked = []
    for start, end, replacement in hits:
        if replacement.startswith("****"):
            i = bisect.bisect_right(starts, start) - 1  # the word holding the number (each read once)
            word = seen.get(i) or seen.setdefault(i, _Word(text, *words[i]))
            if not word.links(start):
                replacement = f"[card {replacement}]"
        marked.append((start, end, replacement))
    return _splice(text, marked)


def mask_cards(text: str) -> str:
    """Replace every card number in `text` by its masked form."""
    if not may_hold_card(text):
        return text
    found = list(find_cards(text, links=True))
    for start, end, digits in reversed(found):
        text = text[:start] + mask_card(digits) + text[end:]
    return text


def _phone(match: re.Match[str]) -> str:
    digits = sum(c.isdigit() for c in match.group())
    return "[phone]" if 8 <= digits <= 15 else match.group()


def redact(text: str, *, personal: bool = True) -> str:
    """Mask card numbers always, and emails and phone numbers when `personal` is True."""
    hits = _sensitive(text, personal)
    return _splice(text, hits) if hits else text


def _splice(text: str, hits: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) of `hits` (in order, not overlapping) replaced, in one pass."""
    out, pos = [], 0
    for start, end, replacement in hits:
        out += [text[pos:start], replacement]
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _sensitive(text: str, personal: bool) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of every card number (and email and phone) in `text`, in order.
    Emails and phones are looked for with the card numbers blanked out, so a phone number
    written next to a card number is masked too, and no two hits overlap."""
    found = [(s, e, mask_card(d)) for s, e, d in find_cards(text, links=True)]
    if personal:
        blank = _splice(text, [(start, end, " " * (end - start)) for start, end, _ in found]) if found else text
        if "@" in blank:
            found += [(m.start(), m.end(), "[email]") for m in _EMAIL.finditer(blank)]
        if not blank.isascii() or _EIGHT_DIGITS in blank.encode().translate(_DIGIT_RUNS, b" -().+"):
            phones = [(m.start(), m.end(), r) for m in _PHONE.finditer(blank) if (r := _phone(m)) != m.group()]
            found += [h for h in phones if not any(h[0] < e and s < h[1] for s, e, _ in found)]
    return sorted(found)


def shown_id(value: str, personal: bool) -> str:
    """A conversation id as outputs show it: masked like any text, except an id that is a bare
    number (a tweet or Weibo status id: 16-19 digits pass a card's checks about one time in ten),
    kept so that ids still join with the export and with reviewers' labels."""
    return value if value.isascii() and value.isdigit() else redact(value, personal=personal)


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


def redact_data(value: Any, *, personal: bool = True, first: Callable[[str], str] | None = None) -> Any:
    """A copy of a JSON-like value with every string redacted: dict keys and values, list and
    tuple items (as lists); `first` rewrites each string before (people's pseudonyms). Iterative,
    so data nested however deep cannot exhaust the stack."""

    def leaf(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        return redact(first(v) if first is not None else v, personal=personal)

    if not isinstance(value, dict | list | tuple):
        return leaf(value)
    root: Any = {} if isinstance(value, dict) else []
    stack = [(value, root)]
    while stack:
        source, target = stack.pop()
        for key, item in (source.items() if isinstance(source, dict) else enumerate(source)):
            if isinstance(item, dict | list | tuple):
                copy: Any = {} if isinstance(item, dict) else []
                stack.append((item, copy))
            else:
                copy = leaf(item)
            if isinstance(target, dict):
                target[leaf(key)] = copy
            else:
                target.append(copy)
    return root
