"""Edge cases of the ticketing and contact-centre parsers (Zendesk Support, Salesforce, Freshdesk,
Help Scout, Gorgias, Kustomer, Front, Amazon Connect) and of the issue-13 fixes to the older ones.

Broken or missing fields give a Failure with a locator, never another exception; look-alike files
of other formats are not claimed; rows spread over pages and lines are grouped by conversation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import SAMPLES, parse_file
from conftest import only_transcript as one
from conftest import parse_payload as parse
from conftest import write_payload as write

import chatqa
from chatqa.errors import Failure
from chatqa.model import Channel, Kind, Role, Transcript
from chatqa.parsers import ParseOptions, all_parsers, detect, get_parser
from chatqa.read import InputFile
from chatqa.read.archive import is_zip

NEW = ("zendesk-support", "salesforce", "freshdesk", "helpscout", "gorgias", "kustomer", "front", "amazon-connect")


def failure(items: list[Transcript | Failure]) -> Failure:
    found = [i for i in items if isinstance(i, Failure)]
    assert found, items
    assert found[0].locator, found[0]
    return found[0]


def roles(t: Transcript) -> list[str]:
    return [m.role.value for m in t.messages]


# ------------------------------------------------------------------ detection


SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.is_file() and not is_zip(p))


@pytest.mark.parametrize("name", NEW)
def test_new_parsers_claim_no_other_sample(name):
    parser = get_parser(name)
    for path in SAMPLE_FILES:
        source = InputFile(path)
        if source.syntax not in parser.syntaxes:
            continue
        claimed = parser.sniff(source, ParseOptions())
        assert claimed == (detect(source).name == name), (name, path.name)


LOOK_ALIKES = {  # documented payload shapes of every format, read by the parser they belong to
    "zendesk-support": {"comments": [{"id": 1274, "type": "Comment", "author_id": 123123, "public": True,
                                      "body": "Thanks for your help!", "created_at": "2009-07-20T22:55:29Z",
                                      "attachments": [], "audit_id": 432567}]},
    "zendesk-chat": {"chats": [{"type": "offline_msg", "id": "2104.10414779.SVhDCJ9flq79a", "message": "Hi there!",
                                "timestamp": "2021-04-26T13:54:02Z", "visitor": {"id": "3.45678", "name": "Jiny"}}],
                     "count": 1},
    "freshdesk": [{"id": 6000011, "ticket_id": 1408, "user_id": 3300091, "incoming": True, "private": False,
                   "source": 0, "body": "<div>Still no refund.</div>", "body_text": "Still no refund.",
                   "created_at": "2024-05-02T08:15:31Z", "attachments": []}],
    "gorgias": {"object": "list", "uri": "/api/tickets/55012/messages", "meta": {"next_cursor": None},
                "data": [{"id": 880101, "ticket_id": 55012, "channel": "chat", "via": "chat", "public": True,
                          "from_agent": False, "sender": {"id": 61001, "email": "lucia@example.com"},
                          "body_text": "Can I change the address?", "created_datetime": "2024-04-09T16:02:11.408221+00:00"}]},
    "kustomer": {"data": [{"type": "message", "id": "66a1f0c2e4b0a1000000a001",
                           "attributes": {"channel": "chat", "direction": "in", "preview": "My promo code is rejected",
                                          "createdAt": "2024-07-25T12:00:02.113Z"},
                           "relationships": {"conversation": {"data": {"type": "conversation", "id": "c1"}}}}]},
    "front": {"_pagination": {"next": None}, "_results": [
        {"id": "msg_3c9d0", "type": "email", "is_inbound": True, "created_at": 1709560209.004,
         "recipients": [{"name": "Jana", "handle": "jana@example.com", "role": "from"}], "body": "<p>Resend it?</p>"}]},
    "helpscout": {"id": 2710001, "type": "email", "mailboxId": 1, "createdAt": "2024-02-12T10:04:11Z",
                  "_embedded": {"threads": [{"id": 9001, "type": "customer", "body": "I got an XL",
                                             "createdAt": "2024-02-12T10:04:11Z",
                                             "createdBy": {"id": 880001, "type": "customer"}}]}},
    "salesforce": {"totalSize": 1, "done": True, "records": [
        {"attributes": {"type": "ConversationEntry"}, "Id": "0XV1", "ConversationId": "0Mw1", "ActorType": "EndUser",
         "EntryType": "Text", "EntryTime": "2024-06-11T17:02:19.000+0000", "Message": "Wrong VAT number"}]},
    "amazon-connect": {"Version": "2019-08-26", "InitialContactId": "c0ffee00", "ContactId": "c0ffee00",
                       "Participants": [{"ParticipantId": "p1"}], "Transcript": [
                           {"AbsoluteTime": "2024-09-02T14:00:07.301Z", "Content": "My card was declined",
                            "ContentType": "text/plain", "Id": "i-3", "Type": "MESSAGE", "ParticipantId": "p1",
                            "ParticipantRole": "CUSTOMER"}]},
    "intercom": {"type": "conversation", "id": "371", "created_at": 1719492832, "source": {
        "type": "conversation", "delivered_as": "customer_initiated", "body": "<p>hi</p>",
        "author": {"type": "user", "id": "1"}}, "conversation_parts": {"conversation_parts": []}},
    "liveperson": {"conversationHistoryRecords": [{"info": {"conversationId": "e5c5"}, "messageRecords": []}]},
    "chatqa": {"id": "c-1", "messages": [{"role": "customer", "text": "hi"}]},
}


@pytest.mark.parametrize("expected", sorted(LOOK_ALIKES))
def test_documented_payloads_are_detected_as_their_own_format(tmp_path, expected):
    path = write(tmp_path, "payload.json", LOOK_ALIKES[expected])
    assert detect(InputFile(path)).name == expected


@pytest.mark.parametrize("name", NEW)
def test_wrong_format_input_gives_failures_never_exceptions(name):
    for path in SAMPLE_FILES:
        for item in parse_file(path, name):
            if isinstance(item, Failure):
                assert item.reason and not item.reason.startswith("internal error"), item


# ------------------------------------------------------------------ Zendesk Support


def comment(cid: int, author: int, body: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "type": "Comment", "author_id": author, "public": True, "body": body, "created_at": at,
            **extra}


def test_zendesk_comments_page_without_ticket_or_users(tmp_path):
    page = {"comments": [comment(2, 7, "Agent reply", "2024-03-04T09:20:00Z"),
                         comment(1, 5, "Customer opens", "2024-03-04T09:12:44Z", via={"channel": 4}),
                         comment(3, 5, "thanks", "2024-03-04T09:30:00Z")], "next_page": None}
    t = one(parse(tmp_path, "ticket-4821-comments.json", page))
    assert t.id == "ticket-4821-comments" and t.metadata["id_from"] == "file name"
    assert roles(t) == ["customer", "agent", "customer"]  # the earliest comment's author is the customer
    assert t.channel is Channel.EMAIL  # via id 4 = mail


def test_zendesk_connector_rows_are_grouped_by_ticket(tmp_path):
    rows = [comment(11, 1, "A1", "2024-01-01T10:00:00Z", ticket_id=100),
            comment(21, 2, "B1", "2024-01-01T10:01:00Z", ticket_id=200, via={"channel": "voice"}),
            comment(12, 9, "A2", "2024-01-01T10:02:00Z", ticket_id=100, public=False),
            comment(22, 8, "B2", "2024-01-01T10:03:00Z", ticket_id=200)]
    a, b = parse(tmp_path, "ticket_comments.jsonl", rows)
    assert (a.id, b.id) == ("100", "200")
    assert [(m.text, m.internal, m.kind) for m in a.messages] == [("A1", False, Kind.MESSAGE), ("A2", True, Kind.NOTE)]
    assert b.channel is Channel.VOICE and a.source.endswith("#L1") and b.source.endswith("#L2")


def test_zendesk_automation_and_channels(tmp_path):
    users = [{"id": 1, "name": "Ann", "role": "end-user"}, {"id": 2, "name": "Sam", "role": "admin"}]
    page = {"comments": [comment(1, 1, "hi", "2024-01-01T10:00:00Z", via={"channel": "twitter"}),
                         comment(2, 2, "auto", "2024-01-01T10:00:01Z",
                                 via={"channel": "web", "source": {"rel": "automation"}}),
                         comment(3, 2, "hello", "2024-01-01T10:05:00Z", via={"channel": 29})],
            "users": users, "next_page": "https://x.zendesk.com/api/v2/tickets/77/comments.json?page=2"}
    t = one(parse(tmp_path, "c.json", page))
    assert t.id == "77" and roles(t) == ["customer", "bot", "agent"] and t.channel is Channel.SOCIAL


def test_zendesk_ticket_events_and_tickets(tmp_path):
    events = {"ticket_events": [
        {"id": 1, "ticket_id": 9, "timestamp": 1709543564, "child_events": [
            {"id": 2, "event_type": "Comment", "author_id": 5, "public": True, "body": "cracked jar",
             "html_body": "<p>cracked jar</p>", "via": {"channel": "email"}},
            {"id": 3, "event_type": "Change", "field_name": "status", "value": "open"}]},
        {"id": 4, "ticket_id": 10, "timestamp": 1709543600, "child_events": [
            {"id": 5, "event_type": "Change", "field_name": "status", "value": "solved"}]}],
        "end_of_stream": True}
    good, bad = parse(tmp_path, "events.json", events)
    assert good.id == "9" and good.messages[0].sent_at.isoformat() == "2024-03-04T09:12:44+00:00"
    assert [m.kind for m in good.messages] == [Kind.MESSAGE, Kind.EVENT]
    assert isinstance(bad, Failure) and "only events" in bad.reason and bad.locator == "ticket_events[1]"
    ticket = {"id": 31, "subject": "Help", "description": "Where is my order?", "requester_id": 5,
              "created_at": "2024-01-02T08:00:00Z", "via": {"channel": "web"}, "tags": ["vip"],
              "satisfaction_rating": {"score": "good", "comment": "quick"}}
    t = one(parse(tmp_path, "tickets.jsonl", [ticket]))
    assert (t.id, roles(t), t.tags, t.rating.label) == ("31", ["customer"], ("vip",), "good")


def test_zendesk_broken_fields_fail_with_a_locator(tmp_path):
    page = {"comments": [comment(1, 1, "hi", "2024-01-01T10:00:00Z"), comment(2, 2, "x", "yesterday-ish")]}
    assert failure(parse(tmp_path, "a.json", page)).locator.startswith("comments[1]")
    page = {"comments": [comment(1, 1, "hi", "2024-01-01T10:00:00Z", attachments=[{"file_name": ["x"]}])]}
    assert "attachments" in failure(parse(tmp_path, "b.json", page)).locator


def test_zendesk_messaging_conversation_log(tmp_path):
    log = {"events": [
        {"id": "e1", "type": "Messaging::ConversationMessage", "created_at": "2024-03-05T14:02:00Z",
         "author": {"type": "end-user", "display_name": "Nora", "zen:support:user_id": 7},
         "content": {"type": "text", "text": "Where is my order?"}, "source": {"type": "web"}},
        {"id": "e2", "type": "Messaging::ConversationMessage", "created_at": "2024-03-05T14:02:03Z",
         "author": {"type": "system", "display_name": "Acme Assistant"},
         "content": {"type": "text", "text": "I can help with orders."}, "source": {"type": "ultimate"}},
        {"id": "e3", "type": "Comment", "created_at": "2024-03-05T14:03:00Z",
         "author": {"type": "agent", "display_name": "Sam", "zen:support:user_id": 8},
         "content": {"type": "html", "body": "<p>Internal &amp; quick</p>"}, "metadata": {"is_public": False}}]}
    t = one(parse(tmp_path, "log.json", log, "zendesk-support"))
    assert roles(t) == ["customer", "bot", "agent"] and t.messages[2].internal
    assert t.messages[2].text == "Internal & quick"


# ------------------------------------------------------------------ Salesforce


def entry(conv: str, actor: str, at: str, msg: str | None, seq: int, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "ConversationEntry"}, "Id": f"0XV{seq}", "ConversationId": conv,
            "ActorType": actor, "ActorName": actor.title(), "EntryType": "Text", "EntryTime": at, "Message": msg,
            "Seq": seq, **extra}


def test_salesforce_entries_group_by_conversation_with_channels(tmp_path):
    doc = {"totalSize": 3, "done": True, "records": [
        entry("0LQ1", "EndUser", "2024-06-11T17:02:19.000+0000", "call me", 1),
        entry("570A", "EndUser", "2024-06-11T17:02:20.000+0000", "chat", 1),
        entry("0LQ1", "Agent", "2024-06-11T17:03:00.000+0000", "hello", 2, EntryTimeMilliSecs=250)]}
    voice, chat = parse(tmp_path, "q.json", doc)
    assert (voice.id, voice.channel, chat.channel) == ("0LQ1", Channel.VOICE, Channel.CHAT)
    assert voice.messages[1].sent_at.isoformat() == "2024-06-11T17:03:00.250000+00:00"


def test_salesforce_data_loader_csv_any_case_and_bad_rows(tmp_path):
    csv = ("\ufeffid,conversationid,ACTORTYPE,ActorName,EntryType,EntryTime,Message,Seq\n"
           "0XV1,0Mw9,EndUser,Ann,Text,2024-06-11T17:02:19.000Z,hi there,1\n"
           "0XV2,0Mw9,Agent,Sam,Text,2024-06-11T17:02:40.000Z,\"hello, Ann\",2\n"
           "0XV3,0Mw9,Agent\n")
    items = parse(tmp_path, "entries.csv", csv)
    t = next(i for i in items if isinstance(i, Transcript))
    assert (t.id, roles(t), t.channel) == ("0Mw9", ["customer", "agent"], Channel.MESSAGING)
    assert failure(items).locator == "line 4"
    bad = "Id,ConversationId,ActorType,EntryTime,Message\n0XV1,0Mw9,EndUser,not a time,hi\n"
    assert failure(parse(tmp_path, "bad.csv", bad)).locator == "line 2"


def test_salesforce_transcript_without_chat_started_uses_start_time(tmp_path):
    doc = {"records": [{"attributes": {"type": "LiveChatTranscript"}, "Id": "570X", "ChatKey": "k",
                        "StartTime": "2024-12-01T15:09:55.000+0000", "IsChatbotSession": True,
                        "Body": "( 5s ) Help Bot: Hi!<br>( 53s ) Dana K: Hi, how can I help?<br>"
                                "( 1m 19s ) Alex: My camera stopped<br>"}]}
    t = one(parse(tmp_path, "lct.json", doc))
    assert [m.sent_at.isoformat() for m in t.messages][1:] == ["2024-12-01T15:10:48+00:00",
                                                              "2024-12-01T15:11:14+00:00"]
    assert roles(t) == ["bot", "customer", "customer"]  # no "Agent <name>" header: names are not agents
    no_lines = {"records": [{"attributes": {"type": "LiveChatTranscript"}, "Id": "570Y", "ChatKey": "k",
                             "Body": "<p>Chat Started: ...</p>"}]}
    assert failure(parse(tmp_path, "empty.json", no_lines)).locator == "records[0].Body"


def test_salesforce_email_messages_and_connect_entries(tmp_path):
    email = {"records": [
        {"attributes": {"type": "EmailMessage"}, "Id": "02s1", "ParentId": "500A", "Incoming": True,
         "TextBody": "My order is late", "FromAddress": "ann@example.com", "MessageDate": "2024-05-01T08:00:00.000+0000"},
        {"attributes": {"type": "EmailMessage"}, "Id": "02s2", "ParentId": "500A", "Incoming": False, "Status": "5",
         "HtmlBody": "<p>draft</p>", "MessageDate": "2024-05-01T08:10:00.000+0000"},
        {"attributes": {"type": "EmailMessage"}, "Id": "02s3", "ParentId": "500A", "Incoming": False,
         "HtmlBody": "<p>Sorry &amp; sent</p>", "MessageDate": "2024-05-01T09:00:00.000+0000"}]}
    t = one(parse(tmp_path, "email.json", email))
    assert (t.id, t.channel, roles(t), t.messages[1].text) == ("500A", Channel.EMAIL, ["customer", "agent"],
                                                                "Sorry & sent")
    connect = {"conversationEntries": [
        {"identifier": "2", "clientTimestamp": 1718125424250, "messageText": "Re-issued.",
         "sender": {"role": "Agent", "subject": "005x"}},
        {"identifier": "1", "clientTimestamp": 1718125339005, "messageText": "Wrong VAT",
         "sender": {"role": "EndUser", "subject": "v2/iamessage/x"}}]}
    t = one(parse(tmp_path, "entries-0Mw7.json", connect))
    assert roles(t) == ["customer", "agent"] and t.messages[0].sent_at.isoformat() == "2024-06-11T17:02:19.005000+00:00"


# ------------------------------------------------------------------ Freshdesk / Freshchat


def conv_entry(eid: int, incoming: bool, body: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "ticket_id": 1408, "user_id": 3 if incoming else 4, "incoming": incoming, "private": False,
            "source": 0, "body": f"<div>{body}</div>", "body_text": body, "created_at": at, **extra}


def test_freshdesk_conversations_array_and_sources(tmp_path):
    rows = [conv_entry(1, True, "Still no refund", "2024-05-02T08:15:31Z"),
            conv_entry(2, False, "Public note", "2024-05-02T08:20:00Z", source=2),
            conv_entry(3, False, "Escalated", "2024-05-02T08:30:02Z", private=True, source=2),
            conv_entry(4, True, "Rated 5", "2024-05-02T09:00:00Z", source=6)]
    t = one(parse(tmp_path, "conversations.json", rows))
    assert t.id == "1408"
    assert [(m.role.value, m.kind.value, m.internal) for m in t.messages] == [
        ("customer", "message", False), ("agent", "message", False), ("agent", "note", True),
        ("system", "event", False)]


def test_freshdesk_outbound_ticket_and_bad_time(tmp_path):
    ticket = {"id": 5, "subject": "Your order", "description": "<p>We shipped it &amp; more</p>",
              "description_text": "", "requester_id": 9, "responder_id": 2, "source": 10,
              "created_at": "2024-05-01T08:00:00Z", "tags": None}
    t = one(parse(tmp_path, "t.json", ticket))
    assert roles(t) == ["agent"] and t.messages[0].text == "We shipped it & more" and t.participants[0].id == "2"
    broken = {**ticket, "conversations": [conv_entry(1, True, "x", "31/02/2024")]}
    assert failure(parse(tmp_path, "b.json", broken)).locator == "conversations[0]"


def test_freshchat_parts_webhook_and_roles(tmp_path):
    webhook = {"actor": {"actor_type": "user", "actor_id": "u1"}, "action": "message_create",
               "action_time": "2024-05-03T11:20:07.512Z",
               "data": {"message": {"id": "m1", "conversation_id": "c-5e02", "actor_type": "user",
                                    "message_type": "normal", "message_source": "whatsapp",
                                    "message_parts": [{"text": {"content": "Open on Sunday?"}},
                                                      {"file": {"name": "menu.pdf", "url": "https://x"}}],
                                    "created_time": "2024-05-03T11:20:07.498Z"}}}
    t = one(parse(tmp_path, "hook.json", webhook))
    assert (t.id, t.channel, [m.kind.value for m in t.messages]) == ("c-5e02", Channel.MESSAGING,
                                                                     ["message", "file"])
    page = {"messages": [
        {"id": "a", "conversation_id": "c1", "actor_type": "bot", "message_type": "normal", "created_time": 1,
         "message_parts": [{"collection": {"sub_parts": [{"text": {"content": "Pick one"}},
                                                         {"quick_reply_button": {"label": "Billing"}}]}}]},
        {"id": "b", "conversation_id": "c1", "actor_type": "agent", "message_type": "private",
         "created_time": "2024-05-03T11:21:00Z", "message_parts": [{"text": {"content": "note"}}]}],
        "pagination": {}}
    t = one(parse(tmp_path, "page.json", page))
    assert [(m.role.value, m.text, m.internal) for m in t.messages] == [("bot", "Pick one\nBilling", False),
                                                                        ("agent", "note", True)]


# ------------------------------------------------------------------ Help Scout


def thread(tid: int, kind: str, by: str, at: str, body: str = "text", **extra: Any) -> dict[str, Any]:
    return {"id": tid, "type": kind, "state": "published", "body": body, "createdAt": at,
            "createdBy": {"id": tid * 10, "type": by, "first": by.title()}, **extra}


def test_helpscout_threads_page_v3_ai_hidden_and_channel(tmp_path):
    page = {"_embedded": {"threads": [
        thread(4, "chat", "user", "2024-02-12T10:06:00Z", "Human here"),
        thread(3, "chat", "system_user", "2024-02-12T10:05:00Z", "AI answer"),
        thread(2, "message", "user", "2024-02-12T10:04:30Z", "hidden reply", state="hidden"),
        thread(1, "chat", "customer", "2024-02-12T10:04:11Z", "Hello?")]},
        "_links": {"self": {"href": "https://api.helpscout.net/v3/conversations/551/threads?page=1"}},
        "page": {"size": 25, "totalElements": 4, "totalPages": 1, "number": 1}}
    t = one(parse(tmp_path, "threads.json", page))
    assert t.id == "551" and t.channel is Channel.CHAT
    assert [(m.role.value, m.internal) for m in t.messages] == [("customer", False), ("agent", True),
                                                                ("bot", False), ("agent", False)]


def test_helpscout_conversation_without_threads_fails(tmp_path):
    conv = {"id": 1, "type": "phone", "mailboxId": 3, "primaryCustomer": {"id": 4}, "_embedded": {"threads": []}}
    f = failure(parse(tmp_path, "c.json", conv))
    assert "no messages" in f.reason and f.locator == "_embedded.threads"
    page = {"_embedded": {"conversations": [{"id": 2, "type": "phone", "mailboxId": 3, "_embedded": {"threads": [
        thread(1, "phone", "user", "2024-01-01T10:00:00Z", "Called the customer")]}}, {"type": "email"}]},
        "page": {"number": 1}}
    good, bad = parse(tmp_path, "convs.json", page)
    assert good.channel is Channel.VOICE and isinstance(bad, Failure) and bad.locator.startswith(
        "_embedded.conversations[1]")


# ------------------------------------------------------------------ Gorgias


def gmsg(mid: int, from_agent: bool, body: str, at: str, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "ticket_id": 55, "channel": "facebook-messenger", "via": "facebook", "public": True,
            "from_agent": from_agent, "sender": {"id": mid, "name": f"p{mid}"}, "body_text": body,
            "created_datetime": at, **extra}


def test_gorgias_message_page_unsent_and_rules(tmp_path):
    page = {"object": "list", "uri": "/api/tickets/55/messages", "meta": {}, "data": [
        gmsg(1, False, "Hi", "2024-04-09 16:02:11.408221+00:00"),
        gmsg(2, True, "Auto ack", "2024-04-09T16:02:12+00:00", rule_id=7),
        gmsg(3, True, "never sent", "2024-04-09T16:03:00+00:00", failed_datetime="2024-04-09T16:03:01+00:00"),
        gmsg(4, True, "deleted", "2024-04-09T16:03:30+00:00", deleted_datetime="2024-04-09T16:04:00+00:00"),
        gmsg(5, True, "Hello!", "2024-04-09T16:05:00+00:00", sent_datetime="2024-04-09T16:05:00.5+00:00")]}
    t = one(parse(tmp_path, "messages.json", page))
    assert (t.id, t.channel, roles(t)) == ("55", Channel.MESSAGING, ["customer", "bot", "agent"])
    comments = [gmsg(1, False, "nice", "2024-04-09T16:02:11+00:00", channel="instagram-comment", ticket_id=66)]
    assert one(parse(tmp_path, "rows.jsonl", comments)).channel is Channel.SOCIAL


def test_gorgias_bad_values_fail_with_locator(tmp_path):
    ticket = {"id": 9, "channel": "email", "via": "email", "customer": {"id": 1}, "created_datetime": "2024-01-01",
              "messages": [gmsg(1, False, "hi", "2024-01-01T10:00:00+00:00"), gmsg(2, True, "x", "soon")]}
    assert failure(parse(tmp_path, "t.json", ticket)).locator == "messages[1]"
    ticket["messages"][1] = {**gmsg(2, True, "x", "2024-01-01T10:00:00+00:00"), "attachments": [{"name": {}}]}
    assert failure(parse(tmp_path, "u.json", ticket)).locator.startswith("messages[1].attachments")


# ------------------------------------------------------------------ Kustomer


def kmsg(mid: str, direction: str | None, at: str, conv: str = "c1", **attrs: Any) -> dict[str, Any]:
    a = {"channel": "sms", "preview": f"text {mid}", "createdAt": at, **attrs}
    if direction:
        a["direction"] = direction
    return {"type": "message", "id": mid, "attributes": a,
            "relationships": {"conversation": {"data": {"type": "conversation", "id": conv}},
                              "createdBy": {"data": {"type": "user", "id": "u9"}}}}


def test_kustomer_included_users_and_direction_types(tmp_path):
    doc = {"data": [kmsg("1", None, "2024-07-25T12:00:02.113Z", directionType="initial-in"),
                    kmsg("2", "out", "2024-07-25T12:01:00Z"),
                    kmsg("3", "out", "2024-07-25T12:02:00Z", conv="c2", channel="twitter-tweet")],
           "included": [{"type": "user", "id": "u9", "attributes": {"displayName": "Kit Bot", "userType": "bot"}}],
           "links": {"self": "/v1/customers/x/messages"}}
    c1, c2 = parse(tmp_path, "m.json", doc)
    assert (roles(c1), c1.messages[1].author_name, c1.channel) == (["customer", "bot"], "Kit Bot", Channel.MESSAGING)
    assert c2.channel is Channel.SOCIAL
    assert not get_parser("intercom").sniff_value({"type": "conversation", "id": "c", "attributes": {}})


def test_kustomer_bad_time_and_no_messages(tmp_path):
    rows = [kmsg("1", "in", "2024-07-25T12:00:02Z"), kmsg("2", "out", "half past noon")]
    assert failure(parse(tmp_path, "m.jsonl", rows)).locator == "line 2"
    conv = [{"type": "conversation", "id": "c7", "attributes": {"channels": ["chat"], "createdAt": "x"}}]
    f = failure(parse(tmp_path, "c.jsonl", conv))
    assert "no messages" in f.reason and f.locator == "line 1"


# ------------------------------------------------------------------ Front


def fmsg(mid: str, inbound: bool, at: float, author: Any = None, kind: str = "email") -> dict[str, Any]:
    return {"id": mid, "type": kind, "is_inbound": inbound, "created_at": at, "author": author,
            "recipients": [{"handle": "c@example.com", "name": "Cat", "role": "from" if inbound else "to"}],
            "body": f"<p>{mid}</p>", "_links": {"related": {"conversation": "https://x.api.frontapp.com/conversations/cnv_1"}}}


def test_front_events_dedupe_and_authorless_outbound(tmp_path):
    messages = {"_results": [fmsg("msg_2", False, 1709560300), fmsg("msg_1", True, 1709560209.004, kind="front_chat")]}
    events = {"_results": [
        {"id": "evt_1", "type": "inbound", "emitted_at": 1709560209.1, "target": {"_meta": {"type": "message"},
                                                                               "data": fmsg("msg_1", True, 1709560209.004)},
         "conversation": {"id": "cnv_1"}},
        {"id": "evt_2", "type": "assign", "emitted_at": 1709560250, "source": {"data": {"first_name": "Ruth"}},
         "target": {"data": {"username": "omar"}}, "conversation": {"id": "cnv_1"}}]}
    t = one(parse(tmp_path, "pages.jsonl", [messages, events]))
    assert [(m.role.value, m.kind.value) for m in t.messages] == [("customer", "message"), ("system", "event"),
                                                                 ("bot", "message")]
    assert t.messages[1].text == "Ruth assign: omar" and t.channel is Channel.CHAT


def test_front_export_template_file_names_its_conversation_by_folder(tmp_path):
    message = fmsg("msg_9", True, 1709560209, kind="sms")
    del message["_links"]
    t = one(parse(tmp_path, "export/Support/cnv_77ab/1709560209-message-msg_9.json", message))
    assert (t.id, t.channel) == ("cnv_77ab", Channel.MESSAGING)
    bad = {**message, "created_at": "the 3rd"}
    f = failure(parse(tmp_path, "export/Support/cnv_77ab/bad.json", bad))
    assert f.locator == "record" and f.reason.startswith("bad time")


# ------------------------------------------------------------------ Amazon Connect


def item(i: int, role: str | None, at: str, kind: str = "MESSAGE", content: str | None = "hi",
         **extra: Any) -> dict[str, Any]:
    found = {"Id": f"i{i}", "Type": kind, "AbsoluteTime": at, "ParticipantId": role and f"p-{role}",
             "ParticipantRole": role, "ContentType": "text/plain", **extra}
    if content is not None:
        found["Content"] = content
    return found


def test_connect_descending_roles_and_failures(tmp_path):
    doc = {"InitialContactId": "c1", "Transcript": [
        item(3, "SUPERVISOR", "2024-09-02T14:01:00.000Z", content="barge in"),
        item(2, "CUSTOM_BOT", "2024-09-02T14:00:30.000Z", content="bot here"),
        item(1, "CUSTOMER", "2024-09-02T14:00:00.000Z")]}
    t = one(parse(tmp_path, "t.json", doc))
    assert roles(t) == ["customer", "bot", "agent"]
    no_id = {"Participants": [], "Transcript": [item(1, "CUSTOMER", "2024-09-02T14:00:00.000Z")]}
    assert failure(parse(tmp_path, "n.json", no_id)).locator == "InitialContactId"
    bad = {"ContactId": "c2", "Transcript": [item(1, "CUSTOMER", "2024-09-02T14:00:00.000Z"),
                                            item(2, "AGENT", "02/09/2024 2pm")]}
    assert failure(parse(tmp_path, "b.json", bad)).locator == "Transcript[1]"
    events = {"ContactId": "c3", "Transcript": [item(1, "CUSTOMER", "2024-09-02T14:00:00.000Z", kind="EVENT",
                                                     ContentType="application/vnd.amazonaws.connect.event.participant.joined")]}
    assert "only events" in failure(parse(tmp_path, "e.json", events)).reason


def test_connect_text_sent_with_files_is_read_by_the_rules_and_a_bare_file_stays_a_file(tmp_path):
    files = [{"AttachmentId": "att-1", "AttachmentName": "receipt.pdf", "ContentType": "application/pdf",
              "Status": "APPROVED"}]
    doc = {"ContactId": "c4", "Transcript": [
        item(1, "CUSTOMER", "2024-09-02T14:00:00.000Z", content="the charge is on this receipt", Attachments=files),
        item(2, "CUSTOMER", "2024-09-02T14:00:05.000Z", kind="ATTACHMENT", content=None, Attachments=files,
             ContentType="application/pdf"),
        item(3, "AGENT", "2024-09-02T14:00:40.000Z", content="Please hold")]}
    t = one(parse(tmp_path, "f.json", doc))
    assert [(m.kind.value, m.text) for m in t.messages] == [
        ("message", "the charge is on this receipt"), ("file", "receipt.pdf"), ("message", "Please hold")]
    assert "CQ201" in chatqa.check(t).codes


def test_liveperson_a_captioned_file_is_what_its_sender_wrote(tmp_path):
    def hosted(seq: int, who: str, file: dict[str, Any]) -> dict[str, Any]:
        return {"type": "HOSTED_FILE", "messageData": {"file": file}, "seq": seq, "participantId": who,
                "timeL": 1508840690000 + seq * 30_000, "sentBy": "Agent" if who == "a1" else "Consumer"}

    record = {"info": {"conversationId": "c2", "startTimeL": 1508840690000}, "messageRecords": [
        hosted(0, "u1", {"relativePath": "/v1/x/photo.jpg", "fileType": "JPG"}),
        hosted(1, "a1", {"relativePath": "/v1/x/steps.png", "fileType": "PNG",
                         "caption": "Please hold, I'm checking with my supervisor"}),
        hosted(2, "u1", {"relativePath": "/v1/x/photo2.jpg", "caption": "  "})],
        "agentParticipants": [{"agentId": "a1", "userTypeName": "Human"}]}
    t = one(parse(tmp_path, "lp.json", {"conversationHistoryRecords": [record]}))
    assert [(m.kind.value, m.text) for m in t.messages] == [
        ("file", "/v1/x/photo.jpg"), ("message", "Please hold, I'm checking with my supervisor"),
        ("file", "/v1/x/photo2.jpg")]
    assert "CQ201" in chatqa.check(t).codes
    assert chatqa.check(t).metrics.first_response_s == 30.0  # the customer's file started the clock


# ------------------------------------------------------------------ fixes to the older parsers


def test_intercom_1x_keeps_its_opening_message(tmp_path):
    conv = {"type": "conversation", "id": "147", "created_at": 1400850973,
            "conversation_message": {"type": "conversation_message", "id": "2001", "subject": "",
                                     "body": "<p>Hi, my invoice is wrong</p>", "author": {"type": "user", "id": "u1"},
                                     "attachments": []},
            "user": {"type": "user", "id": "u1"},
            "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [
                {"type": "conversation_part", "id": "1", "part_type": "comment", "body": "<p>Let me check</p>",
                 "created_at": 1400850990, "author": {"type": "admin", "id": "25"}}]}}
    t = one(parse(tmp_path, "ic.json", conv))
    assert [(m.role.value, m.text) for m in t.messages] == [("customer", "Hi, my invoice is wrong"),
                                                           ("agent", "Let me check")]
    assert t.metadata["api_version"] == "1.x"


@pytest.mark.parametrize("author", [
    {"type": "admin", "id": "9", "name": "Operator", "email": "operator+abc@intercom.io"},
    {"type": "admin", "id": "9", "name": "Support", "email": "operator+42@intercom.io"},
    {"type": "admin", "id": "9", "name": "Fin", "from_ai_agent": True},
])
def test_intercom_operator_and_ai_authors_are_bots(tmp_path, author):
    conv = {"type": "conversation", "id": "1", "created_at": 1719492832,
            "source": {"type": "conversation", "delivered_as": "automated", "body": "<p>Welcome!</p>",
                       "author": {"type": "admin", "id": "7", "name": "Sam"}},
            "conversation_parts": {"conversation_parts": [
                {"id": "2", "part_type": "comment", "body": "<p>hi</p>", "created_at": 1719492840,
                 "author": {"type": "user", "id": "u"}},
                {"id": "3", "part_type": "comment", "body": "<p>auto</p>", "created_at": 1719492841, "author": author},
                {"id": "4", "part_type": "comment", "body": "<p>human</p>", "created_at": 1719492850,
                 "author": {"type": "admin", "id": "7", "name": "Sam"}}]}}
    t = one(parse(tmp_path, "ic.json", conv))
    assert roles(t) == ["bot", "customer", "bot", "agent"]


def test_livechat_welcome_message_is_a_bot(tmp_path):
    chat = {"id": "PJ0", "users": [{"id": "a@example.com", "type": "agent", "name": "Ann"},
                                   {"id": "c1", "type": "customer", "name": "Cy"}],
            "thread": {"id": "T1", "events": [
                {"id": "1", "type": "message", "text": "Welcome to our shop!", "author_id": "a@example.com",
                 "created_at": "2020-05-28T11:45:30.000000Z", "properties": {"lc2": {"welcome_message": True}}},
                {"id": "2", "type": "message", "text": "hi", "author_id": "c1", "created_at": "2020-05-28T11:45:40.000000Z"},
                {"id": "3", "type": "message", "text": "Hi Cy!", "author_id": "a@example.com",
                 "created_at": "2020-05-28T11:45:50.000000Z", "properties": {"lc2": {"welcome_message": False}}}]}}
    t = one(parse(tmp_path, "lc.json", {"chats": [chat], "found_chats": 1}))
    assert roles(t) == ["bot", "customer", "agent"]
    assert {p.id: p.role for p in t.participants}["a@example.com"] is Role.AGENT


def test_liveperson_rich_content_gives_its_visible_text(tmp_path):
    card = {"type": "vertical", "elements": [
        {"type": "image", "url": "https://example.com/a.gif", "tooltip": "image tooltip"},
        {"type": "text", "text": "Now on sale!"},
        {"type": "button", "title": "Shop now", "click": {"actions": [{"type": "link", "uri": "https://x"}]}}]}
    record = {"info": {"conversationId": "c1", "startTimeL": 1508840690000},
              "messageRecords": [
                  {"type": "RICH_CONTENT", "messageData": {"richContent": {"content": json.dumps(card)}}, "seq": 0,
                   "participantId": "a1", "timeL": 1508840692962, "sentBy": "Agent"}],
              "agentParticipants": [{"agentId": "a1", "userTypeName": "Human"}]}
    t = one(parse(tmp_path, "lp.json", {"conversationHistoryRecords": [record]}))
    assert t.messages[0].text == "Now on sale!\nShop now"


def test_every_new_parser_is_registered_and_sniffs_before_the_generic_ones():
    names = [p.name for p in all_parsers()]
    for name in NEW:
        assert name in names and names.index(name) < names.index("chatqa")


def test_zendesk_documented_shapes(tmp_path):
    """The docs' List Comments example keeps `via` in `metadata`; Show Ticket is a description alone."""
    page = {"comments": [{"attachments": [], "author_id": 123123, "body": "Thanks for your help!",
                          "created_at": "2009-07-20T22:55:29Z", "id": 1274, "public": True, "type": "Comment",
                          "metadata": {"system": {"client": "x"}, "via": {"channel": "voice", "source": {}}}}]}
    assert one(parse(tmp_path, "c.json", page)).channel is Channel.VOICE
    show = {"ticket": {"id": 35436, "subject": "Help, my printer is on fire!", "description": "The fire is colorful.",
                       "requester_id": 20978392, "status": "open", "via": {"channel": "web"},
                       "created_at": "2009-07-20T22:55:29Z", "tags": ["enterprise"]}}
    t = one(parse(tmp_path, "t.json", show))
    assert (t.id, roles(t), t.messages[0].text) == ("35436", ["customer"], "The fire is colorful.")


