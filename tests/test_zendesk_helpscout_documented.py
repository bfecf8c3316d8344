"""Zendesk Support and Help Scout payloads in the shapes their API references document.

Zendesk Support (Ticket Audits, Ticket Comments): a bare audit object, JSON Lines of audits and the
Show Audit envelope ``{"audit": {...}}`` read as the List Audits page does; an internal note
(``public: false``) is the team's. Help Scout (Mailbox API, List Threads): a reply's ``rating``,
the thread states (``draft`` and ``review`` never sent, ``hidden`` internal), ``beaconchat``
threads and the locators of conversations in a list page. Each fix is checked beside look-alikes
that must read as before. The payloads are small ones written for these tests.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import only_transcript as one
from conftest import parse_payload as parse
from conftest import write_payload as write

from chatqa.errors import Failure
from chatqa.model import Channel, Kind, Rating, Role, Transcript
from chatqa.parsers import ParseOptions, detect
from chatqa.read import InputFile


def shape(t: Transcript) -> tuple[Any, ...]:
    """What a conversation says, whatever file and place it was read from."""
    return (t.id, t.vendor, t.channel, [(p.id, p.role) for p in t.participants],
            [(m.role, m.author_id, m.sent_at, m.text, m.kind, m.internal) for m in t.messages])


@pytest.fixture
def streamed(monkeypatch):
    """Read every JSON document element by element, as a huge one is."""
    from chatqa.read import source as sources

    monkeypatch.setattr(sources, "STREAM_JSON_ABOVE", 0)


# ------------------------------------------------------------------ Zendesk Support: audits


def audit(aid: int, ticket: int, author: int, at: str, *events: dict[str, Any], channel: str = "web") -> dict[str, Any]:
    return {"id": aid, "ticket_id": ticket, "author_id": author, "created_at": at, "via": {"channel": channel},
            "metadata": {"system": {}, "custom": {}}, "events": list(events)}


def zcomment(cid: int, body: str, public: bool = True, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "Comment", "body": body, "public": public, "attachments": [], **extra}


def ccomment(cid: int, author: int, body: str, at: str, public: bool = True) -> dict[str, Any]:
    return {"id": cid, "type": "Comment", "author_id": author, "public": public, "body": body, "created_at": at}


OPENED = audit(501, 77, 3001, "2024-05-02T08:00:00Z",
               zcomment(601, "My invoice shows the wrong address."),
               {"id": 602, "type": "Notification", "subject": "Ticket received", "body": "We got your request"},
               {"id": 603, "type": "Create", "field_name": "status", "value": "new"})
REPLIED = audit(502, 77, 3002, "2024-05-02T08:04:00Z",
                zcomment(611, "Sorry about that, I've corrected it."),
                {"id": 612, "type": "Change", "field_name": "status", "value": "solved", "previous_value": "new"})


def test_zendesk_bare_audit_is_one_conversation_of_its_ticket(tmp_path):
    t = one(parse(tmp_path, "audit.json", OPENED))
    listed = one(parse(tmp_path, "audits.json", {"audits": [OPENED], "next_page": None, "count": 1}))
    assert shape(t) == shape(listed)
    assert t.id == "77" and t.vendor == "zendesk-support" and t.channel is Channel.EMAIL
    [m] = t.messages  # the Notification and the Create events are not messages
    assert (m.role, m.author_id, m.text) == (Role.CUSTOMER, "3001", "My invoice shows the wrong address.")
    assert m.sent_at is not None and m.sent_at.isoformat() == "2024-05-02T08:00:00+00:00"  # the audit's time


def test_zendesk_bare_audit_comment_keeps_its_own_author_and_time(tmp_path):
    record = audit(503, 78, 3002, "2024-05-02T09:00:00Z",
                   zcomment(621, "Forwarded from the phone line.", author_id=3009, created_at="2024-05-02T08:59:00Z"))
    [m] = one(parse(tmp_path, "audit.json", record)).messages
    assert m.author_id == "3009" and m.sent_at is not None and m.sent_at.minute == 59


def test_zendesk_bare_audit_streamed_reads_the_same(tmp_path, streamed):
    whole = audit(504, 79, 3001, "2024-05-02T08:00:00Z", *[zcomment(700 + i, f"line {i}") for i in range(5)])
    t = one(parse(tmp_path, "big_audit.json", whole))
    assert t.id == "79" and [m.text for m in t.messages] == [f"line {i}" for i in range(5)]


def test_zendesk_audits_jsonl_grouped_by_ticket(tmp_path):
    other = audit(509, 80, 3100, "2024-05-02T08:02:00Z", zcomment(631, "Where is my parcel?"))
    first, second = parse(tmp_path, "audits.jsonl", [OPENED, other, REPLIED])
    assert isinstance(first, Transcript) and isinstance(second, Transcript)
    assert (first.id, second.id) == ("77", "80")
    assert [(m.role, m.text) for m in first.messages] == [
        (Role.CUSTOMER, "My invoice shows the wrong address."), (Role.AGENT, "Sorry about that, I've corrected it."),
        (Role.SYSTEM, "status changed to solved")]
    listed = one(parse(tmp_path, "audits.json", {"audits": [OPENED, REPLIED]}))
    assert shape(first) == shape(listed)


def test_zendesk_show_audit_envelope_reads_as_the_list(tmp_path):
    shown = parse(tmp_path, "show.json", {"audit": REPLIED})
    listed = parse(tmp_path, "list.json", {"audits": [REPLIED]})
    assert shape(one(shown)) == shape(one(listed))
    path = write(tmp_path, "show2.json", {"audit": OPENED})
    parser = detect(InputFile(path), ParseOptions())
    assert parser is not None and parser.name == "zendesk-support"


@pytest.mark.parametrize("content", [
    {"audit": {"id": 1, "action": "update", "source_type": "user"}},  # an audit log entry, not a ticket audit
    {"audit": "enabled"},
    {"audit": {"id": 1, "events": [{"id": 2, "type": "Comment", "body": "x"}]}},  # names no ticket
])
def test_zendesk_audit_look_alikes_are_not_audits(tmp_path, content):
    [f] = parse(tmp_path, "other.json", content)
    assert isinstance(f, Failure) and "no known export format" in f.reason


def test_zendesk_event_lists_that_are_not_audits_read_as_before(tmp_path):
    # a messaging conversation log beside its ticket id is a page of log items, not an audit
    log = {"ticket_id": 12, "created_at": "2024-03-05T14:00:00Z", "events": [
        {"id": "e1", "type": "Messaging::ConversationMessage", "created_at": "2024-03-05T14:02:00Z",
         "author": {"type": "end-user", "display_name": "Nora"}, "content": {"type": "text", "text": "Hello?"}},
        {"id": "e2", "type": "Messaging::ConversationMessage", "created_at": "2024-03-05T14:02:30Z",
         "author": {"type": "agent", "display_name": "Sam"}, "content": {"type": "text", "text": "Hi Nora"}}]}
    t = one(parse(tmp_path, "log.json", log, "zendesk-support"))
    assert [(m.role, m.text) for m in t.messages] == [(Role.CUSTOMER, "Hello?"), (Role.AGENT, "Hi Nora")]
    # incremental ticket events keep their child events under each event
    events = {"ticket_events": [{"id": 1, "ticket_id": 9, "timestamp": 1709543564, "updater_id": 5, "child_events": [
        {"id": 2, "event_type": "Comment", "author_id": 5, "public": True, "body": "cracked jar"}]}],
        "end_of_stream": True}
    e = one(parse(tmp_path, "events.json", events))
    assert e.id == "9" and [m.text for m in e.messages] == ["cracked jar"]


def test_zendesk_audits_page_and_comments_page_unchanged(tmp_path):
    page = {"audits": [OPENED, REPLIED], "next_page": None, "previous_page": None, "count": 2}
    t = one(parse(tmp_path, "audits.json", page))
    assert [m.role for m in t.messages] == [Role.CUSTOMER, Role.AGENT, Role.SYSTEM]
    comments = {"comments": [ccomment(1, 10, "Hello", "2024-05-02T08:00:00Z"),
                             ccomment(2, 20, "Hi", "2024-05-02T08:01:00Z")],
                "next_page": "https://acme.zendesk.com/api/v2/tickets/91/comments.json?page=2"}
    c = one(parse(tmp_path, "comments.json", comments))
    assert c.id == "91" and [m.role for m in c.messages] == [Role.CUSTOMER, Role.AGENT]


# ------------------------------------------------------------------ Zendesk Support: internal notes


def test_zendesk_internal_note_without_users_is_the_teams(tmp_path):
    page = {"comments": [ccomment(1, 10, "Please help", "2024-05-02T08:00:00Z"),
                         ccomment(2, 20, "Checking the courier", "2024-05-02T08:01:00Z", public=False),
                         ccomment(3, 20, "It ships today", "2024-05-02T08:02:00Z"),
                         ccomment(4, 10, "Thanks", "2024-05-02T08:03:00Z")]}
    t = one(parse(tmp_path, "comments.json", page))
    assert [(m.role, m.internal, m.kind) for m in t.messages] == [
        (Role.CUSTOMER, False, Kind.MESSAGE), (Role.AGENT, True, Kind.NOTE), (Role.AGENT, False, Kind.MESSAGE),
        (Role.CUSTOMER, False, Kind.MESSAGE)]


def test_zendesk_internal_note_first_does_not_make_its_author_the_customer(tmp_path):
    page = {"comments": [ccomment(1, 20, "Customer called, logging it", "2024-05-02T07:59:00Z", public=False),
                         ccomment(2, 10, "As discussed on the phone: the refund?", "2024-05-02T08:00:00Z"),
                         ccomment(3, 20, "Refunded.", "2024-05-02T08:05:00Z")]}
    t = one(parse(tmp_path, "comments.json", page))
    assert [(m.author_id, m.role) for m in t.messages] == [("20", Role.AGENT), ("10", Role.CUSTOMER),
                                                           ("20", Role.AGENT)]


def test_zendesk_internal_note_in_an_audit_is_the_teams(tmp_path):
    note = audit(520, 81, 3001, "2024-05-02T08:00:00Z", zcomment(640, "Escalating to billing", public=False))
    for name, content in (("audit.json", note), ("audits.json", {"audits": [note]})):
        [m] = one(parse(tmp_path, name, content)).messages  # its author wrote no public comment
        assert (m.role, m.author_id, m.internal, m.kind) == (Role.AGENT, "3001", True, Kind.NOTE)


def test_zendesk_internal_note_users_say_otherwise(tmp_path):
    page = {"comments": [ccomment(1, 10, "Please help", "2024-05-02T08:00:00Z"),
                         ccomment(2, 11, "Adding my colleague's view", "2024-05-02T08:01:00Z", public=False)],
            "users": [{"id": 10, "name": "Ana", "role": "end-user"}, {"id": 11, "name": "Ben", "role": "end-user"}]}
    t = one(parse(tmp_path, "comments.json", page))
    assert [(m.role, m.internal) for m in t.messages] == [(Role.CUSTOMER, False), (Role.CUSTOMER, True)]


def test_zendesk_public_comments_without_users_unchanged(tmp_path):
    page = {"comments": [ccomment(1, 10, "Hello", "2024-05-02T08:00:00Z"),
                         ccomment(2, 20, "Hi there", "2024-05-02T08:01:00Z")]}
    t = one(parse(tmp_path, "comments.json", page))
    assert [m.role for m in t.messages] == [Role.CUSTOMER, Role.AGENT]


# ------------------------------------------------------------------ Help Scout


def thread(tid: int, kind: str, by: str, at: str, body: str = "text", **extra: Any) -> dict[str, Any]:
    return {"id": tid, "type": kind, "status": "active", "state": "published", "body": body, "createdAt": at,
            "source": {"type": "email", "via": "customer" if by == "customer" else "user"},
            "createdBy": {"id": tid * 10, "type": by, "first": by.title()}, "_embedded": {"attachments": []}, **extra}


def conversation(*threads: dict[str, Any], kind: str = "email", cid: int = 4100) -> dict[str, Any]:
    return {"id": cid, "number": 12, "type": kind, "status": "closed", "state": "published", "mailboxId": 7,
            "createdAt": "2024-06-01T09:00:00Z", "source": {"type": "email", "via": "customer"},
            "primaryCustomer": {"id": 10, "first": "Ana"}, "_embedded": {"threads": list(threads)}}


def threads_page(*threads: dict[str, Any]) -> dict[str, Any]:
    return {"_embedded": {"threads": list(threads)},
            "_links": {"self": {"href": "https://api.helpscout.net/v2/conversations/4200/threads?page=1"}},
            "page": {"size": 25, "totalElements": len(threads), "totalPages": 1, "number": 1}}


ASKED = thread(1, "customer", "customer", "2024-06-01T09:00:00Z", "My export fails")


@pytest.mark.parametrize(("given", "value", "label"), [
    ("great", 1.0, "great"), ("okay", 0.5, "okay"), ("not_good", 0.0, "not_good"), ("Bad", 0.0, "bad")])
def test_helpscout_thread_rating_is_the_conversations(tmp_path, given, value, label):
    reply = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Fixed on our side",
                   rating={"customerId": 10, "rating": given, "comments": "Quick answer"})
    t = one(parse(tmp_path, "conv.json", conversation(reply, ASKED)))
    assert t.rating == Rating(value=value, scale=1.0, label=label, comment="Quick answer")


def test_helpscout_rating_without_comments_and_the_latest_of_several(tmp_path):
    early = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Try again", rating={"rating": "not_good"})
    late = thread(4, "message", "user", "2024-06-01T10:10:00Z", "Now fixed", rating={"rating": "great", "comments": ""})
    again = thread(3, "customer", "customer", "2024-06-01T10:00:00Z", "Still failing")
    t = one(parse(tmp_path, "conv.json", conversation(late, again, early, ASKED)))
    assert t.rating == Rating(value=1.0, scale=1.0, label="great", comment=None)
    assert t.metadata["ratings"] == [{"thread": "4", "rating": "great"}, {"thread": "2", "rating": "not_good"}]
    page = one(parse(tmp_path, "threads.json", threads_page(early, ASKED)))
    assert page.rating is not None and page.rating.value == 0.0


@pytest.mark.parametrize("rating", [None, {}, {"rating": "unknown"}, {"rating": 5}, "great"])
def test_helpscout_no_rating_when_none_is_given(tmp_path, rating):
    reply = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Fixed", **({} if rating is None else
                                                                            {"rating": rating}))
    t = one(parse(tmp_path, "conv.json", conversation(reply, ASKED)))  # a rating that is no object is none
    assert t.rating is None and "ratings" not in t.metadata


def test_helpscout_rating_of_an_unsent_thread_is_ignored(tmp_path):
    draft = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Draft", state="draft", rating={"rating": "great"})
    t = one(parse(tmp_path, "conv.json", conversation(draft, ASKED)))
    assert t.rating is None


@pytest.mark.parametrize("state", ["review", "underreview", "draft", "Review"])
def test_helpscout_unsent_states_are_skipped(tmp_path, state):
    held = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Held by collision detection", state=state)
    t = one(parse(tmp_path, "conv.json", conversation(held, ASKED)))
    assert [m.text for m in t.messages] == ["My export fails"]


def test_helpscout_only_unsent_threads_is_no_conversation(tmp_path):
    held = thread(1, "customer", "customer", "2024-06-01T09:00:00Z", "held", state="review")
    [f] = parse(tmp_path, "threads.json", threads_page(held))
    assert isinstance(f, Failure) and "no messages" in f.reason


def test_helpscout_published_and_hidden_threads_are_kept(tmp_path):
    sent = thread(3, "message", "user", "2024-06-01T09:20:00Z", "Here is the fix")
    hidden = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Removed from the email", state="hidden")
    no_state = {k: v for k, v in thread(4, "customer", "customer", "2024-06-01T09:30:00Z", "Thanks").items()
                if k != "state"}
    t = one(parse(tmp_path, "conv.json", conversation(no_state, sent, hidden, ASKED)))
    assert [(m.text, m.internal) for m in t.messages] == [
        ("My export fails", False), ("Removed from the email", True), ("Here is the fix", False), ("Thanks", False)]


def test_helpscout_beaconchat_thread_makes_the_channel_chat(tmp_path):
    chat = [thread(2, "beaconchat", "user", "2024-06-01T09:00:30Z", "Hi, I'm Eve"),
            thread(1, "beaconchat", "customer", "2024-06-01T09:00:00Z", "Hello from the widget")]
    t = one(parse(tmp_path, "threads.json", threads_page(*chat)))
    assert t.channel is Channel.CHAT and [m.role for m in t.messages] == [Role.CUSTOMER, Role.AGENT]
    by_customer = thread(5, "beaconchat", "customer", "2024-06-01T09:00:00Z", "Widget message")
    by_customer["customer"], by_customer["createdBy"] = {"id": 10, "first": "Ana"}, None  # no creator: the customer
    assert one(parse(tmp_path, "one.json", conversation(by_customer))).messages[0].role is Role.CUSTOMER
    # the conversation's own type still names its channel
    assert one(parse(tmp_path, "conv.json", conversation(*chat, kind="chat"))).channel is Channel.CHAT


def test_helpscout_email_threads_stay_email(tmp_path):
    reply = thread(2, "message", "user", "2024-06-01T09:10:00Z", "Fixed")
    assert one(parse(tmp_path, "threads.json", threads_page(reply, ASKED))).channel is Channel.EMAIL
    assert one(parse(tmp_path, "conv.json", conversation(reply, ASKED))).channel is Channel.EMAIL


def test_helpscout_list_page_locators_name_each_place_once(tmp_path):
    empty = conversation(cid=1)
    empty["_embedded"] = {"threads": []}
    broken = conversation(thread(1, "customer", "customer", "not a time", "hi"), cid=2)
    page = {"_embedded": {"conversations": [empty, broken, conversation(ASKED, cid=3)]},
            "page": {"size": 25, "totalElements": 3, "totalPages": 1, "number": 0}}
    first, second, third = parse(tmp_path, "list.json", page)
    assert isinstance(first, Failure) and first.locator == "_embedded.conversations[0]._embedded.threads"
    assert isinstance(second, Failure) and second.locator == "_embedded.conversations[1]._embedded.threads[0]"
    assert isinstance(third, Transcript) and third.id == "3"
    lines = parse(tmp_path, "list.jsonl", [{"_embedded": {"conversations": [conversation(ASKED, cid=4)]}}, page])
    assert [i.locator for i in lines if isinstance(i, Failure)] == [
        "line 2, _embedded.conversations[0]._embedded.threads",
        "line 2, _embedded.conversations[1]._embedded.threads[0]"]


def test_helpscout_locators_of_lone_records_unchanged(tmp_path):
    empty = conversation()
    empty["_embedded"] = {"threads": []}
    [f] = parse(tmp_path, "conv.json", empty)
    assert isinstance(f, Failure) and f.locator == "_embedded.threads"
    [g] = parse(tmp_path, "threads.json", threads_page(thread(1, "customer", "customer", "not a time")))
    assert isinstance(g, Failure) and g.locator == "_embedded.threads[0]"
    no_time = conversation(ASKED)
    no_time["createdAt"] = "yesterday-ish"
    [h] = parse(tmp_path, "list.json", {"_embedded": {"conversations": [no_time]}})
    assert isinstance(h, Failure) and h.locator == "_embedded.conversations[0].createdAt"


def test_zendesk_ticket_in_a_list_locator_names_each_place_once(tmp_path):
    ticket = {"id": 9, "requester_id": 1, "subject": "s", "via": {"channel": "email"},
              "comments": [ccomment(1, 1, "hi", "not a time")]}
    [f] = parse(tmp_path, "tickets.json", {"tickets": [ticket]})
    assert isinstance(f, Failure) and f.locator == "tickets[0].comments[0]"
