"""``calmline report``: one self-contained HTML page of an analysed archive, with figures and group comparisons.

Escalated means the customer asked for a manager or a supervisor took over (the record's
outcome). Rates carry Wilson 95 % intervals; differences of rates Newcombe's hybrid score
interval; differences of means (score, mood) Welch's t interval — see ``calmline.batch.stats``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from calmline.batch import plots
from calmline.batch.stats import Estimate, mean_ci, mean_difference, rate_ci, rate_difference
from calmline.errors import InputError
from calmline.playbook import load_default

__all__ = ["Comparison", "parse_compare", "render_report", "write_report"]

TOP_AGENTS = 20
TOP_TEAMS = 12
THEMES_OVER_TIME = 5
NO_VALUE = "(none)"
_COLUMNS = [
    "conversation_id", "channel", "hour", "after_hours", "agent", "team", "group", "outcome", "escalated",
    "manager_requested", "crisis", "abuse", "mood_start", "mood_end", "score", "items", "turns", "metadata",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two groups of conversations to compare: those whose ``field`` is ``a`` against those where it is ``b``."""

    field: str
    a: str
    b: str
    label_a: str = ""
    label_b: str = ""

    @property
    def names(self) -> tuple[str, str]:
        return (self.label_a or self.a, self.label_b or self.b)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    kind: str  # "rate" or "mean"
    column: str
    unit: str = ""


METRICS = (
    Metric("escalation rate", "rate", "escalated"),
    Metric("manager requested", "rate", "manager_requested"),
    Metric("abuse toward the agent", "rate", "abuse"),
    Metric("crisis (self-harm, violence)", "rate", "crisis"),
    Metric("QA score", "mean", "score", " /100"),
    Metric("mood at end", "mean", "mood_end"),
    Metric("mood change (end − start)", "mean", "mood_change"),
)


def parse_compare(spec: str) -> Comparison:
    """``FIELD=A,B`` (e.g. ``group=inhouse,outsourced``) as a Comparison; a clear error otherwise."""
    field, equals, values = spec.partition("=")
    groups = [value.strip() for value in values.split(",")]
    if not equals or not field.strip() or len(groups) != 2 or not all(groups):
        raise InputError(f"--compare {spec!r}: expected FIELD=A,B, e.g. group=inhouse,outsourced")
    if groups[0] == groups[1]:
        raise InputError(f"--compare {spec!r}: the two groups must differ")
    return Comparison(field.strip(), groups[0], groups[1])