def test_helpscout_threads_page_without_page_block(tmp_path):
    page = {"_embedded": {"threads": [thread(1, "customer", "customer", "2024-02-12T10:04:11Z")]}}
    t = one(parse(tmp_path, "threads-77.json", page))
    assert t.id == "threads-77" and t.metadata["id_from"] == "file name"


def test_zendesk_chat_transcript_comment_keeps_its_times(tmp_path):
    body = ("Chat started: 2018-05-18 11:51 PM UTC\n\n"
            "(11:51:11 PM) Acme Support: Hi, welcome back! What can we help you with?\n"
            "(11:51:14 PM) Nick Moad: my board shows a fault\n"
            "(11:59:20 PM) *** Eric joined the chat ***\n"
            "(11:59:47 PM) Eric: Hi Nick\n"
            "(12:00:10 AM) Eric: Load the defaults\nthen restart\n"
            "(12:01:02 AM) Nick Moad: thanks!")
    page = {"comments": [comment(1, 5, body, "2018-05-19T00:02:00Z", via={"channel": "chat"})],
            "users": [{"id": 5, "name": "Nick Moad", "role": "end-user"}]}
    t = one(parse(tmp_path, "chat.json", page))
    assert roles(t) == ["bot", "customer", "system", "agent", "agent", "customer"]
    assert t.messages[4].sent_at.isoformat() == "2018-05-19T00:00:10+00:00"  # past midnight
    assert t.messages[4].text == "Load the defaults\nthen restart" and t.channel is Channel.CHAT
    page["comments"][0]["body"] = body.replace("(11:59:47 PM)", "(13:59:47 PM)")
    assert failure(parse(tmp_path, "bad.json", page)).locator == "comments[0], line 6"
