"""Exact duplicates (SPEC section 2): a conversation read twice in a run (the same id from the same
vendor, the same content), or a CSV row read twice, is counted once and reported in the summary;
the same id with other content is a failure (the first is kept); records in = conversations +
failures + duplicates, whatever the executor."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

import chatqa
import chatqa.inputs as inputs
from chatqa.cli import main
from chatqa.duplicates import Seen, conversation_key
from chatqa.inputs import Loader
from chatqa.parsers import ParseOptions
from chatqa.records import Conversation


def chat(cid: str, *, agent: str = "sam@acme.example", start: int = 1_773_000_000, text: str = "It ships today.",
         vendor: str | None = None) -> dict:
    record = {"id": cid, "messages": [
        {"role": "customer", "author": "Ann", "time": start, "text": "Hi, my order is late"},
        {"role": "agent", "author": "Sam", "author_id": agent, "time": start + 30, "text": "Hi Ann, I'm Sam."},
        {"role": "customer", "author": "Ann", "time": start + 60, "text": "Where is it?"},
        {"role": "agent", "author": "Sam", "author_id": agent, "time": start + 90, "text": text},
    ]}
    if vendor:
        record["vendor"] = vendor
    return record


def neutral(record: dict, name: str = "memory") -> Conversation:
    """A neutral record read as a light conversation."""
    (item,) = inputs.read(inputs.Records(name, [record]), ParseOptions())
    assert isinstance(item, Conversation)
    return item


def jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def check(*args: object) -> tuple[int, dict, str]:
    result = CliRunner().invoke(main, ["check", *map(str, args), "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout), result.stderr


def test_the_same_conversation_twice_is_counted_once(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [chat("c1"), chat("c2"), chat("c1")])
    code, doc, err = check(path)
    assert code == 0 and err == ""
    summary = doc["summary"]
    assert [c["id"] for c in doc["conversations"]] == ["c1", "c2"]
    assert doc["conversations"][0]["source"].endswith("a.jsonl#L1")  # the first one read is kept
    assert (summary["conversations"], summary["duplicates"], summary["failures"], summary["records_in"]) == (2, 1, [], 3)


def test_a_copy_in_another_file_and_syntax_is_a_duplicate(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([chat("c1"), chat("c2")], indent=2))
    jsonl(tmp_path / "b.jsonl", [chat("c2"), chat("c3"), chat("c1")])
    code, doc, _ = check(tmp_path)
    assert code == 0
    assert [c["id"] for c in doc["conversations"]] == ["c1", "c2", "c3"]
    assert doc["summary"]["duplicates"] == 2 and doc["summary"]["records_in"] == 5


def test_the_same_id_with_other_content_is_a_failure_and_the_first_is_kept(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [chat("c1"), chat("c1", text="It shipped yesterday.")])
    code, doc, err = check(path)
    assert code == 3
    assert [c["id"] for c in doc["conversations"]] == ["c1"]
    (failure,) = doc["summary"]["failures"]
    assert failure["source"] == str(path) and failure["locator"] == "L2"
    assert "'c1'" in failure["reason"] and "different content" in failure["reason"]
    assert err.strip() == f"{path}: error: {failure['reason']} (at L2)"
    assert doc["summary"]["duplicates"] == 0 and doc["summary"]["records_in"] == 2


def test_the_same_id_from_another_vendor_is_another_conversation(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [chat("c1"), chat("c1", vendor="livechat")])
    code, doc, _ = check(path)
    assert code == 0 and [c["vendor"] for c in doc["conversations"]] == ["chatqa", "livechat"]
    assert doc["summary"]["duplicates"] == 0


def test_only_content_counts_not_the_place(tmp_path):
    """Key order, spacing, time notation and the file do not make a conversation different."""
    a = chat("c1")
    b = copy.deepcopy(a)
    b["messages"] = [{**{k: m[k] for k in reversed(list(m))}, "time": f"{m['time']}"} for m in b["messages"]]
    b = {"messages": b["messages"], "id": "c1"}
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b, indent=4))
    _, doc, _ = check(tmp_path)
    assert doc["summary"]["duplicates"] == 1 and len(doc["conversations"]) == 1


def test_a_csv_row_twice_is_counted_once(tmp_path):
    path = tmp_path / "export.csv"
    rows = ["ticket_id,sender_type,created,body",
            "t1,Visitor,2026-03-01T10:00:00Z,my order is late",
            "t1,Staff,2026-03-01T10:00:30Z,Let me check that for you",
            "t1,Staff,2026-03-01T10:00:30Z,Let me check that for you",
            "t2,Visitor,2026-03-01T11:00:00Z,hello",
            "t1,Staff,2026-03-01T10:00:30Z,Let me check that for you"]
    path.write_text("\n".join(rows) + "\n")
    result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--map",
                                       "conversation=ticket_id,role=sender_type,time=created,text=body",
                                       "--role-map", "Staff=agent,Visitor=customer"], catch_exceptions=False)
    doc = json.loads(result.stdout)
    assert result.exit_code == 0
    assert [c["metrics"]["messages"] for c in doc["conversations"]] == [2, 1]
    summary = doc["summary"]
    assert (summary["conversations"], summary["duplicates"], summary["records_in"]) == (2, 2, 4)


def test_twcs_rows_twice(tmp_path):
    rows = ["tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id",
            "1,115712,True,Tue Oct 31 22:10:47 +0000 2017,@sprintcare my phone is broken,2,",
            "2,sprintcare,False,Tue Oct 31 22:11:45 +0000 2017,@115712 Sorry to hear that! ^JK,,1",
            "2,sprintcare,False,Tue Oct 31 22:11:45 +0000 2017,@115712 Sorry to hear that! ^JK,,1"]
    path = tmp_path / "twcs.csv"
    path.write_text("\n".join(rows) + "\n")
    loader = Loader(path, errors="collect")
    (transcript,) = list(loader)
    assert len(transcript.messages) == 2 and loader.duplicates == 1 and loader.records_in == 2


def test_library_entry_points_count_once(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [chat("c1"), chat("c1"), chat("c2")])
    loader = chatqa.load(path)
    assert [t.id for t in loader] == ["c1", "c2"] and loader.duplicates == 1
    report = chatqa.analyze(path)
    assert list(report.conversations["id"]) == ["c1", "c2"]
    assert report.summary.duplicates == 1 and report.summary.records_in == 3
    t = neutral(chat("c9")).transcript()
    again = chatqa.analyze([t, t, path])
    assert again.summary.duplicates == 2 and len(again.conversations) == 3


def test_a_duplicate_never_reaches_the_run_level_rules(tmp_path):
    """A copy of a conversation must not overlap with itself (CQ501) nor repeat its agent's lines (CQ301)."""
    one = jsonl(tmp_path / "one.jsonl", [chat("c1"), chat("c2", start=1_773_100_000)])
    (tmp_path / "twice").mkdir()
    twice = jsonl(tmp_path / "twice" / "a.jsonl", [chat("c1"), chat("c1"), chat("c2", start=1_773_100_000), chat("c1")])
    _, a, _ = check(one)
    _, b, _ = check(twice)
    strip = [{k: v for k, v in c.items() if k != "source"} for c in a["conversations"]]
    assert strip == [{k: v for k, v in c.items() if k != "source"} for c in b["conversations"]]
    assert b["summary"]["duplicates"] == 2


