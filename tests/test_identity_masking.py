"""Card numbers (always) and emails and phone numbers (by default) are masked in every field
that leaves chatqa, not only message text (SPEC section 8): ids, vendors, tags, sources (file
names), CQ501's conversation lists, export fields (metadata keys, rating labels, event names,
participants) and error lines (sources, locators, reasons, masked before any cut)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from chatqa.cli import main

CARD = "4539 1488 0343 6467"
CARD_DIGITS = CARD.replace(" ", "")
EMAIL = "ann.lee@example.org"
PHONE = "+44 7700 900123"


def run(*args: object):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / f"from {EMAIL}"
    folder.mkdir()
    conv = {"id": f"chat {CARD} {EMAIL}", "vendor": f"vendor {PHONE}", "tags": [f"card {CARD}", f"mail {EMAIL}"],
            "metadata": {f"key {CARD}": {f"k {EMAIL}": f"v {PHONE}"}},
            "rating": {"value": 1, "scale": 5, "label": f"bad {CARD}", "comment": "ok"},
            "participants": [{"id": f"agent-{CARD}", "role": "agent", "name": "Sam"}],
            "messages": [
                {"role": "customer", "author": EMAIL, "time": "2026-03-01T10:00:00Z", "text": "hi"},
                {"role": "system", "time": "2026-03-01T10:00:05Z", "text": "form", "kind": "event",
                 "event": f"form {CARD}"},
                {"role": "agent", "author": "Sam", "author_id": f"sam {CARD}", "time": "2026-03-01T10:00:30Z",
                 "text": "Hello, I'm Sam"}]}
    (folder / "a.jsonl").write_text(json.dumps(conv) + "\n")
    bad = {"id": "b-1", "messages": [{"role": "customer", "time": "x" * 30 + CARD_DIGITS + f" {EMAIL}", "text": "hi"}]}
    (folder / "b.jsonl").write_text(json.dumps(bad) + "\n" + json.dumps({"id": "b-2", "messages": [
        {"role": "customer", "time": "2026-03-01T10:00:00Z", "text": "hi", "rating": 1}], "rating": f"x{CARD}"}) + "\n")
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "parquet", "html", "table"])
def test_identity_fields_are_masked_in_every_format(exports, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    code, _, stderr = run("check", exports, "--format", fmt, "-o", target, "--errors", tmp_path / "e.jsonl")
    assert code == 3, stderr
    if fmt == "parquet":
        import pyarrow.parquet as pq

        text = pq.read_table(io.BytesIO(target.read_bytes())).to_pandas().to_csv()
    else:
        text = target.read_text(encoding="utf-8")
    assert EMAIL not in text and PHONE not in text and CARD_DIGITS not in digits_of(text), text
    errors = stderr + (tmp_path / "e.jsonl").read_text()
    assert EMAIL not in errors and CARD_DIGITS not in digits_of(errors), errors
    assert CARD_DIGITS[:13] not in digits_of(errors)  # no part of a card survives a cut quote


def test_no_redact_keeps_emails_in_ids_but_never_cards(exports, tmp_path):
    target = tmp_path / "out.jsonl"
    run("check", exports, "-o", target, "--no-redact")
    row = json.loads(target.read_text().splitlines()[0])
    assert EMAIL in row["id"] and CARD_DIGITS not in digits_of(row["id"]) and "**** **** **** 6467" in row["id"]
    assert EMAIL in row["source"]  # the folder's name
    assert row["agents"] == ["sam **** **** **** 6467"]  # agents keep their ids, cards masked


def test_export_masks_every_field(exports, tmp_path):
    target = tmp_path / "safe.jsonl"
    run("export", exports, "-o", target)
    text = target.read_text()
    assert EMAIL not in text and PHONE not in text and CARD_DIGITS not in digits_of(text)
    assert CARD not in text


def test_cq501_conversation_lists_are_masked(tmp_path):
    convs = []
    for i in range(4):
        convs.append({"id": f"c{i} {EMAIL} {CARD}", "messages": [
            {"role": "customer", "time": f"2026-03-01T10:0{i}:00Z", "text": "hi"},
            {"role": "agent", "author": "Sam", "time": f"2026-03-01T10:0{i}:30Z", "text": "hello"},
            {"role": "agent", "author": "Sam", "time": "2026-03-01T10:30:00Z", "text": "bye"}]})
    path = tmp_path / "busy.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in convs))
    code, out, _ = run("check", path, "--format", "jsonl", "--select", "CQ501")
    rows = [json.loads(line) for line in out.decode().splitlines()]
    listed = [c for r in rows for f in r["findings"] for c in f.get("conversations", [])]
    assert listed and all(EMAIL not in c and "**** **** **** 6467" in c for c in listed)


def test_an_id_that_is_a_bare_number_is_kept(tmp_path):
    """Status ids of social platforms are 16-19 digit numbers, and about one in ten passes a
    card's checks: as the whole id they are ids, kept so that results join with the export."""
    import chatqa
    from chatqa.testing import transcript

    for cid in ("3610580441278440", CARD_DIGITS, "07700900123"):
        assert chatqa.check(transcript([{"customer": "hi"}], id=cid)).id == cid
    assert chatqa.check(transcript([{"customer": "hi"}], id=f"card {CARD_DIGITS}")).id == "card **** **** **** 6467"
