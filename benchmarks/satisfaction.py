"""How well chatqa's score tracks customer satisfaction: Spearman's rho on rated STC-3 dialogues.

NTCIR-14 STC-3 (English) has 1,672 helpdesk dialogues rated by 19 people each; the ratings of a
fixed half (808 dialogues, ``ratings_dev.json``) are in the corpora folder. For every rated
dialogue this joins chatqa's score and subscores with the mean customer-satisfaction rating S
(-2..2) and prints Spearman's rank correlation of each with S (ties get average ranks; a
subscore that is null for a dialogue is left out of that subscore's figure).

    CHATQA_CORPORA=/path/to/corpora python benchmarks/satisfaction.py [--json] [--ignore CQ305]

The corpora folder defaults to ``../shared/corpora`` (relative to the repository root).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpora() -> Path:
    """The corpora folder: $CHATQA_CORPORA, else ../shared/corpora beside the repository."""
    path = Path(os.environ.get("CHATQA_CORPORA") or ROOT.parent / "shared" / "corpora")
    if not (path / "ntcir14-stc3-en" / "ratings_dev.json").is_file():
        sys.exit(f"satisfaction: no ntcir14-stc3-en/ratings_dev.json under {path} (set CHATQA_CORPORA)")
    return path


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rho: Pearson's correlation of average ranks."""
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    n = len(xs)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    return cov / (vx * vy) ** 0.5 if vx and vy else float("nan")


def measure(folder: Path, ignore: list[str] | None = None) -> dict[str, object]:
    """rho of the score and of each subscore with mean S, plus counts (`ignore`: rule codes left out)."""
    import chatqa
    from chatqa.config import Config

    stc3 = folder / "ntcir14-stc3-en"
    ratings = json.loads((stc3 / "ratings_dev.json").read_text())
    satisfaction = {cid: sum(r["S"] for r in rs) / len(rs) for cid, rs in ratings.items()}
    report = chatqa.analyze(str(stc3 / "train_data_en.json"), Config(ignore=ignore or []))
    rows = report.conversations
    rows = rows[rows["id"].isin(satisfaction)]
    s = [satisfaction[i] for i in rows["id"]]
    out: dict[str, object] = {"dialogues": len(rows), "rated": len(satisfaction)}
    columns = ["score", *[c for c in chatqa.frames.GROUPS if c in rows.columns]]
    rho: dict[str, float | None] = {}
    for column in columns:
        pairs = [(float(v), y) for v, y in zip(rows[column], s, strict=True) if v == v and v is not None]
        rho[column] = round(spearman([p[0] for p in pairs], [p[1] for p in pairs]), 3) if len(pairs) > 2 else None
    out["rho"] = rho
    codes = rows["codes"]
    out["fired"] = {code: int(sum(code in c for c in codes)) for code in sorted({c for cs in codes for c in cs})}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--ignore", default="", help="comma-separated rule codes to leave out (e.g. CQ305)")
    args = parser.parse_args()
    result = measure(corpora(), [c.strip() for c in args.ignore.split(",") if c.strip()])
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"STC-3 dev: {result['dialogues']} of {result['rated']} rated dialogues scored")
    for column, value in result["rho"].items():  # type: ignore[attr-defined]
        print(f"  rho({column}, satisfaction) = {'n/a' if value is None else f'{value:+.3f}'}")
    print("conversations with each rule: " + ", ".join(f"{c} {n}" for c, n in result["fired"].items()))  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
