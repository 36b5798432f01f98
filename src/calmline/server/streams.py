"""WebSocket streams: authenticate, replay what the client missed from the database, then follow live events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from calmline.errors import NotFoundError
from calmline.server import metrics
from calmline.server.security import bearer_key
from calmline.server.service import Actor
from calmline.storage.database import transaction
from calmline.storage.events import events_after

AUTH_TIMEOUT = 10.0
UNAUTHORIZED, FORBIDDEN, NOT_FOUND, BAD_REQUEST = 4401, 4403, 4404, 4400

StreamOf = Callable[[Actor], str]  # the stream an actor asked for; raises NotFoundError if not theirs


async def serve(websocket: WebSocket, roles: set[str], stream_of: StreamOf) -> None:
    await websocket.accept()
    hello = await _hello(websocket)
    if hello is None:
        return
    raw, after = hello
    actor = await run_in_threadpool(websocket.app.state.keys.actor, raw) if raw else None
    if actor is None:
        await websocket.close(UNAUTHORIZED, "missing or invalid API key")
        return
    if actor.role not in roles | {"admin"}:
        await websocket.close(FORBIDDEN, f"a {actor.role} key may not follow this stream")
        return
    try:
        stream = await run_in_threadpool(stream_of, actor)
    except NotFoundError:
        await websocket.close(NOT_FOUND, "no such conversation")
        return
    metrics.WEBSOCKET_CLIENTS.inc()
    try:
        await _follow(websocket, actor, stream, after)
    except WebSocketDisconnect:
        pass
    finally:
        metrics.WEBSOCKET_CLIENTS.dec()


async def _hello(websocket: WebSocket) -> tuple[str | None, int] | None:
    """The key (header, or a first ``{"type": "auth", "key": …}`` message) and the last sequence seen."""
    after = _as_seq(websocket.query_params.get("after"))
    raw = bearer_key(websocket.headers.get("authorization"))
    if raw is not None:
        return raw, after if after is not None else 0
    try:
        first: Any = json.loads(await asyncio.wait_for(websocket.receive_text(), AUTH_TIMEOUT))
    except (TimeoutError, ValueError, WebSocketDisconnect, KeyError):
        await _close(websocket, UNAUTHORIZED, 'send {"type": "auth", "key": KEY} first')
        return None
    if not isinstance(first, dict) or first.get("type") != "auth" or not isinstance(first.get("key"), str):
        await _close(websocket, UNAUTHORIZED, 'send {"type": "auth", "key": KEY} first')
        return None
    given = _as_seq(first.get("after"))
    return first["key"], given if given is not None else (after or 0)


def _as_seq(value: Any) -> int | None:
    try:
        seq = int(value)
    except (TypeError, ValueError):
        return None
    return seq if seq >= 0 else None


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await websocket.close(code, reason)


async def _follow(websocket: WebSocket, actor: Actor, stream: str, after: int) -> None:
    database_url = websocket.app.state.service.database_url
    bus = websocket.app.state.bus
    with bus.subscribe(stream) as queue:
        # Subscribe first, then read back: nothing published in between can fall through the gap.
        last = after
        for event in await run_in_threadpool(_stored, database_url, stream, last, None):
            await websocket.send_json(event)
            last = event["seq"]
        await websocket.send_json({"type": "ready", "stream": stream, "seq": last})
        closed = asyncio.create_task(_until_disconnect(websocket))
        try:
            while not closed.done():
                getter = asyncio.create_task(queue.get())
                done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                event = getter.result()
                if event.get("stream") != stream or event["seq"] <= last:
                    continue
                if event["seq"] > last + 1:  # missed some (slow client, or commits published out of order)
                    for missed in await run_in_threadpool(_stored, database_url, stream, last, event["seq"]):
                        await websocket.send_json(missed)
                        last = missed["seq"]
                await websocket.send_json(event)
                last = event["seq"]
        finally:
            closed.cancel()


async def _until_disconnect(websocket: WebSocket) -> None:
    """Read (and ignore) client messages; returns when the client goes away."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


def _stored(database_url: str, stream: str, after: int, before: int | None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    with transaction(database_url) as db:
        while page := events_after(db, stream, after, before):
            events.extend(page)
            after = page[-1]["seq"]
    return events
