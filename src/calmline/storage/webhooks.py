"""Webhook subscriptions and their durable outbox: an event is queued in the same transaction that causes it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from calmline.storage.tables import OutboxRow, WebhookRow, utcnow

WEBHOOK_EVENTS = ("alert", "record", "commitment.overdue")
MAX_ATTEMPTS = 12
# A claimed delivery is another worker's for this long: well past the 10 s send timeout, and short, since
# a worker killed mid-send leaves its claim to expire before anyone retries it.
LEASE = timedelta(seconds=30)


def add_webhook(session: Session, tenant_id: str, url: str, events: list[str]) -> WebhookRow:
    row = WebhookRow(id=str(uuid.uuid4()), tenant_id=tenant_id, url=url, events=events)
    session.add(row)
    session.flush()
    return row


def tenant_webhooks(session: Session, tenant_id: str) -> list[WebhookRow]:
    query = select(WebhookRow).where(WebhookRow.tenant_id == tenant_id, WebhookRow.active.is_(True))
    return list(session.scalars(query.order_by(WebhookRow.created_at)))


def enqueue(
    session: Session, tenant_id: str, event_type: str, event_key: str, payload: dict[str, Any]
) -> int:
    """Queue ``payload`` for every webhook of the tenant subscribed to ``event_type``; returns how many."""
    queued = 0
    for hook in tenant_webhooks(session, tenant_id):
        if event_type in hook.events:
            session.add(
                OutboxRow(
                    tenant_id=tenant_id,
                    webhook_id=hook.id,
                    event_key=event_key,
                    event_type=event_type,
                    payload=payload,
                )
            )
            queued += 1
    return queued


def claim_due(session: Session, limit: int = 20, now: datetime | None = None) -> list[tuple[OutboxRow, str]]:
    """Deliveries due now with their URL, leased so another worker does not send them at the same time."""
    now = now or utcnow()
    query = (
        select(OutboxRow, WebhookRow.url)
        .join(WebhookRow, WebhookRow.id == OutboxRow.webhook_id)
        .where(
            OutboxRow.delivered_at.is_(None), OutboxRow.failed_at.is_(None), OutboxRow.next_attempt_at <= now
        )
        .order_by(OutboxRow.id)
        .limit(limit)
    )
    claimed = []
    for row, url in session.execute(query).all():
        # Optimistic claim: only one worker's UPDATE matches the old next_attempt_at.
        taken = session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row.id, OutboxRow.next_attempt_at == row.next_attempt_at)
            .values(next_attempt_at=now + LEASE, attempts=OutboxRow.attempts + 1)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            session.refresh(row)
            claimed.append((row, url))
    return claimed


def mark_delivered(session: Session, outbox_id: int) -> None:
    session.execute(
        update(OutboxRow).where(OutboxRow.id == outbox_id).values(delivered_at=utcnow(), last_error=None)
    )


def mark_failed_attempt(session: Session, outbox_id: int, attempts: int, error: str) -> None:
    """Back off exponentially (2 s, 4 s, … capped at an hour); give up after MAX_ATTEMPTS."""
    now = utcnow()
    values: dict[str, Any] = {"last_error": error[:300]}
    if attempts >= MAX_ATTEMPTS:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + timedelta(seconds=min(2**attempts, 3600))
    session.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(**values))
