"""The FastAPI application: routes, error bodies, limits, metrics and the background webhook sender."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calmline.errors import (
    BudgetExceededError,
    CalmlineError,
    ConflictError,
    InputError,
    NotFoundError,
    PlaybookError,
)
from calmline.server import metrics, streams
from calmline.server.bus import make_bus
from calmline.server.delivery import Deliverer, check_url, webhook_secret
from calmline.server.inputs import AckIn, ConversationIn, DraftIn, SettingsIn, TurnIn, WebhookIn
from calmline.server.ledger import Ledger
from calmline.server.ledger_routes import add_ledger_routes
from calmline.server.roleplay_routes import add_roleplay_routes
from calmline.server.security import KeyCheck, RateLimit, require
from calmline.server.service import Actor, LiveService
from calmline.server.settings import Settings, secret_key
from calmline.storage.audit import audit
from calmline.storage.database import connect, migrate, transaction
from calmline.storage.events import conversation_stream, tenant_stream
from calmline.storage.webhooks import add_webhook, tenant_webhooks

log = logging.getLogger("calmline.server")

AGENT = require("agent", "supervisor")
READER = require("agent", "supervisor", "qa")
SUPERVISOR = require("supervisor")
SUPERVISOR_OR_QA = require("supervisor", "qa")
ADMIN = require()


# Young collections every 5,000 net allocations (Python's default: 700), the middle one every 10 of those,
# a full pass every 200 middle ones (default 10) and only once long-lived objects grew by a quarter.
GC_THRESHOLDS = (5_000, 10, 200)


class Created(BaseModel):
    id: str


def create_app(settings: Settings | None = None, console: Callable[[FastAPI], None] | None = None) -> FastAPI:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate, settings.database_url)
        await run_in_threadpool(app.state.service.warm_up)
        _settle_garbage_collector()
        await app.state.bus.start()
        background = [
            asyncio.create_task(app.state.deliverer.run()),
            asyncio.create_task(_watch_overdue(app, settings.overdue_poll_seconds)),
        ]
        try:
            yield
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.bus.stop()

    app = FastAPI(
        title="calmline",
        summary="De-escalation copilot: live turns in; customer state, guidance and alerts out.",
        version="1",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.bus = make_bus(settings.redis_url)
    app.state.service = LiveService(
        settings.database_url,
        app.state.bus.publish,
        settings.session_cache_turns,
        settings.analysis_budget_seconds,
    )
    app.state.keys = KeyCheck(settings.database_url)
    app.state.rate_limit = RateLimit(settings.rate_per_second, settings.rate_burst)
    app.state.server_key = secret_key()
    app.state.deliverer = Deliverer(
        settings.database_url, app.state.server_key, settings.webhook_poll_seconds
    )
    app.state.ledger = Ledger(settings.database_url, app.state.bus.publish, app.state.service.playbook_of)
    _error_handlers(app)
    _routes(app)
    add_ledger_routes(app, _aware)
    add_roleplay_routes(app)
    if console is not None:  # the shell that runs the server mounts the browser console, if it wants one
        console(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # type: ignore[arg-type]
    return app


def _settle_garbage_collector() -> None:
    """Keep the cyclic garbage collector's full passes out of the turns' latency.

    A full pass stops every thread while it walks all tracked objects: ~140,000 once the models and
    modules are loaded, ~480,000 with 1,000 live conversations cached (their analysed turns are many
    small objects), 80-300 ms on a 2-core machine. What is loaded at start is frozen (never walked
    again: it lives as long as the process), and full passes come minutes apart instead of seconds
    (objects without reference cycles are freed at once whatever the thresholds; only cyclic garbage,
    such as a closed connection's objects, waits longer).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


async def _watch_overdue(app: FastAPI, every: float) -> None:
    """Alert on commitments that fall overdue (each once), then let the webhook sender go."""
    while True:
        try:
            if await run_in_threadpool(app.state.ledger.alert_overdue):
                app.state.deliverer.wake()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be away for a moment
            log.warning("overdue check failed: %s", type(exc).__name__)
        await asyncio.sleep(every)


# --- errors ---------------------------------------------------------------------------------


def _error_handlers(app: FastAPI) -> None:
    def detail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return detail(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # Name the field and the problem; never echo the input (it may hold personal data).
        problems = [
            {
                "field": ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body",
                "problem": error.get("msg", ""),
            }
            for error in exc.errors()[:10]
        ]
        return JSONResponse({"detail": "invalid request", "problems": problems}, status_code=422)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return detail(404, str(exc))

    @app.exception_handler(ConflictError)
    async def conflict(_: Request, exc: ConflictError) -> JSONResponse:
        return detail(409, str(exc))

    @app.exception_handler(PlaybookError)
    async def bad_playbook(_: Request, exc: PlaybookError) -> JSONResponse:
        return detail(422, str(exc))

    @app.exception_handler(BudgetExceededError)
    async def over_budget(_: Request, exc: BudgetExceededError) -> JSONResponse:
        # The server is fine; this text took too long to analyse. Sending it again will not help.
        return detail(503, "the text could not be analysed within the time budget; it was not stored")

    @app.exception_handler(CalmlineError)
    async def bad_input(_: Request, exc: CalmlineError) -> JSONResponse:
        return detail(422 if isinstance(exc, InputError) else 400, str(exc))

    @app.exception_handler(DataError)
    async def unstorable(_: Request, exc: DataError) -> JSONResponse:
        return detail(422, "a value in the request cannot be stored (for example a NUL character)")

    @app.exception_handler(OperationalError)
    @app.exception_handler(DBAPIError)
    async def storage_down(_: Request, exc: Exception) -> JSONResponse:
        log.error("storage error: %s", type(exc).__name__)
        return detail(503, "storage unavailable; retry shortly", {"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        incident = uuid.uuid4().hex[:12]
        log.error("internal error %s: %s", incident, type(exc).__name__)
        return detail(500, f"internal error (incident {incident})")


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` (by Content-Length, and while streaming when it is absent)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await _too_large(send, self.max_bytes)


class _TooLargeError(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = b'{"detail":"request body too large (limit %d bytes)"}' % limit
    await send(
        {"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": body})


# --- routes ---------------------------------------------------------------------------------


def _routes(app: FastAPI) -> None:
    service: LiveService = app.state.service
    settings: Settings = app.state.settings

    @app.get("/health", tags=["ops"])
    def health() -> dict[str, Any]:
        """Liveness: the process answers (and says which worker process it is)."""
        return {"status": "ok", "worker": os.getpid()}

    @app.get("/ready", tags=["ops"])
    def ready() -> JSONResponse:
        """Readiness: the database (and Redis, when configured) answer."""
        checks = {"database": _database_ok(settings.database_url)}
        if settings.redis_url:
            checks["redis"] = _redis_ok(settings.redis_url)
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["ops"], include_in_schema=False)
    def metrics_page() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    @app.post("/v1/conversations", status_code=201, tags=["conversations"])
    def create_conversation(
        actor: Annotated[Actor, Depends(AGENT)], body: Annotated[ConversationIn | None, Body()] = None
    ) -> Created:
        """Open a live conversation."""
        fields = body.model_dump(mode="json") if body else {}
        return Created(**service.create_conversation(actor, fields))

    @app.get("/v1/conversations", tags=["conversations"])
    def list_conversations(
        actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)],
        status: Literal["active", "closed"] = "active",
        closed_before: Annotated[
            datetime | None, Query(description="ISO 8601; closed conversations only.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[dict[str, Any]]:
        """Active conversations, riskiest first; or closed ones (``closed_before`` for retention)."""
        return service.board(actor, status, _aware(closed_before), limit)

    @app.delete("/v1/conversations", tags=["retention"])
    def purge_conversations(
        actor: Annotated[Actor, Depends(ADMIN)], closed_before: Annotated[datetime, Query()]
    ) -> dict[str, int]:
        """Delete closed conversations (turns, alerts, events) closed before the date; audited."""
        return {"purged": service.purge(actor, _aware(closed_before) or closed_before)}

    @app.get("/v1/conversations/{conversation_id}", tags=["conversations"])
    def get_conversation(conversation_id: str, actor: Annotated[Actor, Depends(READER)]) -> dict[str, Any]:
        """The conversation with its redacted turns, state, alerts and (once closed) record."""
        return service.get_conversation(actor, conversation_id)

    @app.post("/v1/conversations/{conversation_id}/turns", tags=["conversations"])
    async def post_turn(
        conversation_id: str, body: TurnIn, actor: Annotated[Actor, Depends(AGENT)]
    ) -> dict[str, Any]:
        """Analyse the next turn: state, guidance and alerts. Replaying a turn id returns the same result."""
        started = time.perf_counter()
        result = await service.add_turn_on_loop(actor, conversation_id, body.id, body.speaker, body.text)
        metrics.TURN_LATENCY.observe(time.perf_counter() - started)
        metrics.TURNS.labels(body.speaker).inc()
        for alert in result["alerts"]:
            metrics.ALERTS.labels(alert["kind"]).inc()
        if result["alerts"]:
            app.state.deliverer.wake()
        return result

    @app.post("/v1/conversations/{conversation_id}/drafts", tags=["conversations"])
    def coach_draft(
        conversation_id: str, body: DraftIn, actor: Annotated[Actor, Depends(AGENT)]
    ) -> dict[str, Any]:
        """Coach the agent's draft reply as the next turn; nothing is stored."""
        return service.coach(actor, conversation_id, body.text)

    @app.post("/v1/conversations/{conversation_id}/close", tags=["conversations"])
    def close_conversation(conversation_id: str, actor: Annotated[Actor, Depends(AGENT)]) -> dict[str, Any]:
        """Close the conversation and return its record (closing twice returns the same record)."""
        record = service.close(actor, conversation_id)
        app.state.deliverer.wake()
        return {"id": conversation_id, "record": record}

    @app.post("/v1/conversations/{conversation_id}/handoff", tags=["conversations"])
    def request_supervisor(conversation_id: str, actor: Annotated[Actor, Depends(AGENT)]) -> dict[str, Any]:
        """Ask for a supervisor: returns the hand-off note and puts it on the supervisors' stream."""
        return service.handoff(actor, conversation_id)

    @app.post("/v1/alerts/{alert_id}/ack", tags=["alerts"])
    def acknowledge_alert(
        alert_id: str,
        actor: Annotated[Actor, Depends(SUPERVISOR)],
        body: Annotated[AckIn | None, Body()] = None,
    ) -> dict[str, Any]:
        """Acknowledge an alert (audited)."""
        return service.acknowledge(actor, alert_id, body.note if body else "")

    @app.get("/v1/playbook", tags=["playbook"])
    def get_playbook(actor: Annotated[Actor, Depends(READER)]) -> dict[str, Any]:
        """The company's playbook sections and the effective playbook (merged over the default)."""
        return service.playbook(actor)

    @app.put("/v1/playbook", tags=["playbook"])
    def put_playbook(
        actor: Annotated[Actor, Depends(ADMIN)], body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        """Replace the company's playbook sections; validated, errors name the field; audited."""
        return service.put_playbook(actor, body)

    @app.get("/v1/settings", tags=["tenant"])
    def get_settings(actor: Annotated[Actor, Depends(ADMIN)]) -> dict[str, Any]:
        """The tenant's settings: which personal data is redacted, and its time zone."""
        return service.settings(actor)

    @app.put("/v1/settings", tags=["tenant"])
    def put_settings(body: SettingsIn, actor: Annotated[Actor, Depends(ADMIN)]) -> dict[str, Any]:
        """Change the tenant's settings (audited)."""
        return service.put_settings(actor, body.model_dump(exclude_none=True))

    @app.post("/v1/webhooks", status_code=201, tags=["webhooks"])
    def create_webhook(body: WebhookIn, actor: Annotated[Actor, Depends(ADMIN)]) -> dict[str, Any]:
        """Register a URL for alerts and/or closed-conversation records; returns its signing secret."""
        url = check_url(body.url, settings.webhook_allow_private)
        with transaction(settings.database_url) as db:
            row = add_webhook(db, actor.tenant_id, url, list(body.events))
            audit(db, actor.tenant_id, actor.key_id, "webhook.create", row.id, url=url)
            return {
                "id": row.id,
                "url": url,
                "events": row.events,
                "secret": webhook_secret(app.state.server_key, row.id),
            }

    @app.get("/v1/webhooks", tags=["webhooks"])
    def list_webhooks(actor: Annotated[Actor, Depends(ADMIN)]) -> list[dict[str, Any]]:
        with transaction(settings.database_url) as db:
            return [
                {"id": w.id, "url": w.url, "events": w.events} for w in tenant_webhooks(db, actor.tenant_id)
            ]

    @app.websocket("/v1/conversations/{conversation_id}/stream")
    async def conversation_events(websocket: WebSocket, conversation_id: str) -> None:
        """The agent's stream of one conversation: turns, alerts, acknowledgements, closing."""

        def stream_of(actor: Actor) -> str:
            service.check_conversation(actor, conversation_id)
            return conversation_stream(conversation_id)

        await streams.serve(websocket, {"agent", "supervisor", "qa"}, stream_of)

    @app.websocket("/v1/stream")
    async def tenant_events(websocket: WebSocket) -> None:
        """The supervisors' stream: conversations opened, risk moves, alerts, acknowledgements, closings."""
        await streams.serve(websocket, {"supervisor", "qa"}, lambda actor: tenant_stream(actor.tenant_id))


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _database_ok(url: str) -> bool:
    try:
        with connect(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except Exception:
        return False
