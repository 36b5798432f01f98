"""Role-play training without HTTP: personas, sessions a trainee plays reply by reply, and trainee progress.

A live session is kept as its stored turns: each reply rebuilds the simulation from the persona, the
seed and the trainee's earlier replies (deterministic), so any worker can take the next reply. Replies
are redacted before the simulation reads them, so what is stored is exactly what is replayed.

Who trains is decided by the key, never by the request alone: an agent key trains under its own name
(its label, else its prefix) and sees only the sessions it started; a supervisor, qa or admin key is a
trainer: it may run a session for a trainee it names, and sees and may act on all of its tenant's sessions.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from calmline.engine.pipeline import Engine
from calmline.errors import ConflictError, NotAllowedError, NotFoundError
from calmline.playbook import Playbook
from calmline.roleplay import Persona, Simulation, find_persona, shipped_personas
from calmline.server.inputs import StartIn
from calmline.server.service import Actor
from calmline.storage.database import DbSession, transaction
from calmline.storage.roleplay import (
    ACTIVE,
    RoleplaySessionRow,
    find_session,
    finish_session,
    list_sessions,
    record_turns,
    redact_reply,
    replying,
    session_summary,
    start_session,
)
from calmline.storage.tables import Tenant
from calmline.storage.tenants import key_by_id, tenant_by_id

TRAINER_ROLES = frozenset({"supervisor", "qa", "admin"})


class RoleplayService:
    """The role-play operations without HTTP: ``routes/roleplay.py`` translates requests into these calls."""

    def __init__(self, database_url: str, playbook_of: Callable[[Tenant], Playbook]) -> None:
        self.database_url = database_url
        self.playbook_of = playbook_of
        self._engines: dict[tuple[str, int], Engine] = {}

    def personas(self) -> list[dict[str, Any]]:
        return [
            {"id": p.id, **_persona_view(p)} for p in sorted(shipped_personas().values(), key=lambda p: p.id)
        ]

    def start(self, actor: Actor, body: StartIn) -> dict[str, Any]:
        persona = find_persona(shipped_personas(), body.persona)
        seed = body.seed if body.seed is not None else secrets.randbelow(2**31)
        with transaction(self.database_url) as db:
            trainee = self._trainee(db, actor, body.trainee)
            simulation = Simulation(persona, seed, trainee=trainee, engine=self._engine(db, actor))
            turns = [turn.model_dump(mode="json") for turn in simulation.turns]
            row = start_session(db, actor.tenant_id, trainee, persona.id, seed, turns, actor.key_id)
            return {**_view(row), **_persona_view(persona)}

    def reply(self, actor: Actor, session_id: str, text: str) -> dict[str, Any]:
        with replying(self.database_url) as db:
            row = self._active(db, actor, session_id)
            simulation = self._replay(db, actor, row)
            if simulation.over:
                raise ConflictError("this role-play has ended; finish it to see the scorecard")
            answer = simulation.reply(redact_reply(text, simulation.turns[-1].text))
            record_turns(row, [turn.model_dump(mode="json") for turn in simulation.turns])
            return {
                "reply": _last_reply(simulation),
                "customer": answer.text,
                "mood": answer.mood,
                "change": answer.change,
                "band": simulation.mood.band.value,
                "moves": answer.moves,
                "over": answer.over,
            }

    def finish(self, actor: Actor, session_id: str) -> dict[str, Any]:
        with transaction(self.database_url) as db:
            row = self._row(db, actor, session_id)
            if row.status == ACTIVE:
                result = self._replay(db, actor, row).finish()
                finish_session(row, result.model_dump(mode="json"))
            return _result(row)

    def get(self, actor: Actor, session_id: str) -> dict[str, Any]:
        with transaction(self.database_url) as db:
            row = self._row(db, actor, session_id)
            persona = shipped_personas().get(row.persona)
            return {
                **_view(row),
                **(_persona_view(persona) if persona else {}),
                "result": _result(row) if row.result else None,
            }

    def progress(
        self, actor: Actor, trainee: str | None, persona: str | None, limit: int
    ) -> list[dict[str, Any]]:
        with transaction(self.database_url) as db:
            own_key = None if _is_trainer(actor) else actor.key_id
            if own_key is not None and trainee is not None and trainee != key_identity(db, actor):
                raise NotAllowedError("an agent key sees only its own role-play sessions")
            rows = list_sessions(db, actor.tenant_id, trainee, persona, limit, created_by=own_key)
            return [session_summary(row) for row in rows]

    def _trainee(self, db: DbSession, actor: Actor, asked: str | None) -> str:
        """Who the new session is for: the trainee a trainer names, else the key's own identity."""
        if asked is not None and asked.strip() and _is_trainer(actor):
            return asked.strip()
        return key_identity(db, actor)

    def _row(self, db: DbSession, actor: Actor, session_id: str) -> RoleplaySessionRow:
        row = find_session(db, actor.tenant_id, session_id)
        # Another agent's session is not found either: its existence is not the caller's business.
        if row is None or not (_is_trainer(actor) or row.created_by == actor.key_id):
            raise NotFoundError(f"no role-play session {session_id}")
        return row

    def _active(self, db: DbSession, actor: Actor, session_id: str) -> RoleplaySessionRow:
        row = self._row(db, actor, session_id)
        if row.status != ACTIVE:
            raise ConflictError("this role-play is finished")
        return row

    def _replay(self, db: DbSession, actor: Actor, row: RoleplaySessionRow) -> Simulation:
        persona = find_persona(shipped_personas(), row.persona)
        simulation = Simulation(persona, row.seed, trainee=row.trainee, engine=self._engine(db, actor))
        for turn in row.turns:
            if turn["speaker"] == "trainee":
                simulation.reply(turn["text"])
        return simulation

    def _engine(self, db: DbSession, actor: Actor) -> Engine:
        tenant = tenant_by_id(db, actor.tenant_id)
        if tenant is None or not tenant.playbook_yaml:
            return Engine.default()
        key = (tenant.id, tenant.playbook_version)
        if key not in self._engines:
            self._engines[key] = Engine(self.playbook_of(tenant))
        return self._engines[key]


