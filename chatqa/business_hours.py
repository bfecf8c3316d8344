"""Business hours (SPEC section 4): a team's calendar and the time it was open between two moments.

``[tool.chatqa.business_hours]`` names an IANA time zone, the weekly opening hours (several
intervals a day; an interval whose end is not after its start runs past midnight, e.g.
``"22:00-06:00"``; a day left out or ``"closed"`` is closed) and holidays (dates, closed all
day). `Calendar.open_seconds` measures how long the team was open between two instants by
interval arithmetic per local day: each day's openings are turned into UTC instants once (so
days of 23 or 25 hours at DST changes count their real length) and intersected with the wait.

Conventions: an interval belongs to the day it starts on (a holiday closes the intervals that
start that day, including the part of an overnight one after midnight); an opening time that a
DST change skips opens at the change; a closing time that happens twice closes at the second.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator, model_validator

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
         "saturday": "sat", "sunday": "sun"}
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})")
_EXAMPLE = "09:00-17:00, a list of them, or closed"

Opening = tuple[int, int]  # minutes after the day's midnight: start, end (end up to 48h for overnight ones)


def known_zone(value: str) -> str:
    """`value` when it names an IANA time zone (ValueError otherwise)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (an IANA name such as Europe/London)") from None
    return value


def _minutes(hours: str, minutes: str, text: str, end: bool) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and (m or not end)):
        raise ValueError(f"{text!r} is not a time of day (00:00 to 24:00)")
    return h * 60 + m


