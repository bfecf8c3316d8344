"""Business-hours calendars (SPEC section 4): open time between two instants, across DST changes,
overnight closures and openings, weekends, holidays; config errors; the *_bh_s metrics."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import chatqa
from chatqa.business_hours import BusinessHours, Calendar
from chatqa.cli import main
from chatqa.config import load_config
from chatqa.errors import ConfigError

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")
WEEKDAYS = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def calendar(zone: str = "UTC", hours: dict | None = None, holidays: list | None = None) -> Calendar:
    return BusinessHours(timezone=zone, hours=WEEKDAYS if hours is None else hours,
                         holidays=holidays or []).calendar()


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)


def test_weekend_does_not_count():
    # Friday 16:30 to Monday 09:30 (2026-03-06 is a Friday): 30 minutes each side of the weekend
    cal = calendar("Europe/Berlin")
    berlin = ZoneInfo("Europe/Berlin")
    assert cal.open_seconds(at(berlin, 2026, 3, 6, 16, 30), at(berlin, 2026, 3, 9, 9, 30)) == 3600


def test_spring_forward_london_counts_local_opening_hours():
    # every day 09:00-17:00 London; Sat 28 March 2026 16:00 GMT -> Sun 29 March 10:00 BST (clocks
    # went forward at 01:00): one hour each day; measured in UTC hours it would be one
    cal = calendar("Europe/London", {d: "09:00-17:00" for d in ("sat", "sun")})
    assert cal.open_seconds(at(LONDON, 2026, 3, 28, 16), at(LONDON, 2026, 3, 29, 10)) == 7200
    whole_day = calendar("Europe/London", {"sun": "00:00-24:00"})
    assert whole_day.open_seconds(at(LONDON, 2026, 3, 28), at(LONDON, 2026, 3, 31)) == 23 * 3600


def test_fall_back_london_day_is_25_hours():
    cal = calendar("Europe/London", {"sun": "00:00-24:00"})
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)  # Sat 23:00 BST
    end = datetime(2026, 10, 26, 1, 0, tzinfo=UTC)  # Mon 01:00 GMT
    assert cal.open_seconds(start, end) == 25 * 3600


def test_new_york_opening_time_skipped_by_the_change_opens_at_the_change():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; "02:30-04:00" opens at 03:00 EDT: one hour
    cal = calendar("America/New_York", {"sun": "02:30-04:00"})
    assert cal.open_seconds(at(NEW_YORK, 2026, 3, 7, 12), at(NEW_YORK, 2026, 3, 9, 12)) == 3600


def test_new_york_repeated_hour_counts_twice():
    # 2026-11-01: 02:00 EDT goes back to 01:00 EST; "00:00-03:00" that night lasts four hours
    cal = calendar("America/New_York", {"sun": "00:00-03:00"})
    assert cal.open_seconds(at(NEW_YORK, 2026, 10, 31, 12), at(NEW_YORK, 2026, 11, 2, 12)) == 4 * 3600
    # a wait across the change during weekday hours: Fri 16:00 EDT -> Mon 10:00 EST = 1h + 1h
    weekdays = calendar("America/New_York")
    assert weekdays.open_seconds(at(NEW_YORK, 2026, 10, 30, 16), at(NEW_YORK, 2026, 11, 2, 10)) == 7200


def test_overnight_closure():
    cal = calendar("UTC", {d: "06:00-22:00" for d in ("mon", "tue", "wed", "thu", "fri")})
    # Tue 21:50 -> Wed 06:10: ten minutes before closing, ten after opening
    assert cal.open_seconds(at(UTC, 2026, 3, 3, 21, 50), at(UTC, 2026, 3, 4, 6, 10)) == 1200


def test_overnight_opening_runs_past_midnight_and_belongs_to_its_start_day():
    cal = calendar("UTC", {"fri": "22:00-06:00"})
    # Sat 05:00 -> Sat 07:00: the Friday night shift is still on until 06:00
    assert cal.open_seconds(at(UTC, 2026, 3, 7, 5), at(UTC, 2026, 3, 7, 7)) == 3600
    # Friday a holiday: its night shift is off too
    off = calendar("UTC", {"fri": "22:00-06:00"}, holidays=["2026-03-06"])
    assert off.open_seconds(at(UTC, 2026, 3, 6, 12), at(UTC, 2026, 3, 7, 12)) == 0


def test_overlapping_overnight_and_morning_openings_count_once():
    cal = calendar("UTC", {"mon": "20:00-02:00", "tue": "00:00-01:00, 08:00-09:00"})
    assert cal.open_seconds(at(UTC, 2026, 3, 2, 12), at(UTC, 2026, 3, 3, 12)) == 7 * 3600


def test_holidays_and_several_closed_days():
    # Wed 23 Dec 16:00 -> Mon 28 Dec 10:00, 24-25 Dec holidays, 26-27 the weekend: 1h + 1h
    cal = calendar("Europe/London", holidays=["2026-12-24", date(2026, 12, 25)])
    assert cal.open_seconds(at(LONDON, 2026, 12, 23, 16), at(LONDON, 2026, 12, 28, 10)) == 7200


def test_conversation_that_starts_while_closed():
    cal = calendar("UTC")
    assert cal.open_seconds(at(UTC, 2026, 3, 7, 10), at(UTC, 2026, 3, 9, 9, 5)) == 300  # Sat -> Mon 09:05
    assert cal.open_seconds(at(UTC, 2026, 3, 7, 10), at(UTC, 2026, 3, 8, 18)) == 0  # asked and answered at the weekend
    assert cal.open_seconds(at(UTC, 2026, 3, 2, 17), at(UTC, 2026, 3, 3, 9)) == 0  # closing time to opening time
    assert cal.open_seconds(at(UTC, 2026, 3, 2, 10), at(UTC, 2026, 3, 2, 10)) == 0  # no wait at all


def test_long_waits_are_exact():
    cal = calendar("UTC")
    # four full weeks plus Monday 09:00-10:00: 20 working days of 8 hours, and one hour
    assert cal.open_seconds(at(UTC, 2026, 3, 2, 9), at(UTC, 2026, 3, 30, 10)) == 20 * 8 * 3600 + 3600


OPENINGS = st.lists(st.tuples(st.integers(3 * 60, 22 * 60), st.integers(10, 6 * 60)), max_size=3)
NIGHTS = st.sampled_from([None, "22:00-04:00", "23:30-05:00", "20:00-06:00"])


@settings(max_examples=80, deadline=None)
@given(zone=st.sampled_from(["Europe/London", "America/New_York", "UTC", "Asia/Kolkata", "Australia/Sydney"]),
       week=st.lists(st.tuples(OPENINGS, NIGHTS), min_size=7, max_size=7),
       start=st.integers(0, 400 * 24 * 60), length=st.integers(0, 3 * 24 * 60), holiday=st.integers(-1, 3))
def test_same_as_counting_minutes(zone, week, start, length, holiday):
    """The interval arithmetic equals a minute-by-minute count, overnight openings, holidays and DST
    changes included (openings start and end away from the small hours DST moves)."""
    hours = {}
    for day, (openings, night) in zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), week, strict=True):
        hours[day] = [f"{s // 60:02d}:{s % 60:02d}-{min(s + n, 1440) // 60:02d}:{min(s + n, 1440) % 60:02d}"
                      for s, n in openings if min(s + n, 1440) > s] + ([night] if night else [])
    if not any(hours.values()):
        hours["mon"] = ["09:00-17:00"]
    a = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start)
    b = a + timedelta(minutes=length)
    tz = ZoneInfo(zone)
    off = a.astimezone(tz).date() + timedelta(days=holiday)
    cal = calendar(zone, hours, holidays=[off])
    expected = 0
    for i in range(length):
        local = (a + timedelta(minutes=i)).astimezone(tz)
        minute = local.hour * 60 + local.minute
        today, yesterday = local.date(), local.date() - timedelta(days=1)
        if (today != off and any(s <= minute < e for s, e in cal.week[today.weekday()])) or (
                yesterday != off and any(s <= minute + 1440 < e for s, e in cal.week[yesterday.weekday()])):
            expected += 60
    assert cal.open_seconds(a, b) == expected


@pytest.mark.parametrize(("table", "error"), [
    ('timezone = "Mars/Olympus"\nhours = {mon = "09:00-17:00"}',
     "business_hours.timezone: unknown time zone 'Mars/Olympus' (an IANA name such as Europe/London)"),
    ('hours = {mon = "09:00-17:00"}', "business_hours.timezone: Field required"),
    ('timezone = "UTC"\nhours = {mnday = "09:00-17:00"}',
     "business_hours.hours: unknown day 'mnday' (days: mon, tue, wed, thu, fri, sat, sun)"),
    ('timezone = "UTC"\nhours = {mon = "9-5"}',
     "business_hours.hours.mon: expected opening hours such as 09:00-17:00, a list of them, or closed, got '9-5'"),
    ('timezone = "UTC"\nhours = {mon = "09:00-25:00"}',
     "business_hours.hours.mon: '09:00-25:00' is not a time of day (00:00 to 24:00)"),
    ('timezone = "UTC"\nhours = {mon = "09:00-09:00"}',
     "business_hours.hours.mon: '09:00-09:00' is empty (the team never opens); for a whole day write 00:00-24:00"),
    ('timezone = "UTC"\nhours = {sat = "closed", sun = []}',
     "business_hours: hours: the team is never open (give at least one day's opening hours)"),
    ('timezone = "UTC"\nhours = {mon = "09:00-17:00"}\nholidays = ["xmas"]',
     "business_hours.holidays[0]: expected a date such as 2026-12-25, got 'xmas'"),
    ('timezone = "UTC"\nhours = {mon = "09:00-17:00"}\nopen = "always"', "business_hours.open: unknown key"),
])
def test_config_errors_name_the_key(tmp_path: Path, table: str, error: str):
    path = tmp_path / "chatqa.toml"
    path.write_text("[business_hours]\n" + table + "\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == f"{path}: error: {error}"


def test_config_table_with_full_day_names_lists_and_toml_dates(tmp_path: Path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.chatqa.business_hours]\ntimezone = "Europe/London"\nholidays = [2026-12-25]\n'
                    '[tool.chatqa.business_hours.hours]\nMonday = ["08:00-12:00", "13:00-17:30"]\n'
                    'friday = "08:00-12:00, 13:00-16:00"\nsaturday = "closed"\n')
    hours = load_config(path).business_hours
    assert hours is not None
    assert hours.hours == {"mon": [(480, 720), (780, 1050)], "fri": [(480, 720), (780, 960)], "sat": []}
    assert hours.holidays == [date(2026, 12, 25)]


CONV = {"id": "c-1", "messages": [
    {"role": "customer", "author": "Ann", "time": "2026-03-06T16:59:00Z", "text": "Is my refund on its way?"},
    {"role": "agent", "author": "Sam", "time": "2026-03-09T09:00:30Z", "text": "Yes, it left on Friday"},
    {"role": "customer", "author": "Ann", "time": "2026-03-09T09:01:00Z", "text": "Great, and the voucher?"},
    {"role": "agent", "author": "Sam", "time": "2026-03-09T09:05:00Z", "text": "Sent as well"},
]}
CALENDAR = ('[business_hours]\ntimezone = "UTC"\n'
            'hours = {mon = "09:00-17:00", tue = "09:00-17:00", wed = "09:00-17:00", thu = "09:00-17:00", '
            'fri = "09:00-17:00"}\n')


def test_cli_reports_and_judges_business_hours(tmp_path: Path):
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(CONV) + "\n")
    plain = CliRunner().invoke(main, ["check", str(source), "--format", "jsonl"], catch_exceptions=False)
    row = json.loads(plain.stdout)
    assert "first_response_bh_s" not in row["metrics"]  # without a calendar nothing changes
    assert [f["code"] for f in row["findings"] if f["code"].startswith("CQ10")] == ["CQ101", "CQ102"]
    config = tmp_path / "chatqa.toml"
    config.write_text(CALENDAR)
    result = CliRunner().invoke(main, ["check", str(source), "--format", "jsonl", "--config", str(config)],
                                catch_exceptions=False)
    row = json.loads(result.stdout)
    metrics = row["metrics"]
    assert (metrics["first_response_s"], metrics["first_response_bh_s"]) == (230490.0, 90.0)
    assert (metrics["avg_response_bh_s"], metrics["max_response_bh_s"]) == (165.0, 240.0)
    assert metrics["max_response_s"] == 230490.0  # the all-hours figures stay
    codes = [f for f in row["findings"] if f["code"].startswith("CQ10")]
    assert [(f["code"], f["level"]) for f in codes] == [("CQ101", "warning"), ("CQ102", "warning")]
    assert codes[0]["message"] == "First reply took 1m 30s of business hours (target 1m 00s on chat)."
    explained = CliRunner().invoke(main, ["explain", "--scoring", "--config", str(config)]).stdout
    assert "judged in business hours (UTC: mon 09:00-17:00" in explained
    assert "CQ101 slow-first-reply: first_response_bh_s" in explained
    assert "judged in all hours" in CliRunner().invoke(main, ["explain", "--scoring"]).stdout


def _transcript(tmp_path: Path, record: dict) -> chatqa.Transcript:
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(record) + "\n")
    return next(iter(chatqa.load(source)))


def test_dataframe_columns_with_and_without_a_calendar(tmp_path: Path):
    transcript = _transcript(tmp_path, CONV)
    report = chatqa.analyze(transcript)
    frame = report.conversations
    assert str(frame["first_response_bh_s"].dtype) == "float64" and frame["first_response_bh_s"].isna().all()
    hours = {"timezone": "UTC", "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
    frame = chatqa.analyze(transcript, config={"business_hours": hours}).conversations
    assert frame.loc[0, ["first_response_bh_s", "avg_response_bh_s", "max_response_bh_s"]].tolist() == [90, 165, 240]
    result = chatqa.check(transcript, config={"business_hours": hours})
    assert result.metrics.first_response_bh_s == 90.0


def test_no_reply_gives_none_with_a_calendar(tmp_path: Path):
    transcript = _transcript(tmp_path, {"id": "x", "messages": CONV["messages"][:1]})
    hours = {"timezone": "UTC", "hours": {"mon": "09:00-17:00"}}
    record = chatqa.check(transcript, config={"business_hours": hours}).json()
    metrics = json.loads(record)["metrics"]
    assert metrics["first_response_bh_s"] is None and metrics["max_response_bh_s"] is None


def test_a_social_reply_is_timed_in_business_hours_from_the_post_that_waited():
    from chatqa.testing import transcript

    # Mon 2026-03-02 09:00 UTC + offsets: praise at 16:00, a question at 16:30, the team (open
    # 09:00-17:00) answers on Tuesday at 10:00: 30 min on Monday + 1 h on Tuesday of open time.
    thread = transcript([
        {"customer": "@brand where is my parcel", "at": "6h"},
        {"agent": "@cust out for delivery today", "at": "6h30m"},
        {"customer": "@brand you guys are amazing", "at": "7h"},
        {"customer": "@brand can I pick it up instead?", "at": "7h30m"},
        {"agent": "@cust yes, from the depot", "at": "25h"},
    ], channel="social")
    hours = {"timezone": "UTC", "hours": {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri")}}
    found = [f for f in chatqa.check(thread, config={"business_hours": hours}).findings if f.code == "CQ102"]
    assert [f.message for f in found] == [
        "Reply took 1h 30m of business hours after the customer's message (target 1h 00m on social)."]
