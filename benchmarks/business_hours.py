"""What a business-hours calendar costs: `Calendar.open_seconds` calls per second on waits of a
few seconds to several days, and a whole run with and without a calendar.

    python benchmarks/business_hours.py [FILE] [--conversations N]   # default: 5,000 generated chats

The calendar is Europe/London, weekdays 08:00-18:00 with a lunch break, Saturday mornings,
an overnight Friday shift and two holidays: several intervals a day, DST changes in range.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chatqa.business_hours import BusinessHours
from chatqa.config import Config
from chatqa.run import Run, engine_for

HOURS = {"timezone": "Europe/London", "holidays": ["2026-03-30", "2026-12-25"],
         "hours": {"mon": "08:00-12:00, 13:00-18:00", "tue": "08:00-12:00, 13:00-18:00",
                   "wed": "08:00-12:00, 13:00-18:00", "thu": "08:00-12:00, 13:00-18:00",
                   "fri": ["08:00-12:00", "13:00-18:00", "22:00-02:00"], "sat": "09:00-13:00"}}


def calls_per_second(n: int = 200_000) -> dict[str, float]:
    """open_seconds calls per second by length of wait (a fresh calendar: its day cache fills as it goes)."""
    rng = random.Random(7)
    out = {}
    for label, longest in (("seconds", 300), ("hours", 8 * 3600), ("days", 5 * 86400)):
        calendar = BusinessHours.model_validate(HOURS).calendar()
        base = datetime(2026, 1, 1, tzinfo=UTC)
        pairs = []
        for _ in range(n):
            start = base + timedelta(seconds=rng.randrange(365 * 86400))
            pairs.append((start, start + timedelta(seconds=rng.randrange(longest))))
        began = time.perf_counter()
        for a, b in pairs:
            calendar.open_seconds(a, b)
        out[label] = n / (time.perf_counter() - began)
    return out


def run_seconds(path: Path, config: Config) -> float:
    engine = engine_for(config)
    began = time.perf_counter()
    for _ in Run([path], engine):
        pass
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--conversations", type=int, default=5000)
    args = parser.parse_args()
    for label, rate in calls_per_second().items():
        print(f"open_seconds, waits of {label:<8} {rate:12,.0f} calls/s")
    path = args.file
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="chatqa-bh-")) / "chats.jsonl"
        subprocess.run([sys.executable, str(Path(__file__).parent / "generate.py"), str(args.conversations),
                        "-o", str(path), "--seed", "7"], check=True)
    timing = Config(select=["CQ1"])
    plain = min(run_seconds(path, timing) for _ in range(2))
    hours = min(run_seconds(path, timing.model_copy(update={"business_hours": BusinessHours.model_validate(HOURS)}))
                for _ in range(2))
    print(f"run of {path.name}, timing rules only: {plain:.2f}s without a calendar, {hours:.2f}s with one "
          f"({(hours / plain - 1) * 100:+.0f}%)")


if __name__ == "__main__":
    main()
