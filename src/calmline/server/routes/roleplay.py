"""Routes of role-play training: personas, sessions played reply by reply, trainee progress (``roleplay_service``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from calmline.server.deps import CurrentActor, RoleplayDep
from calmline.server.inputs import ReplyIn, StartIn
from calmline.server.models import (
    FinishedRoleplayBody,
    JsonObject,
    PersonaListed,
    RoleplayAnswer,
    RoleplaySession,
    RoleplayStarted,
    RoleplaySummary,
)

router = APIRouter(prefix="/v1/roleplay", tags=["roleplay"])


@router.get("/personas", response_model=list[PersonaListed])
def personas(actor: CurrentActor, service: RoleplayDep) -> list[JsonObject]:
    """The personas a trainee can practise against, each with a one-line description."""
    return service.personas()


@router.post("/sessions", status_code=201, response_model=RoleplayStarted)
def start(body: StartIn, actor: CurrentActor, service: RoleplayDep) -> JsonObject:
    """Start a role-play: the simulated customer's opening line and mood.

    An agent key's session is recorded under the key's own name (its label, else its prefix) and
    ``trainee`` is ignored; a supervisor, qa or admin key may name the ``trainee`` it runs it for.
    The response's ``trainee`` says whose session it is.
    """
    return service.start(actor, body)


@router.post("/sessions/{session_id}/replies", response_model=RoleplayAnswer)
def reply(session_id: str, body: ReplyIn, actor: CurrentActor, service: RoleplayDep) -> JsonObject:
    """The trainee's next reply: the customer's answer and mood (``over`` once the conversation ended).

    Personal data in the reply (card numbers, phones, emails, …) is redacted before it is read or
    stored; ``reply`` is the reply as kept. An agent key may reply only in sessions it started;
    trainers (supervisor, qa, admin) in any of their tenant's.
    """
    return service.reply(actor, session_id, body.text)


@router.post("/sessions/{session_id}/finish")
def finish(session_id: str, actor: CurrentActor, service: RoleplayDep) -> FinishedRoleplayBody:
    """Finish: outcome, QA scorecard, the moments that moved the mood and coaching notes (idempotent).

    An agent key may finish only sessions it started; trainers any of their tenant's.
    """
    return service.finish(actor, session_id)


# Unset fields stay out: a session whose persona no longer ships has no persona fields at all.
@router.get("/sessions/{session_id}", response_model=RoleplaySession, response_model_exclude_unset=True)
def get(session_id: str, actor: CurrentActor, service: RoleplayDep) -> JsonObject:
    """One session with its turns (and its result once finished).

    An agent key sees only sessions it started (others answer 404); trainers any of their tenant's.
    """
    return service.get(actor, session_id)


@router.get("/sessions", response_model=list[RoleplaySummary])
def progress(
    actor: CurrentActor,
    service: RoleplayDep,
    trainee: str | None = None,
    persona: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[JsonObject]:
    """Progress over time: sessions oldest first, with outcome, final mood and score.

    Trainers (supervisor, qa, admin) see every session of their tenant, filtered by ``trainee`` and
    ``persona`` if given; an agent key sees only the sessions it started (naming another trainee is 403).
    """
    return service.progress(actor, trainee, persona, limit)
