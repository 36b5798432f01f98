"""Records: closed conversations that hold their record, found by tenant, agent, team, closing time and alert kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from calmline.storage.database import DbSession
from calmline.storage.owned import tenant_row
from calmline.storage.tables import AlertRow, ConversationRow


@dataclass(frozen=True)
class RecordFilter:
    """Which closed conversations: by agent, team, closing time and alert kind, newest first."""

    agent: str | None = None
    team: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    alert: str | None = None
    limit: int = 500


def closed_conversations(db: DbSession, tenant_id: str, which: RecordFilter) -> list[ConversationRow]:
    """The tenant's closed conversations with a record that ``which`` admits, latest closed first."""
    query = select(ConversationRow).where(
        ConversationRow.tenant_id == tenant_id,
        ConversationRow.status == "closed",
        ConversationRow.record.is_not(None),
    )
    if which.agent:
        query = query.where(ConversationRow.agent_name == which.agent)
    if which.team:
        query = query.where(ConversationRow.team == which.team)
    if which.since:
        query = query.where(ConversationRow.closed_at >= which.since)
    if which.until:
        query = query.where(ConversationRow.closed_at < which.until)
    if which.alert:
        with_alert = select(AlertRow.conversation_id).where(
            AlertRow.tenant_id == tenant_id, AlertRow.kind == which.alert
        )
        query = query.where(ConversationRow.id.in_(with_alert))
    return list(db.scalars(query.order_by(ConversationRow.closed_at.desc()).limit(which.limit)))


def closed_conversation(db: DbSession, tenant_id: str, conversation_id: str) -> ConversationRow | None:
    """The tenant's conversation ``conversation_id`` if it is closed with its record, else None."""
    row = tenant_row(db, ConversationRow, tenant_id, conversation_id)
    return row if row is not None and row.record is not None else None
