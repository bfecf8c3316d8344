"""The HTML report's charts: matplotlib figures saved as inline SVG (text kept as text), with
counts printed on the bars, whole-number axes, and a log scale when rare findings would
otherwise be invisible beside frequent ones. matplotlib is imported only when a report is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

COLORS = {"error": "#b91c1c", "warning": "#c2410c", "suggestion": "#1d4ed8"}
INK, MUTED, GRID = "#1f2430", "#6b7280", "#e5e7eb"
SCORE_BINS = [(lo, lo + 9, f"{lo}–{lo + 9}") for lo in range(0, 100, 10)] + [(100, 100, "100")]
LOG_ABOVE = 40  # the largest count over the smallest: past this (the smallest bar under 2.5%), a log scale


def _band_color(low: int) -> str:
    return "#b91c1c" if low < 50 else "#d97706" if low < 70 else "#65a30d" if low < 90 else "#15803d"


def _figure(width: float, height: float, rows: int = 1) -> tuple[Any, Any]:
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update({"svg.fonttype": "none", "font.size": 10, "axes.edgecolor": MUTED,
                                "xtick.color": MUTED, "ytick.color": INK, "axes.labelcolor": MUTED,
                                "svg.hashsalt": "chatqa"})  # stable ids: the same run gives the same file
    fig = Figure(figsize=(width, height), layout="constrained")  # labels inside the size: readable on a phone
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False, gridspec_kw={"height_ratios": [1] * rows})
    for ax in axes[:, 0]:
        ax.spines[["top", "right"]].set_visible(False)
    return fig, axes[:, 0]


def _svg(fig: Any, title: str, prefix: str) -> str:
    """The figure as an inline <svg>, its element ids prefixed (several charts share a page)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = svg.replace(' id="', f' id="{prefix}-').replace("url(#", f"url(#{prefix}-").replace(
        'xlink:href="#', f'xlink:href="#{prefix}-')
    # a role and a label for screen readers (CSS scales it to its panel: max-width 100%)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def _whole_numbers(axis: Any, ticks: int = 6) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=ticks, integer=True, min_n_ticks=1))


def score_histogram(histogram: Sequence[int]) -> str:
    """Conversations per ten-point score band (100 on its own), each bar labelled with its count."""
    fig, (ax,) = _figure(4.8, 2.6)
    counts = [sum(histogram[lo:hi + 1]) for lo, hi, _ in SCORE_BINS]
    labels = [label for _, _, label in SCORE_BINS]
    bars = ax.bar(labels, counts, color=[_band_color(lo) for lo, _, _ in SCORE_BINS], width=0.8)
    ax.bar_label(bars, labels=[f"{c:,}" if c else "" for c in counts], padding=2, fontsize=9, color=INK)
    ax.set_ylim(0, max(1, max(counts)) * 1.18)
    _whole_numbers(ax.yaxis)
    ax.tick_params(axis="x", labelsize=8, colors=INK, rotation=40)
    ax.set_xlabel("score")
    ax.set_ylabel("conversations")
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    return _svg(fig, "Conversations per score band", "histogram")


def findings_chart(rows: Sequence[dict[str, Any]]) -> str:
    """One bar per rule and finding level (a rule's findings may differ in level), grouped by
    level, largest first; counts printed on the bars; log scale when counts span a wide range."""
    fig, (ax,) = _figure(4.4, 0.28 * max(1, len(rows)) + 0.9)
    if not rows:
        ax.text(0.5, 0.5, "no findings", ha="center", va="center", transform=ax.transAxes, color=MUTED)
        ax.set_axis_off()
        return _svg(fig, "Findings by rule and level", "findings")
    counts = [r["count"] for r in rows]
    log = max(counts) / min(counts) > LOG_ABOVE
    y = list(range(len(rows)))[::-1]
    base = 0.8 if log else 0
    bars = ax.barh(y, [c - base for c in counts], left=base, height=0.7, color=[COLORS[r["level"]] for r in rows],
                   edgecolor=[INK if r["critical"] else "none" for r in rows], linewidth=1.2)
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], padding=3, fontsize=9, color=INK)
    ax.set_yticks(y, [f"{r['code']} {r['name']}" for r in rows], fontsize=9)
    for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
        if r["critical"]:
            tick.set_fontweight("bold")
    if log:
        from matplotlib.ticker import LogLocator, StrMethodFormatter

        ax.set_xscale("log")
        ax.set_xlim(base, max(counts) * 3)
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel("findings (log scale)")
    else:
        ax.set_xlim(0, max(counts) * 1.15)
        _whole_numbers(ax.xaxis, ticks=5)
        ax.set_xlabel("findings")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    from matplotlib.patches import Patch

    handles = [Patch(color=COLORS[lvl], label=lvl) for lvl in COLORS if any(r["level"] == lvl for r in rows)]
    if any(r["critical"] for r in rows):
        handles.append(Patch(facecolor="white", edgecolor=INK, linewidth=1.2, label="critical (bold)"))
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles), frameon=False, fontsize=8,
               handlelength=1.2, columnspacing=1)  # above the axes, inside the figure (never cut off)
    return _svg(fig, "Findings by rule and level", "findings")


def trend_chart(periods: Sequence[dict[str, Any]]) -> str:
    """Median score (top) and conversations with and without an error finding (bottom) per period."""
    fig, (top, bottom) = _figure(5.6, 3.8, rows=2)
    x = list(range(len(periods)))
    medians = [p["median_value"] for p in periods]
    shown = [(i, m) for i, m in zip(x, medians, strict=True) if m is not None]
    if shown:
        top.plot([i for i, _ in shown], [m for _, m in shown], marker="o", markersize=4, color="#1f2937")
    top.set_ylim(0, 105)
    top.set_ylabel("median score")
    top.grid(axis="y", color=GRID, linewidth=0.6)
    errors = [p["with_error"] for p in periods]
    others = [p["conversations"] - p["with_error"] for p in periods]
    bottom.bar(x, others, color="#94a3b8", width=0.8, label="no error finding")
    bars = bottom.bar(x, errors, bottom=others, color=COLORS["error"], width=0.8, label="with an error finding")
    if len(periods) <= 26:
        bottom.bar_label(bars, labels=[f"{p['conversations']:,}" for p in periods], padding=2, fontsize=8, color=INK)
    bottom.set_ylim(0, max(1, max(p["conversations"] for p in periods)) * 1.2)
    _whole_numbers(bottom.yaxis)
    bottom.set_ylabel("conversations")
    fig.legend(loc="outside lower center", frameon=False, fontsize=8, ncols=2)
    step = max(1, len(periods) // 12)
    bottom.set_xticks(x[::step], [p["label"] for p in periods][::step], rotation=45, ha="right", fontsize=8)
    return _svg(fig, "Median score and conversations over time", "trend")
