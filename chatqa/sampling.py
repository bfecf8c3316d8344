"""QA sampling: pick conversations for human review, reproducibly (SPEC section 7.2).

Strategies: ``random``; ``stratified`` by a column (agent, vendor, channel, tag...) with proportional
or equal allocation; ``risk``, weighted towards low scores, always taking conversations with a
critical finding first, and towards conversations that went badly for the customer (a low
``experience`` subscore: frustration, an ending without a solution). ``per_agent`` caps how
many conversations of one agent are picked.
The queue is also the labels file (`chatqa.calibration`): conversation_id, source, agent,
score, top findings and the reason each was picked, then the reviewer's empty columns:
``human_score`` and one per rule the sample was drawn for, named by its code, where the
reviewer writes 1 (present) or 0 (absent); a cell left empty is "not labelled".
"""

from __future__ import annotations

import math
import numbers
import secrets
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import pandas as pd

    from .report import Report

Strategy = Literal["random", "stratified", "risk"]
STRATEGIES = ("random", "stratified", "risk")
ALLOCATIONS = ("proportional", "equal")
QUEUE_COLUMNS = ["conversation_id", "source", "agent", "score", "top_findings", "reason", "human_score"]
LEVEL_RANK = {"error": 0, "warning": 1, "suggestion": 2}
DEFAULT_CRITICAL = frozenset({"CQ402"})  # for a bare conversations table (a Report knows its own)


class SampleError(ValueError):
    """A sampling request that cannot be carried out (unknown column, bad n...)."""


def _stratum(value: Any) -> str:
    """The stratum of a cell; a list (tags, agents) counts by its first item; missing is "(none)"."""
    import pandas as pd

    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        items = list(value)
        value = items[0] if items else None
    if value is None or pd.isna(value) or str(value) == "":
        return "(none)"
    return str(value)


def _allocate(sizes: dict[str, int], n: int, allocation: str) -> dict[str, int]:
    """Quotas per stratum summing to min(n, total): largest remainders, capped by stratum size."""
    quotas = dict.fromkeys(sizes, 0)
    remaining = min(n, sum(sizes.values()))
    while remaining > 0:  # repeats only when small strata were capped and left places over
        room = {k: v - quotas[k] for k, v in sizes.items() if v > quotas[k]}
        weight = {k: (sizes[k] if allocation == "proportional" else 1) for k in room}
        total = sum(weight.values())
        shares = {k: remaining * w / total for k, w in weight.items()}
        grant = {k: min(room[k], math.floor(s)) for k, s in shares.items()}
        left = remaining - sum(grant.values())
        for k in sorted(room, key=lambda k: (-(shares[k] - math.floor(shares[k])), -sizes[k], k)):
            if left and grant[k] < room[k]:  # largest remainders first, then larger strata, then name
                grant[k] += 1
                left -= 1
        for k, g in grant.items():
            quotas[k] += g
            remaining -= g
    return quotas


