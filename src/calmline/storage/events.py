"""Event streams: typed events with a per-stream sequence number, kept so a client can catch up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from calmline.storage.tables import EventRow, StreamCounter


def conversation_stream(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def tenant_stream(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"


def open_stream(session: Session, stream: str) -> None:
    """Create a stream's counter with the thing it belongs to, so appends only ever update it."""
    session.add(StreamCounter(stream=stream, seq=0))


def append_event(
    session: Session, tenant_id: str, stream: str, type_: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Store the next event of ``stream`` in this transaction and return it as sent to clients."""
    seq = _next_seq(session, stream)
    row = EventRow(tenant_id=tenant_id, stream=stream, seq=seq, type=type_, data=data)
    session.add(row)
    session.flush()
    return as_message(row)


def _next_seq(session: Session, stream: str) -> int:
    # UPDATE … RETURNING takes the row lock on PostgreSQL (SQLite has one writer), so two workers
    # appending to the same stream get consecutive numbers in commit order.
    seq = session.scalar(
        update(StreamCounter)
        .where(StreamCounter.stream == stream)
        .values(seq=StreamCounter.seq + 1)
        .returning(StreamCounter.seq)
    )
    if seq is None:
        raise LookupError(f"event stream {stream!r} was never opened")
    return seq


def events_after(
    session: Session, stream: str, after: int, before: int | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    query = select(EventRow).where(EventRow.stream == stream, EventRow.seq > after)
    if before is not None:
        query = query.where(EventRow.seq < before)
    return [as_message(row) for row in session.scalars(query.order_by(EventRow.seq).limit(limit))]


def as_message(row: EventRow) -> dict[str, Any]:
    return {
        "stream": row.stream,
        "seq": row.seq,
        "type": row.type,
        "at": row.created_at.isoformat(),
        "data": row.data,
    }
