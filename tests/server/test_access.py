"""Every route refuses another tenant's keys and the roles that may not use it; the audit log cannot be rewritten."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from calmline.storage.database import connect
from tests.server.support import ServerProcess, Tenant, make_tenant

# Which roles each route admits (admin is admitted everywhere).
ROUTES: list[tuple[str, str, set[str], dict | None]] = [
    ("POST", "/v1/conversations", {"agent", "supervisor"}, None),
    ("GET", "/v1/conversations", {"supervisor", "qa"}, None),
    ("DELETE", "/v1/conversations?closed_before=2000-01-01", set(), None),
    ("GET", "/v1/conversations/{cid}", {"agent", "supervisor", "qa"}, None),
    (
        "POST",
        "/v1/conversations/{cid}/turns",
        {"agent", "supervisor"},
        {"id": "probe", "speaker": "agent", "text": "Hello"},
    ),
    ("POST", "/v1/conversations/{cid}/drafts", {"agent", "supervisor"}, {"text": "Hello there"}),
    ("POST", "/v1/conversations/{cid}/close", {"agent", "supervisor"}, None),
    ("POST", "/v1/conversations/{cid}/handoff", {"agent", "supervisor"}, None),
    ("POST", "/v1/alerts/{aid}/ack", {"supervisor"}, None),
    ("GET", "/v1/playbook", {"agent", "supervisor", "qa"}, None),
    ("PUT", "/v1/playbook", set(), {"authority": {"max_refund": 60}}),
    ("GET", "/v1/webhooks", set(), None),
    ("GET", "/v1/settings", set(), None),
    ("PUT", "/v1/settings", set(), {"timezone": "America/New_York"}),
    ("POST", "/v1/webhooks", set(), {"url": "http://127.0.0.1:9/hook", "events": ["alert"]}),
    ("GET", "/v1/records", {"supervisor", "qa"}, None),
    ("GET", "/v1/records/{rid}", {"agent", "supervisor", "qa"}, None),
    ("GET", "/v1/records/{rid}/report.html", {"supervisor", "qa"}, None),
    (
        "POST",
        "/v1/records/{rid}/overrides",
        {"qa"},
        {"practice": "P15", "status": "met", "reason": "heard it"},
    ),
    ("GET", "/v1/scorecards/aggregate", {"supervisor", "qa"}, None),
    ("GET", "/v1/commitments", {"agent", "supervisor", "qa"}, None),
    ("POST", "/v1/commitments/{mid}/done", {"agent", "supervisor", "qa"}, {"note": "called back"}),
    ("GET", "/v1/wellbeing", {"supervisor", "qa"}, None),
    ("GET", "/v1/exports/records.csv", {"supervisor", "qa"}, None),
    ("GET", "/v1/roleplay/personas", {"agent", "supervisor", "qa"}, None),
    (
        "POST",
        "/v1/roleplay/sessions",
        {"agent", "supervisor", "qa"},
        {"persona": "overcharged", "trainee": "x"},
    ),
    ("GET", "/v1/roleplay/sessions", {"agent", "supervisor", "qa"}, None),
    ("GET", "/v1/roleplay/sessions/{sid}", {"agent", "supervisor", "qa"}, None),
    (
        "POST",
        "/v1/roleplay/sessions/{sid}/replies",
        {"agent", "supervisor", "qa"},
        {"text": "Hello, how can I help?"},
    ),
    ("POST", "/v1/roleplay/sessions/{sid}/finish", {"agent", "supervisor", "qa"}, None),
]
ROLES = ("agent", "supervisor", "qa", "admin")


def _fixture(client: httpx.Client, tenant: Tenant) -> dict[str, str]:
    cid = client.post("/v1/conversations", headers=tenant.headers("agent")).json()["id"]
    result = client.post(
        f"/v1/conversations/{cid}/turns",
        json={"id": "1", "speaker": "customer", "text": "You are a useless idiot, get me your manager."},
        headers=tenant.headers("agent"),
    ).json()
    rid = client.post("/v1/conversations", headers=tenant.headers("agent")).json()["id"]
    promise = "I'll call you back tomorrow morning with the answer."
    client.post(
        f"/v1/conversations/{rid}/turns",
        json={"id": "1", "speaker": "agent", "text": promise},
        headers=tenant.headers("agent"),
    )
    client.post(f"/v1/conversations/{rid}/close", headers=tenant.headers("agent"))
    commitments = client.get("/v1/commitments", headers=tenant.headers("agent")).json()
    mid = next(c["id"] for c in commitments if c["conversation_id"] == rid)
    started = client.post(
        "/v1/roleplay/sessions",
        json={"persona": "overcharged", "trainee": "probe"},
        headers=tenant.headers("agent"),
    )
    return {"cid": cid, "aid": result["alerts"][0]["id"], "rid": rid, "mid": mid, "sid": started.json()["id"]}


def _template(path: str) -> str:
    """A spec path written as the route table writes it."""
    conversation = "{rid}" if path.startswith("/v1/records/") else "{cid}"
    return (
        path.replace("{conversation_id}", conversation)
        .replace("{alert_id}", "{aid}")
        .replace("{commitment_id}", "{mid}")
        .replace("{what}.{form}", "records.csv")
        .replace("{session_id}", "{sid}")
    )


def test_the_route_table_covers_the_whole_api(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    covered = {(method, path.split("?")[0]) for method, path, _, _ in ROUTES}
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method in operations:
            assert (method.upper(), _template(path)) in covered, f"{method.upper()} {path} has no access test"


@pytest.mark.parametrize(
    ("method", "path", "allowed", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_wrong_roles_are_refused_and_allowed_roles_admitted(
    client: httpx.Client, tenant: Tenant, method: str, path: str, allowed: set[str], body: dict | None
) -> None:
    for role in ROLES:
        ids = _fixture(client, tenant)
        response = client.request(method, path.format(**ids), json=body, headers=tenant.headers(role))
        if role in allowed or role == "admin":
            assert response.status_code < 400, (role, response.status_code, response.text)
        else:
            assert response.status_code == 403, (role, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "allowed", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _, _ in ROUTES]
)
def test_another_tenant_never_reaches_this_tenants_things(
    client: httpx.Client,
    tenant: Tenant,
    other_tenant: Tenant,
    method: str,
    path: str,
    allowed: set[str],
    body: dict | None,
) -> None:
    ids = _fixture(client, tenant)
    before = client.get(f"/v1/conversations/{ids['cid']}", headers=tenant.headers("admin")).json()
    playbook_before = client.get("/v1/playbook", headers=tenant.headers("admin")).json()
    for role in ROLES:
        response = client.request(method, path.format(**ids), json=body, headers=other_tenant.headers(role))
        if "{" in path:
            assert response.status_code in (403, 404), (role, response.status_code)
        else:  # tenant-wide routes act on the caller's own tenant only
            assert ids["cid"] not in response.text and ids["rid"] not in response.text
    after = client.get(f"/v1/conversations/{ids['cid']}", headers=tenant.headers("admin")).json()
    assert after["turns"] == before["turns"] and after["alerts"] == before["alerts"]
    assert client.get("/v1/playbook", headers=tenant.headers("admin")).json() == playbook_before


def test_a_revoked_or_unknown_key_is_refused_everywhere(client: httpx.Client, tenant: Tenant) -> None:
    ids = _fixture(client, tenant)
    for method, path, _, body in ROUTES:
        response = client.request(
            method, path.format(**ids), json=body, headers={"Authorization": "Bearer cl_nope"}
        )
        assert response.status_code == 401, (method, path)


def test_the_audit_log_is_append_only_in_the_database(
    database_url: str, client: httpx.Client, tenant: Tenant
) -> None:
    client.put("/v1/playbook", json={"authority": {"max_refund": 70}}, headers=tenant.headers("admin"))
    engine = connect(database_url)
    for statement in ("UPDATE audit_log SET action = 'nothing'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'playbook.update'")
        ).scalar()


def test_each_key_is_rate_limited_with_retry_after(database_url: str, tmp_path: Path) -> None:
    tenant = make_tenant(database_url)
    saved = {name: os.environ.get(name) for name in ("CALMLINE_RATE_LIMIT", "CALMLINE_RATE_BURST")}
    os.environ.update({"CALMLINE_RATE_LIMIT": "2", "CALMLINE_RATE_BURST": "5"})
    try:
        server = ServerProcess(database_url, tmp_path).start()
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.__setitem__(name, value)
    try:
        with httpx.Client(base_url=server.url) as http:
            statuses = [
                http.get("/v1/playbook", headers=tenant.headers("agent")).status_code for _ in range(12)
            ]
            limited = http.get("/v1/playbook", headers=tenant.headers("agent"))
            other_key = http.get("/v1/playbook", headers=tenant.headers("qa"))
    finally:
        server.stop()
    assert statuses[:5] == [200] * 5, "the burst is allowed"
    assert 429 in statuses and limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert other_key.status_code == 200, "limits are per key"