def sample(conversations: Report | pd.DataFrame, n: int, strategy: Strategy = "random", *, by: str | None = None,
           per_agent: int | None = None, seed: int | None = None, min_words: int | None = None,
           both_sides: bool = False, allocation: Literal["proportional", "equal"] = "proportional",
           findings: pd.DataFrame | None = None, critical: Iterable[str] | None = None,
           rules: Iterable[str] | None = None) -> pd.DataFrame:
    """Pick `n` conversations from a Report (or its ``conversations`` table) for review.

    Reproducible for a given `seed` (a random seed is drawn and named in the reasons when
    none is given). Exactly `n` rows come back when enough eligible conversations exist and
    the per-agent quota allows it; fewer otherwise. `findings` (``report.findings``, taken from
    a Report) lets the queue name the worst findings first; without it the codes are listed.
    `critical` are the codes always taken first by ``risk`` (a Report's critical rules, or
    CQ402); `rules` the rule columns for the reviewer (codes or names; a Report's checked rules
    by default, none for a bare table). ValueError (SampleError) for anything it cannot do.
    """
    from .report import Report

    if isinstance(conversations, Report):
        report = conversations
        conversations = report.conversations
        findings = report.findings if findings is None else findings
        critical = report.engine.scorer.critical if critical is None else critical
        rules = report.codes if rules is None else _codes(rules, report)
    critical = DEFAULT_CRITICAL if critical is None else frozenset(critical)
    if strategy not in STRATEGIES:
        raise SampleError(f"strategy: unknown strategy {strategy!r} (known: {', '.join(STRATEGIES)})")
    if allocation not in ALLOCATIONS:
        raise SampleError(f"allocation: unknown allocation {allocation!r} (known: {', '.join(ALLOCATIONS)})")
    if isinstance(rules, str):
        rules = [rules]
    columns = list(dict.fromkeys(rules or ()))
    clash = [c for c in columns if c in QUEUE_COLUMNS]
    if clash:
        raise SampleError(f"rules: {clash[0]!r} is a column of the queue, not a rule")
    import numpy as np
    import pandas as pd

    if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
        raise SampleError(f"n: must be a whole number, 0 or more, got {n!r}")
    if per_agent is not None and per_agent < 1:
        raise SampleError(f"per_agent: must be 1 or more, got {per_agent!r}")
    if strategy == "stratified" and not by:
        raise SampleError("by: the stratified strategy needs a column to stratify by (by=...)")
    if by and by not in conversations.columns:
        raise SampleError(f"by: no column {by!r} to stratify by (columns: {', '.join(conversations.columns)})")
    seed = secrets.randbelow(2**32) if seed is None else seed
    rng = np.random.default_rng(seed)
    df = conversations.reset_index(drop=True)
    eligible = pd.Series(True, index=df.index)
    if min_words:
        eligible &= df["words"] >= min_words
    if both_sides:
        eligible &= (df["customer_messages"] > 0) & (df["agent_messages"] > 0)
    pool = df[eligible]

    order: list[int]
    reasons: dict[int, str] = {}
    quotas: dict[str, int] | None = None
    if strategy == "risk":
        critical_rows = [i for i, codes in zip(pool.index, pool["codes"], strict=True) if set(codes) & set(critical)]
        critical_rows.sort(key=lambda i: (df.at[i, "score"], i))
        for i in critical_rows:
            hit = sorted(set(cast("list[str]", df.at[i, "codes"])) & set(critical))  # (df.at: any scalar type)
            reasons[i] = f"critical finding {', '.join(hit)} (always reviewed)"
        rest = pool.drop(index=critical_rows)
        # What the customer went through weighs in: every 10 points off the experience subscore
        # (customer frustration, an ending without a solution) add the score's own weight again.
        subscore = rest["experience"] if "experience" in rest.columns else pd.Series(100.0, index=rest.index)
        felt = subscore.astype("float64").fillna(100.0).to_numpy()
        weights = (101.0 - rest["score"].fillna(100.0).to_numpy()) ** 2 * (1.0 + (100.0 - felt) / 10.0)
        keys = rng.random(len(rest)) ** (1.0 / weights)  # Efraimidis-Spirakis weighted order
        ranked = [int(i) for i in rest.index.to_numpy()[np.argsort(-keys, kind="stable")]]
        for i, went in zip(rest.index.to_numpy(), felt, strict=True):
            mood = f", experience {went:g}" if went < 100 else ""
            reasons[int(i)] = f"risk-weighted pick (score {cast(float, df.at[i, 'score']):g}{mood}, seed {seed})"
        order = critical_rows + ranked
    else:
        order = [int(i) for i in rng.permutation(pool.index.to_numpy())]
        for i in order:
            reasons[i] = f"random pick (seed {seed})"
        if strategy == "stratified":
            assert by is not None
            strata = {i: _stratum(df.at[i, by]) for i in order}
            quotas = _allocate(Counter(strata.values()), n, allocation)
            for i in order:
                s = strata[i]
                reasons[i] = (f"stratified by {by}={s}: {quotas[s]} of {Counter(strata.values())[s]} "
                              f"({allocation}, seed {seed})")

    picked = _pick(df, order, n, per_agent, by, quotas)
    rows = []
    for i in picked:
        rows.append({"conversation_id": df.at[i, "id"], "source": df.at[i, "source"], "agent": df.at[i, "agent"],
                     "score": df.at[i, "score"],
                     "top_findings": _top(cast(str, df.at[i, "id"]), cast("list[str]", df.at[i, "codes"]),
                                          findings, critical),
                     "reason": reasons[i] + (f"; at most {per_agent} per agent" if per_agent else "")})
    queue = pd.DataFrame(rows, columns=QUEUE_COLUMNS)
    for column in ("conversation_id", "source", "agent", "top_findings", "reason"):
        queue[column] = queue[column].astype("string")
    queue["score"] = queue["score"].astype("float64")
    queue["human_score"] = queue["human_score"].astype("float64")
    for code in columns:  # the reviewer's verdicts: 1 present, 0 absent, empty not labelled
        queue[code] = pd.Series([pd.NA] * len(queue), dtype="Int64")
    queue.attrs.update({"requested": n, "eligible": int(eligible.sum()), "seed": seed})
    return queue


