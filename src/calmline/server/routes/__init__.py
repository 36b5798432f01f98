"""The API's routes, one router per resource; ``api_router`` includes them all."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from calmline.server.models import ErrorBody
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

# What any /v1 route may answer besides its own errors (404, 409, ...): each takes a key and validates its
# input. Documented here because FastAPI's default for 422 is not the body this server sends.
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing or invalid API key"},
    403: {"model": ErrorBody, "description": "The key's role may not do this"},
    422: {"model": ErrorBody, "description": "Invalid request: each problem names its field"},
    429: {"model": ErrorBody, "description": "Rate limit exceeded: retry after the Retry-After seconds"},
}

api_router = APIRouter()
api_router.include_router(ops.router)
# In the order the specification lists them.
for module in (conversations, alerts, settings, webhooks, streams, records, commitments, wellbeing, roleplay):
    api_router.include_router(module.router, responses=ERRORS)
