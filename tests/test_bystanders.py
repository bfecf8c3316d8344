"""Bystanders (SPEC section 2), from the user's side: on the social channel the customer is the
person who opened the conversation; other customer authors who join in are bystanders, still
role customer, never starting a response clock nor counting as the customer for any rule. The
same conversation as a live chat keeps every customer author as the customer."""

from __future__ import annotations

import json

import pytest

import chatqa
from chatqa.metrics import compute
from chatqa.testing import transcript

OPENER, OTHER = "opener", "passer_by"


def thread(rows, channel="social"):
    return transcript(rows, channel=channel)


def codes(rows, channel="social"):
    return chatqa.check(thread(rows, channel)).codes


def test_bystanders_are_marked_on_messages_and_participants():
    t = thread([{"customer": "@Brand my router died", "author": OPENER, "at": 0},
                {"customer": "@Brand @opener mine too", "author": OTHER, "at": 30},
                {"agent": "@opener sorry, DM us your account", "at": 600}])
    assert [m.bystander for m in t.messages] == [False, True, False]
    people = {p.id: p for p in t.participants}
    assert people[OTHER].role.value == "customer" and people[OTHER].bystander
    assert not people[OPENER].bystander
    # the shape of a dump without bystanders does not change; with one, the flag is there
    assert "bystander" not in t.messages[0].model_dump() and t.messages[1].model_dump()["bystander"] is True


def test_nobody_is_a_bystander_off_the_social_channel():
    t = thread([{"customer": "hi", "author": OPENER}, {"customer": "hello, his colleague here", "author": OTHER},
                {"agent": "Hi both"}], channel="chat")
    assert not any(m.bystander for m in t.messages) and not any(p.bystander for p in t.participants)


def test_a_bystander_never_starts_a_response_clock():
    rows = [{"customer": "@Brand my order never came", "author": OPENER, "at": 0},
            {"agent": "@opener sorry! checking now", "at": 300},
            {"customer": "@Brand same, order 2 weeks late", "author": OTHER, "at": 400},
            {"agent": "@opener it is out for delivery", "at": 4000}]
    m = compute(thread(rows))
    assert m.first_response_s == 300 and m.max_response_s == 300  # the bystander's tweet started no clock
    assert m.customer_messages == 1 and m.messages == 4
    chat = compute(thread(rows, channel="chat"))  # in a live chat both authors are the customer
    assert chat.max_response_s == 3600 and chat.customer_messages == 2


def test_whoever_writes_first_is_the_customer():
    t = thread([{"agent": "@fan thanks for flying with us!", "at": 0},
                {"customer": "@Brand is the lounge open?", "author": OTHER, "at": 60},
                {"customer": "@Brand also asking", "author": OPENER, "at": 90}])
    assert [m.bystander for m in t.messages] == [False, False, True]


@pytest.mark.parametrize("code, bystander_says, agent_says", [
    ("CQ202", "@Brand I'm in a hurry, need this asap", "@opener please wait while we check"),
    ("CQ304", "@Brand this is so frustrating, I'm really upset", "@opener we can look at that"),
    ("CQ601", "@Brand worst service ever, this is ridiculous", "@opener we can look at that"),
])
def test_what_a_bystander_says_is_not_the_customers(code, bystander_says, agent_says):
    rows = [{"customer": "@Brand how do I change my delivery address?", "author": OPENER, "at": 0},
            {"customer": bystander_says, "author": OTHER, "at": 60},
            {"agent": agent_says, "at": 120},
            {"agent": "@opener you can change it under Orders", "at": 180}]
    assert code not in codes(rows)
    # the same words from the customer are judged
    said = [dict(rows[0], customer=bystander_says), *rows[2:]]
    assert code in codes(said, channel="chat") or code in codes(said)


