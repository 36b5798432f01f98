"""A customer's hostile text never freezes the server: other clients and tenants are answered meanwhile."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path

import httpx

from tests.server.support import ServerProcess, Tenant
from tests.server.test_api import _open, _turn

# What a customer could paste: 20,000 characters (the API's limit) of numbers that each look like an SSN.
HOSTILE = " ".join(f"{123 + n % 800:03d}-{45 + n % 50:02d}-{6789 + n % 3000:04d}" for n in range(1700))[
    :20_000
]
ORDINARY = "I've waited three weeks for my refund and nobody calls me back. When will it arrive?"
ANSWER_WITHIN_S = 0.2


def _timed(call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = call()
    return time.perf_counter() - start, response


def test_health_and_another_tenant_are_answered_while_a_hostile_turn_is_analysed(
    server: ServerProcess, client: httpx.Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    hostile_cid, ordinary_cid = _open(client, tenant), _open(client, other_tenant)
    hostile_results: list[httpx.Response] = []

    def post_hostile_turns() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            for i in range(4):  # back to back, so the other client's calls surely overlap one
                hostile_results.append(_turn(own, tenant, hostile_cid, f"h{i}", "customer", HOSTILE))

    hostile = threading.Thread(target=post_hostile_turns)
    hostile.start()
    health: list[float] = []
    turns: list[float] = []
    while hostile.is_alive():
        elapsed, response = _timed(lambda: client.get("/health"))
        assert response.status_code == 200
        health.append(elapsed)
        turn = partial(_turn, client, other_tenant, ordinary_cid, uuid.uuid4().hex, "customer", ORDINARY)
        elapsed, response = _timed(turn)
        assert response.status_code == 200, response.text
        turns.append(elapsed)
    hostile.join()

    assert [r.status_code for r in hostile_results] == [200] * 4, hostile_results[-1].text
    assert all("[SSN]" in r.json()["turn"]["text"] for r in hostile_results)
    assert len(health) >= 3, "the hostile turns were answered before the other calls could overlap them"
    assert max(health) < ANSWER_WITHIN_S, f"/health waited {max(health):.3f} s behind a hostile turn"
    assert max(turns) < ANSWER_WITHIN_S, f"another tenant's turn waited {max(turns):.3f} s"
    print(
        f"hostile: {len(health)} calls overlapped; worst /health {max(health):.3f} s, turn {max(turns):.3f} s"
    )


def test_analysis_past_its_budget_is_an_error_and_nothing_is_stored(
    database_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    # A budget no analysis can meet: every turn and draft runs past it.
    process = ServerProcess(database_url, tmp_path, env={"CALMLINE_ANALYSIS_BUDGET": "0.000001"}).start()
    try:
        with httpx.Client(base_url=process.url, timeout=30) as client:
            cid = _open(client, tenant)
            response = _turn(client, tenant, cid, "t1", "customer", ORDINARY)
            assert response.status_code == 503
            assert response.json() == {
                "detail": "the text could not be analysed within the time budget; it was not stored"
            }
            draft = client.post(
                f"/v1/conversations/{cid}/drafts",
                json={"text": "Calm down."},
                headers=tenant.headers("agent"),
            )
            assert draft.status_code == 503
            view = client.get(f"/v1/conversations/{cid}", headers=tenant.headers("agent"))
            assert view.status_code == 200 and view.json()["turns"] == []
            closing = client.post(f"/v1/conversations/{cid}/close", headers=tenant.headers("agent"))
            assert closing.status_code == 503
            view = client.get(f"/v1/conversations/{cid}", headers=tenant.headers("agent")).json()
            assert view["status"] == "active", "a record not built in time leaves the conversation open"
            assert client.get("/health").status_code == 200
        assert "not analysed within" in process.logs()
    finally:
        process.stop()


def test_the_analysis_lock_serves_waiting_turns_first_come_first_served() -> None:
    """A run of long turns re-asking for the analysis at once must not jump ahead of a turn already waiting
    (with a plain lock the releasing thread usually won it back, and a short turn waited several long ones)."""
    from calmline.server.service import _FirstComeLock

    lock = _FirstComeLock()
    lock.acquire()
    served: list[str] = []

    def short_turn() -> None:
        lock.acquire()
        served.append("short turn")
        lock.release()

    waiting = threading.Thread(target=short_turn)
    waiting.start()
    time.sleep(0.2)  # the short turn is now waiting for the lock
    lock.release()
    lock.acquire()  # the next long turn asks again at once
    served.append("next long turn")
    lock.release()
    waiting.join(timeout=5)
    assert served == ["short turn", "next long turn"]
