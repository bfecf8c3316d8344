"""Calibration: how far chatqa's findings agree with a human reviewer's labels.

Labels are a filled-in review queue from `chatqa sample` (a column per rule, blank cells not
labelled) or a ``conversation_id,code,present`` CSV, with an optional ``human_score`` (see
`chatqa.labels`). Per rule: tp, fp, fn, tn, precision, recall and Cohen's kappa; over scores:
Spearman's rank correlation. Labels that cannot be compared (a conversation not in the run, a
rule chatqa has not got or did not check, a bad value) are reported, never dropped silently.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from .labels import all_codes, read_labels

if TYPE_CHECKING:
    import pandas as pd

    from .report import Report


def kappa(tp: int, fp: int, fn: int, tn: int) -> float | None:
    """Cohen's kappa for two raters on a yes/no question (None when undefined)."""
    n = tp + fp + fn + tn
    if n == 0:
        return None
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def agreement(report: Report, labels_path: str | os.PathLike[str] | pd.DataFrame) -> dict[str, Any]:
    """Compare a run's findings with human labels (see the module docstring)."""
    found_labels = read_labels(labels_path, all_codes(report.engine.catalogue))
    labels, human_scores, problems = found_labels.verdicts, found_labels.scores, found_labels.problems
    conv = report.conversations
    run_ids = set(conv["id"])
    found = {(cid, code) for cid, codes in zip(conv["id"], conv["codes"], strict=True) for code in codes}
    checked = set(report.codes)
    rules: dict[str, dict[str, Any]] = {}
    missing_conversations: set[str] = set()
    unchecked_codes: set[str] = set()
    for (cid, code), human in sorted(labels.items()):
        if cid not in run_ids:
            missing_conversations.add(cid)
            continue
        if code not in checked:
            unchecked_codes.add(code)
            continue
        auto = (cid, code) in found
        cell = "tp" if auto and human else "fp" if auto else "fn" if human else "tn"
        stats = rules.setdefault(code, {"n": 0, "tp": 0, "fp": 0, "fn": 0, "tn": 0})
        stats[cell] += 1
        stats["n"] += 1
    for stats in rules.values():
        stats["precision"] = _ratio(stats["tp"], stats["tp"] + stats["fp"])
        stats["recall"] = _ratio(stats["tp"], stats["tp"] + stats["fn"])
        k = kappa(stats["tp"], stats["fp"], stats["fn"], stats["tn"])
        stats["kappa"] = None if k is None else round(k, 6)
    scored = {cid: s for cid, s in human_scores.items() if cid in run_ids}
    missing_conversations |= set(human_scores) - run_ids
    spearman = None
    if len(scored) >= 2:
        import pandas as pd

        auto_scores = conv.set_index("id")["score"]
        pairs = pd.DataFrame({"auto": [auto_scores.get(c) for c in scored], "human": list(scored.values())}).dropna()
        if len(pairs) >= 2:
            ranks = pairs.rank(method="average")  # Spearman = Pearson on (tie-averaged) ranks
            value = ranks["auto"].corr(ranks["human"])
            spearman = None if value is None or math.isnan(value) else round(float(value), 6)
    labelled = {cid for cid, _ in labels} | set(human_scores)
    return {
        "rules": dict(sorted(rules.items())),
        "scores": {"n": len(scored), "spearman": spearman},
        "missing": {
            "conversations_not_in_run": sorted(missing_conversations),
            "unknown_rules": sorted(found_labels.unknown_rules),
            "codes_not_checked": sorted(unchecked_codes),
            "rows_not_labelled": found_labels.unlabelled,
            "conversations_without_labels": len(run_ids - labelled),
            "rules_without_labels": sorted(checked - set(rules)),
        },
        "problems": problems,
    }