def test_a_bystanders_last_word_is_not_the_customers_ending():
    rows = [{"customer": "@Brand my card was declined", "author": OPENER, "at": 0},
            {"agent": "@opener fixed, try again", "at": 60},
            {"customer": "@Brand that worked, thanks", "author": OPENER, "at": 120},
            {"customer": "@Brand @opener still not working for me, forget it", "author": OTHER, "at": 180}]
    found = codes(rows)
    assert "CQ602" not in found and "CQ103" not in found
    assert "CQ602" in codes(rows, channel="chat") and "CQ103" in codes(rows, channel="chat")


def test_neutral_input_on_the_social_channel_has_bystanders(tmp_path):
    path = tmp_path / "threads.jsonl"
    path.write_text(json.dumps({"id": "x1", "channel": "social", "messages": [
        {"role": "customer", "author": "ann", "time": "2026-03-01T10:00:00Z", "text": "@Brand app down?"},
        {"role": "customer", "author": "bob", "time": "2026-03-01T10:01:00Z", "text": "@Brand same"},
        {"role": "agent", "author": "Brand", "time": "2026-03-01T10:30:00Z", "text": "@ann looking into it"},
    ]}) + "\n")
    (t,) = list(chatqa.load(path))
    assert [m.bystander for m in t.messages] == [False, True, False]
    assert compute(t).first_response_s == 1800
    # exporting to the neutral format and reading it back keeps the judgement
    from chatqa.parsers.neutral import to_neutral

    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps(to_neutral(t)) + "\n")
    (back,) = list(chatqa.load(again))
    assert [m.bystander for m in back.messages] == [False, True, False]


# the opener, the brand, a second customer joining in, the brand again
TWO_CUSTOMERS = [{"customer": "my order never came", "author": OPENER, "at": 0},
                 {"agent": "sorry! checking now", "at": 300},
                 {"customer": "same, order 2 weeks late", "author": OTHER, "at": 400},
                 {"agent": "it is out for delivery", "at": 4000}]


def test_channel_option_decides_who_is_a_bystander():
    rows = TWO_CUSTOMERS
    as_chat = thread(rows, channel="chat")
    judged_social = chatqa.check(as_chat, config={"channel": "social"})
    assert judged_social.metrics.max_response_s == 300  # --channel social: the second author is a bystander
    judged_chat = chatqa.check(thread(rows), config={"channel": "chat"})
    assert judged_chat.metrics.max_response_s == 3600  # --channel chat: nobody is


def test_the_report_says_who_is_a_bystander(tmp_path):
    from click.testing import CliRunner

    from chatqa.cli import main

    path = tmp_path / "thread.jsonl"
    path.write_text(json.dumps({"id": "x1", "channel": "social", "messages": [
        {"role": "customer", "author": "ann", "time": "2026-03-01T10:00:00Z", "text": "@Brand app down?"},
        {"role": "customer", "author": "bob", "time": "2026-03-01T10:01:00Z",
         "text": "@Brand same, my card is 4111 1111 1111 1111"},
        {"role": "agent", "author": "Brand", "time": "2026-03-01T10:30:00Z", "text": "@ann looking into it"},
    ]}) + "\n")
    out = CliRunner().invoke(main, ["check", str(path), "--format", "table", "--fail-under", "0"]).stdout
    assert "customer, bystander" in out and "4111 1111 1111 1111" not in out
    html = tmp_path / "report.html"
    CliRunner().invoke(main, ["check", str(path), "--format", "html", "-o", str(html), "--fail-under", "0"])
    assert "customer (bystander)" in html.read_text()


# Who opened the thread *with the team*: a first post addressed to nobody in the team (an ad, a
# question to friends) is not the customer's when the team answers someone who replied to it.

def test_a_post_not_addressed_to_the_team_does_not_make_its_author_the_customer():
    rows = [{"customer": "Win a trip! Share your costume pics #contest", "author": "promo", "at": 0},
            {"customer": "@promo my phone has had no signal since Monday", "author": OTHER, "at": 86400},
            {"agent": "@passer_by sorry about that, DM us your postcode", "author": "BrandHelp", "at": 86400 + 600}]
    t = thread(rows)
    assert [m.bystander for m in t.messages] == [True, False, False]
    m = compute(t)
    assert m.first_response_s == 600  # from the post the team answered, not from the ad a day before
    assert "CQ101" not in codes(rows)


