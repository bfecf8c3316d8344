"""IBM Twitter timing, from the user's side: the final agent turn (agentURL) has no time of its
own; the export's `duration` lost its day count (a 10-character field cut from "D-HH:MM:SS.f"),
so the day count comes from the turn's tweet id (a snowflake) or the turn order."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import chatqa
from chatqa.metrics import compute

_EPOCH_MS = 1288834974657


def tweet_id(when: str) -> str:
    """A snowflake id for a tweet sent at `when` (ISO), as Twitter makes them."""
    ms = int(datetime.fromisoformat(when).timestamp() * 1000) + 250
    return str(((ms - _EPOCH_MS) << 22) | 1234)


def record(duration: str, turns: list[tuple[str, str]], final_id: str | None,
           start: str = "2021-05-03T09:00:00+00:00") -> dict:
    """One conversation: customer turns (key, time) from `start`, then the URL reply."""
    content = [{key: "a_customer" if key == "client" else "someone_else", "datetime": when,
                "message": f"@HelpDesk question number {i}", "tweet_ID": tweet_id(when)}
               for i, (key, when) in enumerate(turns)]
    url = {"turn": str(len(turns) + 1), "url": "https://help.example.com/x", "doc_id": "9",
           "url_utterance": "@a_customer This article covers it: https://help.example.com/x"}
    if final_id is not None:
        url["tweet_ID"] = final_id
    return {"dialogHeader": {"company": "HelpDesk", "conversationDateTime": start, "duration": duration,
                             "messageCount": str(len(turns) + 1), "sessionID": "s1"},
            "dialogContent": content, "agentURL": url}


def final_time(tmp_path, rec: dict) -> datetime | None:
    path = tmp_path / "ibm.json"
    path.write_text(json.dumps([rec]))
    (t,) = list(chatqa.load(path))
    final = [m for m in t.messages if m.role.value == "agent"][-1]
    return final.sent_at


START = "2021-05-03T09:00:00+00:00"


@pytest.mark.parametrize("duration, turns, final_id, expected", [
    # under a day: start + duration
    ("01:26:55.0", [("client", START)], tweet_id("2021-05-03T10:26:55+00:00"), "2021-05-03T10:26:55"),
    # 3 days 04:10:00 shows as 04:10:00.0: the tweet id gives the day count
    ("04:10:00.0", [("client", START)], tweet_id("2021-05-06T13:10:00+00:00"), "2021-05-06T13:10:00"),
    # 9 days, the most the short form can hide
    ("23:59:59.0", [("client", START)], tweet_id("2021-05-13T08:59:59+00:00"), "2021-05-13T08:59:59"),
    # 13 days 12:14:20 shows as -12:14:20.
    ("-12:14:20.", [("client", START)], tweet_id("2021-05-16T21:14:20+00:00"), "2021-05-16T21:14:20"),
    # 146 days 01:08:11 shows as 6-01:08:11 (the day count's last digit)
    ("6-01:08:11", [("client", START)], tweet_id("2021-09-26T10:08:11+00:00"), "2021-09-26T10:08:11"),
    # without a tweet id, the fewest days that put the reply after the last turn it follows
    ("01:30:00.0", [("client", START), ("client", "2021-05-05T08:00:00+00:00")], None, "2021-05-05T10:30:00"),
    ("01:30:00.0", [("client", START)], None, "2021-05-03T10:30:00"),
    # a tweet id that is not a snowflake, or whose time is far from any allowed day count, is not used
    ("02:00:00.0", [("client", START)], "12345", "2021-05-03T11:00:00"),
    ("02:00:00.0", [("client", START)], tweet_id("2021-05-04T23:00:00+00:00"), "2021-05-03T11:00:00"),
    # a duration written whole is exact
    ("2-03:00:00.0", [("client", START)], None, "2021-05-05T12:00:00"),
    ("13-12:14:20.0", [("client", START)], None, "2021-05-16T21:14:20"),
    ("13-12:14:20", [("client", START)], None, "2021-05-16T21:14:20"),
    ("0 days 02:00:00", [("client", START)], None, "2021-05-03T11:00:00"),
    # ten days or more with the count cut off and nothing to restore it: untimed, never a guess
    ("-05:00:00.", [("client", START)], None, None),
    ("4-05:00:00", [("client", START)], tweet_id("2021-05-03T12:00:00+00:00"), None),
    # more than 9 days after the last turn cannot be the short form: untimed
    ("01:00:00.0", [("client", START), ("client", "2021-05-20T09:00:00+00:00")], None, None),
])
def test_final_turn_time(tmp_path, duration, turns, final_id, expected):
    got = final_time(tmp_path, record(duration, turns, final_id))
    assert got == (datetime.fromisoformat(expected).replace(tzinfo=UTC) if expected else None)


def test_the_reply_sorts_after_the_message_it_answers_and_latency_counts_the_days(tmp_path):
    rec = record("01:30:00.0", [("client", START), ("client", "2021-05-05T08:00:00+00:00")], None)
    path = tmp_path / "ibm.json"
    path.write_text(json.dumps([rec]))
    (t,) = list(chatqa.load(path))
    assert [m.role.value for m in t.messages] == ["customer", "customer", "agent"]
    assert compute(t).first_response_s == 2 * 86400 + 5400  # 09:00 on the 3rd to 10:30 on the 5th
    result = chatqa.check(t)
    assert "CQ103" not in result.codes  # the agent answered last


def test_a_second_client_key_is_a_bystander(tmp_path):
    rec = record("01:00:00.0", [("client", START), ("client1", "2021-05-03T09:20:00+00:00")], None)
    path = tmp_path / "ibm.json"
    path.write_text(json.dumps([rec]))
    (t,) = list(chatqa.load(path))
    assert [m.bystander for m in t.messages] == [False, True, False]
    assert {p.id: p.bystander for p in t.participants if p.role.value == "customer"} == {
        "a_customer": False, "someone_else": True}
    assert compute(t).first_response_s == 3600  # from the customer's tweet, not the bystander's
