"""Conversations: opening one (a prebuilt insert), finding them by tenant, the board's query, closing, purging."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select

from calmline.storage.database import DbSession
from calmline.storage.owned import tenant_row
from calmline.storage.tables import ConversationRow, utcnow

_OPEN = insert(cast(Table, ConversationRow.__table__))  # built once: conversations open often
# What the board and a turn's write need of a conversation: all but its state and record.
BOARD_FIELDS = (
    "id",
    "tenant_id",
    "status",
    "channel",
    "customer_name",
    "agent_name",
    "team",
    "meta",
    "escalation_risk",
    "mood",
    "turn_count",
    "created_at",
    "updated_at",
    "closed_at",
)


def board_copy(row: ConversationRow) -> ConversationRow:
    """A detached copy of ``row``'s board fields (a worker keeps it between turns, outside any session)."""
    return ConversationRow(**{name: getattr(row, name) for name in BOARD_FIELDS})


def opening_values(row: ConversationRow) -> dict[str, Any]:
    """The insert's parameters for a new conversation (built on the caller's thread, not the writer's)."""
    values = {name: getattr(row, name) for name in BOARD_FIELDS if name != "meta"}
    values["metadata"] = row.meta  # the attribute is ``meta``: ``metadata`` is reserved by SQLAlchemy
    return values


def insert_conversation(db: DbSession, values: dict[str, Any]) -> None:
    """Store a new conversation from ``opening_values``."""
    db.connection().execute(_OPEN, values)


def find_conversation(db: DbSession, tenant_id: str, conversation_id: str) -> ConversationRow | None:
    """The tenant's conversation ``conversation_id``; None if there is none or it is another tenant's."""
    return tenant_row(db, ConversationRow, tenant_id, conversation_id)


def board(
    db: DbSession, tenant_id: str, status: str, closed_before: datetime | None = None, limit: int = 200
) -> Sequence[ConversationRow]:
    """The tenant's conversations in ``status``: active ones riskiest first, others latest closed first."""
    query = select(ConversationRow).where(
        ConversationRow.tenant_id == tenant_id, ConversationRow.status == status
    )
    if closed_before is not None:
        query = query.where(ConversationRow.closed_at < closed_before)
    order = ConversationRow.escalation_risk.desc() if status == "active" else ConversationRow.closed_at.desc()
    return db.scalars(query.order_by(order, ConversationRow.created_at).limit(limit)).all()


def close_conversation(row: ConversationRow, record: dict[str, Any]) -> None:
    """Mark ``row`` closed now with its record (stored when its session's transaction commits)."""
    row.status = "closed"
    row.closed_at = utcnow()
    row.record = record


def purge_closed(db: DbSession, tenant_id: str, closed_before: datetime) -> int:
    """Delete the tenant's conversations closed before ``closed_before`` (their rows cascade); how many."""
    where = (
        ConversationRow.tenant_id == tenant_id,
        ConversationRow.status == "closed",
        ConversationRow.closed_at < closed_before,
    )
    count = db.scalar(select(func.count()).select_from(ConversationRow).where(*where)) or 0
    db.execute(delete(ConversationRow).where(*where))
    return count
