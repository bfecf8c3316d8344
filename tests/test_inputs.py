"""Bad and odd inputs: every good conversation kept, every bad record reported with its place."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import parse_file

from chatqa.errors import Failure, ParseError
from chatqa.inputs import Loader
from chatqa.parsers import ParseOptions

CONV = {"id": "c-1", "messages": [
    {"role": "customer", "author": "Ann", "time": "2026-03-01T10:00:00Z", "text": "Hi, my order is late"},
    {"role": "agent", "author": "Sam", "time": "2026-03-01T10:00:41Z", "text": "Hi Ann, I'm Sam. Let me check."},
]}


def conv(i: int) -> dict:
    return {**CONV, "id": f"c-{i}"}


def run(path: Path, vendor: str = "auto", **options) -> tuple[list, list[Failure]]:
    items = list(parse_file(path, vendor, ParseOptions(**options)))
    return [i for i in items if not isinstance(i, Failure)], [i for i in items if isinstance(i, Failure)]


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_jsonl_with_a_broken_line_in_the_middle(tmp_path):
    lines = [json.dumps(conv(1)), json.dumps(conv(2))[:-5], "", json.dumps(conv(3))]
    good, bad = run(write(tmp_path, "a.jsonl", "\n".join(lines)))
    assert [t.id for t in good] == ["c-1", "c-3"]
    assert [t.source for t in good] == [f"{tmp_path}/a.jsonl#L1", f"{tmp_path}/a.jsonl#L4"]
    assert len(bad) == 1 and bad[0].locator == "line 2" and bad[0].reason.startswith("invalid JSON")
    assert str(bad[0]) == f"{tmp_path}/a.jsonl: error: {bad[0].reason} (at line 2)"


def test_truncated_json_array_keeps_the_complete_records(tmp_path):
    text = json.dumps([conv(1), conv(2), conv(3)], indent=1)
    good, bad = run(write(tmp_path, "a.json", text[: len(text) * 3 // 4]))
    assert [t.id for t in good] == ["c-1", "c-2"]
    assert len(bad) == 1 and bad[0].reason.startswith("truncated")
    assert bad[0].locator.startswith("[2], line ")


def test_truncated_json_object_is_one_failure(tmp_path):
    text = json.dumps({"conversations": [conv(1), conv(2)]})
    good, bad = run(write(tmp_path, "a.json", text[:40]))
    assert good == [] and len(bad) == 1
    assert bad[0].reason.startswith("invalid JSON") and bad[0].locator.startswith("line 1, column")


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty file"),
    (b"   \n\n  ", "empty file"),
    (b"\x00\x01\x02\x03binary\xff\xfe" * 50, "binary file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"PK\x03\x04" + b"\x00" * 30, "ZIP archive"),
    (b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, "binary file"),
    (b'{"hello": "world"}', "no known export format (top-level keys: hello)"),
    (b"[1, 2, 3]", "no known export format"),
    (b"just some prose\nwithout any structure\n", "not a transcript export"),
    (b"a,b,c\n1,2,3\n", "no known format for this CSV (columns: a, b, c)"),
])
def test_unreadable_files_give_one_clear_failure(tmp_path, content, reason):
    good, bad = run(write(tmp_path, "x.dat", content))
    assert good == []
    assert len(bad) == 1 and reason in bad[0].reason, bad


def test_record_level_errors_name_the_json_path(tmp_path):
    data = [conv(1), {"id": "c-2", "messages": [{"role": "wizard", "text": "hi"}]},
            {"id": "c-3", "messages": [{"role": "agent", "time": "later", "text": "x"}]}, {"messages": []}, conv(5)]
    good, bad = run(write(tmp_path, "a.json", json.dumps(data)))
    assert [t.id for t in good] == ["c-1", "c-5"]
    assert [(f.locator, f.reason.split(":")[0]) for f in bad] == [
        ("[1].messages[0].role", "input should be 'customer', 'agent', 'bot' or 'system', got 'wizard'"),
        ("[2].messages[0]", "bad time"),
        ("[3].id", "missing field 'id'"),
    ]


def test_gzip_is_read_transparently_and_corrupt_gzip_is_reported(tmp_path):
    path = write(tmp_path, "a.jsonl.gz", gzip.compress(json.dumps(conv(1)).encode()))
    good, bad = run(path)
    assert [t.id for t in good] == ["c-1"] and bad == []
    broken = write(tmp_path, "b.gz", gzip.compress(("\n".join(json.dumps(conv(i)) for i in range(50))).encode())[:300])
    good, bad = run(broken)
    assert len(bad) == 1 and ("gzip" in bad[0].reason or "compressed" in bad[0].reason)


def test_gzip_with_an_extension_that_lies(tmp_path):
    good, _ = run(write(tmp_path, "export.csv", gzip.compress(json.dumps([conv(7)]).encode())))
    assert [t.id for t in good] == ["c-7"]


def test_utf8_bom_and_crlf_are_fine(tmp_path):
    text = "\ufeff" + "\r\n".join(json.dumps(conv(i)) for i in range(3)) + "\r\n"
    good, bad = run(write(tmp_path, "a.jsonl", text))
    assert len(good) == 3 and bad == []


def test_utf16_json(tmp_path):
    good, bad = run(write(tmp_path, "a.json", json.dumps([conv(1)]).encode("utf-16")))
    assert [t.id for t in good] == ["c-1"] and bad == []


def test_invalid_utf8_in_one_jsonl_line(tmp_path):
    lines = [json.dumps(conv(1)).encode(), b'{"id": "c-2", "messages": [{"role": "customer", "text": "\xff\xfe"}]}',
             json.dumps(conv(3)).encode()]
    good, bad = run(write(tmp_path, "a.jsonl", b"\n".join(lines)))
    assert [t.id for t in good] == ["c-1", "c-3"] and [f.locator for f in bad] == ["line 2"]


def test_csv_bare_carriage_return_in_an_unquoted_field(tmp_path):
    header = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    rows = ("1,111,True,Tue Oct 31 22:10:47 +0000 2017,@Brand help \r\rplease,2,\n"
            "2,Brand,False,Tue Oct 31 22:12:47 +0000 2017,@111 sure ^AB,,1.0\n")
    good, bad = run(write(tmp_path, "t.csv", header + rows))
    assert bad == [] and len(good) == 1
    assert [m.text for m in good[0].messages] == ["@Brand help\nplease", "@111 sure ^AB"]


def test_csv_malformed_rows_are_reported_and_the_rest_kept(tmp_path):
    text = ("conversation_id,role,time,text\n"
            "a,customer,2026-01-01T10:00:00Z,hi\n"
            "a,agent,2026-01-01T10:00:30Z,hello,extra\n"
            "b,customer,2026-01-01T11:00:00Z,hey\n"
            "b,agent,not a time,sorry\n"
            "c,customer,2026-01-01T12:00:00Z,yo\n"
            "c,martian,2026-01-01T12:00:10Z,beep\n"
            "d,customer,2026-01-01T13:00:00Z,ok\n")
    good, bad = run(write(tmp_path, "h.csv", text))
    assert [t.id for t in good] == ["a", "d"]
    assert [f.locator for f in bad] == ["line 3", "line 5", "line 7"]
    assert bad[0].reason == "expected 4 fields, found 5"
    assert bad[1].reason.startswith("bad time") and bad[1].reason.endswith("conversation b skipped")
    assert "unknown role value 'martian'; map it with --role-map" in bad[2].reason


def test_csv_unclosed_quote_at_the_end(tmp_path):
    text = 'conversation_id,role,text\na,customer,hi\nb,customer,"never closed\n'
    good, bad = run(write(tmp_path, "h.csv", text))
    assert [t.id for t in good] == ["a", "b"] or len(bad) == 1


def test_csv_column_mapping_and_role_values(tmp_path):
    text = ("ticket_id,sender_type,created,body,agent_name\n"
            "T1,Visitor,2026-01-01 10:00:00,hi,\n"
            "T1,Staff,2026-01-01 10:00:20,hello,Sam\n")
    path = write(tmp_path, "x.csv", text)
    good, bad = run(path, columns={"conversation": "ticket_id", "role": "sender_type", "time": "created",
                                   "text": "body", "author": "agent_name"}, roles={"Staff": "agent"})
    assert bad == [] and good[0].id == "T1"
    assert [(m.role.value, m.author_id) for m in good[0].messages] == [("customer", None), ("agent", "Sam")]
    good, bad = run(path, columns={"conversation": "ticket", "role": "sender_type", "text": "body"})
    assert good == [] and "--map conversation=ticket: no column 'ticket'" in bad[0].reason


def test_loader_accounts_for_every_record(tmp_path):
    write(tmp_path, "a.jsonl", "\n".join([json.dumps(conv(1)), "{broken", json.dumps(conv(2))]))
    write(tmp_path, "b.json", b"")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.json", json.dumps([conv(3), {"id": "x"}]))
    write(tmp_path / "sub", "README.md", "# notes")
    write(tmp_path, ".hidden.json", "garbage")
    loader = Loader(tmp_path, errors="collect")
    ids = [t.id for t in loader]
    assert ids == ["c-1", "c-2", "c-3"]
    assert loader.files == 3 and len(loader.failures) == 3
    assert loader.records_in == loader.conversations + len(loader.failures) == 6
    assert loader.skipped == [str(tmp_path / "sub" / "README.md")]


def test_loader_raises_by_default(tmp_path):
    write(tmp_path, "a.jsonl", json.dumps(conv(1)) + "\n{broken\n")
    with pytest.raises(ParseError) as err:
        list(Loader(tmp_path / "a.jsonl"))
    assert err.value.locator == "line 2"


def test_missing_path_and_symlink_loop(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "loop").symlink_to(tmp_path / "d")
    loader = Loader([tmp_path / "nope.json", tmp_path / "d"], errors="collect")
    assert list(loader) == []
    reasons = sorted(f.reason for f in loader.failures)
    assert reasons == ["no such file or directory", "symlink loop (folder already visited)"]


@pytest.mark.parametrize("vendor", ["intercom", "zendesk-chat", "livechat", "livechat-v2", "liveperson",
                                    "ibm-twitter", "stc3"])
def test_explicit_vendor_on_the_wrong_file_fails_per_record(tmp_path, vendor):
    good, bad = run(write(tmp_path, "a.json", json.dumps([conv(1), conv(2)])), vendor=vendor)
    assert good == [] and [f.locator[:3] for f in bad] == ["[0]", "[1]"]


def test_card_numbers_never_reach_error_messages(tmp_path):
    data = [{"id": "c", "messages": [{"role": "customer", "time": "4111 1111 1111 1111", "text": "x"}]}]
    _, bad = run(write(tmp_path, "a.json", json.dumps(data)))
    assert "4111 1111 1111 1111" not in str(bad[0]) and "**** **** **** 1111" in str(bad[0])


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_bad_byte_late_in_a_csv_loses_only_its_row(tmp_path, gzipped):
    import gzip

    import chatqa

    rows = ["conversation,role,time,text"]
    for i in range(300):
        rows += [f"c{i},customer,2026-03-01T10:00:00Z,hi {i}", f"c{i},agent,2026-03-01T10:01:00Z,hello {i}"]
    data = ("\n".join(rows) + "\n").encode()
    at = data.index(b"hello 250")
    data = data[:at] + b"\xff\xfe" + data[at:]
    path = tmp_path / ("export.csv.gz" if gzipped else "export.csv")
    path.write_bytes(gzip.compress(data) if gzipped else data)
    loader = chatqa.load(path, vendor="csv", errors="collect",
                         columns={"conversation": "conversation", "role": "role", "time": "time", "text": "text"})
    transcripts = list(loader)
    assert len(transcripts) == 300  # c250 keeps its customer message
    assert [(f.locator, f.reason) for f in loader.failures] == [
        (f"line {2 + 2 * 250 + 1}", "not valid UTF-8 text; re-save the export as UTF-8")]
    assert next(t for t in transcripts if t.id == "c250").messages[0].text == "hi 250"
    assert len(next(t for t in transcripts if t.id == "c250").messages) == 1
