"""Routes for operations: liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Response

from calmline.server import metrics
from calmline.server.deps import SettingsDep
from calmline.server.models import Health, Readiness
from calmline.storage.database import ping

router = APIRouter(tags=["ops"])


@router.get("/health")
def health() -> Health:
    """Liveness: the process answers (and says which worker process it is)."""
    return Health(status="ok", worker=os.getpid())


@router.get("/ready", responses={503: {"model": Readiness, "description": "Not ready"}})
def ready(settings: SettingsDep, response: Response) -> Readiness:
    """Readiness: the database (and Redis, when configured) answer."""
    checks = {"database": ping(settings.database_url)}
    if settings.redis_url:
        checks["redis"] = _redis_ok(settings.redis_url)
    ok = all(checks.values())
    response.status_code = 200 if ok else 503
    return Readiness(ready=ok, checks=checks)


@router.get("/metrics", include_in_schema=False)
def metrics_page() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except Exception:
        return False
