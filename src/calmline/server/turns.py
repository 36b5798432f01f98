"""A live turn's rows, prepared on the request's thread from its analysis (storage/turns.py writes them)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from calmline.model import TurnAnalysis
from calmline.storage.events import Message
from calmline.storage.tables import ConversationRow
from calmline.storage.turns import TurnWrite

RISK_STEP = 0.02  # the board is told of risk moves at least this large (and of every alert)
MOOD_STEP = 0.25


def turn_write(row: ConversationRow, turn_id: str, analysis: TurnAnalysis, now: datetime) -> TurnWrite:
    """The rows for ``analysis``; moves ``row`` (this worker's copy) along with it."""
    alerts: list[dict[str, Any]] = [
        {
            "id": str(uuid.uuid4()),
            "tenant_id": row.tenant_id,
            "conversation_id": row.id,
            "turn_seq": analysis.index,
            "kind": alert.kind.value,
            "severity": alert.severity.value,
            "alert": alert.model_dump(mode="json"),
            "created_at": now,
        }
        for alert in analysis.alerts
    ]
    result: Message = {
        "turn": {
            "id": turn_id,
            "index": analysis.index,
            "speaker": analysis.role.value,
            "text": analysis.text,
        },
        "state": analysis.state.model_dump(mode="json"),
        "guidance": [g.model_dump(mode="json") for g in analysis.guidance],
        "alerts": [{"id": a["id"], **a["alert"]} for a in alerts],
        "signals": [s.model_dump(mode="json") for s in analysis.signals],
    }
    stored_turns = row.turn_count
    moved = _move(row, analysis, now)
    return TurnWrite(
        conversation_id=row.id,
        tenant_id=row.tenant_id,
        stored_turns=stored_turns,
        changes={
            "turn_count": row.turn_count,
            "escalation_risk": row.escalation_risk,
            "mood": row.mood,
            "state": result["state"],
            "updated_at": now,
        },
        turn={
            "conversation_id": row.id,
            "seq": analysis.index,
            "client_id": turn_id,
            "speaker": analysis.role.value,
            "text": analysis.text,
            "created_at": now,
            "result": result,
        },
        alerts=alerts,
        result=result,
        board=board_entry(row) if moved or alerts else None,
    )


def _move(row: ConversationRow, analysis: TurnAnalysis, now: datetime) -> bool:
    """Move the board's fields on by one turn; True when the board should hear of it."""
    state = analysis.state
    moved = (
        abs(state.escalation_risk - row.escalation_risk) >= RISK_STEP
        or abs(state.mood - row.mood) >= MOOD_STEP
    )
    row.turn_count = analysis.index + 1
    row.escalation_risk = state.escalation_risk
    row.mood = state.mood
    row.updated_at = now
    return moved


def board_entry(row: ConversationRow) -> Message:
    return {
        "id": row.id,
        "status": row.status,
        "channel": row.channel,
        "customer_name": row.customer_name,
        "agent_name": row.agent_name,
        "team": row.team,
        "escalation_risk": round(row.escalation_risk, 4),
        "mood": round(row.mood, 3),
        "turn_count": row.turn_count,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
    }
