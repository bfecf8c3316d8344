"""`chatqa export` (SPEC 8): safe to share (people pseudonymised consistently within a run,
emails, phone and card numbers masked) and checked again, the same findings."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

import chatqa
from chatqa.cli import main

CUSTOMERS = [("Ann Lee", "ann.lee@mail.example.com"), ("Bob Stone", "bob@mail.example.com"),
             ("Carla Diaz", "+44 7700 900123")]
AGENT = ("Sam Ortiz", "sam.ortiz@corp.example.com")


def _records() -> list[dict]:
    """Three conversations with one agent: cards, emails, phone numbers, names in every field."""
    out = []
    for i, (name, handle) in enumerate(CUSTOMERS):
        first = name.split()[0]
        out.append({
            "id": f"t-{i}", "vendor": "helpdesk",
            "participants": [{"id": handle, "name": name, "role": "customer"},
                             {"id": AGENT[1], "name": AGENT[0], "role": "agent"},
                             {"id": "bot-7", "name": "Northwind Assistant", "role": "bot"}],
            "tags": ["vip", f"owner:{first}"],
            "metadata": {"assignee": AGENT[0], "requester": {"email": handle, "display": name},
                         "note": f"escalated by {name}"},
            "messages": [
                {"role": "bot", "author_id": "bot-7", "author": "Northwind Assistant",
                 "time": f"2026-03-0{i + 1}T10:00:00Z", "text": "Hi! How can I help?"},
                {"role": "customer", "author_id": handle, "author": name, "time": f"2026-03-0{i + 1}T10:00:05Z",
                 "text": f"my card 4111 1111 1111 1111 was charged twice, write to {first.lower()}@mail.example.com"},
                {"role": "agent", "author_id": AGENT[1], "author": AGENT[0], "time": f"2026-03-0{i + 1}T10:03:05Z",
                 "text": f"Hi {first}, I'm Sam. Please never post card numbers here. Call 555-123-4567."},
                {"role": "customer", "author_id": handle, "author": name, "time": f"2026-03-0{i + 1}T10:04:00Z",
                 "text": "see https://shop.example.com/orders/4111111111111111 too"},
                {"role": "agent", "author_id": AGENT[1], "author": AGENT[0], "time": f"2026-03-0{i + 1}T10:05:00Z",
                 "text": "Please hold while I check. Is there anything else?", "internal": i == 2},
            ]})
    return out


@pytest.fixture
def exported(tmp_path):
    source = tmp_path / "people.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    out = tmp_path / "export.jsonl"
    result = CliRunner().invoke(main, ["export", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return source, out


def _findings(path):
    return {r.id: sorted((f.code, f.message_index) for f in r.findings) for r in chatqa.analyze(path).results}


def test_people_are_pseudonymised_consistently(exported):
    _, out = exported
    text = out.read_text()
    for name, handle in [*CUSTOMERS, AGENT]:
        for piece in (name, handle, name.split()[0] + '"', f":{name.split()[0]}"):
            assert piece not in text, piece
    records = [json.loads(line) for line in text.splitlines()]
    for i, record in enumerate(records):
        people = {p["role"]: p for p in record["participants"]}
        assert people["customer"] == {"id": f"customer-{i + 1}", "name": f"customer-{i + 1}", "role": "customer"}
        assert people["agent"] == {"id": "agent-1", "name": "agent-1", "role": "agent"}  # the same agent throughout
        assert people["bot"]["name"] == "Northwind Assistant"  # a product, not a person
        authors = [m.get("author") for m in record["messages"]]
        assert authors == ["Northwind Assistant", f"customer-{i + 1}", "agent-1", f"customer-{i + 1}", "agent-1"]
        assert record["tags"] == ["vip", f"owner:customer-{i + 1}"]
        assert record["metadata"]["assignee"] == "agent-1"
        assert record["metadata"]["requester"] == {"email": f"customer-{i + 1}", "display": f"customer-{i + 1}"}
        assert record["metadata"]["note"] == f"escalated by customer-{i + 1}"
    first = records[0]["messages"]
    assert first[1]["text"] == "my card [card **** **** **** 1111] was charged twice, write to [email]"
    assert "[phone]" in first[2]["text"] and "4111" not in text.replace("**** 1111", "")


def test_no_redact_keeps_people_but_never_cards(exported, tmp_path):
    source, _ = exported
    out = tmp_path / "plain.jsonl"
    assert CliRunner().invoke(main, ["export", str(source), "--no-redact", "-o", str(out)]).exit_code == 0
    text = out.read_text()
    assert "Ann Lee" in text and "sam.ortiz@corp.example.com" in text and "555-123-4567" in text
    assert "4111 1111 1111 1111" not in text and "4111111111111111" not in text


def test_checking_an_export_gives_the_same_findings(exported):
    source, out = exported
    original, again = _findings(source), _findings(out)
    assert ("CQ401", 1) in original["t-0"]  # the card posted in message 1
    assert again == original
    agents = chatqa.analyze(out).conversations["agent"].tolist()
    assert agents == ["agent-1"] * 3


def test_the_sample_transcripts_export_and_check_the_same(tmp_path):
    out = tmp_path / "samples.jsonl"
    result = CliRunner().invoke(main, ["export", str(SAMPLES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    original, again = _findings(SAMPLES), _findings(out)
    assert len(original) == 50 and again == original
    assert sum(codes.count(("CQ401", i)) for codes in original.values() for i in range(50)) >= 1
    report = chatqa.analyze(SAMPLES)
    exported = chatqa.analyze(out)
    assert list(exported.conversations["score"]) == list(report.conversations["score"])
    people = {p for r in (json.loads(line) for line in out.read_text().splitlines())
              for p in (x["id"] for x in r["participants"] if x["role"] in ("customer", "agent"))}
    assert people and all(p.startswith(("customer-", "agent-")) for p in people)


def test_a_vendor_masked_card_is_not_a_posted_card():
    """Only chatqa's own mark reads as a card posted: a number the vendor masked itself is not."""
    def codes(text):
        record = {"id": "m", "messages": [{"role": "customer", "text": text}]}
        return {f.code for f in chatqa.check(record).findings}

    assert "CQ401" in codes("my card [card **** **** **** 1111] thanks")
    for masked in ("my card **** **** **** 1111 thanks", "card [card ending 1111]", "[card **** 1111]"):
        assert "CQ401" not in codes(masked), masked
