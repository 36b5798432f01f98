"""Storing live turns: a turn's rows prepared on the request's thread, many turns written per transaction."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session as DbSession

from calmline.model import TurnAnalysis
from calmline.server.bus import Message
from calmline.storage.events import NewEvent, conversation_stream, insert_events, reserve, tenant_stream
from calmline.storage.tables import AlertRow, ConversationRow, TurnRow
from calmline.storage.webhooks import enqueue

RISK_STEP = 0.02  # the board is told of risk moves at least this large (and of every alert)
MOOD_STEP = 0.25
# A turn's write is plain SQL built once, on the tables: the ORM's unit of work cost more than the engine.
CONVERSATIONS = ConversationRow.__table__
# The row moves on only from where this worker saw it: another worker's turn or a closing makes it miss.
_MOVE_CONVERSATION = update(CONVERSATIONS).where(
    CONVERSATIONS.c.id == bindparam("where_id"),
    CONVERSATIONS.c.tenant_id == bindparam("where_tenant"),
    CONVERSATIONS.c.status == "active",
    CONVERSATIONS.c.turn_count == bindparam("where_turns"),
)
_INSERT_TURN = insert(TurnRow.__table__)
_INSERT_ALERTS = insert(AlertRow.__table__)


@dataclass(frozen=True)
class TurnWrite:
    """One turn's rows, prepared by the request's thread so the single writer only runs SQL."""

    conversation_id: str
    tenant_id: str
    stored_turns: int  # the stored row must still say this many turns, or the write is stale
    changes: dict[str, Any]
    turn: dict[str, Any]
    alerts: list[dict[str, Any]]
    result: Message
    board: Message | None  # the board's entry when it must hear of this turn

    def moving(self) -> dict[str, Any]:
        """Parameters of the conditional update that moves the stored conversation on by this turn."""
        where = {
            "where_id": self.conversation_id,
            "where_tenant": self.tenant_id,
            "where_turns": self.stored_turns,
        }
        return {**where, **self.changes}

    def events(self) -> list[tuple[str, str, Message]]:
        """(stream, type, data) of the events this turn causes: the agent's stream, then the board's."""
        events = [(conversation_stream(self.conversation_id), "turn", self.result)]
        board = tenant_stream(self.tenant_id)
        events += [(board, "alert", payload) for payload in self.alert_payloads()]
        if self.board is not None:
            events.append((board, "conversation.updated", self.board))
        return events

    def alert_payloads(self) -> list[Message]:
        return [{"conversation_id": self.conversation_id, "alert": alert} for alert in self.result["alerts"]]


class StaleBatchError(Exception):
    """A conversation in the batch moved on without this worker; storing each turn alone finds which."""


def store_turns(db: DbSession, writes: list[TurnWrite]) -> list[list[Message] | None]:
    """Many turns' rows with one statement per table: the writer's time goes by statements, not by rows.

    Each turn's result is its events as sent to clients, or None (nothing written) when its stored
    conversation moved on (another worker stored a turn, or closed it).
    """
    connection = db.connection()
    # Rows locked in one order by every writer: two workers' batches never deadlock on PostgreSQL.
    moving = sorted((w.moving() for w in writes), key=lambda params: params["where_id"])
    if connection.execute(_MOVE_CONVERSATION, moving).rowcount != len(writes):
        if len(writes) > 1:
            raise StaleBatchError
        return [None]
    caused = [write.events() for write in writes]
    seqs = reserve(db, Counter(stream for events in caused for stream, _, _ in events))
    new: list[NewEvent] = []
    for write, events in zip(writes, caused, strict=True):
        for stream, type_, data in events:
            new.append(NewEvent(write.tenant_id, stream, seqs[stream], type_, data))
            seqs[stream] += 1
    connection.execute(_INSERT_TURN, [write.turn for write in writes])
    alerts = [alert for write in writes for alert in write.alerts]
    if alerts:
        connection.execute(_INSERT_ALERTS, alerts)
        for write in writes:
            for payload in write.alert_payloads():
                enqueue(db, write.tenant_id, "alert", payload["alert"]["id"], payload)
    messages = iter(insert_events(db, new))
    return [[next(messages) for _ in events] for events in caused]


def turn_write(row: ConversationRow, turn_id: str, analysis: TurnAnalysis, now: datetime) -> TurnWrite:
    """The rows for ``analysis``; moves ``row`` (this worker's copy) along with it."""
    alerts = [
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
    result = {
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