def key_identity(db: DbSession, actor: Actor) -> str:
    """The name a key trains under: its label (``calmline key create --label``), else its prefix."""
    key = key_by_id(db, actor.key_id)
    if key is None:  # revoked and purged between the key check and now
        raise NotFoundError("this API key no longer exists")
    return key.label.strip() or f"key {key.prefix}"


def _is_trainer(actor: Actor) -> bool:
    return actor.role in TRAINER_ROLES


def _persona_view(persona: Persona) -> dict[str, Any]:
    """How the console names a persona: title, customer, procedure and a one-line description."""
    return {
        "title": persona.title,
        "customer_name": persona.customer_name,
        "procedure": persona.procedure.value,
        "description": _opening(persona.backstory),
    }


def _opening(text: str, at_least: int = 60) -> str:
    """The backstory's first sentences, enough of them to say who the customer is (a scene-setting
    "It is two in the morning." alone does not)."""
    opening, rest = "", " ".join(text.split())
    while rest and len(opening) < at_least:
        sentence, stop, rest = rest.partition(". ")
        opening = f"{opening} {sentence}{'.' if stop else ''}".strip()
    return opening


def _last_reply(simulation: Simulation) -> str:
    """The trainee's latest reply as stored (redacted), so the trainee sees what was kept."""
    return next(turn.text for turn in reversed(simulation.turns) if turn.speaker == "trainee")


def _view(row: RoleplaySessionRow) -> dict[str, Any]:
    return {**session_summary(row), "turns": row.turns}


def _result(row: RoleplaySessionRow) -> dict[str, Any]:
    return {"id": row.id, **(row.result or {}), "turns": row.turns}
