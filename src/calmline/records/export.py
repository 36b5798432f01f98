"""Exports: CSV and JSON of records, commitments and scorecards, and the printable HTML report of one conversation.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @) are prefixed with
an apostrophe: the texts come from customers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from calmline.records.handoff import shown_time
from calmline.records.model import ItemStatus, RecordResult, Scorecard

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

RECORD_COLUMNS = (
    "conversation_id", "agent", "customer", "team", "channel", "timezone", "started_at", "ended_at", "outcome",
    "reason", "grievances", "steps", "commitments", "mood_start", "mood_end", "alerts", "score",
)  # fmt: skip
COMMITMENT_COLUMNS = (
    "conversation_id", "owner", "what", "due", "due_text", "status", "turn", "beyond_authority",
)  # fmt: skip
SCORECARD_COLUMNS = (
    "conversation_id", "agent", "team", "score", "practice", "name", "weight", "status", "evidence_turns", "note",
    "overridden_from", "override_reason", "reviewer",
)  # fmt: skip


def to_json(results: Sequence[RecordResult]) -> str:
    """A JSON array of results, each in the ``calmline record --format json`` contract."""
    return json.dumps([r.model_dump(mode="json") for r in results], indent=2, ensure_ascii=False)


def records_csv(results: Iterable[RecordResult]) -> str:
    rows = []
    for result in results:
        record = result.record
        rows.append(
            {
                "conversation_id": record.conversation_id,
                "agent": record.agent,
                "customer": record.customer or "",
                "team": record.team or "",
                "channel": record.channel.value,
                "timezone": record.timezone,
                "started_at": _iso(record.started_at),
                "ended_at": _iso(record.ended_at),
                "outcome": record.outcome.value,
                "reason": record.reason,
                "grievances": "; ".join(g.topic for g in record.grievances),
                "steps": len(record.steps),
                "commitments": len(record.commitments),
                "mood_start": record.mood.start,
                "mood_end": record.mood.end,
                "alerts": "; ".join(sorted({a.kind.value for a in record.alerts})),
                "score": "" if result.scorecard.score is None else result.scorecard.score,
            }
        )
    return _csv(RECORD_COLUMNS, rows)


def commitments_csv(results: Iterable[RecordResult]) -> str:
    rows = [
        {
            "conversation_id": result.record.conversation_id,
            "owner": c.owner,
            "what": c.what,
            "due": _iso(c.due),
            "due_text": c.due_text or "",
            "status": c.status.value,
            "turn": c.turn,
            "beyond_authority": str(c.beyond_authority).lower(),
        }
        for result in results
        for c in result.commitments
    ]
    return _csv(COMMITMENT_COLUMNS, rows)


def scorecards_csv(scorecards: Iterable[Scorecard]) -> str:
    """One row per practice per conversation (overrides as applied to the scorecards given)."""
    rows = [
        {
            "conversation_id": card.conversation_id,
            "agent": card.agent,
            "team": card.team or "",
            "score": "" if card.score is None else card.score,
            "practice": item.practice,
            "name": item.name,
            "weight": item.weight,
            "status": item.status.value,
            "evidence_turns": " ".join(str(t) for t in sorted({e.turn for e in item.evidence})),
            "note": item.note,
            "overridden_from": item.override.previous.value if item.override else "",
            "override_reason": item.override.reason if item.override else "",
            "reviewer": (item.override.reviewer or "") if item.override else "",
        }
        for card in scorecards
        for item in card.items
    ]
    return _csv(SCORECARD_COLUMNS, rows)


def report_html(result: RecordResult) -> str:
    """A printable, self-contained HTML page of one conversation: no scripts, fonts or images from elsewhere."""
    template = _environment().get_template("report.html.j2")
    return template.render(
        result=result,
        record=result.record,
        scorecard=result.scorecard,
        applicable=[i for i in result.scorecard.items if i.status is not ItemStatus.not_applicable],
        not_applicable=[i for i in result.scorecard.items if i.status is ItemStatus.not_applicable],
    )


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("calmline.records", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = shown_time
    env.filters["turns"] = lambda evidence: ", ".join(str(t) for t in sorted({e.turn for e in evidence}))
    return env


def _iso(moment: Any) -> str:
    return moment.isoformat() if moment is not None else ""


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue()
