"""LiveChat v3 payloads as the Agent Chat API and webhook docs define them (platform.text.com data
structures: ``recipients`` all/agents in v3.0-v3.1, filled form fields, webhook bodies), each
with the look-alikes that must read as before. Payloads are small handwritten ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import parse_file

import chatqa
from chatqa.cli import main
from chatqa.duplicates import Duplicate
from chatqa.errors import Failure
from chatqa.inputs import Loader
from chatqa.model import Kind, Role, Transcript

CUSTOMER, AGENT = "c-1", "kim@shop.example"
USERS = [{"id": CUSTOMER, "name": "Ann", "type": "customer"}, {"id": AGENT, "name": "Kim", "type": "agent"}]


def _at(seconds: int) -> str:
    return f"2026-03-09T10:{seconds // 60:02d}:{seconds % 60:02d}.000000Z"


def _event(eid: str, at: int, author: str | None = AGENT, **fields: Any) -> dict[str, Any]:
    return {"id": eid, "created_at": _at(at), "type": "message", "author_id": author, **fields}


def _chat(events: list[dict[str, Any]], tid: str = "T1") -> dict[str, Any]:
    return {"id": "C1", "users": USERS, "thread": {"id": tid, "events": events}}


def _read(tmp_path: Path, doc: Any, name: str = "chats.json") -> list[Transcript]:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    items = list(parse_file(path))
    assert not [i for i in items if isinstance(i, Failure | Duplicate)], items
    return items


# -- 1. recipients: agents (v3.0-v3.1; v3.2 on call it visibility) ----------------------------------

def test_recipients_agents_is_a_whisper(tmp_path):
    events = [_event("E1", 0, CUSTOMER, text="My order is late", recipients="all"),
              _event("E2", 10, text="customer is on the legacy plan", recipients="agents"),
              _event("E3", 15, type="rich_message", recipients="agents", template_id="cards",
                     elements=[{"title": "Refund macro"}]),
              _event("E4", 20, type="file", recipients="agents", name="invoice.pdf", url="https://cdn.example/i"),
              _event("E5", 25, None, type="system_message", text="Kim added a note", recipients="agents",
                     system_message_type="manual"),
              _event("E6", 60, text="Hi Ann, I'm Kim. Let me check.", recipients="all")]
    (t,) = _read(tmp_path, {"chats": [_chat(events)], "found_chats": 1})
    got = [(m.role, m.kind, m.internal) for m in t.messages]
    assert got == [(Role.CUSTOMER, Kind.MESSAGE, False), (Role.AGENT, Kind.NOTE, True),
                   (Role.AGENT, Kind.NOTE, True), (Role.AGENT, Kind.FILE, True),
                   (Role.SYSTEM, Kind.EVENT, True), (Role.AGENT, Kind.MESSAGE, False)]
    assert chatqa.check(t).metrics.first_response_s == 60.0  # not the whisper at 10 s


def test_recipients_look_alikes_read_as_before(tmp_path):
    events = [_event("E1", 0, CUSTOMER, text="agents please help", recipients="all"),
              _event("E2", 10, text="visible, v3.2 spelling", visibility="all"),
              _event("E3", 20, text="whisper, v3.2 spelling", visibility="agents"),
              _event("E4", 30, text="no visibility at all")]
    (t,) = _read(tmp_path, _chat(events))
    assert [(m.kind, m.internal) for m in t.messages] == [(Kind.MESSAGE, False), (Kind.MESSAGE, False),
                                                          (Kind.NOTE, True), (Kind.MESSAGE, False)]
    assert chatqa.check(t).metrics.first_response_s == 10.0


def test_recipients_agents_in_a_webhook_event(tmp_path):
    hooks = [_hook("incoming_chat", {"chat": _chat([_event("E1", 0, CUSTOMER, text="Hello?")])}),
             _hook("incoming_event", {"chat_id": "C1", "thread_id": "T1",
                                      "event": _event("E2", 5, text="check the plan", recipients="agents")}),
             _hook("incoming_event", {"chat_id": "C1", "thread_id": "T1",
                                      "event": _event("E3", 40, text="Hi, I'm Kim.", recipients="all")})]
    (t,) = _read_hooks(tmp_path, hooks)
    assert [m.internal for m in t.messages] == [False, True, False]
    assert chatqa.check(t).metrics.first_response_s == 40.0


# -- 2. webhook bodies: events by id across bodies only; a body delivered again is counted ----------

def _hook(action: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"webhook_id": "w1", "secret_key": "s", "action": action, "organization_id": "o", "payload": payload}


def _write_hooks(tmp_path: Path, hooks: list[dict[str, Any]]) -> Path:
    path = tmp_path / "hooks.jsonl"
    path.write_text("".join(json.dumps(h) + "\n" for h in hooks))
    return path


def _read_hooks(tmp_path: Path, hooks: list[dict[str, Any]]) -> list[Transcript]:
    items = list(parse_file(_write_hooks(tmp_path, hooks)))
    assert not [i for i in items if isinstance(i, Failure | Duplicate)], items
    return items


SAME_ID = [_event("X", 0, CUSTOMER, text="Hello there"), _event("X", 1, CUSTOMER, text="Thank you")]


def test_events_sharing_an_id_in_one_body_are_all_kept(tmp_path):
    alone = _read(tmp_path, _hook("incoming_chat", {"chat": _chat(SAME_ID)}), "one.json")
    merged = _read_hooks(tmp_path, [_hook("incoming_chat", {"chat": _chat(SAME_ID)}),
                                    _hook("thread_tagged", {"chat_id": "C1", "thread_id": "T1", "tag": "sales"})])
    for (t,) in (alone, merged):
        assert [m.text for m in t.messages] == ["Hello there", "Thank you"]
    assert merged[0].tags == ("sales",)


def test_a_later_body_with_an_id_seen_before_replaces_that_event(tmp_path):
    edited = _event("E2", 30, text="Hi Ann, I'm Kim!")
    hooks = [_hook("incoming_chat", {"chat": _chat([_event("E1", 0, CUSTOMER, text="Hi"),
                                                    _event("E2", 30, text="Hi Ann, Im Kim")])}),
             _hook("incoming_event", {"chat_id": "C1", "thread_id": "T1", "event": _event("E3", 40, CUSTOMER,
                                                                                         text="thanks")}),
             _hook("event_updated", {"chat_id": "C1", "thread_id": "T1", "event": edited})]
    (t,) = _read_hooks(tmp_path, hooks)
    assert [m.text for m in t.messages] == ["Hi", "Hi Ann, I'm Kim!", "thanks"]  # updated where it stood


def test_an_update_of_a_shared_id_replaces_the_latest_event_with_it(tmp_path):
    update = _event("X", 1, CUSTOMER, text="Thank you!")
    hooks = [_hook("incoming_chat", {"chat": _chat(SAME_ID)}),
             _hook("event_updated", {"chat_id": "C1", "thread_id": "T1", "event": update})]
    (t,) = _read_hooks(tmp_path, hooks)
    assert [m.text for m in t.messages] == ["Hello there", "Thank you!"]


def test_a_body_delivered_again_is_a_counted_duplicate(tmp_path):
    reply = _hook("incoming_event", {"chat_id": "C1", "thread_id": "T1", "event": _event("E2", 30, text="On it")})
    closed = _hook("chat_deactivated", {"chat_id": "C1", "thread_id": "T1"})
    start = _hook("incoming_chat", {"chat": _chat([_event("E1", 0, CUSTOMER, text="Hi")])})
    path = _write_hooks(tmp_path, [start, reply, reply, closed, start, closed])
    items = list(parse_file(path))
    assert [i.locator for i in items if isinstance(i, Duplicate)] == ["line 3, payload", "line 5, payload.chat",
                                                                      "line 6, payload"]
    (t,) = [i for i in items if isinstance(i, Transcript)]
    assert [m.text for m in t.messages] == ["Hi", "On it"]
    loader = Loader(path, errors="collect")
    assert len(list(loader)) == 1 and (loader.duplicates, loader.failure_count) == (3, 0)
    assert loader.records_in == loader.conversations + loader.failure_count + loader.duplicates == 4
    for jobs in ("1", "2"):
        result = CliRunner().invoke(main, ["check", str(path), "--format", "json", "--jobs", jobs])
        summary = json.loads(result.stdout)["summary"]
        assert (summary["records_in"], summary["conversations"], summary["duplicates"]) == (4, 1, 3), jobs


def test_bodies_that_change_the_thread_are_no_duplicates(tmp_path):
    tag = _hook("thread_tagged", {"chat_id": "C1", "thread_id": "T1", "tag": "vip"})
    untag = _hook("thread_untagged", {"chat_id": "C1", "thread_id": "T1", "tag": "vip"})
    start = _hook("incoming_chat", {"chat": _chat([_event("E1", 0, CUSTOMER, text="Hi")])})
    again = _hook("incoming_event", {"chat_id": "C1", "thread_id": "T1", "event": _event("E1", 0, CUSTOMER,
                                                                                      text="Hi")})
    edit = _hook("event_updated", {"chat_id": "C1", "thread_id": "T1", "event": _event("E1", 0, CUSTOMER,
                                                                                     text="Hi!")})
    # tagged, untagged and tagged again (the same body as the first, but it changes the tags); the
    # chat's event sent again by another body; an update back and forth
    (t,) = _read_hooks(tmp_path, [start, tag, untag, tag, again, edit, again])
    assert t.tags == ("vip",) and [m.text for m in t.messages] == ["Hi"]


# -- 3. filled forms: unanswered fields are left out --------------------------------------------------

def _form(fields: list[dict[str, Any]]) -> dict[str, Any]:
    return _event("F1", 0, CUSTOMER, type="filled_form", form_id="1002", fields=fields)


def _form_text(tmp_path: Path, fields: list[dict[str, Any]]) -> str:
    (t,) = _read(tmp_path, _chat([_form(fields), _event("E1", 5, CUSTOMER, text="Hi")]))
    assert t.messages[0].kind is Kind.EVENT
    return t.messages[0].text


def test_unanswered_form_fields_are_left_out(tmp_path):
    fields = [{"id": "1", "type": "name", "label": "Name and Surname:", "answer": "Thomas Anderson"},
              {"id": "2", "type": "email", "label": "E-mail:", "answer": ""},
              {"id": "3", "type": "question", "label": "Order:", "answer": "   "},
              {"id": "4", "type": "checkbox", "label": "Topics", "answers": []},
              {"id": "5", "type": "radio", "label": "Purpose", "answer": {"id": "0", "label": ""}},
              {"type": "title", "name": "t", "label": "Let's talk!"},
              {"type": "information", "name": "i", "label": "A few details first."},
              {"type": "radio", "name": "p", "label": "Chat purpose",
               "options": [{"label": "Support", "value": "support", "checked": False}]}]
    assert _form_text(tmp_path, fields) == "Name and Surname: Thomas Anderson"
    assert _form_text(tmp_path, fields[1:]) == ""


def test_answered_form_fields_read_as_before(tmp_path):
    fields = [{"id": "1", "type": "name", "label": "Your name", "answer": "Ann"},
              {"id": "2", "type": "email", "label": "E-mail:", "answer": "ann@mail.example"},
              {"id": "3", "type": "radio", "label": "Chat purpose", "answer": {"id": "0", "label": "Support"}},
              {"id": "4", "type": "checkbox", "label": "Industry", "answers": [{"id": "0", "label": "it"},
                                                                               {"id": "1", "label": "retail"}]},
              {"id": "5", "type": "question", "label": "Orders so far", "answer": "0"},
              {"id": "6", "type": "group_chooser", "label": "Department",
               "answer": {"group_id": 1, "label": "Billing"}}]
    assert _form_text(tmp_path, fields) == ("Your name: Ann; E-mail: ann@mail.example; Chat purpose: Support; "
                                            "Industry: it, retail; Orders so far: 0; Department: Billing")


def test_v31_form_values_and_checked_options(tmp_path):
    fields = [{"type": "text", "name": "name", "label": "Your name", "required": True, "value": "Jan"},
              {"type": "email", "name": "email", "label": "Your email", "value": ""},
              {"type": "checkbox", "name": "industry", "label": "Company industry",
               "options": [{"label": "automotive", "value": "automotive", "checked": True},
                           {"label": "IT", "value": "it", "checked": False},
                           {"value": "retail", "checked": True}]}]
    assert _form_text(tmp_path, fields) == "Your name: Jan; Company industry: automotive, retail"
