"""Event streams: typed events with a per-stream sequence number, kept so a client can catch up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from calmline.storage.tables import EventRow, StreamCounter, utcnow

Message = dict[str, Any]
"""A JSON object: an event as stored and published, and the views built from stored rows."""

# Appends are on every turn's write path: statements built once, run on the session's connection
# without the ORM's unit of work (building and flushing them cost more than the engine's analysis).
_EVENTS = cast(Table, EventRow.__table__)  # typed as any FromClause
_COUNTERS = cast(Table, StreamCounter.__table__)
# UPDATE … RETURNING takes the row lock on PostgreSQL (SQLite has one writer), so two workers
# appending to the same stream get consecutive numbers in commit order.
_NEXT_SEQ = (
    update(_COUNTERS)
    .where(_COUNTERS.c.stream == bindparam("counter"))
    .values(seq=_COUNTERS.c.seq + 1)
    .returning(_COUNTERS.c.seq)
)
_ADVANCE = (
    update(_COUNTERS)
    .where(_COUNTERS.c.stream == bindparam("counter"))
    .values(seq=_COUNTERS.c.seq + bindparam("by"))
)
_READ_COUNTERS = select(_COUNTERS.c.stream, _COUNTERS.c.seq).where(
    _COUNTERS.c.stream.in_(bindparam("streams", expanding=True))
)
_APPEND = insert(_EVENTS)


class NewEvent(NamedTuple):
    """An event to store, its sequence number already taken (see ``reserve``)."""

    tenant_id: str
    stream: str
    seq: int
    type: str
    data: dict[str, Any]


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
    session.flush()  # the stream may have been opened in this transaction and not yet sent
    seq = session.connection().scalar(_NEXT_SEQ, {"counter": stream})
    if seq is None:
        raise LookupError(f"event stream {stream!r} was never opened")
    return insert_events(session, [NewEvent(tenant_id, stream, seq, type_, data)])[0]


def reserve(session: Session, counts: dict[str, int]) -> dict[str, int]:
    """Take ``counts[stream]`` consecutive sequence numbers on each stream; returns the first of each.

    For many events at once (a group commit): two statements, however many streams and events.
    """
    session.flush()
    connection = session.connection()
    streams = sorted(counts)  # one lock order for every writer, so workers never deadlock on PostgreSQL
    advanced = connection.execute(_ADVANCE, [{"counter": stream, "by": counts[stream]} for stream in streams])
    if advanced.rowcount != len(streams):
        raise LookupError("an event stream was never opened")
    # Rows are tuples already: Result.tuples() only warns that it is deprecated (SQLAlchemy 2.1), and the
    # warning's frame walk cost time on every batch.
    last: dict[str, int] = dict(connection.execute(_READ_COUNTERS, {"streams": streams}).all())
    return {stream: last[stream] - counts[stream] + 1 for stream in streams}


def insert_events(session: Session, events: Sequence[NewEvent]) -> list[dict[str, Any]]:
    """Store ``events`` (one statement) and return them as sent to clients."""
    at = utcnow()
    session.connection().execute(
        _APPEND,
        [
            {
                "tenant_id": e.tenant_id,
                "stream": e.stream,
                "seq": e.seq,
                "type": e.type,
                "data": e.data,
                "created_at": at,
            }
            for e in events
        ],
    )
    stamp = at.isoformat()
    return [{"stream": e.stream, "seq": e.seq, "type": e.type, "at": stamp, "data": e.data} for e in events]


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
