"""A server killed with SIGKILL mid-stream loses no turn it acknowledged (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from tests.server.support import ServerProcess, make_tenant


def _stream_turns(
    url: str, headers: dict[str, str], cid: str, acknowledged: list[str], stop: threading.Event
) -> None:
    with httpx.Client(base_url=url, timeout=5) as client:
        i = 0
        while not stop.is_set():
            turn_id = f"{cid[:8]}-{i}"
            speaker = "customer" if i % 2 == 0 else "agent"
            try:
                response = client.post(
                    f"/v1/conversations/{cid}/turns",
                    json={
                        "id": turn_id,
                        "speaker": speaker,
                        "text": f"Message number {i}, still about my refund.",
                    },
                    headers=headers,
                )
            except httpx.HTTPError:
                return
            if response.is_success:
                acknowledged.append(turn_id)
            i += 1


def test_every_acknowledged_turn_survives_kill_9(database_url: str, tmp_path: Path) -> None:
    tenant = make_tenant(database_url)
    server = ServerProcess(database_url, tmp_path).start()
    conversations = [
        httpx.post(server.url + "/v1/conversations", headers=tenant.headers("agent")).json()["id"]
        for _ in range(3)
    ]
    acknowledged: dict[str, list[str]] = {cid: [] for cid in conversations}
    stop = threading.Event()
    writers = [
        threading.Thread(
            target=_stream_turns, args=(server.url, tenant.headers("agent"), cid, acknowledged[cid], stop)
        )
        for cid in conversations
    ]
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 60
    while sum(len(ids) for ids in acknowledged.values()) < 15 and time.monotonic() < deadline:
        time.sleep(0.1)  # a loaded machine is slow to start; kill once the stream is well under way
    server.kill()
    stop.set()
    for writer in writers:
        writer.join()
    assert sum(len(ids) for ids in acknowledged.values()) > 10, "the stream should have been running"

    restarted = ServerProcess(database_url, tmp_path).start()
    try:
        for cid, ids in acknowledged.items():
            view = httpx.get(
                f"{restarted.url}/v1/conversations/{cid}", headers=tenant.headers("agent")
            ).json()
            stored = [turn["id"] for turn in view["turns"]]
            assert set(ids) <= set(stored)
            assert stored[: len(ids)] == ids, "turns are stored in the order they were acknowledged"
            assert [turn["index"] for turn in view["turns"]] == list(range(len(stored)))
        # The conversation goes on after the restart: the engine state is rebuilt from the stored turns.
        cid = conversations[0]
        response = httpx.post(
            f"{restarted.url}/v1/conversations/{cid}/turns",
            json={"id": "after-restart", "speaker": "customer", "text": "Hello? Are you still there?"},
            headers=tenant.headers("agent"),
        )
        assert response.status_code == 200
        assert response.json()["state"]["customer_turns"] == sum(
            1
            for t in httpx.get(
                f"{restarted.url}/v1/conversations/{cid}", headers=tenant.headers("agent")
            ).json()["turns"]
            if t["speaker"] == "customer"
        )
    finally:
        restarted.stop()


def test_a_database_that_drops_its_connections_answers_503_or_recovers(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        return  # SQLite is a file in the server's own process: there is no connection to lose
    import psycopg

    from tests.server.support import POSTGRES_ADMIN

    tenant = make_tenant(database_url)
    server = ServerProcess(database_url, tmp_path).start()
    name = database_url.rsplit("/", 1)[1]
    try:
        cid = httpx.post(server.url + "/v1/conversations", headers=tenant.headers("agent")).json()["id"]
        acknowledged = []
        for i in range(12):
            if i % 4 == 0:
                with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
                    admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
                    )
            response = httpx.post(
                f"{server.url}/v1/conversations/{cid}/turns",
                json={"id": str(i), "speaker": "customer", "text": f"Still waiting, message {i}."},
                headers=tenant.headers("agent"),
            )
            assert response.status_code in (200, 503), response.text
            if response.status_code == 200:
                acknowledged.append(str(i))
        view = httpx.get(f"{server.url}/v1/conversations/{cid}", headers=tenant.headers("agent")).json()
        assert [t["id"] for t in view["turns"]] == acknowledged
        assert len(acknowledged) >= 9, "the pool reconnects instead of failing every request"
        assert "Traceback" not in server.logs()
    finally:
        server.stop()
