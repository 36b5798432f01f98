"""Alerts: a conversation's alerts, the kinds still open on the board, acknowledging one, adding one later."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from calmline.storage.database import DbSession
from calmline.storage.owned import tenant_row
from calmline.storage.tables import AlertRow, utcnow

# Live turns' alerts are written with the turn, by storage/turns.py's prebuilt insert.


def alerts_of(db: DbSession, conversation_id: str) -> Sequence[AlertRow]:
    """The conversation's alerts, oldest first (``conversation_id`` as found for the caller's tenant)."""
    return db.scalars(
        select(AlertRow).where(AlertRow.conversation_id == conversation_id).order_by(AlertRow.created_at)
    ).all()


def open_alert_kinds(db: DbSession, tenant_id: str, conversation_ids: Sequence[str]) -> dict[str, list[str]]:
    """The kinds of each conversation's unacknowledged alerts (each kind once)."""
    if not conversation_ids:
        return {}
    rows = db.execute(
        select(AlertRow.conversation_id, AlertRow.kind)
        .where(
            AlertRow.tenant_id == tenant_id,
            AlertRow.conversation_id.in_(conversation_ids),
            AlertRow.acknowledged_at.is_(None),
        )
        .distinct()
    ).all()
    kinds: dict[str, list[str]] = {}
    for conversation_id, kind in rows:
        kinds.setdefault(conversation_id, []).append(kind)
    return kinds


def find_alert(db: DbSession, tenant_id: str, alert_id: str) -> AlertRow | None:
    """The tenant's alert ``alert_id``; None if there is none or it is another tenant's."""
    return tenant_row(db, AlertRow, tenant_id, alert_id)


def acknowledge(row: AlertRow, by: str) -> None:
    row.acknowledged_at = utcnow()
    row.acknowledged_by = by


def add_alert(
    db: DbSession,
    tenant_id: str,
    conversation_id: str,
    turn_seq: int,
    kind: str,
    severity: str,
    alert: dict[str, Any],
) -> AlertRow:
    """Store an alert raised after the conversation (e.g. an overdue commitment)."""
    row = AlertRow(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        conversation_id=conversation_id,
        turn_seq=turn_seq,
        kind=kind,
        severity=severity,
        alert=alert,
    )
    db.add(row)
    return row
