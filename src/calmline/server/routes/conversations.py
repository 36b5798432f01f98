"""Routes of live conversations and their turns: open, list, read, analyse a turn, coach a draft, close, hand off, purge."""

from __future__ import annotations

import time
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query

from calmline.server import metrics
from calmline.server.deps import (
    AdminActor,
    AgentActor,
    CurrentActor,
    DelivererDep,
    QueryTime,
    ReviewerActor,
    ServiceDep,
)
from calmline.server.inputs import ConversationIn, DraftIn, TurnIn
from calmline.server.models import (
    CoachReportBody,
    ConversationClosed,
    ConversationOnBoard,
    ConversationPublic,
    Created,
    Handoff,
    JsonObject,
    Purged,
    TurnResult,
)

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


@router.post("", status_code=201)
def create_conversation(
    actor: AgentActor, service: ServiceDep, body: Annotated[ConversationIn | None, Body()] = None
) -> Created:
    """Open a live conversation."""
    fields = body.model_dump(mode="json") if body else {}
    return Created(**service.create_conversation(actor, fields))


@router.get("", response_model=list[ConversationOnBoard])
def list_conversations(
    actor: ReviewerActor,
    service: ServiceDep,
    status: Literal["active", "closed"] = "active",
    closed_before: Annotated[
        QueryTime | None, Query(description="ISO 8601; closed conversations only.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[JsonObject]:
    """Active conversations, riskiest first; or closed ones (``closed_before`` for retention)."""
    return service.board(actor, status, closed_before, limit)


@router.delete("", tags=["retention"])
def purge_conversations(actor: AdminActor, service: ServiceDep, closed_before: QueryTime) -> Purged:
    """Delete closed conversations (turns, alerts, events) closed before the date; audited."""
    return Purged(purged=service.purge(actor, closed_before))


@router.get("/{conversation_id}", response_model=ConversationPublic)
def get_conversation(conversation_id: str, actor: CurrentActor, service: ServiceDep) -> JsonObject:
    """The conversation with its redacted turns, state, alerts and (once closed) record."""
    return service.get_conversation(actor, conversation_id)


@router.post("/{conversation_id}/turns", response_model=TurnResult)
async def post_turn(
    conversation_id: str, body: TurnIn, actor: AgentActor, service: ServiceDep, deliverer: DelivererDep
) -> JsonObject:
    """Analyse the next turn: state, guidance and alerts. Replaying a turn id returns the same result."""
    started = time.perf_counter()
    result = await service.add_turn_on_loop(actor, conversation_id, body.id, body.speaker, body.text)
    metrics.TURN_LATENCY.observe(time.perf_counter() - started)
    metrics.TURNS.labels(body.speaker).inc()
    for alert in result["alerts"]:
        metrics.ALERTS.labels(alert["kind"]).inc()
    if result["alerts"]:
        deliverer.wake()
    return result


@router.post("/{conversation_id}/drafts")
def coach_draft(
    conversation_id: str, body: DraftIn, actor: AgentActor, service: ServiceDep
) -> CoachReportBody:
    """Coach the agent's draft reply as the next turn; nothing is stored."""
    return service.coach(actor, conversation_id, body.text)


@router.post("/{conversation_id}/close")
def close_conversation(
    conversation_id: str, actor: AgentActor, service: ServiceDep, deliverer: DelivererDep
) -> ConversationClosed:
    """Close the conversation and return its record (closing twice returns the same record)."""
    record = service.close(actor, conversation_id)
    deliverer.wake()
    return ConversationClosed(id=conversation_id, record=record)


@router.post("/{conversation_id}/handoff", response_model=Handoff)
def request_supervisor(conversation_id: str, actor: AgentActor, service: ServiceDep) -> JsonObject:
    """Ask for a supervisor: returns the hand-off note and puts it on the supervisors' stream."""
    return service.handoff(actor, conversation_id)
