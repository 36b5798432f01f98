"""Webhooks: signed, retried with backoff, delivered at least once even across a server restart."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import httpx

from calmline.storage.webhooks import LEASE
from tests.server.support import ServerProcess, Tenant, WebhookReceiver, make_tenant

ABUSE = "You are a useless idiot and I want your manager."


def _register(url: str, tenant: Tenant, hook_url: str, events: list[str]) -> dict:
    response = httpx.post(
        f"{url}/v1/webhooks", json={"url": hook_url, "events": events}, headers=tenant.headers("admin")
    )
    assert response.status_code == 201, response.text
    return response.json()


def _abusive_turn(url: str, tenant: Tenant) -> tuple[str, dict]:
    cid = httpx.post(f"{url}/v1/conversations", headers=tenant.headers("agent")).json()["id"]
    result = httpx.post(
        f"{url}/v1/conversations/{cid}/turns",
        json={"id": "1", "speaker": "customer", "text": ABUSE},
        headers=tenant.headers("agent"),
    ).json()
    return cid, result


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    stamp = headers["X-Calmline-Timestamp"]
    expected = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers["X-Calmline-Signature"], f"sha256={expected}")


def test_alerts_and_records_arrive_signed_after_retries(server: ServerProcess, tenant: Tenant) -> None:
    receiver = WebhookReceiver(fail_first=2)
    try:
        hook = _register(server.url, tenant, receiver.url, ["alert", "record"])
        cid, result = _abusive_turn(server.url, tenant)
        httpx.post(f"{server.url}/v1/conversations/{cid}/close", headers=tenant.headers("agent"))
        expected = len(result["alerts"]) + 1
        received = receiver.wait_for(expected + 2, timeout=30)
    finally:
        receiver.close()
    delivered = received[2:]  # the first two were answered 500 and retried
    assert all(_verify(hook["secret"], r.headers, r.body) for r in received)
    assert not _verify("another secret", received[0].headers, received[0].body)
    bodies = [json.loads(r.body) for r in delivered]
    assert sorted(b["type"] for b in bodies) == sorted(["alert"] * len(result["alerts"]) + ["record"])
    alert_ids = {b["data"]["alert"]["id"] for b in bodies if b["type"] == "alert"}
    assert alert_ids == {a["id"] for a in result["alerts"]}
    assert {r.headers["Idempotency-Key"] for r in received} == {b["id"] for b in bodies}, (
        "a retry keeps its key"
    )


def test_webhook_urls_must_be_http(server: ServerProcess, tenant: Tenant) -> None:
    for url in ("ftp://example.com/hook", "not a url", "file:///etc/passwd"):
        response = httpx.post(
            f"{server.url}/v1/webhooks",
            json={"url": url, "events": ["alert"]},
            headers=tenant.headers("admin"),
        )
        assert response.status_code == 422, url


def test_undelivered_events_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    tenant = make_tenant(database_url)
    server = ServerProcess(database_url, tmp_path).start()
    receiver = WebhookReceiver()
    port = receiver.port
    receiver.close()  # nobody listens: the first attempt fails
    _register(server.url, tenant, f"http://127.0.0.1:{port}/hook", ["alert"])
    _, result = _abusive_turn(server.url, tenant)
    assert result["alerts"]
    server.kill()
    receiver = WebhookReceiver(port=port)
    restarted = ServerProcess(database_url, tmp_path).start()
    try:
        # A send the kill interrupted is retried once its claim lapses: within the lease, plus a poll.
        received = receiver.wait_for(len(result["alerts"]), timeout=LEASE.total_seconds() + 15)
    finally:
        restarted.stop()
        receiver.close()
    assert {json.loads(r.body)["data"]["alert"]["id"] for r in received} == {
        a["id"] for a in result["alerts"]
    }
