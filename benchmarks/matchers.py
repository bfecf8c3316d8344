"""The one pass that says which phrase patterns may match a conversation, three ways.

    python benchmarks/matchers.py [FILE] [--conversations N]   # default: 3,000 of the 20k corpus

Every phrase pattern of the default pack has an expression over the folded text
(`chatqa.match.scan`) and anchor words, one of which every match holds. Measured on the same
conversations (all their scanned text, folded, as `chatqa.match.Scan` reads it):

* ``anchor-set``: what chatqa does, one literal RE2 set of the anchor words (" word ") over the
  text with every other character a space;
* ``re2-set``: every pattern's expression in one RE2 set over the folded text;
* ``hyperscan``: the same expressions in one Hyperscan database (if `hyperscan` is installed:
  it is not a dependency), one scan per conversation.

For each: compile time, microseconds per conversation (median of --repeats passes), and the
keys flagged. All three are filters that spaCy's Matcher confirms, so they flag more than
matches. The expressions are looser than the anchor words in places (a last word's prefix:
"one mo" in "one month"), so the anchor set may skip a key an expression flags; each such key
is checked with spaCy on every message, and one that spaCy matches would be a match chatqa
misses: it is reported and fails the run.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def texts_of(path: Path, count: int) -> list[list[str]]:
    """The scanned texts (messages and notes) of the first `count` conversations of `path`."""
    from chatqa.inputs import Loader
    from chatqa.match import _SCANNED

    return [[line.text for line in conversation.lines if line.kind in _SCANNED]
            for conversation in itertools.islice(Loader([path]).iter_conversations(), count)]


def timed(func: Callable[[bytes], Any], texts: list[bytes], repeats: int) -> tuple[float, list[Any]]:
    """Median µs per text over `repeats` passes, and the last pass's answers."""
    runs = []
    found: list[Any] = []
    for _ in range(repeats):
        start = time.perf_counter()
        found = [func(t) for t in texts]
        runs.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(runs), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path("/tmp/chatqa-bench/chats-20000.jsonl"))
    parser.add_argument("--conversations", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not args.file.exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "20000", "-o", str(args.file)], check=True)

    import re2

    from chatqa.config import Config
    from chatqa.engine import Engine
    from chatqa.match import _RE2_MEMORY
    from chatqa.match.scan import WORDS, fold

    index = Engine(Config()).index
    index.scan([])  # compile the pack's patterns
    messages = texts_of(args.file, args.conversations)
    texts = [fold("\n".join(m)) for m in messages]
    owner = index._owner
    regexes = [(pid, s.regex) for pid, s in enumerate(index._scanned) if s.regex is not None]
    print(f"{len(texts)} conversations, {sum(map(len, texts)) / len(texts):.0f} bytes of text each; "
          f"{len(owner)} patterns of {len(set(owner))} keys, {len(regexes)} with an expression, "
          f"{len(index._words)} anchor words")
    rows = []

    def report(name: str, compile_s: float, func: Callable[[bytes], Any], keys_of: Callable[[Any], set[str]]
               ) -> list[set[str]]:
        us, found = timed(func, texts, args.repeats)
        keys = [keys_of(f) for f in found]
        rows.append((name, compile_s, us, sum(map(len, keys))))
        return keys

    start = time.perf_counter()
    options = re2.Options()
    options.max_mem = _RE2_MEMORY
    anchors = re2.Set.SearchSet(options)
    for word in index._words:
        anchors.Add(b" " + word + b" ")
    anchors.Compile()
    word_keys, always = index._word_keys, index._always_keys
    by_anchor = report("anchor-set", time.perf_counter() - start,
                       lambda t: anchors.Match(b" " + t.translate(WORDS) + b" "),
                       lambda hits: set(always.union(*[word_keys[i] for i in hits or ()])))

    start = time.perf_counter()
    full = re2.Set.SearchSet(options)
    for _, regex in regexes:
        full.Add(regex.encode())
    full.Compile()
    by_set = report("re2-set", time.perf_counter() - start, full.Match,
                    lambda hits: {owner[regexes[i][0]] for i in hits or ()})

    by_scan = None
    try:
        import hyperscan
    except ImportError:
        rows.append(("hyperscan", None, None, None))
    else:
        start = time.perf_counter()
        db = hyperscan.Database()
        db.compile(expressions=[r.encode() for _, r in regexes], ids=list(range(len(regexes))),
                   elements=len(regexes), flags=[hyperscan.HS_FLAG_ALLOWEMPTY | hyperscan.HS_FLAG_SINGLEMATCH]
                   * len(regexes))
        compile_s = time.perf_counter() - start

        def scan(text: bytes) -> set[int]:
            hits: set[int] = set()
            db.scan(text, match_event_handler=lambda i, *_: hits.add(i))
            return hits

        by_scan = report("hyperscan", compile_s, scan, lambda hits: {owner[regexes[i][0]] for i in hits})

    print(f"\n{'matcher':<12} {'compile s':>10} {'µs/conv':>9} {'keys flagged':>13}")
    for name, compile_s, us, flagged in rows:
        if us is None:
            print(f"{name:<12} {'(not installed: pip install hyperscan)':>34}")
        else:
            print(f"{name:<12} {compile_s:>10.2f} {us:>9.1f} {flagged:>13}")
    if by_scan is not None:
        differ = sum(a != b for a, b in zip(by_set, by_scan, strict=True))
        print(f"re2-set and hyperscan disagree on {differ} conversations")
    skipped = [(i, key) for i, (exact, anchor) in enumerate(zip(by_set, by_anchor, strict=True))
               for key in sorted(exact - anchor)]
    missed = [(i, key) for i, key in skipped
              if any(index.match(text, [key], prefilter=False) for text in messages[i])]
    print(f"keys an expression flags and the anchor set skips: {len(skipped)}; spaCy matches {len(missed)} of them")
    if missed:
        raise SystemExit(f"the anchor set misses matches: {missed[:10]}")


if __name__ == "__main__":
    main()
