"""WebSocket routes: an agent follows one conversation's stream; supervisors follow the tenant's."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from calmline.server import streams
from calmline.server.deps import ANY_ROLE, REVIEWERS, ServiceDep
from calmline.server.service import Actor
from calmline.storage.events import conversation_stream, tenant_stream

router = APIRouter(prefix="/v1")


@router.websocket("/conversations/{conversation_id}/stream")
async def conversation_events(websocket: WebSocket, conversation_id: str, service: ServiceDep) -> None:
    """The agent's stream of one conversation: turns, alerts, acknowledgements, closing."""

    def stream_of(actor: Actor) -> str:
        service.check_conversation(actor, conversation_id)
        return conversation_stream(conversation_id)

    await streams.serve(websocket, set(ANY_ROLE), stream_of)


@router.websocket("/stream")
async def tenant_events(websocket: WebSocket) -> None:
    """The supervisors' stream: conversations opened, risk moves, alerts, acknowledgements, closings."""
    await streams.serve(websocket, set(REVIEWERS), lambda actor: tenant_stream(actor.tenant_id))
