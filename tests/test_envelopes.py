"""Envelopes (SPEC section 3): webhook bodies (Intercom notification_event data.item, LiveChat v3
payload.chat and the thread events that follow, LiveChat v2 bare {chat}) and API pages (data,
records, results, tickets, conversations, items) unwrapped wherever the records sit, for every
format; big ones streamed with the same results."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES, parse_file

import chatqa
import chatqa.read.source as sources
from chatqa.errors import Failure
from chatqa.inputs import Loader
from chatqa.parsers import detect
from chatqa.parsers.envelopes import PAGE_KEYS, unwrap
from chatqa.read import InputFile, decode, json_records
from chatqa.read.archive import is_zip

JSON_SAMPLES = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".json", ".jsonl") and not is_zip(p))


def values_of(path: Path) -> list[Any]:
    """The top-level values of a JSON or JSON Lines file."""
    out = []
    for item in json_records(InputFile(path)):
        assert not isinstance(item, Failure)
        out.append(decode(str(path), *item))
    return out


def dumps(path: Path) -> list[dict]:
    items = list(parse_file(path))
    assert not [i for i in items if isinstance(i, Failure)], [i for i in items if isinstance(i, Failure)]
    return [t.model_dump(exclude={"source"}) for t in items]


@pytest.fixture
def streamed(monkeypatch):
    """Read every JSON document element by element, in small reads, as if it were huge."""
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)
    monkeypatch.setattr(sources, "CHUNK", 97)


@pytest.mark.parametrize("key", PAGE_KEYS)
@pytest.mark.parametrize("sample", JSON_SAMPLES, ids=lambda p: p.name)
def test_every_format_reads_its_records_from_any_api_page(sample, key, tmp_path):
    """The values of every sample, as the records of a page under each generic key, read as the
    sample does; and so do a page of pages and a page nested in another."""
    expected = dumps(sample)
    values = values_of(sample)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    page = tmp_path / "a" / sample.name.replace(".jsonl", ".json")
    page.write_text(json.dumps({key: values, "next_page": None, "count": len(values)}, indent=1))
    assert dumps(page) == expected
    sources_ = [t.source for t in parse_file(page)]
    assert all(f"#{key}[" in s for s in sources_), sources_
    pages = tmp_path / "b" / page.name
    pages.write_text(json.dumps([{key: [v], "page": i} for i, v in enumerate(values)]))
    assert dumps(pages) == expected
    nested = tmp_path / "c" / page.name
    nested.write_text(json.dumps({"data": {key: values, "links": {}}, "meta": {"total": len(values)}}))
    assert dumps(nested) == expected


@pytest.mark.parametrize("sample", JSON_SAMPLES, ids=lambda p: p.name)
def test_a_big_api_page_streams_with_the_same_results(sample, tmp_path, streamed):
    expected = dumps(sample)
    (tmp_path / "x").mkdir()
    page = tmp_path / "x" / sample.name.replace(".jsonl", ".json")
    page.write_text(json.dumps({"meta": {"cursor": "abc"}, "items": values_of(sample), "links": {"next": None}},
                               indent=1))
    assert InputFile(page).streams
    assert dumps(page) == expected


def _zendesk_page(users_first: bool) -> dict:
    comments = [{"id": 100 + i, "type": "Comment", "author_id": 7 if i % 2 == 0 else 8, "public": i != 3,
                 "plain_body": f"comment {i}", "created_at": f"2026-03-01T10:0{i}:00Z"} for i in range(6)]
    users = [{"id": 7, "name": "Ann", "role": "end-user"}, {"id": 8, "name": "Sam", "role": "agent"}]
    page = {"comments": comments, "next_page": "https://acme.zendesk.com/api/v2/tickets/4821/comments.json?page=2",
            "count": 6}
    return {"users": users, **page} if users_first else {**page, "users": users}


@pytest.mark.parametrize("users_first", [True, False])
def test_a_streamed_page_keeps_its_sideloads_and_links_wherever_they_are(tmp_path, monkeypatch, users_first):
    path = tmp_path / "comments.json"
    path.write_text(json.dumps(_zendesk_page(users_first), indent=1))
    whole = list(parse_file(path))
    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)
    monkeypatch.setattr(sources, "CHUNK", 64)
    streamed_ = list(parse_file(path))
    assert [t.model_dump() for t in streamed_] == [t.model_dump() for t in whole]
    (t,) = streamed_
    assert t.id == "4821"  # from the page's link
    assert [m.role.value for m in t.messages] == ["customer", "agent", "customer", "agent", "customer", "agent"]
    assert t.source.endswith("comments.json#comments[0]")


def test_a_big_record_holding_a_long_list_is_read_whole(tmp_path, streamed):
    """A Zendesk ticket with its comments, a Freshdesk ticket with its conversations: one record each."""
    ticket = {"id": 77, "subject": "Refund", "requester_id": 7, "via": {"channel": "email"}, "status": "solved",
              "comments": _zendesk_page(True)["comments"], "description": "comment 0"}
    (tmp_path / "zd.json").write_text(json.dumps(ticket, indent=1))
    fd = {"id": 31, "requester_id": 5, "subject": "Late", "description_text": "Where is it?", "source": 1,
          "created_at": "2026-03-01T10:00:00Z", "conversations": [
              {"id": 1000 + i, "ticket_id": 31, "incoming": i % 2 == 1, "private": False, "body_text": f"entry {i}",
               "created_at": f"2026-03-01T11:0{i}:00Z", "user_id": 5 if i % 2 else 9} for i in range(4)]}
    (tmp_path / "fd.json").write_text(json.dumps(fd, indent=1))
    for name, messages in (("zd.json", 6), ("fd.json", 5)):
        (t,) = list(parse_file(tmp_path / name))
        assert len(t.messages) == messages and t.source.endswith(f"{name}"), (name, t.source)


# -- webhooks ------------------------------------------------------------------------------

LIVECHAT = SAMPLES / "livechat_webhooks.jsonl"


def test_livechat_webhook_bodies_rebuild_their_threads():
    first, second = (t for t in parse_file(LIVECHAT))
    assert (first.id, first.metadata["chat_id"], first.tags) == ("QV2NHBUY1L", "RY4TCJ8WOB", ("billing",))
    assert [m.role.value for m in first.messages] == ["customer", "bot", "system", "agent", "agent", "agent",
                                                      "customer"]
    assert first.messages[4].internal and first.rating is not None and first.rating.comment == "quick and friendly"
    assert "leo.ortiz@northwind.example" in {p.id for p in second.participants}  # user_added_to_chat
    assert "I'm checking the code now" in second.messages[2].text  # event_updated replaced the event
    assert second.messages[1].kind.value == "file"


def test_livechat_webhooks_in_any_order_give_the_same_threads(tmp_path):
    lines = LIVECHAT.read_text().splitlines()
    shuffled = tmp_path / "hooks.jsonl"
    rng = random.Random(4)
    for seed in range(3):
        rng.seed(seed)
        order = lines[:]
        rng.shuffle(order)
        # the incoming_chat bodies first (an updated event must follow its original), the rest shuffled
        order = [x for x in order if "incoming_chat" in x] + [x for x in order if "incoming_chat" not in x]
        order = [x for x in order if "event_updated" not in x] + [x for x in order if "event_updated" in x]
        shuffled.write_text("\n".join(order) + "\n")
        assert sorted(dumps(shuffled), key=lambda t: t["id"]) == sorted(dumps(LIVECHAT), key=lambda t: t["id"])


def test_livechat_webhooks_as_an_array_or_a_page(tmp_path):
    hooks = [json.loads(x) for x in LIVECHAT.read_text().splitlines()]
    (tmp_path / "a.json").write_text(json.dumps(hooks))
    (tmp_path / "b.json").write_text(json.dumps({"items": hooks, "cursor": None}))
    assert dumps(tmp_path / "a.json") == dumps(tmp_path / "b.json") == dumps(LIVECHAT)


def _lc_hook(action: str, payload: dict) -> dict:
    return {"webhook_id": "w", "secret_key": "s", "action": action, "organization_id": "o", "payload": payload}


def test_livechat_webhooks_without_their_chat(tmp_path):
    event = {"id": "E1", "type": "message", "text": "Hello?", "author_id": "cust-1",
             "created_at": "2026-03-09T10:00:00Z", "visibility": "all"}
    reply = {**event, "id": "E2", "text": "Hi, I'm Kim.", "author_id": "kim@shop.example",
             "created_at": "2026-03-09T10:00:30Z"}
    path = tmp_path / "hooks.jsonl"
    path.write_text("\n".join(json.dumps(h) for h in [
        _lc_hook("incoming_event", {"chat_id": "C1", "thread_id": "T1", "event": event}),  # the first line: detected
        _lc_hook("agent_created", {"id": "new@shop.example"}),
        _lc_hook("incoming_event", {"chat_id": "C1", "thread_id": "T1", "event": reply}),
        _lc_hook("chat_deactivated", {"chat_id": "C2", "thread_id": "T2"}),
        _lc_hook("chat_properties_updated", {"chat_id": "C1", "properties": {"x": {"y": 1}}}),
    ]) + "\n")
    assert detect(InputFile(path)).name == "livechat"
    loader = Loader(path, errors="collect")
    (t,) = list(loader)  # the thread from its events alone: agents by their email-like ids
    assert t.id == "T1" and [m.role.value for m in t.messages] == ["customer", "agent"]
    reasons = [(f.locator, f.reason) for f in loader.failures]
    assert reasons == [
        ("line 2, payload", "a LiveChat agent_created webhook is about no chat: nothing to read"),
        ("line 4, payload", "LiveChat webhooks about thread T2 of chat C2 (chat_deactivated) hold no events: its "
                            "incoming_chat and incoming_event bodies are not in this file"),
        ("line 5, payload", "a LiveChat chat_properties_updated webhook names no thread of chat C1: nothing to read"),
    ]
    assert loader.records_in == 4  # one thread from two bodies, three bodies that hold none


def _ic(topic: str, item: dict, n: int = 1) -> dict:
    return {"type": "notification_event", "app_id": "x1", "id": f"notif_{n}", "topic": topic, "created_at": 1,
            "data": {"type": "notification_event_data", "item": item}}


def _conversation(parts: list[dict], cid: str = "900") -> dict:
    return {"type": "conversation", "id": cid, "created_at": 1773000000,
            "source": {"type": "conversation", "delivered_as": "customer_initiated", "body": "<p>Help</p>",
                       "author": {"type": "user", "id": "u1"}},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts}}


def _ic_part(pid: str, at: int, body: str, author: str = "admin") -> dict:
    return {"type": "conversation_part", "id": pid, "part_type": "comment", "body": body, "created_at": at,
            "author": {"type": author, "id": "a1" if author == "admin" else "u1"}}


def test_intercom_notifications_merge_per_conversation(tmp_path):
    a = _ic_part("1", 1773000030, "<p>Hi, looking now</p>")
    b = _ic_part("2", 1773000060, "<p>thanks</p>", "user")
    b_edited = {**b, "body": "<p>thanks!</p>"}
    hooks = [_ic("ping", {"type": "ping", "message": "hi"}, 0),  # the first record says nothing: still detected
             _ic("conversation.user.created", _conversation([]), 1),
             _ic("conversation.admin.replied", _conversation([a]), 2),
             _ic("conversation.user.created", _conversation([], cid="901"), 3),
             _ic("conversation.user.replied", _conversation([a, b]), 4),
             _ic("conversation.user.replied", _conversation([b_edited]), 5)]
    path = tmp_path / "n.jsonl"
    path.write_text("\n".join(json.dumps(h) for h in hooks) + "\n")
    assert detect(InputFile(path)).name == "intercom"
    loader = Loader(path, errors="collect")
    first, second = list(loader)
    assert (first.id, second.id) == ("900", "901")
    assert [m.text for m in first.messages] == ["Help", "Hi, looking now", "thanks!"]
    assert first.source.endswith("n.jsonl#L2.data.item")
    assert [f.reason for f in loader.failures] == [
        "an Intercom ping notification holds no conversation (item type 'ping'): nothing to read"]
    # one notification alone is the conversation as it was then
    (tmp_path / "one.json").write_text(json.dumps(hooks[2]))
    (t,) = list(parse_file(tmp_path / "one.json"))
    assert [m.text for m in t.messages] == ["Help", "Hi, looking now"]


def test_livechat_v2_bare_chat_bodies(tmp_path):
    chat = {"id": "MH1", "started_timestamp": 1773054000, "messages": [
        {"user_type": "visitor", "author_name": "Sara", "text": "hello", "timestamp": 1773054000},
        {"user_type": "agent", "author_name": "Tom", "agent_id": "tom@x.example", "text": "Hi, I'm Tom",
         "timestamp": 1773054030}], "agents": [{"name": "Tom", "login": "tom@x.example"}]}
    (tmp_path / "bare.json").write_text(json.dumps({"chat": chat}, indent=1))
    (tmp_path / "hook.json").write_text(json.dumps({"event_type": "chat_ended", "chat": chat,
                                                    "visitor": {"id": "S1", "name": "Sara"}}))
    (bare,) = list(parse_file(tmp_path / "bare.json"))
    (hook,) = list(parse_file(tmp_path / "hook.json"))
    assert bare.vendor == hook.vendor == "livechat-v2" and bare.source.endswith("bare.json#chat")
    assert hook.messages[0].author_id == "S1" and ("tom@x.example", "agent") in [
        (p.id, p.role.value) for p in hook.participants]


def test_unwrap_finds_records_wherever_they_sit():
    def is_record(v: Any) -> bool:
        return isinstance(v, dict) and "rec" in v

    rec = {"rec": 1}
    assert unwrap(rec, is_record) == [("", rec)]
    assert unwrap({"items": [rec, 5]}, is_record) == [("items[0]", rec), ("items[1]", 5)]
    assert unwrap({"items": [5, 6]}, is_record) is None  # a generic key holding no record is no page
    assert unwrap({"chats": [5]}, is_record, own=["chats"]) == [("chats[0]", 5)]  # an own key always is
    assert unwrap({"data": {"results": [rec]}}, is_record) == [("data.results[0]", rec)]
    assert unwrap({"payload": {"chat": rec}}, is_record, webhooks=[("payload", "chat")]) == [("payload.chat", rec)]
    assert unwrap({"data": [{"records": [rec]}, {"records": []}]}, is_record) == [("data[0].records[0]", rec)]
    assert unwrap({"results": [], "count": 0}, is_record) == []
    deep: Any = rec
    for _ in range(4):
        deep = {"data": deep}
    assert unwrap(deep, is_record) is None  # nesting is bounded


def test_an_empty_api_page_has_no_records(tmp_path):
    (tmp_path / "last.json").write_text(json.dumps({"results": [], "next_page": None, "count": 240}))
    (tmp_path / "pages.jsonl").write_text('{"data": [], "meta": {}}\n'
                                          '{"conversations": [{"id": "c1", "messages": [{"role": "customer", '
                                          '"text": "hi"}]}]}\n')
    report = chatqa.analyze(tmp_path)
    assert report.summary.records_in == 1 and report.failures.empty


def test_rows_and_webhooks_are_never_cut_between_workers(tmp_path, monkeypatch):
    """JSON Lines of rows grouped over the file (a Zendesk comments export) and of webhook bodies
    merged per conversation are read in one piece with --jobs; chats one per line are cut."""
    import chatqa.inputs as inputs
    from chatqa.parsers import ParseOptions

    monkeypatch.setattr(inputs, "PART_BYTES", 1_000)
    rows = [{"id": 100 + i, "ticket_id": 7 + i % 3, "type": "Comment", "author_id": 5 if i % 2 else 9, "public": True,
             "plain_body": f"comment {i} " * 5, "created_at": f"2026-03-01T10:{i:02d}:00Z",
             "via": {"channel": "email"}} for i in range(40)]
    (tmp_path / "comments.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "hooks.jsonl").write_text(LIVECHAT.read_text())
    chats = (SAMPLES / "chatqa_neutral.jsonl").read_text() * 3
    (tmp_path / "chats.jsonl").write_text(chats)
    units = [u for u in inputs.plan([tmp_path], "auto", ParseOptions(), split=True) if isinstance(u, inputs.File)]
    parts = {Path(u.path).name: sum(1 for v in units if v.path == u.path) for u in units}
    assert parts["comments.jsonl"] == 1 and parts["hooks.jsonl"] == 1 and parts["chats.jsonl"] > 1
    from click.testing import CliRunner

    from chatqa.cli import main

    outs = [CliRunner().invoke(main, ["check", str(tmp_path), "--format", "json", "--jobs", j]).stdout for j in "12"]
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["summary"]["conversations"] == 3 + 2 + 4