def test_a_first_post_that_names_the_team_keeps_its_author_the_customer():
    rows = [{"customer": "my phone has no signal @BrandHelp", "author": OPENER, "at": 0},
            {"customer": "@opener mine neither", "author": OTHER, "at": 60},
            {"agent": "@opener sorry, DM us your postcode", "author": "BrandHelp", "at": 120}]
    assert [m.bystander for m in thread(rows).messages] == [False, True, False]


def test_without_mentions_the_first_author_is_the_customer():
    rows = [{"customer": "Win a trip! Share your costume pics", "author": "promo", "at": 0},
            {"customer": "my phone has had no signal since Monday", "author": OTHER, "at": 60},
            {"agent": "sorry about that, DM us your postcode", "author": "BrandHelp", "at": 120}]
    assert [m.bystander for m in thread(rows).messages] == [False, True, False]


def test_the_team_answering_the_opener_keeps_them_the_customer():
    rows = [{"customer": "no signal again today", "author": OPENER, "at": 0},
            {"customer": "@BrandHelp @opener same here", "author": OTHER, "at": 60},
            {"agent": "@opener sorry, DM us your postcode", "author": "BrandHelp", "at": 120}]
    assert [m.bystander for m in thread(rows).messages] == [False, True, False]


def test_a_reply_to_a_bystander_does_not_answer_the_customer():
    rows = [{"customer": "@BrandHelp my parcel is lost", "author": OPENER, "at": 0},
            {"customer": "@BrandHelp @opener mine too", "author": OTHER, "at": 60},
            {"agent": "@passer_by @opener sorry, DM us", "author": "BrandHelp", "at": 120},
            {"agent": "@opener sorry! DM us the tracking number", "author": "BrandHelp", "at": 7200}]
    m = compute(thread(rows))
    assert m.first_response_s == 7200  # the reply to the bystander left the customer waiting
    assert "CQ101" in codes(rows)
    chat = compute(thread(rows, channel="chat"))  # in a live chat every reply answers the customer
    assert chat.first_response_s == 120


def test_the_customers_reply_to_a_bystander_starts_no_clock_and_is_no_unanswered_ending():
    rows = [{"customer": "@BrandHelp my parcel is lost", "author": OPENER, "at": 0},
            {"agent": "@opener sorry! DM us the tracking number", "author": "BrandHelp", "at": 60},
            {"customer": "@opener did they ever find yours?", "author": OTHER, "at": 120},
            {"customer": "@passer_by not yet, still waiting", "author": OPENER, "at": 180}]
    t = thread(rows)
    assert compute(t).max_response_s == 60
    assert "CQ103" not in codes(rows)
    # the same words addressed to the team are an unanswered ending
    to_team = [*rows[:3], {"customer": "@BrandHelp not yet, still waiting", "author": OPENER, "at": 180}]
    assert "CQ103" in codes(to_team)


def test_naming_the_team_alone_does_not_take_the_thread_from_its_opener():
    # no reply of the team says whom it answers: the opener stays the customer (SPEC section 2)
    rows = [{"customer": "app down?", "author": OPENER, "at": 0},
            {"customer": "@BrandHelp same here", "author": OTHER, "at": 60},
            {"agent": "Looking into it now", "author": "BrandHelp", "at": 120}]
    assert [m.bystander for m in thread(rows).messages] == [False, True, False]


def test_the_channel_argument_marks_bystanders_like_the_config():
    as_chat = thread(TWO_CUSTOMERS, channel="chat")
    for judged in (chatqa.check(as_chat, channel="social"), chatqa.analyze([as_chat], channel="social").results[0],
                   chatqa.check(as_chat, config={"channel": "email"}, channel="social")):
        assert judged.channel == "social" and judged.metrics.max_response_s == 300
