"""The FastAPI application: its parts, the routers (``routes/``), error bodies, limits and background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calmline.errors import (
    BudgetExceededError,
    CalmlineError,
    ConflictError,
    InputError,
    NotAllowedError,
    NotFoundError,
    PlaybookError,
)
from calmline.server.bus import make_bus
from calmline.server.delivery import Deliverer
from calmline.server.ledger import Ledger
from calmline.server.roleplay_service import RoleplayService
from calmline.server.routes import api_router
from calmline.server.security import KeyCheck, RateLimit
from calmline.server.service import LiveService
from calmline.server.settings import Settings, secret_key
from calmline.storage.database import StorageFailure, UnstorableValue, migrate

log = logging.getLogger("calmline.server")

# Young collections every 5,000 net allocations (Python's default: 700), the middle one every 10 of those,
# a full pass every 200 middle ones (default 10) and only once long-lived objects grew by a quarter.
GC_THRESHOLDS = (5_000, 10, 200)


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
    app.state.roleplay = RoleplayService(settings.database_url, app.state.service.playbook_of)
    _error_handlers(app)
    app.include_router(api_router)
    if console is not None:  # the shell that runs the server mounts the browser console, if it wants one
        console(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
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

    @app.exception_handler(NotAllowedError)
    async def not_allowed(_: Request, exc: NotAllowedError) -> JSONResponse:
        return detail(403, str(exc))

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

    @app.exception_handler(UnstorableValue)
    async def unstorable(_: Request, exc: Exception) -> JSONResponse:
        return detail(422, "a value in the request cannot be stored (for example a NUL character)")

    @app.exception_handler(StorageFailure)
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
