"""Card numbers as people write them (SPEC section 8): every spelling is masked in every text and
flagged by CQ401 (one definition for both), and look-alikes are neither."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatqa.redact import find_cards, mask_cards, redact
from chatqa.testing import transcript

VISA, MC, AMEX = "4539148803436467", "5555555555554444", "378282246310005"


def grouped(digits: str, sep: str, sizes: tuple[int, ...] = (4, 4, 4, 4)) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at:at + size])
        at += size
    return sep.join(out)


def to_script(digits: str, zero: int) -> str:
    return "".join(chr(zero + int(d)) for d in digits)


SPELLINGS = {
    "plain": VISA,
    "spaced": grouped(VISA, " "),
    "dashed": grouped(VISA, "-"),
    "dotted": grouped(VISA, "."),
    "slashed": grouped(VISA, "/"),
    "en dash": grouped(VISA, "\u2013"),
    "em dash": grouped(VISA, "\u2014"),
    "minus sign": grouped(VISA, "\u2212"),
    "non-breaking space": grouped(VISA, "\xa0"),
    "thin space": grouped(VISA, "\u2009"),
    "double spaces": grouped(VISA, "  "),
    "space dash space": grouped(VISA, " - "),
    "soft hyphen": grouped(VISA, "\xad"),
    "soft hyphen entity": grouped(VISA, "&shy;"),
    "zero-width space": grouped(VISA, "\u200b"),
    "zero-width joiner": grouped(VISA, "\u200d"),
    "word joiner": "\u2060".join(VISA),
    "line breaks": grouped(VISA, "\n"),
    "crlf": grouped(VISA, "\r\n"),
    "br tags": grouped(VISA, "<br>"),
    "br self-closing": grouped(VISA, "<br />"),
    "one digit at a time": " ".join(VISA),
    "expiry appended": grouped(VISA, " ") + " 12/27",
    "expiry and cvv": grouped(VISA, " ") + " 12/27 123",
    "cvv glued by a space": VISA + " 123",
    "hash before": "#" + VISA,
    "key=value": "card=" + VISA,
    "colon": "card:" + VISA,
    "period after": VISA + ".Thanks",
    "exp glued": VISA + "exp1227",
    "in parentheses": f"({grouped(VISA, ' ')})",
    "quoted": f'"{VISA}"',
    "arabic-indic digits": to_script(VISA, 0x660),
    "extended arabic-indic digits": to_script(VISA, 0x6F0),
    "devanagari digits": to_script(VISA, 0x966),
    "fullwidth digits": to_script(VISA, 0xFF10),
    "fullwidth spaced": grouped(to_script(VISA, 0xFF10), "\u3000"),
    "mastercard": grouped(MC, " "),
    "amex 4-6-5": grouped(AMEX, " ", (4, 6, 5)),
    "amex plain": AMEX,
}
LOOK_ALIKES = {
    "order number": "order 1234567890123 is late",
    "fails luhn": grouped("4111111111111112", " "),
    "too long a reference": "ref 41111111111111111111111",
    "tweet id in a link": "https://twitter.com/acme/status/1245403438755852288",
    "tracking number": "9400 1000 0000 0000 0000 00",
    "imei": "IMEI 990007189146746",
    "repeated digit": "0000 0000 0000 0000",
    "phone numbers": "call +44 20 7946 0958 or 555-123-4567",
    "already masked": "**** **** **** 1111",
    "date and time": "2026-03-02 10:57:08 and 2026-03-03 11:00:00",
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_every_spelling_is_masked(name):
    text = f"my card is {SPELLINGS[name]} thanks"
    masked = mask_cards(text)
    digits = [c for c in masked if c.isdecimal()]
    assert "**** **** **** " in masked, masked
    assert len(digits) < 13 or "".join(digits).find(VISA[:6]) < 0, masked
    assert "[phone]" not in redact(text)  # the card is masked as a card, not partly as a phone number


@pytest.mark.parametrize("name", SPELLINGS)
def test_every_spelling_is_a_cq401_finding(name):
    import chatqa

    result = chatqa.check(transcript([{"customer": f"here: {SPELLINGS[name]}"}, {"agent": "Thanks, got it"}]),
                          {"select": ["CQ401"]})
    assert [f.code for f in result.findings] == ["CQ401"], name
    assert result.findings[0].quote.startswith("**** **** **** ")


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_look_alikes_are_neither_masked_nor_flagged(name):
    import chatqa

    text = LOOK_ALIKES[name]
    assert mask_cards(text) == text
    result = chatqa.check(transcript([{"customer": text}]), {"select": ["CQ401"]})
    assert result.findings == ()


@pytest.mark.parametrize("text", ["https://shop.example/track?order=4111111111111111",
                                  "/orders/4111111111111111/invoice", "exports/chats-4111111111111111.json"])
def test_cards_in_links_and_paths_are_masked_but_not_flagged(text):
    import chatqa

    assert "4111111111111111" not in mask_cards(text) and "**** **** **** 1111" in mask_cards(text)
    assert chatqa.check(transcript([{"customer": text}]), {"select": ["CQ401"]}).findings == ()


def test_two_cards_in_one_text_and_what_surrounds_them_is_kept():
    text = f"first {grouped(VISA, ' ')} then {grouped(MC, '-')}, exp 09/29"
    assert mask_cards(text) == "first **** **** **** 6467 then **** **** **** 4444, exp 09/29"
    assert [d for _, _, d in find_cards(text)] == [VISA, MC]


def test_a_phone_number_next_to_a_card_is_masked_too():
    assert redact(f"+44 7700 900123 {grouped(VISA, ' ')}") == "[phone] **** **** **** 6467"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPELLINGS)), st.text(alphabet="ab .,:;!?\n", max_size=8),
       st.text(alphabet="ab .,:;!?\n", max_size=8))
def test_any_spelling_in_any_context_is_masked(name, before, after):
    text = before + " " + SPELLINGS[name] + " " + after
    masked = mask_cards(text)
    assert masked.count("**** **** **** ") == 1, (text, masked)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_masking_never_leaves_a_luhn_valid_scheme_window_of_the_original_card(noise):
    text = noise + " " + grouped(VISA, " ") + " " + noise
    assert VISA not in "".join(c for c in mask_cards(text) if c.isascii() and c.isdigit())
