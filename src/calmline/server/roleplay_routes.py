"""Routes for role-play training: personas, sessions a trainee plays reply by reply, and trainee progress.

A live session is kept as its stored turns: each reply rebuilds the simulation from the persona, the
seed and the trainee's earlier replies (deterministic), so any worker can take the next reply. Replies
are redacted before the simulation reads them, so what is stored is exactly what is replayed.

Who trains is decided by the key, never by the request alone: an agent key trains under its own name
(its label, else its prefix) and sees only the sessions it started; a supervisor, qa or admin key is a
trainer: it may run a session for a trainee it names, and sees and may act on all of its tenant's sessions.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.exc import StaleDataError

from calmline.engine.pipeline import Engine
from calmline.errors import ConflictError, NotAllowedError, NotFoundError
from calmline.roleplay import Persona, Simulation, find_persona, shipped_personas
from calmline.server.security import require
from calmline.server.service import Actor
from calmline.storage.database import transaction
from calmline.storage.roleplay import (
    ACTIVE,
    RoleplaySessionRow,
    find_session,
    finish_session,
    list_sessions,
    record_turns,
    redact_reply,
    session_summary,
    start_session,
)
from calmline.storage.tables import ApiKey, Tenant

TRAINEE = require("agent", "supervisor", "qa")
TRAINER_ROLES = frozenset({"supervisor", "qa", "admin"})


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona: str = Field(min_length=1, max_length=40)
    trainee: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description=(
            "Whose session it is. Honoured only for a supervisor, qa or admin key running a session for a"
            " trainee (default: that key itself); an agent key always trains under its own name (its label,"
            " else its prefix), whatever is sent here."
        ),
    )
    seed: int | None = Field(None, ge=0, le=2**31 - 1, description="Same seed, same replies -> same session.")


class ReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class RoleplayService:
    """The role-play operations without HTTP: the routes below translate requests into these calls."""

    def __init__(self, database_url: str, playbook_of: Any) -> None:
        self.database_url = database_url
        self.playbook_of = playbook_of
        self._engines: dict[tuple[str, int], Engine] = {}

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
        try:
            with transaction(self.database_url) as db:
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
        except StaleDataError:
            raise ConflictError("another reply to this role-play was taken at the same time; retry") from None

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
        tenant = db.get(Tenant, actor.tenant_id)
        if tenant is None or not tenant.playbook_yaml:
            return Engine.default()
        key = (tenant.id, tenant.playbook_version)
        if key not in self._engines:
            self._engines[key] = Engine(self.playbook_of(tenant))
        return self._engines[key]


def key_identity(db: DbSession, actor: Actor) -> str:
    """The name a key trains under: its label (``calmline key create --label``), else its prefix."""
    key = db.get(ApiKey, actor.key_id)
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


def add_roleplay_routes(app: FastAPI) -> None:
    service = RoleplayService(app.state.settings.database_url, app.state.service.playbook_of)
    app.state.roleplay = service

    @app.exception_handler(NotAllowedError)
    async def not_allowed(_: Request, exc: NotAllowedError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.get("/v1/roleplay/personas", tags=["roleplay"])
    def personas(actor: Annotated[Actor, Depends(TRAINEE)]) -> list[dict[str, Any]]:
        """The personas a trainee can practise against, each with a one-line description."""
        return [
            {"id": p.id, **_persona_view(p)} for p in sorted(shipped_personas().values(), key=lambda p: p.id)
        ]

    @app.post("/v1/roleplay/sessions", status_code=201, tags=["roleplay"])
    def start(body: StartIn, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """Start a role-play: the simulated customer's opening line and mood.

        An agent key's session is recorded under the key's own name (its label, else its prefix) and
        ``trainee`` is ignored; a supervisor, qa or admin key may name the ``trainee`` it runs it for.
        The response's ``trainee`` says whose session it is.
        """
        return service.start(actor, body)

    @app.post("/v1/roleplay/sessions/{session_id}/replies", tags=["roleplay"])
    def reply(session_id: str, body: ReplyIn, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """The trainee's next reply: the customer's answer and mood (``over`` once the conversation ended).

        Personal data in the reply (card numbers, phones, emails, …) is redacted before it is read or
        stored; ``reply`` is the reply as kept. An agent key may reply only in sessions it started;
        trainers (supervisor, qa, admin) in any of their tenant's.
        """
        return service.reply(actor, session_id, body.text)

    @app.post("/v1/roleplay/sessions/{session_id}/finish", tags=["roleplay"])
    def finish(session_id: str, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """Finish: outcome, QA scorecard, the moments that moved the mood and coaching notes (idempotent).

        An agent key may finish only sessions it started; trainers any of their tenant's.
        """
        return service.finish(actor, session_id)

    @app.get("/v1/roleplay/sessions/{session_id}", tags=["roleplay"])
    def get(session_id: str, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """One session with its turns (and its result once finished).

        An agent key sees only sessions it started (others answer 404); trainers any of their tenant's.
        """
        return service.get(actor, session_id)

    @app.get("/v1/roleplay/sessions", tags=["roleplay"])
    def progress(
        actor: Annotated[Actor, Depends(TRAINEE)],
        trainee: str | None = None,
        persona: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """Progress over time: sessions oldest first, with outcome, final mood and score.

        Trainers (supervisor, qa, admin) see every session of their tenant, filtered by ``trainee`` and
        ``persona`` if given; an agent key sees only the sessions it started (naming another trainee is 403).
        """
        return service.progress(actor, trainee, persona, limit)
