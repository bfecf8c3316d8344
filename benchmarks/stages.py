"""Where one process spends its time per conversation: reading and parsing, checking (`map`),
the run-level fold and spill, completing, and writing JSONL.

    python benchmarks/stages.py [FILE]      # default: the 20k corpus of benchmarks/run.py

CPU time per stage, in microseconds per conversation, measured around each call in one run
of `Engine.reduce` over a Loader (the work of `chatqa check FILE --format jsonl -o OUT`).
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path("/tmp/chatqa-bench/chats-20000.jsonl"))
    args = parser.parse_args()
    if not args.file.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "20000", "-o", str(args.file)], check=True)

    from chatqa import engine as engine_module
    from chatqa.engine import Engine, Spill
    from chatqa.outputs import JsonlWriter
    from chatqa.parsers import Loader

    spent: dict[str, float] = {}

    def timed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.process_time()
            try:
                return func(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - start
        return wrapper


    engine = Engine()
    inside: dict[str, float] = {}

    def within(name: str, func: Callable[..., Any], collect: bool = False) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            start = time.process_time()
            try:
                return list(func(*a, **k)) if collect else func(*a, **k)  # checks are generators
            finally:
                inside[name] = inside.get(name, 0.0) + time.process_time() - start
        return wrapper

    for rule in engine.rules:
        for method in ("applies", "check", "note"):
            object.__setattr__(rule, method, within(f"{rule.code} {rule.name}", getattr(rule, method),
                                                    collect=method == "check"))
    engine_module.Facts = within("facts and metrics", engine_module.Facts)  # type: ignore[misc]
    engine_module.compute = within("facts and metrics", engine_module.compute)
    engine.map = timed("check (map: every rule but the run-level ones)", engine.map)  # type: ignore[method-assign]
    engine.observe = timed("fold run-level notes", engine.observe)  # type: ignore[method-assign]
    engine.complete = timed("complete (run-level rules, score)", engine.complete)  # type: ignore[method-assign]
    Spill.write = timed("spill write", Spill.write)  # type: ignore[method-assign]
    engine_module.pickle.loads = timed("spill read", engine_module.pickle.loads)  # type: ignore[attr-defined]
    loader = Loader([args.file])
    writer = JsonlWriter(io.BytesIO())

    def transcripts() -> Iterator[Any]:
        items = iter(loader)
        while True:
            start = time.process_time()
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                spent["read and parse"] = spent.get("read and parse", 0.0) + time.process_time() - start
            yield item

    start = time.process_time()
    for result in engine.run(transcripts(), keep_transcripts=False):
        t = time.process_time()
        writer.write(result)
        spent["write JSONL"] = spent.get("write JSONL", 0.0) + time.process_time() - t
    total = time.process_time() - start
    n = loader.conversations
    print(f"{n} conversations, {total:.1f} s CPU, {n / total:.0f} conversations/s")
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / n * 1e6:7.1f} us  {name}")
    print(f"  {(total - sum(spent.values())) / n * 1e6:7.1f} us  other")
    print("inside check (a rule includes the phrase matching it triggers; the first phrase rule also")
    print("collects the words of every message, which all phrase rules share):")
    for name, seconds in sorted(inside.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds / n * 1e6:7.1f} us  {name}")


if __name__ == "__main__":
    main()