def test_identical_pages_named_after_their_file_are_duplicates_only_when_identical(tmp_path):
    """A Zendesk comments page that names no ticket takes its id from the file name: two such pages
    in two folders are two conversations, unless they are copies."""
    page = {"comments": [{"id": 1, "type": "Comment", "author_id": 7, "public": True, "plain_body": "my order is late",
                          "created_at": "2026-03-01T10:00:00Z"},
                         {"id": 2, "type": "Comment", "author_id": 8, "public": True, "plain_body": "Let me check.",
                          "created_at": "2026-03-01T10:01:00Z"}],
            "users": [{"id": 7, "name": "Ann", "role": "end-user"}, {"id": 8, "name": "Sam", "role": "agent"}]}
    other = copy.deepcopy(page)
    other["comments"][0]["plain_body"] = "where is my refund"
    for folder, doc in (("a", page), ("b", other), ("c", page)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "comments.json").write_text(json.dumps(doc))
    code, out, _ = check(tmp_path)
    assert code == 0
    assert [c["id"] for c in out["conversations"]] == ["comments", "comments"]
    assert out["summary"]["duplicates"] == 1


@pytest.fixture
def overlapping(tmp_path: Path) -> Path:
    """Exports that overlap: copies across parts of a big JSON Lines file and across files."""
    rng = random.Random(3)
    agents = ["ann@acme.example", "bob@acme.example"]
    records = [chat(f"c{i}", agent=rng.choice(agents), start=1_773_000_000 + rng.randint(0, 7200),
                    text=rng.choice(["It ships today.", "Please hold on a moment.", "Sorry about that."]))
               for i in range(200)]
    lines = [*records, *rng.sample(records, 40)]
    rng.shuffle(lines)
    lines.insert(100, chat("c5", text="another text under the same id"))
    jsonl(tmp_path / "big.jsonl", lines)
    jsonl(tmp_path / "more.jsonl", rng.sample(records, 10) + [chat("new")])
    return tmp_path


