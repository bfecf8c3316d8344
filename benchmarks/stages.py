"""Where one process spends its time per conversation, stage by stage, against json.loads of
the same lines in the same run.

    python benchmarks/stages.py [FILE] [--conversations N]   # default: 6,000 of the 20k corpus

The stages of `chatqa check FILE --format jsonl -o OUT` (see `chatqa.run`), each timed on
its own over the same conversations: read + parse + normalise into light records; map
(`Engine.map`), also broken down into the timing facts and metrics, the phrase scan, every
local rule and every run-level rule's note; the spill's encode and decode; the fold of the
notes and the run-level finish; complete (score); the JSONL line. Microseconds per
conversation (wall time, collections as in a run), after a warm-up of the rules' caches.
"""

from __future__ import annotations

import argparse
import collections
import io
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path("/tmp/chatqa-bench/chats-20000.jsonl"))
    parser.add_argument("--conversations", type=int, default=6000)
    args = parser.parse_args()
    if not args.file.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "20000", "-o", str(args.file)], check=True)

    from chatqa.config import Config
    from chatqa.engine import Engine
    from chatqa.inputs import Loader
    from chatqa.kinds import Context
    from chatqa.metrics import Facts, compute
    from chatqa.run import collect_less
    from chatqa.write.lines import JsonlWriter

    engine = Engine(Config())
    clock = time.perf_counter
    collect_less()
    n = args.conversations
    rows: list[tuple[str, float]] = []

    def stage(name: str, start: float) -> None:
        rows.append((name, (clock() - start) / n * 1e6))

    start = clock()
    conversations = list(itertools.islice(Loader([args.file]).iter_conversations(), n))
    n = len(conversations)
    stage("read + parse + normalise", start)
    for c in conversations[: min(2000, n)]:  # warm-up: spaCy's vocabulary, the rules' caches
        engine.map(c)

    start = clock()
    partials = [engine.map(c) for c in conversations]
    stage("map: facts, scan, every rule (run-level ones take notes)", start)

    inside: collections.Counter[str] = collections.Counter()
    for c in conversations:
        t0 = clock()
        engine.index.refresh()
        facts = Facts(c.lines)
        metrics = compute(c, facts)
        t1 = clock()
        ctx = Context(c, metrics, engine.index, facts)
        _ = ctx.scan
        t2 = clock()
        inside["  facts + metrics"] += t1 - t0
        inside["  phrase scan (which keys may match)"] += t2 - t1
        for rule in engine.local_rules:
            t = clock()
            if rule.applies(ctx):
                list(rule.check(ctx))
            inside[f"  {rule.code} {rule.name}"] += clock() - t
        for rule in engine.corpus_rules:
            t = clock()
            rule.note(ctx)
            inside[f"  {rule.code} {rule.name} (note)"] += clock() - t
    for name, seconds in inside.most_common():
        rows.append((name, seconds / n * 1e6))

    start = clock()
    encoded = [engine.encode(p) for p in partials]
    stage("spill: encode", start)
    start = clock()
    decoded = [engine.decode(b) for b in encoded]
    stage("spill: decode", start)
    start = clock()
    states = engine.new_states()
    for p in decoded:
        engine.observe(p.notes, states)
    corpus = engine.finish(states)
    stage("fold notes + finish the run-level rules", start)
    start = clock()
    results = [engine.complete(p, corpus) for p in decoded]
    stage("complete (run-level findings, score)", start)
    start = clock()
    writer = JsonlWriter(io.BytesIO())
    for r in results:
        writer.write(r)
    stage("write JSONL", start)

    with args.file.open("rb") as f:
        lines = list(itertools.islice(f, n))
    start = clock()
    for line in lines:
        json.loads(line)
    stage("json.loads of the same lines", start)

    baseline = rows[-1][1]
    total = sum(us for name, us in rows[:-1] if not name.startswith("  ") and name != rows[-1][0])
    width = max(len(name) for name, _ in rows)
    print(f"{n} conversations of {args.file.name}, µs per conversation\n")
    for name, us in rows:
        print(f"{name:<{width}} {us:8.1f}")
    print(f"{'end to end (the stages above)':<{width}} {total:8.1f}  = {1e6 / total:,.0f} conv/s, "
          f"{total / baseline:.1f}x json.loads")


if __name__ == "__main__":
    main()