def _codes(rules: Iterable[str], report: Report) -> list[str]:
    """Rule codes for `rules` (codes or names) of the report's catalogue; SampleError if unknown."""
    known = {r.code: r.code for r in report.engine.catalogue} | {r.name: r.code for r in report.engine.catalogue}
    codes = []
    for rule in [rules] if isinstance(rules, str) else rules:
        code = known.get(rule) or known.get(rule.upper())
        if code is None:
            raise SampleError(f"rules: unknown rule {rule!r} (see `chatqa rules`)")
        codes.append(code)
    return codes


def _pick(df: pd.DataFrame, order: list[int], n: int, per_agent: int | None, by: str | None,
          quotas: dict[str, int] | None) -> list[int]:
    """Walk `order`, respecting stratum quotas and the per-agent cap; refill from any stratum
    when the quotas cannot be met (so n is reached whenever the cap allows)."""
    per: Counter[str] = Counter()
    taken: Counter[str] = Counter()
    picked: list[int] = []
    chosen: set[int] = set()
    for respect_quotas in ((True, False) if quotas else (False,)):
        for i in order:
            if len(picked) >= n:
                return picked
            if i in chosen:
                continue
            agent = _stratum(df.at[i, "agent"])
            if per_agent is not None and per[agent] >= per_agent:
                continue
            if respect_quotas and quotas is not None and by is not None:
                s = _stratum(df.at[i, by])
                if taken[s] >= quotas.get(s, 0):
                    continue
                taken[s] += 1
            per[agent] += 1
            picked.append(i)
            chosen.add(i)
    return picked


def _top(conversation_id: str, codes: list[str], findings: pd.DataFrame | None, critical: frozenset[str],
         limit: int = 3) -> str:
    """The most severe findings of a conversation (critical first, then by level), e.g.
    ``CQ402 sensitive-data-request; CQ101 slow-first-reply``."""
    if findings is None or findings.empty:
        return "; ".join(sorted(codes, key=lambda c: (c not in critical, c))[:limit])
    rows = findings[findings["conversation_id"] == conversation_id]
    seen: dict[str, tuple[int, str]] = {}
    for code, rule, level in zip(rows["code"], rows["rule"], rows["level"], strict=True):
        seen.setdefault(code, (-1 if code in critical else LEVEL_RANK.get(level, 3), rule))
    ranked = sorted(seen.items(), key=lambda kv: (kv[1][0], kv[0]))
    return "; ".join(f"{code} {rule}" for code, (_, rule) in ranked[:limit])
