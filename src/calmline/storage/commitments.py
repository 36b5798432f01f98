"""The commitment ledger and QA overrides: what was promised, by whom, by when, and whether it was done."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from calmline.records.model import Commitment, ItemStatus, Override
from calmline.storage.owned import tenant_row
from calmline.storage.tables import CommitmentRow, OverrideRow, Tenant, utcnow


def store_commitments(
    db: Session, tenant_id: str, conversation_id: str, commitments: Sequence[Commitment]
) -> list[CommitmentRow]:
    rows = [
        CommitmentRow(
            id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            what=c.what,
            owner=c.owner,
            due=c.due,
            due_text=c.due_text,
            status="done" if c.status.value == "done" else "open",
            evidence=[e.model_dump(mode="json") for e in c.evidence],
        )
        for c in commitments
    ]
    db.add_all(rows)
    return rows


def find_commitments(
    db: Session,
    tenant_id: str,
    status: str | None = None,
    owner: str | None = None,
    now: datetime | None = None,
) -> list[CommitmentRow]:
    """The tenant's commitments, soonest due first; ``status`` is open, done or overdue (open and past due)."""
    now = now or utcnow()
    query = select(CommitmentRow).where(CommitmentRow.tenant_id == tenant_id)
    if status == "overdue":
        query = query.where(CommitmentRow.status == "open", CommitmentRow.due < now)
    elif status in ("open", "done"):
        query = query.where(CommitmentRow.status == status)
    if owner:
        query = query.where(CommitmentRow.owner == owner)
    return list(
        db.scalars(query.order_by(CommitmentRow.due.is_(None), CommitmentRow.due, CommitmentRow.created_at))
    )


def find_commitment(db: Session, tenant_id: str, commitment_id: str) -> CommitmentRow | None:
    """The tenant's commitment ``commitment_id``; None if there is none or it is another tenant's."""
    return tenant_row(db, CommitmentRow, tenant_id, commitment_id)


def status_of(row: CommitmentRow, now: datetime | None = None) -> str:
    if row.status == "open" and row.due is not None and row.due < (now or utcnow()):
        return "overdue"
    return row.status


def mark_done(db: Session, row: CommitmentRow, note: str, by: str) -> None:
    row.status = "done"
    row.done_at = utcnow()
    row.done_by = by
    row.done_note = note


def newly_overdue(db: Session, now: datetime | None = None, limit: int = 100) -> list[CommitmentRow]:
    """Open commitments past due that have not been alerted yet (every tenant)."""
    query = (
        select(CommitmentRow)
        .where(
            CommitmentRow.status == "open",
            CommitmentRow.due < (now or utcnow()),
            CommitmentRow.overdue_alerted_at.is_(None),
        )
        .order_by(CommitmentRow.due)
        .limit(limit)
    )
    return list(db.scalars(query))


def mark_overdue_alerted(row: CommitmentRow) -> None:
    """Note that ``row``'s overdue alert was raised, so ``newly_overdue`` no longer returns it."""
    row.overdue_alerted_at = utcnow()


def add_override(
    db: Session, tenant_id: str, conversation_id: str, override: Override, reviewer: str
) -> None:
    db.add(
        OverrideRow(
            tenant_id=tenant_id,
            conversation_id=conversation_id,
            practice=override.practice,
            status=override.status.value,
            reason=override.reason,
            reviewer=reviewer,
        )
    )


def overrides_for(db: Session, tenant_id: str, conversation_ids: Sequence[str]) -> dict[str, list[Override]]:
    """Each conversation's overrides, oldest first (so a later one on the same practice wins)."""
    if not conversation_ids:
        return {}
    rows = db.scalars(
        select(OverrideRow)
        .where(OverrideRow.tenant_id == tenant_id, OverrideRow.conversation_id.in_(conversation_ids))
        .order_by(OverrideRow.id)
    )
    found: dict[str, list[Override]] = {}
    for row in rows:
        found.setdefault(row.conversation_id, []).append(
            Override(
                practice=row.practice, status=ItemStatus(row.status), reason=row.reason, reviewer=row.reviewer
            )
        )
    return found


def tenant_zone(tenant: Tenant | None) -> tzinfo:
    name = tenant.settings.get("timezone") if tenant else None
    return ZoneInfo(name) if name else UTC


def commitment_view(row: CommitmentRow, zone: tzinfo) -> dict[str, Any]:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "what": row.what,
        "owner": row.owner,
        "due": row.due.astimezone(zone).isoformat() if row.due else None,
        "due_text": row.due_text,
        "status": status_of(row),
        "evidence": row.evidence,
        "done_at": row.done_at.astimezone(zone).isoformat() if row.done_at else None,
        "done_note": row.done_note,
    }
