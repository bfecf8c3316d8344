"""Measure `chatqa check` throughput and memory against merely json-parsing the same file.

    python benchmarks/run.py                       # 20k and 100k conversations, --jobs 1 and 2
    python benchmarks/run.py --sizes 20000 --jobs 1 --repeats 3

For each size the synthetic corpus is generated once (benchmarks/generate.py, cached in
--workdir), then, in the same run: the json-parse baselines (stdlib json and orjson, one
object per line), and `chatqa check FILE --format jsonl -o OUT` in a fresh process per --jobs
value, each --repeats times (the median is reported: the machines are shared and noisy).
Wall time, conversations/s, MB/s, the ratio to json.loads, peak RSS (the process and its
children) and the --jobs 2 speed-up are printed and written to --json, with the median time
of `chatqa --help`.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def corpus(workdir: Path, size: int) -> Path:
    path = workdir / f"chats-{size}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), "-o", str(path)], check=True)
    return path


def baseline(path: Path, loads: str) -> dict[str, float]:
    """Parse every line in a child process (so its memory is measured on its own)."""
    code = (f"import sys, time, {loads.split('.')[0]}\n"
            f"t = time.perf_counter(); n = 0\n"
            f"with open(sys.argv[1], 'rb') as f:\n"
            f"    for line in f:\n"
            f"        {loads}(line); n += 1\n"
            f"print(time.perf_counter() - t, n)")
    return _child([sys.executable, "-c", code, str(path)], parse_output=True)


def check(path: Path, jobs: int, out: Path) -> dict[str, float]:
    cmd = [sys.executable, "-m", "chatqa", "check", str(path), "--format", "jsonl", "-o", str(out)]
    if jobs != 1:
        cmd += ["--jobs", str(jobs)]
    return _child(cmd)


def median_of(repeats: int, measure: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The run with the median time of `repeats` runs of `measure()` (peak RSS: the largest)."""
    runs = sorted((measure() for _ in range(repeats)), key=lambda r: r["seconds"])
    middle = dict(runs[len(runs) // 2])
    middle["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return middle


def help_seconds(repeats: int = 5) -> float:
    """Median wall time of `chatqa --help` (a fresh interpreter each time)."""
    return statistics.median(_child([sys.executable, "-m", "chatqa", "--help"])["wall"] for _ in range(repeats))


def _child(cmd: list[str], parse_output: bool = False) -> dict[str, float]:
    """Run a command; wall time and the peak RSS of that child (via wait4's rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {err.strip()[-500:]}")
    seconds = float(out.split()[0]) if parse_output else wall  # json baselines: the loop alone
    return {"seconds": seconds, "wall": wall, "peak_rss_mb": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/chatqa-bench"))
    parser.add_argument("--repeats", type=int, default=1, help="runs of each measurement (the median is kept)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    machine = {"date": time.strftime("%Y-%m-%d"), "python": platform.python_version(), "cpus": os.cpu_count(),
               "repeats": args.repeats, "help_seconds": round(help_seconds(), 3)}
    print(json.dumps(machine), flush=True)
    rows: list[dict[str, Any]] = []
    for size in args.sizes:
        path = corpus(args.workdir, size)
        mb = path.stat().st_size / 1e6
        std = median_of(args.repeats, functools.partial(baseline, path, "json.loads"))
        fast = median_of(args.repeats, functools.partial(baseline, path, "orjson.loads"))
        row = {"conversations": size, "file_mb": round(mb, 1),
               "json_conv_s": round(size / std["seconds"]), "orjson_conv_s": round(size / fast["seconds"])}
        for jobs in args.jobs:
            out = args.workdir / f"out-{size}-{jobs}.jsonl"
            result = median_of(args.repeats, functools.partial(check, path, jobs, out))
            row[f"jobs{jobs}_seconds"] = round(result["wall"], 2)
            row[f"jobs{jobs}_conv_s"] = round(size / result["wall"])
            row[f"jobs{jobs}_mb_s"] = round(mb / result["wall"], 1)
            row[f"jobs{jobs}_peak_rss_mb"] = round(result["peak_rss_mb"])
        row["vs_json"] = round(std["seconds"] and row[f"jobs{args.jobs[0]}_seconds"] / std["seconds"], 1)
        row["vs_orjson"] = round(row[f"jobs{args.jobs[0]}_seconds"] / fast["seconds"], 1)
        if 1 in args.jobs and 2 in args.jobs:
            row["jobs2_speedup"] = round(row["jobs1_seconds"] / row["jobs2_seconds"], 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "runs": rows}, indent=1) + "\n")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"(benchmark driver peak RSS {ru.ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
