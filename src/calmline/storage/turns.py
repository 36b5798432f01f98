"""Turns: the live write of many turns per transaction (prebuilt statements) and reading turns back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from calmline.storage.database import DbSession
from calmline.storage.events import (
    Message,
    NewEvent,
    conversation_stream,
    insert_events,
    reserve,
    tenant_stream,
)
from calmline.storage.tables import AlertRow, ConversationRow, TurnRow
from calmline.storage.webhooks import enqueue

# What a turn's write raises when its id or index was stored meanwhile (by another worker, or a replay).
DuplicateTurnError = IntegrityError

# A turn's write is plain SQL built once, on the tables: the ORM's unit of work cost more than the engine.
_CONVERSATIONS = cast(Table, ConversationRow.__table__)  # typed as any FromClause
# The row moves on only from where this worker saw it: another worker's turn or a closing makes it miss.
_MOVE_CONVERSATION = update(_CONVERSATIONS).where(
    _CONVERSATIONS.c.id == bindparam("where_id"),
    _CONVERSATIONS.c.tenant_id == bindparam("where_tenant"),
    _CONVERSATIONS.c.status == "active",
    _CONVERSATIONS.c.turn_count == bindparam("where_turns"),
)
_INSERT_TURN = insert(cast(Table, TurnRow.__table__))
_INSERT_ALERTS = insert(cast(Table, AlertRow.__table__))


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


def find_turn(db: DbSession, conversation_id: str, client_id: str) -> TurnRow | None:
    """The turn the client sent under ``client_id`` (its ids are unique within the conversation)."""
    return db.scalar(
        select(TurnRow).where(TurnRow.conversation_id == conversation_id, TurnRow.client_id == client_id)
    )


def turn_text(db: DbSession, conversation_id: str, seq: int) -> str | None:
    """The stored (redacted) text of the conversation's turn ``seq``, if there is one."""
    return db.scalar(
        select(TurnRow.text).where(TurnRow.conversation_id == conversation_id, TurnRow.seq == seq)
    )


def turns_of(db: DbSession, conversation_id: str) -> Sequence[TurnRow]:
    """The conversation's turns in order, each with the response given for it."""
    return db.scalars(
        select(TurnRow).where(TurnRow.conversation_id == conversation_id).order_by(TurnRow.seq)
    ).all()


def history(db: DbSession, conversation_id: str) -> Sequence[Row[str, str, str, datetime]]:
    """(client_id, speaker, text, created_at) of each turn in order: enough to replay the conversation."""
    return db.execute(
        select(TurnRow.client_id, TurnRow.speaker, TurnRow.text, TurnRow.created_at)
        .where(TurnRow.conversation_id == conversation_id)
        .order_by(TurnRow.seq)
    ).all()
