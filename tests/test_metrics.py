"""SPEC section 4 metrics, including the edge cases peers get wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import make_transcript

from chatqa.metrics import agents, compute, replies


def test_basic_first_and_later_replies():
    m = compute(make_transcript([
        {"customer": "Hi, my order is late", "at": 0},
        {"agent": "Hi Ann, I'm Sam. Let me check.", "at": 41},
        {"customer": "Thanks", "at": 60},
        {"agent": "It ships today.", "at": 140},
    ]))
    assert m.first_response_s == 41.0
    assert (m.avg_response_s, m.median_response_s, m.max_response_s) == (60.5, 60.5, 80.0)
    assert m.duration_s == 140.0
    assert (m.messages, m.customer_messages, m.agent_messages, m.bot_messages) == (4, 2, 2, 0)


def test_bots_never_answer():
    m = compute(make_transcript([
        {"customer": "Hi", "at": 0},
        {"bot": "A human will be with you shortly", "at": 1},
        {"agent": "Hi, Sam here", "at": 95},
    ]))
    assert m.first_response_s == 95.0
    assert m.bot_messages == 1 and m.messages == 3


def test_system_events_and_internal_notes_never_answer():
    m = compute(make_transcript([
        {"customer": "Hi", "at": 0},
        {"system": "Sam joined the chat", "at": 5},
        {"agent": "VIP, be nice", "at": 10, "internal": True, "kind": "note"},
        {"agent": "whisper as a message", "at": 12, "internal": True},
        {"agent": "Hello!", "at": 70},
    ]))
    assert m.first_response_s == 70.0
    assert m.agent_messages == 1 and m.messages == 2


def test_proactive_greeting_does_not_start_the_clock():
    m = compute(make_transcript([
        {"agent": "Hi there, can I help?", "at": 0},
        {"customer": "Yes, where is my parcel?", "at": 300},
        {"agent": "Let me look", "at": 330},
    ]))
    assert m.first_response_s == 30.0
    assert m.avg_response_s == 30.0


def test_consecutive_customer_messages_measure_from_the_first_unanswered():
    t = make_transcript([
        {"customer": "Hello?", "at": 0},
        {"customer": "Anyone there?", "at": 30},
        {"customer": "???", "at": 60},
        {"agent": "Sorry for the wait", "at": 100},
        {"agent": "How can I help?", "at": 110},
        {"customer": "Refund please", "at": 200},
        {"agent": "Done", "at": 230},
    ])
    pairs = replies(t)
    assert [(p.customer.index, p.agent.index, p.seconds) for p in pairs] == [(0, 3, 100.0), (5, 6, 30.0)]
    m = compute(t)
    assert m.first_response_s == 100.0 and m.max_response_s == 100.0 and m.median_response_s == 65.0


def test_agent_follow_ups_are_not_replies():
    m = compute(make_transcript([
        {"customer": "Hi", "at": 0}, {"agent": "Hello", "at": 10}, {"agent": "Still there?", "at": 500},
    ]))
    assert m.max_response_s == 10.0


def test_no_customer_message_means_no_first_response():
    m = compute(make_transcript([{"agent": "Your ticket was updated", "at": 0}]))
    assert m.first_response_s is None and m.avg_response_s is None
    assert m.duration_s == 0.0


def test_unanswered_customer():
    m = compute(make_transcript([{"customer": "Hello?", "at": 0}, {"bot": "We are closed", "at": 2}]))
    assert m.first_response_s is None and m.median_response_s is None and m.max_response_s is None


def test_formats_without_times_give_none_not_a_crash():
    t = make_transcript([{"customer": "Hi", "at": None}, {"agent": "Hello", "at": None}])
    m = compute(t)
    assert m.first_response_s is None and m.duration_s is None
    assert m.messages == 2
    assert len(replies(t)) == 1 and replies(t)[0].seconds is None


def test_missing_time_on_one_side_of_a_reply():
    m = compute(make_transcript([
        {"customer": "Hi", "at": 0}, {"agent": "Hello", "at": None},
        {"customer": "Order 1", "at": 100}, {"agent": "Found it", "at": 130},
    ]))
    assert m.first_response_s is None
    assert m.avg_response_s == 30.0


def test_duration_ignores_internal_notes_after_the_chat():
    m = compute(make_transcript([
        {"customer": "Hi", "at": 0}, {"agent": "Hello", "at": 20},
        {"agent": "wrap-up note", "at": 4000, "internal": True, "kind": "note"},
    ]))
    assert m.duration_s == 20.0


@pytest.mark.parametrize(("rows", "expected"), [
    ([{"customer": "a"}, {"agent": "b", "author": "sam"}, {"agent": "c", "author": "ana"},
      {"agent": "d", "author": "sam"}], ["sam", "ana"]),
    ([{"customer": "a"}, {"bot": "b"}, {"agent": "c", "author": "ana", "internal": True}], []),
])
def test_agents_are_humans_with_visible_messages(rows, expected):
    assert agents(make_transcript(rows)) == expected


def test_vendor_files_start_and_answer_the_clock():
    """Parsers give attachments kind file; a customer's starts the clock and counts in no message count."""
    import chatqa

    root = Path(__file__).parent.parent / "sample_transcripts"
    zendesk = next(t for t in chatqa.load(root / "zendesk_chat.json") if any(m.kind.value == "file" for m in t.messages))
    pairs = [(c.kind.value, a.sent_at.strftime("%H:%M:%S"), s) for c, a, s in replies(zendesk)]
    # 11:03:30 the customer sends card-error.png, 11:04:10 writes about it: the agent's 11:04:30 answer waited 60 s
    assert pairs == [("message", "11:02:10", 130.0), ("message", "11:03:05", 25.0), ("file", "11:04:30", 60.0)]
    metrics = compute(zendesk)
    assert (metrics.customer_messages, metrics.max_response_s) == (4, 130.0)
    livechat = next(t for t in chatqa.load(root / "livechat_chats.jsonl") if t.id == "SU0A4K7TRE")
    # the customer's photo after the agent's first message is answered about 25 s later
    assert [s for _, _, s in replies(livechat)] == [28.469, 24.681]
    assert compute(livechat).customer_messages == 1
