"""Agent concurrency: the bounded-memory sweep equals a direct count, in memory and spilled."""

from __future__ import annotations

import bisect
import pickle
import random

import pytest

from chatqa.kinds.intervals import Interval, Intervals, Peaks


def reference_peak(target: Interval, intervals: list[Interval]) -> tuple[int, str, tuple[str, ...]]:
    """The definition, conversation by conversation: every other interval of each agent that
    overlaps (closed) the target, swept by clipped time with starts before ends."""
    by_agent: dict[str, list[tuple[float, float, str, str]]] = {}
    for it in intervals:
        for agent in dict.fromkeys(it.agents):
            by_agent.setdefault(agent, []).append((it.start, it.end, it.source, it.id))
    start, end = target.start, target.end
    best = (1, target.agents[0], ())
    for agent in target.agents:
        items = sorted(by_agent.get(agent, []))
        upto = bisect.bisect_right(items, (end, float("inf"), "", ""))
        others = [it for it in items[:upto] if it[1] >= start and it[2] != target.source]
        events = sorted([(max(s, start), 0, i) for i, (s, _, _, _) in enumerate(others)]
                        + [(min(e, end), 1, i) for i, (_, e, _, _) in enumerate(others)])
        open_now: set[int] = set()
        for _, kind, i in events:
            if kind == 0:
                open_now.add(i)
                if len(open_now) + 1 > best[0]:
                    best = (len(open_now) + 1, agent, tuple(sorted(others[j][3] for j in open_now)))
            else:
                open_now.discard(i)
    return best


def random_intervals(rng: random.Random, n: int) -> list[Interval]:
    agents = [f"agent{k}" for k in range(4)]
    out = []
    for i in range(n):
        start = float(rng.randint(0, 200))  # coarse times: many exact ties and touching ends
        end = start + rng.choice([0, 5, 10, 10, 30, 60])
        names = tuple(rng.sample(agents, rng.choice([1, 1, 1, 2])))
        out.append(Interval(start, end, f"f.jsonl#L{i}", f"c{i}", names))
    return out


def peaks_of(intervals: list[Interval]) -> Peaks:
    state = Intervals()
    for it in intervals:
        state.add(it)
    return state.peaks()


@pytest.mark.parametrize("seed", range(30))
def test_sweep_equals_the_definition(seed):
    rng = random.Random(seed)
    intervals = random_intervals(rng, rng.randint(1, 60))
    peaks = peaks_of(intervals)
    for it in intervals:
        assert peaks.peak(it) == reference_peak(it, intervals), it


def test_touching_conversations_overlap_and_ties_keep_the_first_agent():
    a = Interval(0, 10, "s#1", "a", ("ann",))
    b = Interval(10, 20, "s#2", "b", ("ann",))  # starts when a ends: open together at t=10
    c = Interval(21, 30, "s#3", "c", ("ann", "bob"))
    d = Interval(21, 30, "s#4", "d", ("bob", "ann"))
    peaks = peaks_of([a, b, c, d])
    assert peaks.peak(a) == (2, "ann", ("b",))
    assert peaks.peak(b) == (2, "ann", ("a",))
    assert peaks.peak(c) == (2, "ann", ("d",))  # ann and bob tie: c's first agent
    assert peaks.peak(d) == (2, "bob", ("c",))


def test_spilled_state_gives_the_same_peaks_and_pickles(monkeypatch):
    rng = random.Random(7)
    intervals = random_intervals(rng, 300)
    expected = peaks_of(intervals)
    monkeypatch.setattr(Intervals, "SPILL_AT", 50)
    state = Intervals()
    for it in intervals[:150]:
        state.add(it)
    assert state._table.db is not None  # spilled to SQLite
    other = pickle.loads(pickle.dumps(state))  # states cross processes (--jobs, Dask)
    rest = Intervals()
    for it in intervals[150:]:
        rest.add(it)
    other.extend(rest)
    peaks = other.peaks()
    assert peaks._table.db is not None
    copy = pickle.loads(pickle.dumps(peaks))
    for it in intervals:
        assert peaks.peak(it) == expected.peak(it) == copy.peak(it)


def test_a_conversation_without_others_peaks_at_one():
    only = Interval(5, 9, "s#1", "x", ("sam", "kim"))
    assert peaks_of([only]).peak(only) == (1, "sam", ())


def test_one_agent_with_every_chat_open_at_once_costs_the_size_of_the_answer():
    """n chats open together list n-1 others each (n² ids): the sweep stays within that (it was
    cubic: 1,000 such chats took 43 s); twice the chats may take about 4x, not 8x."""
    import time

    from chatqa.kinds.intervals import sweep

    def cpu(n: int) -> float:
        rows = [("sam", float(i), float(n + i), f"f#{i}", f"c{i}") for i in range(n)]
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            out = list(sweep(rows))
            best = min(best, time.process_time() - start)
        assert out[0][2][0] == n and len(out[-1][2][1]) == n - 1
        return best

    assert cpu(800) / max(cpu(400), 1e-6) < 6.0
