"""WebSocket streams: authentication, typed events with sequence numbers, resume without loss, Redis fan-out."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from calmline.server.bus import PUBLISH_TIMEOUT, RedisBus
from tests.server.support import REDIS_URL, ServerProcess, Tenant, make_tenant


def _events(ws: ClientConnection, until_ready: bool = True, timeout: float = 10.0) -> list[dict]:
    """Messages up to and including the 'ready' marker (or until ``timeout`` passes quietly)."""
    received = []
    while True:
        try:
            message = json.loads(ws.recv(timeout=timeout))
        except TimeoutError:
            return received
        received.append(message)
        if until_ready and message["type"] == "ready":
            return received


def _next_event(ws: ClientConnection, timeout: float = 5.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def _turn(url: str, tenant: Tenant, cid: str, turn_id: str, text: str) -> dict:
    response = httpx.post(
        f"{url}/v1/conversations/{cid}/turns",
        json={"id": turn_id, "speaker": "customer", "text": text},
        headers=tenant.headers("agent"),
    )
    assert response.status_code == 200, response.text
    return response.json()


def _open(url: str, tenant: Tenant) -> str:
    return httpx.post(f"{url}/v1/conversations", headers=tenant.headers("agent")).json()["id"]


def test_stream_needs_a_key_of_a_role_that_may_follow_it(
    server: ServerProcess, tenant: Tenant, other_tenant: Tenant
) -> None:
    cid = _open(server.url, tenant)
    path = f"{server.ws_url}/v1/conversations/{cid}/stream"
    with connect(path) as ws:
        ws.send(json.dumps({"type": "auth", "key": "cl_wrong"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    with (
        connect(path, additional_headers=other_tenant.headers("agent")) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
    with (
        connect(f"{server.ws_url}/v1/stream", additional_headers=tenant.headers("agent")) as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_agent_stream_carries_each_turn_with_its_guidance(server: ServerProcess, tenant: Tenant) -> None:
    cid = _open(server.url, tenant)
    with connect(f"{server.ws_url}/v1/conversations/{cid}/stream") as ws:
        ws.send(json.dumps({"type": "auth", "key": tenant.keys["agent"]}))
        assert _events(ws)[-1] == {"type": "ready", "stream": f"conversation:{cid}", "seq": 0}
        result = _turn(server.url, tenant, cid, "1", "You people are useless idiots, get me a manager!")
        event = _next_event(ws)
    assert (event["stream"], event["seq"], event["type"]) == (f"conversation:{cid}", 1, "turn")
    assert event["data"]["state"] == result["state"]
    assert event["data"]["alerts"] == result["alerts"]


def test_a_dropped_connection_resumes_from_its_last_sequence_without_loss(
    server: ServerProcess, tenant: Tenant
) -> None:
    cid = _open(server.url, tenant)
    path = f"{server.ws_url}/v1/conversations/{cid}/stream"
    with connect(path, additional_headers=tenant.headers("agent")) as ws:
        _events(ws)
        _turn(server.url, tenant, cid, "1", "My internet has been down for three days.")
        _turn(server.url, tenant, cid, "2", "This is the third time I'm calling about it!")
        seen = [_next_event(ws), _next_event(ws)]
    last = seen[-1]["seq"]
    for i in range(3, 8):  # while the agent's laptop is offline
        _turn(server.url, tenant, cid, str(i), f"Hello? Anyone? Message {i}.")
    with connect(f"{path}?after={last}", additional_headers=tenant.headers("agent")) as ws:
        missed = _events(ws)
        _turn(server.url, tenant, cid, "8", "Finally. Are you there?")
        live = _next_event(ws)
    replayed = [m for m in missed if m["type"] != "ready"]
    sequences = [m["seq"] for m in seen + replayed] + [live["seq"]]
    assert sequences == list(range(1, 9)), "every event exactly once, in order"
    assert missed[-1] == {"type": "ready", "stream": f"conversation:{cid}", "seq": 7}


def test_supervisor_stream_sees_opened_updated_alerts_and_closed(
    server: ServerProcess, tenant: Tenant
) -> None:
    with connect(f"{server.ws_url}/v1/stream", additional_headers=tenant.headers("supervisor")) as ws:
        _events(ws)
        cid = _open(server.url, tenant)
        _turn(
            server.url,
            tenant,
            cid,
            "1",
            "This is outrageous. You are useless idiots and I want your manager NOW.",
        )
        httpx.post(f"{server.url}/v1/conversations/{cid}/close", headers=tenant.headers("agent"))
        events = _events(ws, until_ready=False, timeout=2)
    types = [e["type"] for e in events]
    assert types[0] == "conversation.opened" and types[-1] == "conversation.closed"
    assert "alert" in types and "conversation.updated" in types
    assert [e["seq"] for e in events] == list(range(events[0]["seq"], events[0]["seq"] + len(events)))
    assert all(e["data"].get("id") == cid or e["data"].get("conversation_id") == cid for e in events)


@pytest.fixture
def redis_workers(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers are exercised on PostgreSQL (SQLite has a single writer)")
    server = ServerProcess(database_url, tmp_path, workers=2, redis_url=REDIS_URL).start()
    yield server
    server.stop()


def test_two_workers_with_redis_deliver_supervisor_events_from_either(
    redis_workers: ServerProcess, database_url: str
) -> None:
    tenant = make_tenant(database_url)
    url = redis_workers.url
    workers = {httpx.get(url + "/health").json()["worker"] for _ in range(40)}
    assert len(workers) == 2, "both worker processes answer requests"
    with connect(f"{redis_workers.ws_url}/v1/stream", additional_headers=tenant.headers("supervisor")) as ws:
        _events(ws)
        for i in range(20):
            started = time.monotonic()
            cid = _open(url, tenant)  # each request on a new connection: either worker may take it
            event = _next_event(ws, timeout=3)
            assert event["type"] == "conversation.opened" and event["data"]["id"] == cid, i
            assert time.monotonic() - started < 3


def test_a_worker_whose_redis_hangs_still_answers_and_delivers_its_own_events() -> None:
    # A Redis that accepts connections and never answers: the worst case for a caller that waits on it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]

        async def scenario() -> tuple[float, dict]:
            bus = RedisBus(f"redis://127.0.0.1:{port}/0")
            await bus.start()
            try:
                with bus.subscribe("conversation:c1") as events:
                    started = time.monotonic()
                    bus.publish("t1", {"stream": "conversation:c1", "seq": 1, "type": "turn"})
                    waited = time.monotonic() - started  # turns are answered on the event loop: no waiting here
                    return waited, await asyncio.wait_for(events.get(), PUBLISH_TIMEOUT * 3)
            finally:
                await bus.stop()

        waited, event = asyncio.run(scenario())
    assert waited < 0.05
    assert event == {"stream": "conversation:c1", "seq": 1, "type": "turn"}
