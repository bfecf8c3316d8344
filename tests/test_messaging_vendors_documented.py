"""Vendor semantics checked against the vendors' documented payload shapes (Kustomer failed sends,
LivePerson sources, quick replies and surveys, Front CSAT comments, Amazon Connect receipts).

Every payload here is small and written for these tests, shaped like the documented ones; each
fix is tested both ways: the documented case changes, its look-alikes do not.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import only_transcript as one
from conftest import parse_payload as parse

import chatqa
from chatqa.errors import Failure
from chatqa.model import Channel, Kind, Role, Transcript


def lines(t: Transcript) -> list[tuple[str, str, str]]:
    return [(m.role.value, m.kind.value, m.text) for m in t.messages]


# ------------------------------------------------------------------ Kustomer: failed sends


def kmsg(mid: str, direction: str, at: str, text: str, **attrs: Any) -> dict[str, Any]:
    attributes = {"channel": "chat", "direction": direction, "preview": text, "auto": False,
                  "createdAt": at, "sentAt": at, "status": "received" if direction == "in" else "sent", **attrs}
    return {"type": "message", "id": mid, "attributes": attributes,
            "relationships": {"conversation": {"data": {"type": "conversation", "id": "kc1"}},
                              "createdBy": {"data": {"type": "user", "id": "u7"}}}}


def kpage(*messages: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(messages), "links": {"self": "/v1/conversations/kc1/messages?page=1", "next": None},
            "meta": {"pageSize": 100, "page": 1}}


def test_kustomer_a_failed_unsent_message_answers_no_one(tmp_path):
    page = kpage(kmsg("m1", "in", "2024-05-02T09:00:00.000Z", "My voucher is refused"),
                 kmsg("m2", "out", "2024-05-02T09:00:20.000Z", "Checking now", status="error", sentAt=None,
                      errorAt="2024-05-02T09:00:21.000Z",
                      error={"status": 400, "code": "delivery_failed", "title": "not delivered"}),
                 kmsg("m3", "out", "2024-05-02T09:02:00.000Z", "It works again now."))
    t = one(parse(tmp_path, "k.json", page))
    assert lines(t) == [("customer", "message", "My voucher is refused"), ("agent", "message", "It works again now.")]
    assert chatqa.check(t).metrics.first_response_s == 120.0  # the delivered reply, not the failed one


@pytest.mark.parametrize("failure", [{"status": "error", "sentAt": None}, {"status": "failed", "sentAt": None},
                                     {"errorAt": "2024-05-02T09:00:21.000Z", "sentAt": None},
                                     {"error": {"code": "bounced"}, "sentAt": None}])
def test_kustomer_each_mark_of_a_failed_send_drops_it(tmp_path, failure):
    page = kpage(kmsg("m1", "in", "2024-05-02T09:00:00.000Z", "Hi"),
                 kmsg("m2", "out", "2024-05-02T09:00:20.000Z", "failed reply", **failure),
                 kmsg("m3", "out", "2024-05-02T09:01:00.000Z", "delivered reply"))
    assert [m.text for m in one(parse(tmp_path, "k.json", page)).messages] == ["Hi", "delivered reply"]


@pytest.mark.parametrize("attrs", [
    {},                                                               # sent, no failure
    {"errorAt": "2024-05-02T09:00:19.000Z"},                          # failed once, then sent (sentAt set)
    {"status": "sent", "error": None, "errorAt": None},               # the failure fields empty
    {"sentAt": None},                                                 # no sentAt but no failure: createdAt
])
def test_kustomer_delivered_look_alikes_stay_replies(tmp_path, attrs):
    page = kpage(kmsg("m1", "in", "2024-05-02T09:00:00.000Z", "Hi"),
                 kmsg("m2", "out", "2024-05-02T09:00:20.000Z", "Checking now", **attrs))
    t = one(parse(tmp_path, "k.json", page))
    assert lines(t)[-1] == ("agent", "message", "Checking now")
    assert chatqa.check(t).metrics.first_response_s == 20.0


def test_kustomer_a_conversation_of_failed_sends_only_is_a_failure_as_in_gorgias(tmp_path):
    page = kpage(kmsg("m2", "out", "2024-05-02T09:00:20.000Z", "never sent", status="error", sentAt=None))
    found = parse(tmp_path, "k.json", page)
    assert len(found) == 1 and isinstance(found[0], Failure) and "no messages" in found[0].reason
    gorgias = {"id": 9, "channel": "chat", "via": "chat", "customer": {"id": 1},
               "created_datetime": "2024-05-02T09:00:00Z",
               "messages": [{"id": 1, "from_agent": True, "body_text": "never sent", "sent_datetime": None,
                             "created_datetime": "2024-05-02T09:00:20Z", "failed_datetime": "2024-05-02T09:00:21Z"}]}
    found = parse(tmp_path, "g.json", gorgias)
    assert len(found) == 1 and isinstance(found[0], Failure) and "no messages" in found[0].reason


# ------------------------------------------------------------------ LivePerson


def lp_record(source: str | None = None, messages: list[dict[str, Any]] | None = None,
              surveys: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {"conversationId": "lp1", "startTimeL": 1700000000000, "endTimeL": -1}
    if source is not None:
        info["source"] = source
    default = [lp_msg(0, "Consumer", "c1", 1700000001000, "Hi, my parcel is late"),
               lp_msg(1, "Agent", "a1", 1700000031000, "Let me check that for you")]
    record = {"info": info, "messageRecords": default if messages is None else messages,
              "agentParticipants": [{"agentId": "a1", "agentFullName": "Rosa", "userTypeName": "Human"}],
              "consumerParticipant": [{"participantId": "c1", "firstName": "Ana"}]}
    if surveys is not None:
        record["conversationSurveys"] = surveys
    return {"conversationHistoryRecords": [record]}


def lp_msg(seq: int, by: str, who: str, at: int, text: str | None = None, kind: str = "TEXT_PLAIN",
           **data: Any) -> dict[str, Any]:
    message_data = ({"msg": {"text": text}} if text is not None else {}) | data
    return {"type": kind, "messageData": message_data, "seq": seq, "participantId": who, "timeL": at, "sentBy": by}


@pytest.mark.parametrize("source", ["APP", "SMS", "FACEBOOK", "Apple Business Chat", "ABC", "WhatsApp Business",
                                    "WHATSAPP", "GOOGLE_RBM", "GBM", "LINE", "VIBER", "WECHAT", "TWITTER", "app"])
def test_liveperson_messaging_sources_are_messaging(tmp_path, source):
    t = one(parse(tmp_path, "lp.json", lp_record(source)))
    assert t.channel is Channel.MESSAGING


@pytest.mark.parametrize("source", ["SHARK", "SHARK (WEB)", "WEB", "WEB_SITE", "AGENT", "SOMETHING_NEW", "", None,
                                    "ONLINE_STORE", "APPLIANCE"])  # look-alike words: no "line", no "app"
def test_liveperson_web_widget_and_unknown_sources_stay_chat(tmp_path, source):
    t = one(parse(tmp_path, "lp.json", lp_record(source)))
    assert t.channel is Channel.CHAT


def test_liveperson_in_app_source_is_judged_with_the_messaging_thresholds(tmp_path):
    """Five minutes to a first reply is slow for a live chat, not for an in-app thread (SPEC 5)."""
    slow = [lp_msg(0, "Consumer", "c1", 1700000000000, "Hi, my parcel is late"),
            lp_msg(1, "Agent", "a1", 1700000300000, "Hi Ana, I'm Rosa. Let me check that for you")]
    assert "CQ101" in chatqa.check(one(parse(tmp_path, "w.json", lp_record("SHARK", slow)))).codes
    assert "CQ101" not in chatqa.check(one(parse(tmp_path, "a.json", lp_record("APP", slow)))).codes


def quick_replies(*titles: str) -> dict[str, str]:
    replies = [{"type": "button", "tooltip": t, "title": t, "click": {"actions": [{"type": "publishText", "text": t}]}}
               for t in titles]
    return {"content": json.dumps({"type": "quickReplies", "itemsPerRow": 8, "replies": replies})}


def test_liveperson_quick_reply_titles_are_part_of_the_message(tmp_path):
    card = {"content": json.dumps({"type": "vertical", "elements": [{"type": "text", "text": "Pick a size"}]})}
    messages = [lp_msg(0, "Consumer", "c1", 1700000001000, "Do you have it in blue?"),
                lp_msg(1, "Agent", "a1", 1700000010000, "We do! Which size?", quickReplies=quick_replies("S", "M")),
                lp_msg(2, "Agent", "a1", 1700000020000, kind="RICH_CONTENT", richContent=card,
                       quickReplies=quick_replies("Small", "Large")),
                lp_msg(3, "Agent", "a1", 1700000030000, "<p>Or <b>call</b> us</p>", kind="TEXT_HTML",
                       quickReplies=quick_replies("Call me", "A < B"))]
    t = one(parse(tmp_path, "lp.json", lp_record(messages=messages)))
    assert [m.text for m in t.messages if m.role is Role.AGENT] == [
        "We do! Which size?\nS\nM", "Pick a size\nSmall\nLarge", "Or call us\nCall me\nA < B"]


def test_liveperson_messages_without_quick_replies_are_unchanged(tmp_path):
    messages = [lp_msg(0, "Consumer", "c1", 1700000001000, "Hello"),
                lp_msg(1, "Agent", "a1", 1700000010000, "Hi there", quickReplies={"content": "not json"}),
                lp_msg(2, "Agent", "a1", 1700000020000, "Anything else?", quickReplies={"content": json.dumps(
                    {"type": "quickReplies", "replies": []})})]
    t = one(parse(tmp_path, "lp.json", lp_record(messages=messages)))
    assert [m.text for m in t.messages] == ["Hello", "Hi there", "Anything else?"]


def test_liveperson_a_survey_is_an_event_after_the_last_message(tmp_path):
    surveys = [{"surveyType": "Satisfaction", "surveyStatus": "FILLED",
                "surveyData": [{"question": "Confirm Resolution", "answer": "Yes"},
                               {"question": "How would you rate us?", "answer": "5"}]}]
    t = one(parse(tmp_path, "lp.json", lp_record(surveys=surveys)))
    last = t.messages[-1]
    assert (last.role, last.kind, last.event) == (Role.SYSTEM, Kind.EVENT, "survey")
    assert last.text == "Satisfaction survey (FILLED): Confirm Resolution: Yes; How would you rate us?: 5"
    assert last.sent_at == t.messages[-2].sent_at  # no time of its own: placed after the last message
    result = chatqa.check(t)
    assert result.metrics.first_response_s == 30.0 and result.metrics.messages == 2
    assert result.metrics.duration_s == 30.0  # and the conversation does not last longer for it


def test_liveperson_a_survey_with_a_time_is_placed_at_it_and_starts_no_clock(tmp_path):
    messages = [lp_msg(0, "Consumer", "c1", 1700000001000, "Hi, my parcel is late"),
                lp_msg(1, "Agent", "a1", 1700000031000, "Let me check that for you"),
                lp_msg(2, "Consumer", "c1", 1700000061000, "It's been a week")]
    surveys = [{"surveyType": "Resolution", "surveyStatus": "FILLED", "timeL": 1700000041000,
                "surveyData": [{"question": "Resolved?", "answer": "No"}]}]
    t = one(parse(tmp_path, "lp.json", lp_record(messages=messages, surveys=surveys)))
    assert [(m.role.value, m.kind.value) for m in t.messages] == [
        ("customer", "message"), ("agent", "message"), ("system", "event"), ("customer", "message")]
    result = chatqa.check(t)
    assert result.metrics.first_response_s == 30.0 and "CQ103" in result.codes  # still unanswered at the end


def test_liveperson_empty_surveys_add_nothing(tmp_path):
    for surveys in ([], [{}], [{"surveyData": []}], [{"surveyData": [{"question": "", "answer": None}]}]):
        t = one(parse(tmp_path, "lp.json", lp_record(surveys=surveys)))
        assert [m.kind for m in t.messages] == [Kind.MESSAGE, Kind.MESSAGE], surveys


# ------------------------------------------------------------------ Front: CSAT response comments


def fcomment(cid: str, author_type: str, body: str, at: float) -> dict[str, Any]:
    return {"_links": {"related": {"conversation": "https://acme.api.frontapp.com/conversations/cnv_f1"}},
            "id": cid, "author": {"id": f"tea_{author_type.lower()}", "first_name": "Pat", "last_name": "Lee",
                                  "type": author_type},
            "body": body, "posted_at": at, "attachments": [], "is_pinned": False}


def fmessage(mid: str, inbound: bool, at: float, text: str) -> dict[str, Any]:
    return {"_links": {"related": {"conversation": "https://acme.api.frontapp.com/conversations/cnv_f1"}},
            "id": mid, "type": "email", "is_inbound": inbound, "created_at": at, "text": text, "body": f"<p>{text}</p>",
            "author": None if inbound else {"id": "tea_1", "first_name": "Sam", "type": "user"},
            "recipients": [{"handle": "ann@example.org", "name": "Ann", "role": "from" if inbound else "to"}]}


def front_page(*rows: dict[str, Any]) -> dict[str, Any]:
    return {"_pagination": {"next": None}, "_results": list(rows)}


@pytest.mark.parametrize(("body", "rating"), [
    ("Rating: 5 - Great help", (5.0, 5.0, "Great help")),
    ("<p>Rated 4/5</p><p>quick and kind</p>", (4.0, 5.0, "quick and kind")),
    ("Score: 8 out of 10", (8.0, 10.0, None)),
])
def test_front_csat_comment_is_a_rating_event(tmp_path, body, rating):
    page = front_page(fcomment("com_2", "CSAT", body, 1709561000.0),
                      fmessage("msg_2", False, 1709560300.0, "Your invoice is attached."),
                      fmessage("msg_1", True, 1709560200.0, "Please resend my invoice"))
    t = one(parse(tmp_path, "f.json", page))
    last = t.messages[-1]
    assert (last.role, last.kind, last.internal, last.event) == (Role.SYSTEM, Kind.EVENT, False, "csat_response")
    assert t.rating is not None and (t.rating.value, t.rating.scale, t.rating.comment) == rating
    assert chatqa.check(t).metrics.first_response_s == 100.0


@pytest.mark.parametrize("body", ["Rated Great", "", "Order 12345 rated", "Rating: 7"])  # no score on a scale
def test_front_csat_comment_without_a_score_is_the_event_alone(tmp_path, body):
    page = front_page(fcomment("com_2", "CSAT", body, 1709561000.0), fmessage("msg_1", True, 1709560200.0, "Hi"))
    t = one(parse(tmp_path, "f.json", page))
    assert (t.messages[-1].role, t.messages[-1].kind) == (Role.SYSTEM, Kind.EVENT) and t.rating is None


def test_front_the_latest_csat_response_is_the_rating(tmp_path):
    page = front_page(fcomment("com_3", "csat", "Rating: 2", 1709562000.0),
                      fcomment("com_2", "csat", "Rating: 5", 1709561000.0),
                      fmessage("msg_1", True, 1709560200.0, "Hi"))
    assert one(parse(tmp_path, "f.json", page)).rating.value == 2.0  # type: ignore[union-attr]


@pytest.mark.parametrize("author_type", ["user", "rule", "macro"])
def test_front_other_comments_stay_internal_notes(tmp_path, author_type):
    page = front_page(fcomment("com_2", author_type, "Rating: 5 - looks fine to me", 1709561000.0),
                      fmessage("msg_1", True, 1709560200.0, "Hi"))
    t = one(parse(tmp_path, "f.json", page))
    note = t.messages[-1]
    assert (note.kind, note.internal) == (Kind.NOTE, True) and t.rating is None
    assert note.role is (Role.AGENT if author_type == "user" else Role.BOT)


def test_front_outbound_message_by_a_csat_teammate_stays_a_bot_message(tmp_path):
    survey = fmessage("msg_2", False, 1709561000.0, "How did we do?") | {"author": {"id": "tea_c", "type": "csat"}}
    t = one(parse(tmp_path, "f.json", front_page(survey, fmessage("msg_1", True, 1709560200.0, "Hi"))))
    assert lines(t)[-1] == ("bot", "message", "How did we do?") and t.rating is None


def test_front_export_template_file_holding_a_csat_response_is_its_fragment(tmp_path):
    """Front's export template writes each comment to its own file: one holding the CSAT response is a
    fragment of its conversation carrying the rating; a page holding nothing but it has no message."""
    folder = tmp_path / "export" / "Support" / "cnv_f1"
    t = one(parse(folder, "1709561000-comment-com_2.json", fcomment("com_2", "CSAT", "Rating: 4", 1709561000.0)))
    assert t.rating.value == 4.0 and t.metadata["fragment"] is True  # type: ignore[union-attr]
    found = parse(tmp_path, "page.json", front_page(fcomment("com_2", "CSAT", "Rating: 4", 1709561000.0)))
    assert len(found) == 1 and isinstance(found[0], Failure) and "only events" in found[0].reason


# ------------------------------------------------------------------ Amazon Connect: typing and receipts


def citem(i: int, role: str | None, at: str, kind: str = "MESSAGE", content: str | None = None,
          content_type: str = "text/plain", **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"Id": f"i-{i}", "Type": kind, "AbsoluteTime": at, "ContentType": content_type, **extra}
    if role:
        found |= {"ParticipantRole": role, "ParticipantId": f"p-{role.lower()}", "DisplayName": role.title()}
    if content is not None:
        found["Content"] = content
    return found


EVENT = "application/vnd.amazonaws.connect.event."


@pytest.mark.parametrize(("kind", "content_type"), [
    ("EVENT", EVENT + "typing"), ("EVENT", EVENT + "message.read"), ("EVENT", EVENT + "message.delivered"),
    ("EVENT", EVENT + "message.metadata"), ("EVENT", EVENT + "connection.acknowledged"),
    ("MESSAGEMETADATA", EVENT + "message.metadata"), ("MESSAGEMETADATA", "application/json"),
    ("TYPING", EVENT + "typing"), ("MESSAGE_READ", EVENT + "message.read")])
def test_connect_typing_and_receipts_are_dropped_whatever_their_type(tmp_path, kind, content_type):
    receipt = {"MessageMetadata": {"MessageId": "i-2", "Receipts": [{"ReadTimestamp": "2024-09-02T14:00:31.000Z",
                                                                       "RecipientParticipantId": "p-customer"}]}}
    doc = {"Version": "2019-08-26", "ContactId": "c1", "Participants": [{"ParticipantId": "p-customer"}],
           "Transcript": [citem(1, "CUSTOMER", "2024-09-02T14:00:00.000Z", content="My card is blocked"),
                          citem(2, "AGENT", "2024-09-02T14:00:30.000Z", content="Unblocking it now", **receipt),
                          citem(3, "CUSTOMER", "2024-09-02T14:00:31.000Z", kind=kind, content_type=content_type,
                                **receipt)]}
    t = one(parse(tmp_path, "t.json", doc))
    assert lines(t) == [("customer", "message", "My card is blocked"), ("agent", "message", "Unblocking it now")]


@pytest.mark.parametrize("suffix", ["participant.joined", "participant.left", "chat.ended", "transfer.succeeded"])
def test_connect_conversation_events_stay_events(tmp_path, suffix):
    doc = {"ContactId": "c1", "Transcript": [
        citem(1, "CUSTOMER", "2024-09-02T14:00:00.000Z", content="hi"),
        citem(2, "AGENT", "2024-09-02T14:00:10.000Z", kind="EVENT", content_type=EVENT + suffix)]}
    t = one(parse(tmp_path, "t.json", doc))
    assert [(m.role, m.kind, m.event) for m in t.messages][-1] == (Role.SYSTEM, Kind.EVENT, suffix)


def test_connect_a_message_about_typing_is_still_a_message(tmp_path):
    doc = {"ContactId": "c1", "Transcript": [
        citem(1, "CUSTOMER", "2024-09-02T14:00:00.000Z", content="it says typing... and then the read receipt fails")]}
    assert lines(one(parse(tmp_path, "t.json", doc))) == [
        ("customer", "message", "it says typing... and then the read receipt fails")]