def write_report(out: Path, destination: Path, compare: Comparison | None = None) -> Path:
    """Write the report of the analysed archive in ``out`` to ``destination`` (one HTML file)."""
    html = render_report(out, compare)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(html, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{destination}: cannot write the report: {error.strerror}") from None
    return destination


def render_report(out: Path, compare: Comparison | None = None) -> str:
    frame = _load_conversations(out)
    practices = {pid: practice.name for pid, practice in load_default().practices.items()}
    context: dict[str, Any] = {
        "source": str(out),
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "overview": _overview(frame, _read_json(out / "summary.json")),
        "mood": _mood_section(frame),
        "escalation": _escalation_section(frame),
        "adherence": _adherence_section(frame, practices),
        "themes": _themes_section(_read_json(out / "themes.json")),
        "hours": _compare_section(
            frame, Comparison("after_hours", "false", "true", "business hours", "after hours"), practices
        ),
        "comparison": _compare_section(frame, compare, practices) if compare else None,
    }
    environment = Environment(
        loader=PackageLoader("calmline.batch", "templates"), autoescape=select_autoescape(["html", "j2"])
    )
    environment.filters["pct"] = _percent
    environment.filters["num"] = _number
    environment.filters["ci"] = _interval
    return environment.get_template("report.html.j2").render(**context)


# --- data ------------------------------------------------------------------------------------


def _load_conversations(out: Path) -> pd.DataFrame:
    path = out / "conversations.parquet"
    if not path.exists():
        raise InputError(
            f"{out}: no conversations.parquet here; run 'calmline batch analyze SOURCE --out {out}' first"
        )
    try:
        frame = pd.read_parquet(path, columns=_COLUMNS)
    except Exception as error:  # pyarrow's errors for a damaged dataset
        raise InputError(f"{path}: cannot read it: {' '.join(str(error).split())[:200]}") from None
    if frame.empty:
        raise InputError(f"{out}: no conversations were analysed, so there is nothing to report")
    frame["mood_change"] = frame["mood_end"] - frame["mood_start"]
    return frame


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data


def _overview(frame: pd.DataFrame, summary: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "conversations": len(frame),
        "turns": int(frame["turns"].sum()),
        "failures": (summary or {}).get("failures", []),
        "escalation": rate_ci(int(frame["escalated"].sum()), len(frame)),
        "score": mean_ci(frame["score"].dropna().tolist()),
        "mood_start": mean_ci(frame["mood_start"].tolist()),
        "mood_end": mean_ci(frame["mood_end"].tolist()),
        "calmer": rate_ci(int((frame["mood_change"] > 0).sum()), len(frame)),
        "after_hours": int(frame["after_hours"].sum()),
    }


def _mood_section(frame: pd.DataFrame) -> dict[str, Any]:
    return {"figure": Markup(plots.mood_start_end(frame["mood_start"].tolist(), frame["mood_end"].tolist()))}


def _escalation_section(frame: pd.DataFrame) -> dict[str, Any]:
    teams = _rates_by(frame, "team", TOP_TEAMS)
    agents = _rates_by(frame, "agent", TOP_AGENTS)
    dated = frame.dropna(subset=["hour"])
    hours = list(range(24))
    by_hour = [_rate(dated[dated["hour"] == hour], "escalated") for hour in hours]
    return {
        "teams": Markup(plots.bars_with_ci(*teams, xlabel="escalation rate (%)")),
        "agents": Markup(plots.bars_with_ci(*agents, xlabel="escalation rate (%)")),
        "agents_shown": len(agents[0]),
        "agents_total": int(frame["agent"].nunique()),
        "hours": Markup(plots.hours_with_ci(hours, by_hour, ylabel="escalation rate (%)"))
        if len(dated)
        else None,
        "undated": len(frame) - len(dated),
    }


def _rates_by(frame: pd.DataFrame, column: str, top: int) -> tuple[list[str], list[Estimate]]:
    """Escalation rate per value of ``column``, for the ``top`` values with the most conversations."""
    keys = frame[column].fillna(NO_VALUE).astype(str)
    largest = keys.value_counts().head(top).index.tolist()
    return largest, [_rate(frame[keys == key], "escalated") for key in largest]


def _rate(frame: pd.DataFrame, column: str) -> Estimate:
    return rate_ci(int(frame[column].sum()), len(frame))


def _adherence_section(frame: pd.DataFrame, practices: dict[str, str]) -> dict[str, Any]:
    items = _items(frame)
    tallies = _tallies(items, ["practice"])
    labels, estimates = [], []
    for practice in sorted(practices):
        met, judged = tallies.get((practice,), (0, 0))
        if judged:
            labels.append(f"{practice} {practices[practice]}")
            estimates.append(rate_ci(met, judged))
    return {
        "figure": Markup(
            plots.bars_with_ci(labels, estimates, xlabel="met, of conversations where it applied (%)")
        )
        if labels
        else None,
        "by_team": _adherence_by_team(frame, items, practices),
    }


def _items(frame: pd.DataFrame) -> pd.DataFrame:
    exploded = frame[["team", "items"]].explode("items").dropna(subset=["items"])
    items = pd.DataFrame(exploded["items"].tolist(), index=exploded.index)
    items["team"] = exploded["team"].fillna(NO_VALUE).astype(str)
    return items[items["status"] != "n/a"]


def _tallies(items: pd.DataFrame, keys: list[str]) -> dict[tuple[str, ...], tuple[int, int]]:
    grouped = items.assign(met=items["status"] == "met").groupby(keys)["met"].agg(["sum", "count"])
    return {
        (index if isinstance(index, tuple) else (index,)): (int(row["sum"]), int(row["count"]))
        for index, row in grouped.iterrows()
    }


def _adherence_by_team(
    frame: pd.DataFrame, items: pd.DataFrame, practices: dict[str, str]
) -> dict[str, Any] | None:
    teams = frame["team"].fillna(NO_VALUE).astype(str).value_counts().head(TOP_TEAMS).index.tolist()
    if len(teams) < 2:
        return None
    tallies = _tallies(items, ["team", "practice"])
    shown = [p for p in sorted(practices) if any((team, p) in tallies for team in teams)]
    rows = []
    for team in teams:
        cells = []
        for practice in shown:
            met, judged = tallies.get((team, practice), (0, 0))
            cells.append({"rate": met / judged if judged else None, "n": judged})
        rows.append({"team": team, "cells": cells})
    return {"practices": shown, "names": practices, "rows": rows}


def _themes_section(themes: dict[str, Any] | None) -> dict[str, Any] | None:
    if not themes or not themes.get("themes"):
        return {"empty": True, "complaints": (themes or {}).get("complaint_turns", 0)} if themes else None
    listed = themes["themes"]
    labels = [f"{t['id']}. {t['label']}" for t in listed]
    section: dict[str, Any] = {
        "empty": False,
        "complaints": themes["complaint_turns"],
        "other": themes.get("other", 0),
        "method": themes.get("method", ""),
        "list": listed,
        "figure": Markup(plots.theme_counts(labels, [t["count"] for t in listed])),
        "over_time": None,
    }
    periods = sorted({p for t in listed for p in t["over_time"] if p != "undated"})
    if len(periods) >= 2:
        series = {
            label: [t["over_time"].get(p, 0) for p in periods]
            for label, t in zip(labels, listed, strict=True)
        }
        top = dict(list(series.items())[:THEMES_OVER_TIME])
        section["over_time"] = Markup(plots.themes_over_time(periods, top, period=themes.get("period", "")))
    return section


# --- comparisons -----------------------------------------------------------------------------


def _compare_section(
    frame: pd.DataFrame, comparison: Comparison, practices: dict[str, str]
) -> dict[str, Any] | None:
    values = _field_values(frame, comparison.field)
    group_a, group_b = frame[values == comparison.a], frame[values == comparison.b]
    if comparison.field == "after_hours" and (group_a.empty or group_b.empty):
        return None  # every conversation on one side of the clock: nothing to compare
    for name, group in ((comparison.a, group_a), (comparison.b, group_b)):
        if group.empty:
            found = ", ".join(values[values != NO_VALUE].value_counts().head(10).index.tolist()) or "none"
            raise InputError(
                f"--compare: no conversation has {comparison.field}={name}; values found: {found}"
            )
    rows = [_metric_row(metric, group_a, group_b) for metric in METRICS]
    practice_rows = _practice_rows(group_a, group_b, practices)
    labels = [row["name"] for row in rows if row["kind"] == "rate"] + [r["name"] for r in practice_rows]
    estimates = [row["difference"] for row in rows if row["kind"] == "rate"] + [
        r["difference"] for r in practice_rows
    ]
    name_a, name_b = comparison.names
    return {
        "comparison": comparison,
        "names": (name_a, name_b),
        "sizes": (len(group_a), len(group_b)),
        "rows": rows,
        "practices": practice_rows,
        "figure": Markup(
            plots.differences(
                labels, estimates, title=f"{name_a} − {name_b}: rates (share, −1…1) with 95 % CI"
            )
        ),
        "means_figure": Markup(
            plots.differences(
                [row["name"] for row in rows if row["kind"] == "mean"],
                [row["difference"] for row in rows if row["kind"] == "mean"],
                title=f"{name_a} − {name_b}: means with 95 % CI (Welch)",
            )
        ),
    }


def _field_values(frame: pd.DataFrame, field: str) -> pd.Series:
    """The compared field as text per conversation: a column, else a key of the metadata."""
    if field in frame.columns and field not in ("items", "metadata"):
        column = frame[field]
        if column.dtype == bool:
            return column.map({True: "true", False: "false"})
        return column.map(lambda v: NO_VALUE if v is None or pd.isna(v) else str(v))
    metadata = frame["metadata"].map(lambda text: json.loads(text) if text else {})
    if not metadata.map(lambda m: field in m).any():
        raise InputError(
            f"--compare: no column or metadata field {field!r}; try team, group, agent, channel or after_hours"
        )
    return metadata.map(lambda m: NO_VALUE if m.get(field) is None else str(m[field]))


def _metric_row(metric: Metric, a: pd.DataFrame, b: pd.DataFrame) -> dict[str, Any]:
    if metric.kind == "rate":
        hits_a, hits_b = int(a[metric.column].sum()), int(b[metric.column].sum())
        return {
            "name": metric.name,
            "kind": "rate",
            "a": rate_ci(hits_a, len(a)),
            "b": rate_ci(hits_b, len(b)),
            "difference": rate_difference(hits_a, len(a), hits_b, len(b)),
        }
    values_a, values_b = a[metric.column].dropna().tolist(), b[metric.column].dropna().tolist()
    return {
        "name": metric.name,
        "kind": "mean",
        "unit": metric.unit,
        "a": mean_ci(values_a),
        "b": mean_ci(values_b),
        "difference": mean_difference(values_a, values_b),
    }


def _practice_rows(a: pd.DataFrame, b: pd.DataFrame, practices: dict[str, str]) -> list[dict[str, Any]]:
    tallies_a, tallies_b = _tallies(_items(a), ["practice"]), _tallies(_items(b), ["practice"])
    rows = []
    for practice in sorted(practices):
        met_a, n_a = tallies_a.get((practice,), (0, 0))
        met_b, n_b = tallies_b.get((practice,), (0, 0))
        if n_a and n_b:
            rows.append(
                {
                    "name": f"{practice} {practices[practice]}",
                    "a": rate_ci(met_a, n_a),
                    "b": rate_ci(met_b, n_b),
                    "difference": rate_difference(met_a, n_a, met_b, n_b),
                }
            )
    return rows


# --- formatting filters ----------------------------------------------------------------------


def _percent(estimate: Estimate) -> str:
    return _formatted(estimate, lambda v: f"{v * 100:.1f} %", lambda v: f"{v * 100:.1f}")


def _number(estimate: Estimate) -> str:
    return _formatted(estimate, lambda v: f"{v:.2f}", lambda v: f"{v:.2f}")


def _interval(estimate: Estimate, kind: str = "mean") -> str:
    """A difference with its interval: percentage points for rates, plain units for means."""
    if kind == "rate":
        return _formatted(estimate, lambda v: f"{v * 100:+.1f} pp", lambda v: f"{v * 100:+.1f}")
    return _formatted(estimate, lambda v: f"{v:+.2f}", lambda v: f"{v:+.2f}")


def _formatted(estimate: Estimate, value: Callable[[float], str], bound: Callable[[float], str]) -> str:
    if estimate.value is None:
        return "–"
    if estimate.low is None or estimate.high is None:
        return value(estimate.value)
    return f"{value(estimate.value)} [{bound(estimate.low)}, {bound(estimate.high)}]"