def test_two_jobs_count_duplicates_like_one(overlapping, monkeypatch):
    monkeypatch.setattr(inputs, "PART_BYTES", 4_000)  # big.jsonl in many parts, copies across them
    outputs = []
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["check", str(overlapping), "--format", "json", "--jobs", jobs],
                                    catch_exceptions=False)
        outputs.append((result.exit_code, result.stdout, result.stderr))
    assert outputs[0] == outputs[1]
    summary = json.loads(outputs[0][1])["summary"]
    assert summary["conversations"] == 201 and len(summary["failures"]) == 1
    assert summary["duplicates"] == 50 and summary["records_in"] == 252


def test_dask_counts_duplicates_like_a_local_run(overlapping):
    pytest.importorskip("dask.dataframe")
    import pandas as pd

    import chatqa.dask as cqd

    local = chatqa.analyze(overlapping)
    run = cqd.run(overlapping, partitions=3)
    got = run.conversations.compute(scheduler="sync")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), local.conversations.reset_index(drop=True))
    assert run.failures.compute(scheduler="sync") == [f.model_dump() for f in local.summary.failures]
    assert run.duplicates.compute(scheduler="sync") == local.summary.duplicates == 50


def test_seen_agrees_with_a_dict_over_many_keys():
    rng = random.Random(1)
    seen, oracle = Seen(), {}
    for _ in range(60_000):
        identity = rng.randrange(1, 2**64) if rng.random() < 0.7 or not oracle else rng.choice(list(oracle)[-50:])
        content = rng.choice([1, 2])
        expected = "new" if identity not in oracle else "duplicate" if oracle[identity] == content else "conflict"
        oracle.setdefault(identity, content)
        assert seen.add((identity, content)) == expected
    assert seen.count == len(oracle)


def test_keys_ignore_the_source_but_not_the_content():
    def light(record: dict, source: str) -> Conversation:
        return neutral(record, source)

    a, b = light(chat("c1"), "a.json#0"), light(chat("c1"), "b.jsonl#L9")
    assert conversation_key(a) == conversation_key(b)
    changed = light(chat("c1", text="It ships tomorrow."), "a.json")
    assert conversation_key(changed)[0] == conversation_key(a)[0] and conversation_key(changed)[1] != conversation_key(a)[1]
    assert conversation_key(light(chat("c2"), "a.json"))[0] != conversation_key(a)[0]


def test_table_and_html_summaries_show_duplicates(tmp_path):
    path = jsonl(tmp_path / "a.jsonl", [chat("c1"), chat("c1")])
    table = CliRunner().invoke(main, ["check", str(path), "--format", "table"], catch_exceptions=False).stdout
    assert "duplicates (counted once): 1   records in: 2" in table
    out = tmp_path / "r.html"
    CliRunner().invoke(main, ["check", str(path), "-o", str(out)], catch_exceptions=False)
    assert "1 duplicate record counted once" in out.read_text()


def test_front_export_files_are_fragments_not_conflicts(tmp_path):
    """Front's export template writes one message per file, in a folder per conversation: each file
    is a fragment of its conversation (not merged across files), never a conflicting copy."""
    folder = tmp_path / "export" / "Support" / "cnv_77ab"
    folder.mkdir(parents=True)

    def message(mid: str, at: float, inbound: bool, text: str) -> dict:
        return {"_links": {"self": f"https://x.api.frontapp.com/messages/{mid}",
                           "related": {"conversation": "https://x.api.frontapp.com/conversations/cnv_77ab"}},
                "id": mid, "type": "email", "is_inbound": inbound, "created_at": at, "body": f"<p>{text}</p>",
                "text": text, "author": None if inbound else {"id": "tea_1", "email": "sam@acme.example",
                                                              "type": "user"},
                "recipients": [{"handle": "ann@example.org", "role": "from" if inbound else "to"}],
                "attachments": [], "draft_mode": None}

    (folder / "1709560209-message-msg_1.json").write_text(json.dumps(message("msg_1", 1709560209, True, "Hi")))
    (folder / "1709560300-message-msg_2.json").write_text(json.dumps(message("msg_2", 1709560300, False, "Hello")))
    (folder / "copy").mkdir()
    (folder / "copy" / "1709560209-message-msg_1.json").write_text(
        json.dumps(message("msg_1", 1709560209, True, "Hi")))
    code, doc, _ = check(tmp_path)
    assert code == 0 and [c["id"] for c in doc["conversations"]] == ["cnv_77ab", "cnv_77ab"]
    assert doc["summary"]["duplicates"] == 1  # an exact copy is still a copy
