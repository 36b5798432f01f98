"""The append-only audit log: who did what, to what, and when (UTC)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calmline.storage.tables import AuditRow


def audit(session: Session, tenant_id: str, actor: str, action: str, target: str = "", **detail: Any) -> None:
    session.add(AuditRow(tenant_id=tenant_id, actor=actor, action=action, target=target, detail=detail))


def audit_trail(session: Session, tenant_id: str, limit: int = 100) -> list[AuditRow]:
    query = select(AuditRow).where(AuditRow.tenant_id == tenant_id).order_by(AuditRow.id.desc()).limit(limit)
    return list(session.scalars(query))
