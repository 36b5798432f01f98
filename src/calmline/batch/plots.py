"""The report's figures, drawn with matplotlib as inline SVG text (no files, no external assets)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever rendered to SVG text

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from calmline.batch.stats import Estimate

__all__ = [
    "bars_with_ci",
    "differences",
    "hours_with_ci",
    "mood_start_end",
    "theme_counts",
    "themes_over_time",
]

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, searchable in the page
        "svg.hashsalt": "calmline",  # the same data gives the same SVG
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
BLUE, ORANGE, GREY = "#2b6cb0", "#dd6b20", "#718096"
HEXBIN_FROM = 2_000  # above this many points a scatter becomes a density plot


def mood_start_end(start: Sequence[float], end: Sequence[float]) -> str:
    """Each conversation's mood at its start against its end, and the two distributions."""
    figure, (pairs, spread) = plt.subplots(1, 2, figsize=(9, 3.6))
    if len(start) > HEXBIN_FROM:
        pairs.hexbin(start, end, gridsize=30, extent=(-5, 5, -5, 5), cmap="Blues", mincnt=1)
    else:
        pairs.scatter(start, end, s=10, alpha=0.5, color=BLUE)
    pairs.plot([-5, 5], [-5, 5], color=GREY, linewidth=0.8, linestyle="--")
    pairs.set(xlim=(-5, 5), ylim=(-5, 5), xlabel="mood at start", ylabel="mood at end")
    pairs.set_title("above the line: the customer left calmer than they came", fontsize=9)
    bins = np.linspace(-5, 5, 21)
    spread.hist(start, bins=bins, alpha=0.55, color=ORANGE, label="start")
    spread.hist(end, bins=bins, alpha=0.55, color=BLUE, label="end")
    spread.set(xlabel="mood (-5 furious … +5 delighted)", ylabel="conversations")
    spread.legend(frameon=False)
    return _svg(figure)


def bars_with_ci(
    labels: Sequence[str], estimates: Sequence[Estimate], *, xlabel: str, percent: bool = True
) -> str:
    """Horizontal bars (a rate or a mean per group) with their 95 % intervals and group sizes."""
    height = max(1.6, 0.28 * len(labels) + 0.8)
    figure, axes = plt.subplots(figsize=(7.5, height))
    scale = 100 if percent else 1
    values = [(e.value or 0) * scale for e in estimates]
    errors = _error_bars(estimates, scale)
    positions = np.arange(len(labels))
    axes.barh(positions, values, xerr=errors, color=BLUE, alpha=0.8, ecolor=GREY, capsize=2)
    axes.set_yticks(positions, [f"{label}  (n={e.n})" for label, e in zip(labels, estimates, strict=True)])
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    if percent:
        axes.set_xlim(
            0, min(100, max([v + err for v, err in zip(values, errors[1], strict=True)] + [5]) * 1.1)
        )
    return _svg(figure)


def hours_with_ci(hours: Sequence[int], estimates: Sequence[Estimate], *, ylabel: str) -> str:
    """A rate by hour of day (0–23) with 95 % intervals."""
    figure, axes = plt.subplots(figsize=(8, 2.8))
    values = [(e.value or 0) * 100 for e in estimates]
    errors = _error_bars(estimates, 100)
    axes.bar(list(hours), values, yerr=errors, color=BLUE, alpha=0.8, ecolor=GREY, capsize=2)
    axes.set(xlabel="hour of day (business-hours time zone)", ylabel=ylabel, xlim=(-0.6, 23.6))
    axes.set_xticks(range(0, 24, 2))
    return _svg(figure)


def differences(labels: Sequence[str], estimates: Sequence[Estimate], *, title: str) -> str:
    """A forest plot: each difference (A − B) with its 95 % interval against zero."""
    figure, axes = plt.subplots(figsize=(7.5, max(1.6, 0.4 * len(labels) + 0.8)))
    for row, estimate in enumerate(estimates):
        if estimate.value is None:
            continue
        colour = ORANGE if estimate.excludes_zero else BLUE
        if estimate.low is not None and estimate.high is not None:
            axes.plot([estimate.low, estimate.high], [row, row], color=colour, linewidth=2)
        axes.plot([estimate.value], [row], "o", color=colour)
    axes.axvline(0, color=GREY, linewidth=0.8, linestyle="--")
    axes.set_yticks(range(len(labels)), list(labels))
    axes.invert_yaxis()
    axes.set_title(title, fontsize=9)
    return _svg(figure)


def theme_counts(labels: Sequence[str], counts: Sequence[int]) -> str:
    figure, axes = plt.subplots(figsize=(7.5, max(1.6, 0.3 * len(labels) + 0.8)))
    axes.barh(range(len(labels)), counts, color=BLUE, alpha=0.8)
    axes.set_yticks(range(len(labels)), list(labels))
    axes.invert_yaxis()
    axes.set_xlabel("complaint turns")
    return _svg(figure)


def themes_over_time(periods: Sequence[str], series: Mapping[str, Sequence[int]], *, period: str) -> str:
    """Complaint turns per theme per period (the largest themes)."""
    figure, axes = plt.subplots(figsize=(8, 3))
    for label, counts in series.items():
        axes.plot(range(len(periods)), counts, marker="o", markersize=3, label=label)
    step = max(1, len(periods) // 12)
    axes.set_xticks(range(0, len(periods), step), [periods[i] for i in range(0, len(periods), step)])
    axes.tick_params(axis="x", labelrotation=30)
    axes.set(xlabel=period, ylabel="complaint turns")
    axes.legend(frameon=False, fontsize=7, loc="upper left")
    return _svg(figure)


def _error_bars(estimates: Sequence[Estimate], scale: float) -> np.ndarray:
    """Distances from each value down and up to its interval ends (0 where there is no interval)."""
    bars = np.zeros((2, len(estimates)))
    for column, e in enumerate(estimates):
        if e.value is not None and e.low is not None and e.high is not None:
            # max(0, …): rounding can put a bound a hair past the value it bounds (e.g. 100 %).
            bars[:, column] = (max(0.0, e.value - e.low) * scale, max(0.0, e.high - e.value) * scale)
    return bars


def _svg(figure: Figure) -> str:
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # drop the XML prolog and doctype: the SVG sits inside HTML
