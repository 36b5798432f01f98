"""Routes of alerts: a supervisor acknowledges one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from calmline.server.deps import ServiceDep, SupervisorActor
from calmline.server.inputs import AckIn
from calmline.server.models import AlertPublic, JsonObject

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])


@router.post("/{alert_id}/ack", response_model=AlertPublic)
def acknowledge_alert(
    alert_id: str,
    actor: SupervisorActor,
    service: ServiceDep,
    body: Annotated[AckIn | None, Body()] = None,
) -> JsonObject:
    """Acknowledge an alert (audited)."""
    return service.acknowledge(actor, alert_id, body.note if body else "")
