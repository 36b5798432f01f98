"""Trainee role-play sessions: stored so a trainer sees each trainee's progress over time."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Float, ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from calmline.engine.redact import redact, redact_json
from calmline.errors import ConflictError
from calmline.storage.database import transaction
from calmline.storage.tables import Base, utcnow

ACTIVE, FINISHED = "active", "finished"
# Names in a result, not the trainee's words: kept as given (the trainee's name is also a column).
NAMES = ("persona", "trainee")


class RoleplaySessionRow(Base):
    """One role-play: who trained, against which persona and seed, the turns, and how it ended."""

    __tablename__ = "roleplay_sessions"
    __table_args__ = (Index("ix_roleplay_sessions_tenant_trainee", "tenant_id", "trainee", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    trainee: Mapped[str] = mapped_column(String(200))
    persona: Mapped[str] = mapped_column(String(40))
    seed: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    final_mood: Mapped[float] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float, default=None)
    turns: Mapped[list[Any]] = mapped_column(default=list, comment="[{speaker, text, mood}] in order.")
    result: Mapped[dict[str, Any] | None] = mapped_column(
        default=None, comment="Scorecard, moments and coaching notes, once finished."
    )
    created_by: Mapped[str] = mapped_column(String(60), comment="The API key id (or 'cli') that started it.")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Two replies to one session at once: the second writer fails instead of losing the first.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


def start_session(
    db: Session,
    tenant_id: str,
    trainee: str,
    persona: str,
    seed: int,
    turns: list[dict[str, Any]],
    created_by: str,
) -> RoleplaySessionRow:
    row = RoleplaySessionRow(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        trainee=trainee,
        persona=persona,
        seed=seed,
        final_mood=turns[-1]["mood"] if turns else 0.0,
        turns=redact_turns(turns),
        created_by=created_by,
        created_at=utcnow(),  # set now, not at flush: the caller shows it straight away
    )
    db.add(row)
    return row


def redact_reply(text: str, previous: str | None) -> str:
    """A trainee's reply with personal data replaced, read as the engine reads it after ``previous``.

    The previous turn is the context that makes a bare "123" a security code once it was asked for.
    Redaction is idempotent, so a reply redacted here and replayed through the engine reads the same.
    """
    context = redact(previous)[0] if previous is not None else None
    return redact(text, None, context)[0]


def redact_turns(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The turns as stored: the trainee's replies redacted (the customer's lines are the persona's fiction)."""
    return [
        {**turn, "text": redact_reply(turn["text"], turns[i - 1]["text"] if i else None)}
        if turn["speaker"] == "trainee"
        else turn
        for i, turn in enumerate(turns)
    ]


def record_turns(row: RoleplaySessionRow, turns: list[dict[str, Any]]) -> None:
    row.turns = redact_turns(turns)
    row.final_mood = turns[-1]["mood"] if turns else row.final_mood


def finish_session(row: RoleplaySessionRow, result: dict[str, Any]) -> None:
    """Keep the outcome, score and debrief; ``result`` is a RoleplayResult dumped as JSON."""
    record_turns(row, result["turns"])
    row.status = FINISHED
    row.outcome = result["outcome"]
    row.final_mood = result["final_mood"]
    row.score = result["scorecard"]["score"]
    debrief = {key: value for key, value in result.items() if key not in (*NAMES, "turns")}
    # The debrief quotes the trainee's replies (the moments, the coaching notes): redacted like the turns.
    row.result = {**{key: result[key] for key in NAMES}, **cast(dict[str, Any], redact_json(debrief))}
    row.finished_at = utcnow()


def store_finished(
    db: Session, tenant_id: str, result: dict[str, Any], created_by: str
) -> RoleplaySessionRow:
    """A session played elsewhere (the CLI), stored finished in one go."""
    row = start_session(
        db, tenant_id, result["trainee"], result["persona"], result["seed"], result["turns"], created_by
    )
    finish_session(row, result)
    return row


@contextmanager
def replying(url: str | None = None) -> Iterator[Session]:
    """A transaction that takes a reply: one taken by another writer meanwhile is a ConflictError."""
    try:
        with transaction(url) as session:
            yield session
    except StaleDataError:  # the row's version moved on (see ``__mapper_args__``)
        raise ConflictError("another reply to this role-play was taken at the same time; retry") from None


def find_session(db: Session, tenant_id: str, session_id: str) -> RoleplaySessionRow | None:
    row = db.get(RoleplaySessionRow, session_id)
    return row if row is not None and row.tenant_id == tenant_id else None


def list_sessions(
    db: Session,
    tenant_id: str,
    trainee: str | None = None,
    persona: str | None = None,
    limit: int = 200,
    created_by: str | None = None,
) -> list[RoleplaySessionRow]:
    """The tenant's sessions (only those ``created_by`` one key, if given), oldest first.

    Oldest first: a trainee's progress reads top to bottom.
    """
    query = select(RoleplaySessionRow).where(RoleplaySessionRow.tenant_id == tenant_id)
    if created_by is not None:
        query = query.where(RoleplaySessionRow.created_by == created_by)
    if trainee is not None:
        query = query.where(RoleplaySessionRow.trainee == trainee)
    if persona is not None:
        query = query.where(RoleplaySessionRow.persona == persona)
    newest = query.order_by(RoleplaySessionRow.created_at.desc(), RoleplaySessionRow.id).limit(limit)
    return sorted(db.scalars(newest), key=lambda row: row.created_at)


def session_summary(row: RoleplaySessionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "trainee": row.trainee,
        "persona": row.persona,
        "seed": row.seed,
        "status": row.status,
        "outcome": row.outcome,
        "final_mood": row.final_mood,
        "score": row.score,
        "replies": sum(1 for turn in row.turns if turn["speaker"] == "trainee"),
        "created_at": row.created_at.isoformat(),
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
    }
