"""Rows for the repository tests, stored through the repositories themselves."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from calmline.storage.alerts import add_alert
from calmline.storage.conversations import (
    close_conversation,
    find_conversation,
    insert_conversation,
    opening_values,
)
from calmline.storage.database import DbSession
from calmline.storage.events import conversation_stream, open_stream
from calmline.storage.tables import AlertRow, ConversationRow, utcnow

RECORD: dict[str, Any] = {"record": {"agent": "Sam"}}


def new_conversation(db: DbSession, tenant_id: str, **fields: Any) -> str:
    """An active conversation of ``tenant_id`` with its event stream, as the live service opens one."""
    now = utcnow()
    row = ConversationRow(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        status="active",
        channel="chat",
        customer_name=None,
        agent_name=fields.get("agent_name"),
        team=fields.get("team"),
        meta={},
        escalation_risk=fields.get("escalation_risk", 0.0),
        mood=0.0,
        turn_count=0,
        created_at=now,
        updated_at=now,
        closed_at=None,
    )
    insert_conversation(db, opening_values(row))
    open_stream(db, conversation_stream(row.id))
    db.flush()
    return row.id


def closed_conversation(
    db: DbSession, tenant_id: str, closed_at: datetime | None = None, **fields: Any
) -> str:
    conversation_id = new_conversation(db, tenant_id, **fields)
    row = find_conversation(db, tenant_id, conversation_id)
    assert row is not None
    close_conversation(row, RECORD)
    if closed_at is not None:
        row.closed_at = closed_at
    db.flush()
    return conversation_id


def alert_on(db: DbSession, tenant_id: str, conversation_id: str, kind: str = "escalation") -> AlertRow:
    row = add_alert(db, tenant_id, conversation_id, 0, kind, "warning", {"message": kind})
    db.flush()
    return row
