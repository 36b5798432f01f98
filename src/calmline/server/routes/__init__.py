"""The API's routes, one router per resource; ``api_router`` includes them all."""

from __future__ import annotations

from fastapi import APIRouter

from calmline.server.routes import (
    alerts,
    commitments,
    conversations,
    ops,
    records,
    roleplay,
    settings,
    streams,
    webhooks,
    wellbeing,
)

api_router = APIRouter()
# In the order the specification lists them.
for module in (
    ops,
    conversations,
    alerts,
    settings,
    webhooks,
    streams,
    records,
    commitments,
    wellbeing,
    roleplay,
):
    api_router.include_router(module.router)
