"""Routes for role-play training: personas, sessions a trainee plays reply by reply, and trainee progress.

A live session is kept as its stored turns: each reply rebuilds the simulation from the persona, the
seed and the trainee's earlier replies (deterministic), so any worker can take the next reply.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session as DbSession
from sqlalchemy.orm.exc import StaleDataError

from calmline.engine.pipeline import Engine
from calmline.roleplay import Simulation, find_persona, shipped_personas
from calmline.server.security import require
from calmline.server.service import Actor, ConflictError, NotFoundError
from calmline.storage.database import transaction
from calmline.storage.roleplay import (
    ACTIVE,
    RoleplaySessionRow,
    find_session,
    finish_session,
    list_sessions,
    record_turns,
    session_summary,
    start_session,
)
from calmline.storage.tables import Tenant

TRAINEE = require("agent", "supervisor", "qa")
TRAINER = require("supervisor", "qa")


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona: str = Field(min_length=1, max_length=40)
    trainee: str = Field(min_length=1, max_length=200, description="Whose session it is (a trainer sees it).")
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
            simulation = Simulation(persona, seed, trainee=body.trainee, engine=self._engine(db, actor))
            turns = [turn.model_dump(mode="json") for turn in simulation.turns]
            row = start_session(db, actor.tenant_id, body.trainee, persona.id, seed, turns, actor.key_id)
            return {**_view(row), "title": persona.title, "customer_name": persona.customer_name}

    def reply(self, actor: Actor, session_id: str, text: str) -> dict[str, Any]:
        try:
            with transaction(self.database_url) as db:
                row = self._active(db, actor, session_id)
                simulation = self._replay(db, actor, row)
                if simulation.over:
                    raise ConflictError("this role-play has ended; finish it to see the scorecard")
                answer = simulation.reply(text)
                record_turns(row, [turn.model_dump(mode="json") for turn in simulation.turns])
                return {
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
            return {**_view(row), "result": _result(row) if row.result else None}

    def progress(
        self, actor: Actor, trainee: str | None, persona: str | None, limit: int
    ) -> list[dict[str, Any]]:
        with transaction(self.database_url) as db:
            return [
                session_summary(row) for row in list_sessions(db, actor.tenant_id, trainee, persona, limit)
            ]

    def _row(self, db: DbSession, actor: Actor, session_id: str) -> RoleplaySessionRow:
        row = find_session(db, actor.tenant_id, session_id)
        if row is None:
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


def _view(row: RoleplaySessionRow) -> dict[str, Any]:
    return {**session_summary(row), "turns": row.turns}


def _result(row: RoleplaySessionRow) -> dict[str, Any]:
    return {"id": row.id, **(row.result or {}), "turns": row.turns}


def add_roleplay_routes(app: FastAPI) -> None:
    service = RoleplayService(app.state.settings.database_url, app.state.service.playbook_of)
    app.state.roleplay = service

    @app.get("/v1/roleplay/personas", tags=["roleplay"])
    def personas(actor: Annotated[Actor, Depends(TRAINEE)]) -> list[dict[str, Any]]:
        """The personas a trainee can practise against."""
        return [
            {"id": p.id, "title": p.title, "customer_name": p.customer_name, "procedure": p.procedure.value}
            for p in sorted(shipped_personas().values(), key=lambda p: p.id)
        ]

    @app.post("/v1/roleplay/sessions", status_code=201, tags=["roleplay"])
    def start(body: StartIn, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """Start a role-play: the simulated customer's opening line and mood."""
        return service.start(actor, body)

    @app.post("/v1/roleplay/sessions/{session_id}/replies", tags=["roleplay"])
    def reply(session_id: str, body: ReplyIn, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """The trainee's next reply: the customer's answer and mood (``over`` once the conversation ended)."""
        return service.reply(actor, session_id, body.text)

    @app.post("/v1/roleplay/sessions/{session_id}/finish", tags=["roleplay"])
    def finish(session_id: str, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """Finish: outcome, QA scorecard, the moments that moved the mood and coaching notes (idempotent)."""
        return service.finish(actor, session_id)

    @app.get("/v1/roleplay/sessions/{session_id}", tags=["roleplay"])
    def get(session_id: str, actor: Annotated[Actor, Depends(TRAINEE)]) -> dict[str, Any]:
        """One session with its turns (and its result once finished)."""
        return service.get(actor, session_id)

    @app.get("/v1/roleplay/sessions", tags=["roleplay"])
    def progress(
        actor: Annotated[Actor, Depends(TRAINER)],
        trainee: str | None = None,
        persona: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """A trainer's view of progress: sessions oldest first, with outcome, final mood and score."""
        return service.progress(actor, trainee, persona, limit)
