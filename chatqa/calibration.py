"""Calibration: how far chatqa's findings agree with a human reviewer's labels.

Labels are a CSV with ``conversation_id,code,present`` (1/0, yes/no, true/false) and, on any
row, an optional ``human_score`` for the conversation. Per rule: tp, fp, fn, tn, precision,
recall and Cohen's kappa; over scores: Spearman's rank correlation. Labels that cannot be
compared (a conversation not in the run, a code chatqa did not check) are reported, never
dropped silently.
"""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError

if TYPE_CHECKING:
    from .report import Report

_TRUE = {"1", "true", "yes", "y", "t", "present"}
_FALSE = {"0", "false", "no", "n", "f", "absent", ""}


def read_labels(path: str | os.PathLike[str]) -> tuple[dict[tuple[str, str], bool], dict[str, float], list[str]]:
    """(conversation, code) -> present; conversation -> human score; problems found (one line each)."""
    path = Path(path)
    labels: dict[tuple[str, str], bool] = {}
    scores: dict[str, float] = {}
    problems: list[str] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            if "conversation_id" not in header or ("code" not in header and "human_score" not in header):
                raise ConfigError(f"{path}: error: line 1: expected columns conversation_id,code,present "
                                  f"(and optionally human_score), got {', '.join(header) or 'nothing'}")
            for row in reader:
                line = reader.line_num
                cid = (row.get("conversation_id") or "").strip()
                if not cid:
                    problems.append(f"{path}: line {line}: no conversation_id")
                    continue
                code = (row.get("code") or "").strip().upper()
                if code:
                    value = (row.get("present") or "").strip().lower()
                    if value not in _TRUE | _FALSE or (value == "" and "present" in header):
                        problems.append(f"{path}: line {line}: present must be 1 or 0, got {value!r}")
                    else:
                        present = value in _TRUE
                        if labels.get((cid, code), present) != present:
                            problems.append(f"{path}: line {line}: conflicting labels for {cid} {code}")
                        labels[cid, code] = present
                score = (row.get("human_score") or "").strip()
                if score:
                    try:
                        scores[cid] = float(score)
                    except ValueError:
                        problems.append(f"{path}: line {line}: human_score must be a number, got {score!r}")
    except OSError as exc:
        raise ConfigError(f"{path}: error: cannot read labels: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: error: labels must be UTF-8 text") from None
    return labels, scores, problems


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


def agreement(report: Report, labels_path: str | os.PathLike[str]) -> dict[str, Any]:
    """Compare a run's findings with human labels (see the module docstring)."""
    labels, human_scores, problems = read_labels(labels_path)
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
            "codes_not_checked": sorted(unchecked_codes),
            "conversations_without_labels": len(run_ids - labelled),
            "rules_without_labels": sorted(checked - set(rules)),
        },
        "problems": problems,
    }
