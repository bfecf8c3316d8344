"""The shared normalisation path: times, text, HTML, ordering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chatqa.errors import ParseError
from chatqa.model import Role
from chatqa.normalize import RawMessage, clean_text, html_to_text, normalise, parse_time

UTC_NOON = datetime(2020, 5, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [
    1590667200,                        # epoch seconds
    1590667200.0,
    "1590667200",
    1590667200000,                     # epoch milliseconds
    "1590667200000",
    1590667200000000,                  # epoch microseconds
    "2020-05-28T12:00:00Z",
    "2020-05-28T12:00:00.000000Z",
    "2020-05-28T14:00:00+02:00",       # offsets honoured
    "2020-05-28 12:00:00.000+0000",    # LivePerson style
    "2020-05-28T12:00:00",             # naive = UTC
    "Thu May 28 12:00:00 +0000 2020",  # Twitter
    "Thu, 28 May 2020 08:00:00 -0400",  # RFC 2822
])
def test_parse_time_forms(value):
    assert parse_time(value) == UTC_NOON


def test_parse_time_result_is_utc_aware():
    when = parse_time("2020-05-28T14:00:00+02:00")
    assert when.tzinfo is UTC and when.utcoffset() == timedelta(0)


def test_naive_times_use_the_given_zone():
    assert parse_time("2020-05-28 14:00:00", tz=ZoneInfo("Europe/Berlin")) == UTC_NOON
    assert parse_time("2020-05-28 14:00:00+00:00", tz=ZoneInfo("Europe/Berlin")) == UTC_NOON.replace(hour=14)


def test_epoch_magnitude_boundary():
    # 1e11 seconds would be the year 5138: anything that large is milliseconds; below it, seconds
    # beyond 250 years from 1970 are no chat's time.
    with pytest.raises(ValueError, match="out of range"):
        parse_time(99_999_999_999)
    assert parse_time(100_000_000_000) == datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)
    assert parse_time(7_000_000_000).year == 2191


@pytest.mark.parametrize("value", [None, "", "  ", "undefined", "null"])
def test_missing_times(value):
    assert parse_time(value) is None


@pytest.mark.parametrize("value", ["yesterday", "2020-13-45", True, float("nan"), float("inf"), [1], {"a": 1},
                                   10**30, 10**20, "1e400"])
def test_bad_times_raise_value_error(value):
    with pytest.raises(ValueError):
        parse_time(value)


def test_explicit_format_first_then_auto():
    assert parse_time("28/05/2020 12:00", fmt="%d/%m/%Y %H:%M") == UTC_NOON
    assert parse_time("2020-05-28T12:00:00Z", fmt="%d/%m/%Y %H:%M") == UTC_NOON


def test_datetime_values_are_made_utc():
    assert parse_time(datetime(2020, 5, 28, 14, tzinfo=timezone(timedelta(hours=2)))) == UTC_NOON
    assert parse_time(datetime(2020, 5, 28, 12)) == UTC_NOON


@pytest.mark.parametrize(("raw", "clean"), [
    ("  hello   world ", "hello world"),
    ("a\r\nb\rc\n\n\nd", "a\nb\nc\nd"),
    ("tab\there\u00a0nbsp", "tab here nbsp"),
    ("bell\x07 and \x1b[31mred", "bell and [31mred"),
    ("zero\u200bwidth", "zerowidth"),
    ("already clean", "already clean"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize(("html", "text"), [
    ("<p>Hello &amp; welcome</p><p>Second<br>line</p>", "Hello & welcome\nSecond\nline"),
    ("<p>See <a href='https://x.example'>this page</a>.</p>", "See this page."),
    ("<div>one</div>two<ul><li>a</li><li>b</li></ul>", "one\ntwo\na\nb"),
    ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
    ("<img src='a.png' alt='screenshot'> attached", "screenshot attached"),
    ("5 &lt; 6 &gt; 4 &quot;ok&quot; &#39;yes&#39; caf&eacute;", "5 < 6 > 4 \"ok\" 'yes' café"),
    ("plain text, no markup", "plain text, no markup"),
    ("a < b and c > d", "a < b and c > d"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
    ("", ""),
])
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def _raw(role, time, text="x", **kw):
    return RawMessage(role=Role(role), time=time, text=text, **kw)


def build_transcript(*, messages, **fields):
    """The normalisation path every parser takes, its result as a public Transcript."""
    return normalise(lines=messages, **fields).transcript()


def test_stable_sort_keeps_export_order_on_ties():
    t = build_transcript(id="1", vendor="v", source="s", messages=[
        _raw("agent", 20, "third"), _raw("customer", 10, "first"), _raw("agent", 10, "second"),
    ])
    assert [m.text for m in t.messages] == ["first", "second", "third"]
    assert [m.index for m in t.messages] == [0, 1, 2]


def test_seq_breaks_ties_before_export_order():
    t = build_transcript(id="1", vendor="v", source="s", messages=[
        _raw("agent", 10, "b", seq=2), _raw("customer", 10, "a", seq=1),
    ])
    assert [m.text for m in t.messages] == ["a", "b"]


def test_untimed_messages_stay_after_their_predecessor():
    t = build_transcript(id="1", vendor="v", source="s", messages=[
        _raw("customer", 30, "late"), _raw("agent", None, "after late"), _raw("customer", 10, "early"),
    ])
    assert [m.text for m in t.messages] == ["early", "late", "after late"]
    assert t.messages[2].sent_at is None


def test_formats_without_times_keep_export_order():
    t = build_transcript(id="1", vendor="v", source="s", messages=[_raw("customer", None, str(i)) for i in range(5)])
    assert [m.text for m in t.messages] == ["0", "1", "2", "3", "4"]
    assert t.started_at is None and t.ended_at is None


def test_bad_time_is_a_parse_error_with_the_message_locator():
    with pytest.raises(ParseError) as err:
        build_transcript(id="1", vendor="v", source="s", messages=[_raw("customer", "soon", loc="messages[0]")])
    assert err.value.locator == "messages[0]"
    assert "bad time" in err.value.reason


@pytest.mark.parametrize("bad_id", [None, "", "  ", {"a": 1}, [1], True])
def test_conversation_needs_an_id(bad_id):
    with pytest.raises(ParseError, match="no id"):
        build_transcript(id=bad_id, vendor="v", source="s", messages=[])


def test_bot_ids_relabel_agents():
    t = build_transcript(id="1", vendor="v", source="s", bot_ids=frozenset({"helperbot"}), messages=[
        _raw("agent", 1, author_id="helperbot"), _raw("agent", 2, author_id="sam"),
    ])
    assert [m.role for m in t.messages] == [Role.BOT, Role.AGENT]
    assert {p.id: p.role for p in t.participants} == {"helperbot": Role.BOT, "sam": Role.AGENT}


@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+05:00",
                                   "Fri Dec 31 23:59:59 -2359 9999"])
def test_a_time_that_overflows_in_utc_is_a_bad_time_not_a_crash(value):
    with pytest.raises(ValueError, match="out of range"):
        parse_time(value)
