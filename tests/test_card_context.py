"""CQ401 reads context and issuer ranges (SPEC 5), but masking stays conservative: a number that
is no finding because it is labelled an order number or lies outside the issuer ranges is still
masked in every output (privacy first)."""

from __future__ import annotations

import json

import chatqa
from chatqa.redact import mask_cards
from chatqa.testing import transcript

NOT_FINDINGS = [
    "my order no. 5151 1057 6652 2836 never arrived",  # labelled
    "4929 1234 5678 9015 is my booking reference",  # labelled after
    "number 6912 3456 7890 1235",  # a broad Maestro range no network issues
]


def test_no_finding_but_still_masked(tmp_path):
    for text in NOT_FINDINGS:
        t = transcript([{"customer": text}, {"agent": "Thanks, checking."}])
        result = chatqa.check(t)
        assert "CQ401" not in result.codes, text
        digits = "".join(c for c in text if c.isdigit())[-16:]
        assert digits[-4:] in mask_cards(text) and digits[:12] not in mask_cards(text).replace(" ", "")
    path = tmp_path / "chats.jsonl"
    path.write_text("".join(json.dumps({"id": f"c{i}", "messages": [{"role": "customer", "text": text}]}) + "\n"
                            for i, text in enumerate(NOT_FINDINGS)))
    from click.testing import CliRunner

    from chatqa.cli import main

    out = CliRunner().invoke(main, ["export", str(path)]).stdout
    for number in ("5151 1057 6652", "4929 1234 5678", "6912 3456 7890"):
        assert number not in out
    assert out.count("**** **** ****") == 3


def test_the_reply_to_an_order_number_question_is_judged_by_what_was_asked():
    asked_order = transcript([{"customer": "where is my parcel"}, {"agent": "Can you DM us your order number?"},
                              {"customer": "5151105766522836"}])
    asked_card = transcript([{"customer": "payment failed"}, {"agent": "Which card number did you use?"},
                             {"customer": "5151105766522836"}])
    assert "CQ401" not in chatqa.check(asked_order).codes
    assert "CQ401" in chatqa.check(asked_card).codes