def parse_openings(value: Any) -> list[Opening]:
    """A day's openings from ``"09:00-17:00"``, several (a list, or one string separated by
    commas), ``"closed"`` or ``[]``."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError(f"expected opening hours such as {_EXAMPLE}, got {value!r}")
    out: list[Opening] = []
    for item in items:
        if isinstance(item, str) and item.strip().lower() == "closed":
            continue
        match = _INTERVAL.fullmatch(item.strip()) if isinstance(item, str) else None
        if match is None:
            raise ValueError(f"expected opening hours such as {_EXAMPLE}, got {item!r}")
        start = _minutes(match[1], match[2], item, end=False)
        stop = _minutes(match[3], match[4], item, end=True)
        if stop == start:
            raise ValueError(f"{item!r} is empty (the team never opens); for a whole day write 00:00-24:00")
        out.append((start, stop if stop > start else stop + 24 * 60))  # not after the start: the next day
    return _merged(out)


def _merged(openings: Iterable[Opening]) -> list[Opening]:
    out: list[Opening] = []
    for start, end in sorted(openings):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _holiday(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"expected a date such as 2026-12-25, got {value!r}") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"expected a date such as 2026-12-25, got {value!r}")
    return value


Openings = Annotated[list[Opening], BeforeValidator(parse_openings)]
Holiday = Annotated[date, BeforeValidator(_holiday)]


class BusinessHours(BaseModel):
    """A team's opening hours: ``timezone`` (IANA), ``hours`` per weekday, ``holidays``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    hours: dict[str, Openings]
    holidays: list[Holiday] = []

    _known_zone = field_validator("timezone")(lambda cls, value: known_zone(value))

    @field_validator("hours", mode="before")
    @classmethod
    def _day_names(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("expected a table of weekdays, e.g. mon = \"09:00-17:00\"")
        out: dict[str, Any] = {}
        for key, hours in value.items():
            day = str(key).strip().lower()
            day = _FULL.get(day, day)
            if day not in DAYS:
                raise ValueError(f"unknown day {key!r} (days: {', '.join(DAYS)})")
            if day in out:
                raise ValueError(f"{key!r}: {day} is given twice")
            out[day] = hours
        return out

    @model_validator(mode="after")
    def _ever_open(self) -> BusinessHours:
        if not any(self.hours.values()):
            raise ValueError("hours: the team is never open (give at least one day's opening hours)")
        return self

    def calendar(self) -> Calendar:
        """The calendar that measures open time."""
        return Calendar(self)


_ONE_DAY = timedelta(days=1)


class _Day:
    """One local day from `begin` to `finish` (POSIX seconds): its open spans (merged) and the
    open time before each."""

    __slots__ = ("before", "begin", "day", "ends", "finish", "starts", "total")

    def __init__(self, day: date, begin: float, finish: float, spans: list[tuple[float, float]]) -> None:
        self.day, self.begin, self.finish = day, begin, finish
        merged: list[list[float]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.before: list[float] = []
        total = 0.0
        for s, e in merged:
            self.before.append(total)
            total += e - s
        self.total = total

    def until(self, instant: float) -> float:
        """Open seconds of this day before `instant` (an instant of this day)."""
        i = bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0.0
        return self.before[i] + min(instant, self.ends[i]) - self.starts[i]


class Calendar:
    """Open time between two instants under `BusinessHours` (built once per run)."""

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self.tz = ZoneInfo(hours.timezone)
        self.week = tuple(tuple(hours.hours.get(day, ())) for day in DAYS)
        self.holidays = frozenset(hours.holidays)
        self._days: dict[date, tuple[tuple[float, float], ...]] = {}
        self._profiles: dict[date, _Day] = {}
        self._last: _Day | None = None

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds the team was open between `start` and `end` (0 when `end` is not after `start`)."""
        a, b = start.timestamp(), end.timestamp()
        if b <= a:
            return 0.0
        head = self._at(a)
        if b < head.finish:
            return round(head.until(b) - head.until(a), 6)
        tail = self._at(b)
        total = head.total - head.until(a) + tail.until(b)
        day = head.day + _ONE_DAY
        while day < tail.day:  # whole days between (cached totals)
            total += self._local(day).total
            day += _ONE_DAY
        return round(total, 6)

    def _at(self, instant: float) -> _Day:
        """The local day holding `instant` (the last one asked for, most of the time)."""
        last = self._last
        if last is not None and last.begin <= instant < last.finish:
            return last
        self._last = found = self._local(datetime.fromtimestamp(instant, self.tz).date())
        return found

    def _local(self, day: date) -> _Day:
        """The open time within local date `day` (from midnight to midnight), cached."""
        found = self._profiles.get(day)
        if found is None:
            if len(self._profiles) > 50_000:
                self._profiles.clear()
            begin, finish = self._instant(day, 0, fold=0), self._instant(day + _ONE_DAY, 0, fold=0)
            spans = [(max(s, begin), min(e, finish)) for d in (day - 2 * _ONE_DAY, day - _ONE_DAY, day)
                     for s, e in self._day(d) if min(e, finish) > max(s, begin)]  # overnight ones reach in
            found = self._profiles[day] = _Day(day, begin, finish, spans)
        return found

    def _day(self, day: date) -> tuple[tuple[float, float], ...]:
        """The openings that start on local date `day`, as POSIX seconds (cached)."""
        found = self._days.get(day)
        if found is None:
            if len(self._days) > 50_000:
                self._days.clear()
            openings = () if day in self.holidays else self.week[day.weekday()]
            found = self._days[day] = tuple((self._instant(day, s, fold=0), self._instant(day, e, fold=1))
                                            for s, e in openings)
        return found

    def _instant(self, day: date, minutes: int, fold: int) -> float:
        """POSIX seconds of local wall time `minutes` after `day`'s midnight; a wall time a DST
        change skips gives the change itself, a repeated one its `fold` occurrence."""
        days, minute = divmod(minutes, 24 * 60)
        wall = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60, fold=fold), tzinfo=self.tz)
        instant = wall.timestamp()
        if datetime.fromtimestamp(instant, self.tz).replace(tzinfo=None) == wall.replace(tzinfo=None, fold=0):
            return instant
        # In a gap: the change is between the two readings of the wall time; find it to the second.
        low, high = wall.replace(fold=1).timestamp(), wall.replace(fold=0).timestamp()
        low, high = min(low, high), max(low, high)
        offset = datetime.fromtimestamp(low, UTC).astimezone(self.tz).utcoffset()
        while high - low > 1:
            mid = (low + high) // 2
            if datetime.fromtimestamp(mid, UTC).astimezone(self.tz).utcoffset() == offset:
                low = mid
            else:
                high = mid
        return float(high)

    def describe(self) -> str:
        """One line for ``chatqa explain --scoring``."""
        days = []
        for name, openings in zip(DAYS, self.week, strict=True):
            text = ", ".join(f"{s // 60:02d}:{s % 60:02d}-{e // 60 % 24:02d}:{e % 60:02d}" for s, e in openings)
            days.append(f"{name} {text or 'closed'}")
        holidays = f"; {len(self.holidays)} holiday(s)" if self.holidays else ""
        return f"{self.hours.timezone}: {'; '.join(days)}{holidays}"
