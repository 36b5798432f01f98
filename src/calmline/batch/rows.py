"""The columns of turns.parquet and conversations.parquet, and the rows one analysed conversation gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from calmline.model import ConversationAnalysis, Role, TurnAnalysis
from calmline.records.model import Outcome, RecordResult

__all__ = [
    "COMPLAINT_SIGNALS",
    "CONVERSATION_SCHEMA",
    "TURN_SCHEMA",
    "conversation_row",
    "turn_rows",
]

FIRES = 0.5
# A customer turn is a complaint when one of these fires: the turns themes are drawn from.
COMPLAINT_SIGNALS = frozenset({"grievance", "negative", "anger", "company_fault", "venting"})

_SIGNAL = pa.struct(
    [
        ("kind", pa.string()),
        ("score", pa.float64()),
        ("practice", pa.string()),
        ("detector", pa.string()),
    ]
)
_ITEM = pa.struct([("practice", pa.string()), ("status", pa.string()), ("weight", pa.float64())])
_UTC = pa.timestamp("us", tz="UTC")

TURN_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("turn", pa.int32()),
        ("speaker", pa.string()),
        ("role", pa.string()),
        ("text", pa.string()),  # personal data redacted, as the engine saw it
        ("timestamp", _UTC),
        ("start", pa.float64()),
        ("end", pa.float64()),
        ("mood", pa.float64()),
        ("mood_trend", pa.float64()),
        ("intensity", pa.float64()),
        ("escalation_risk", pa.float64()),
        ("abuse_level", pa.string()),
        ("crisis", pa.bool_()),
        ("manager_requested", pa.bool_()),
        ("phase", pa.string()),
        ("open_grievances", pa.int32()),
        ("complaint", pa.bool_()),
        ("signals", pa.list_(_SIGNAL)),
        ("guidance", pa.list_(pa.string())),
        ("alerts", pa.list_(pa.string())),
    ]
)

CONVERSATION_SCHEMA = pa.schema(
    [
        ("conversation_id", pa.string()),
        ("origin", pa.string()),
        ("channel", pa.string()),
        ("started_at", _UTC),
        ("hour", pa.int8()),  # hour of day in the record's time zone (the playbook's business hours)
        ("after_hours", pa.bool_()),
        ("agent", pa.string()),
        ("team", pa.string()),
        ("group", pa.string()),
        ("turns", pa.int32()),
        ("customer_turns", pa.int32()),
        ("agent_turns", pa.int32()),
        ("outcome", pa.string()),
        ("escalated", pa.bool_()),
        ("manager_requested", pa.bool_()),
        ("crisis", pa.bool_()),
        ("abuse", pa.bool_()),
        ("mood_start", pa.float64()),
        ("mood_end", pa.float64()),
        ("mood_lowest", pa.float64()),
        ("max_escalation_risk", pa.float64()),
        ("alerts", pa.list_(pa.string())),
        ("score", pa.float64()),
        ("items", pa.list_(_ITEM)),
        ("grievances", pa.int32()),
        ("commitments", pa.int32()),
        ("transfers", pa.int32()),
        ("reason", pa.string()),
        ("metadata", pa.string()),  # the conversation's metadata as JSON
    ]
)


def turn_rows(analysis: ConversationAnalysis) -> list[dict[str, Any]]:
    """One row per turn: the signals that fired and the customer's state after the turn."""
    conversation_id = analysis.conversation.id
    return [_turn_row(conversation_id, turn) for turn in analysis.turns]


def _turn_row(conversation_id: str, turn: TurnAnalysis) -> dict[str, Any]:
    state = turn.state
    return {
        "conversation_id": conversation_id,
        "turn": turn.index,
        "speaker": turn.speaker,
        "role": turn.role.value,
        "text": turn.text,
        "timestamp": _utc(turn.timestamp),
        "start": turn.start,
        "end": turn.end,
        "mood": state.mood,
        "mood_trend": state.mood_trend,
        "intensity": state.intensity,
        "escalation_risk": state.escalation_risk,
        "abuse_level": state.abuse_level.value,
        "crisis": state.crisis,
        "manager_requested": state.manager_requested,
        "phase": state.phase.value,
        "open_grievances": len(state.open_grievances),
        "complaint": is_complaint(turn),
        "signals": [
            {"kind": s.kind, "score": s.score, "practice": s.practice, "detector": s.detector}
            for s in turn.signals
        ],
        "guidance": [g.practice for g in turn.guidance],
        "alerts": [a.kind.value for a in turn.alerts],
    }


def is_complaint(turn: TurnAnalysis) -> bool:
    """A customer turn where a grievance or a negative feeling fired."""
    return turn.role is Role.customer and any(
        s.kind in COMPLAINT_SIGNALS and s.score >= FIRES for s in turn.signals
    )


def conversation_row(analysis: ConversationAnalysis, result: RecordResult, origin: str) -> dict[str, Any]:
    """One row per conversation: record, scorecard, mood at start and end, alerts and who handled it."""
    record, summary, info = result.record, analysis.summary, analysis.conversation
    started = record.started_at
    return {
        "conversation_id": info.id,
        "origin": origin,
        "channel": info.channel.value,
        "started_at": _utc(started),
        "hour": started.hour if started is not None else None,
        "after_hours": record.after_hours,
        "agent": record.agent,
        "team": record.team,
        "group": _text_or_none(info.metadata.get("group")),
        "turns": summary.turns,
        "customer_turns": summary.customer_turns,
        "agent_turns": summary.agent_turns,
        "outcome": record.outcome.value,
        # Escalated: the customer asked for a manager, or a supervisor had to take over.
        "escalated": record.outcome is Outcome.escalated or summary.manager_requested,
        "manager_requested": summary.manager_requested,
        "crisis": summary.crisis,
        "abuse": bool(analysis.turns and analysis.turns[-1].state.abuse_incidents),
        "mood_start": record.mood.start,
        "mood_end": record.mood.end,
        "mood_lowest": record.mood.lowest,
        "max_escalation_risk": summary.max_escalation_risk,
        "alerts": [a.kind.value for a in record.alerts],
        "score": result.scorecard.score,
        "items": [
            {"practice": i.practice, "status": i.status.value, "weight": i.weight}
            for i in result.scorecard.items
        ],
        "grievances": len(record.grievances),
        "commitments": len(result.commitments),
        "transfers": summary.transfers,
        "reason": record.reason,
        "metadata": json.dumps(info.metadata, default=str, sort_keys=True),
    }


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    # A wall clock without a zone is taken as UTC rather than dropped: the column is one zone.
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
