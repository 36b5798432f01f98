"""Routes of a tenant's configuration: its playbook and its settings (redaction, time zone)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from calmline.server.deps import AdminActor, CurrentActor, ServiceDep
from calmline.server.inputs import SettingsIn
from calmline.server.models import JsonObject, PlaybookPublic, PlaybookVersion, SettingsPublic

router = APIRouter(prefix="/v1")


@router.get("/playbook", tags=["playbook"], response_model=PlaybookPublic)
def get_playbook(actor: CurrentActor, service: ServiceDep) -> JsonObject:
    """The company's playbook sections and the effective playbook (merged over the default)."""
    return service.playbook(actor)


@router.put("/playbook", tags=["playbook"], response_model=PlaybookVersion)
def put_playbook(
    actor: AdminActor, service: ServiceDep, body: Annotated[dict[str, Any], Body()]
) -> JsonObject:
    """Replace the company's playbook sections; validated, errors name the field; audited."""
    return service.put_playbook(actor, body)


@router.get("/settings", tags=["tenant"], response_model=SettingsPublic)
def get_settings(actor: AdminActor, service: ServiceDep) -> JsonObject:
    """The tenant's settings: which personal data is redacted, and its time zone."""
    return service.settings(actor)


@router.put("/settings", tags=["tenant"], response_model=SettingsPublic)
def put_settings(body: SettingsIn, actor: AdminActor, service: ServiceDep) -> JsonObject:
    """Change the tenant's settings (audited)."""
    return service.put_settings(actor, body.model_dump(exclude_none=True))
