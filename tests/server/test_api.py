"""The REST API as an integrator uses it: the contract, idempotent turns, bad input, roles, playbook, retention."""

from __future__ import annotations

import uuid

import httpx

from calmline.storage.database import transaction
from calmline.storage.tables import AuditRow, TurnRow
from tests.server.support import Tenant

ESCALATING = [
    ("customer", "This is the third time I've called about the charge on my bill."),
    ("agent", "Calm down. As I already said, we don't do refunds."),
    ("customer", "Are you even listening?! This is ridiculous, I want your manager NOW."),
    ("agent", "I'm sorry, I hear you. Let me look at the charge with you right now."),
    ("customer", "You're a useless idiot."),
]


def _open(client: httpx.Client, tenant: Tenant, **fields: object) -> str:
    response = client.post("/v1/conversations", json=fields or None, headers=tenant.headers("agent"))
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _turn(
    client: httpx.Client, tenant: Tenant, cid: str, turn_id: str, speaker: str, text: str
) -> httpx.Response:
    body = {"id": turn_id, "speaker": speaker, "text": text}
    return client.post(f"/v1/conversations/{cid}/turns", json=body, headers=tenant.headers("agent"))


def _play(client: httpx.Client, tenant: Tenant, cid: str, turns: list[tuple[str, str]]) -> list[dict]:
    results = []
    for i, (speaker, text) in enumerate(turns):
        response = _turn(client, tenant, cid, f"turn-{i}", speaker, text)
        assert response.status_code == 200, response.text
        results.append(response.json())
    return results


def test_the_fixed_contract_from_create_to_get(client: httpx.Client, tenant: Tenant) -> None:
    response = client.post("/v1/conversations", headers=tenant.headers("agent"))
    assert response.status_code == 201
    cid = response.json()["id"]
    results = _play(client, tenant, cid, ESCALATING)
    for result in results:
        assert {"state", "guidance", "alerts"} <= set(result)
        assert -5 <= result["state"]["mood"] <= 5
    assert results[2]["state"]["manager_requested"] is True
    assert any(g["practice"] == "P01" for g in results[1]["guidance"]), "the agent's 'calm down' is coached"
    kinds = {a["kind"] for r in results for a in r["alerts"]}
    assert {"manager_request", "abuse"} <= kinds
    assert all(a["evidence"] and a["practice"] for r in results for a in r["alerts"])
    view = client.get(f"/v1/conversations/{cid}", headers=tenant.headers("agent")).json()
    assert [t["text"] for t in view["turns"]] == [text for _, text in ESCALATING]
    assert view["state"]["manager_requested"] is True
    assert {a["kind"] for a in view["alerts"]} == kinds


def test_replaying_a_whole_conversation_stores_every_turn_once(
    client: httpx.Client, tenant: Tenant, database_url: str
) -> None:
    cid = _open(client, tenant)
    first = _play(client, tenant, cid, ESCALATING)
    again = _play(client, tenant, cid, ESCALATING)
    assert again == first
    with transaction(database_url) as db:
        stored = db.query(TurnRow).filter(TurnRow.conversation_id == cid).count()
    assert stored == len(ESCALATING)
    view = client.get(f"/v1/conversations/{cid}", headers=tenant.headers("agent")).json()
    assert len(view["alerts"]) == sum(len(r["alerts"]) for r in first)


def test_a_turn_id_reused_for_other_words_is_refused(client: httpx.Client, tenant: Tenant) -> None:
    cid = _open(client, tenant)
    assert _turn(client, tenant, cid, "a", "customer", "My order never came.").status_code == 200
    response = _turn(client, tenant, cid, "a", "customer", "Something else entirely.")
    assert response.status_code == 409
    assert "already used" in response.json()["detail"]


def test_another_tenants_conversation_is_not_found(
    client: httpx.Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    cid = _open(client, tenant)
    _play(client, tenant, cid, ESCALATING[:1])
    for role in ("agent", "supervisor", "admin"):
        headers = other_tenant.headers(role)
        assert client.get(f"/v1/conversations/{cid}", headers=headers).status_code == 404
        body = {"id": "x", "speaker": "customer", "text": "hello"}
        assert client.post(f"/v1/conversations/{cid}/turns", json=body, headers=headers).status_code in (
            403,
            404,
        )
    board = client.get("/v1/conversations", headers=other_tenant.headers("supervisor")).json()
    assert cid not in {c["id"] for c in board}


def test_bad_input_gets_a_short_clear_4xx(client: httpx.Client, tenant: Tenant) -> None:
    cid = _open(client, tenant)
    headers = {**tenant.headers("agent"), "Content-Type": "application/json"}
    url = f"/v1/conversations/{cid}/turns"
    cases = {
        "malformed": client.post(url, content=b'{"id": "1", "speaker": ', headers=headers),
        "unknown field": client.post(
            url, json={"id": "1", "speaker": "agent", "text": "hi", "mood": 3}, headers=headers
        ),
        "wrong type": client.post(url, json={"id": "1", "speaker": "agent", "text": 42}, headers=headers),
        "bad speaker": client.post(url, json={"id": "1", "speaker": "bot", "text": "hi"}, headers=headers),
        "empty text": client.post(url, json={"id": "1", "speaker": "agent", "text": ""}, headers=headers),
        "oversized": client.post(url, content=b'{"text": "' + b"a" * 400_000 + b'"}', headers=headers),
        "unknown conversation": _turn(client, tenant, str(uuid.uuid4()), "1", "agent", "hi"),
    }
    expected = {"oversized": 413, "unknown conversation": 404}
    for name, response in cases.items():
        assert response.status_code == expected.get(name, 422), (name, response.text)
        body = response.json()
        assert isinstance(body["detail"], str) and len(response.text) < 1500, name
        assert "Traceback" not in response.text and "SELECT" not in response.text, name
    unknown_field = cases["unknown field"].json()["problems"]
    assert any(p["field"] == "mood" for p in unknown_field)


def test_a_closed_conversation_takes_no_more_turns_and_keeps_its_record(
    client: httpx.Client, tenant: Tenant
) -> None:
    cid = _open(client, tenant)
    _play(client, tenant, cid, ESCALATING[:2])
    closed = client.post(f"/v1/conversations/{cid}/close", headers=tenant.headers("agent"))
    assert closed.status_code == 200
    record = closed.json()["record"]
    assert record
    again = client.post(f"/v1/conversations/{cid}/close", headers=tenant.headers("agent")).json()["record"]
    assert again == record
    response = _turn(client, tenant, cid, "late", "agent", "Anything else?")
    assert response.status_code == 409
    view = client.get(f"/v1/conversations/{cid}", headers=tenant.headers("qa")).json()
    assert view["status"] == "closed" and view["record"] == record


def test_the_board_lists_active_conversations_riskiest_first(client: httpx.Client, tenant: Tenant) -> None:
    calm = _open(client, tenant, agent_name="Ana")
    _play(client, tenant, calm, [("customer", "Hi, could you tell me when my order ships? Thanks!")])
    angry = _open(client, tenant, agent_name="Ben")
    _play(client, tenant, angry, ESCALATING[:3])
    board = client.get("/v1/conversations", headers=tenant.headers("supervisor")).json()
    assert [c["id"] for c in board] == [angry, calm]
    assert board[0]["escalation_risk"] > board[1]["escalation_risk"]
    assert "manager_request" in board[0]["open_alerts"]
    assert client.get("/v1/conversations", headers=tenant.headers("agent")).status_code == 403


def test_acknowledging_an_alert_is_audited_and_clears_the_badge(
    client: httpx.Client, tenant: Tenant, database_url: str
) -> None:
    cid = _open(client, tenant)
    results = _play(client, tenant, cid, ESCALATING)
    alert = next(a for r in results for a in r["alerts"] if a["kind"] == "abuse")
    assert client.post(f"/v1/alerts/{alert['id']}/ack", headers=tenant.headers("agent")).status_code == 403
    acked = client.post(
        f"/v1/alerts/{alert['id']}/ack", json={"note": "spoke to Ben"}, headers=tenant.headers("supervisor")
    )
    assert acked.status_code == 200 and acked.json()["acknowledged_at"]
    board = client.get("/v1/conversations", headers=tenant.headers("supervisor")).json()
    assert "abuse" not in next(c for c in board if c["id"] == cid)["open_alerts"]
    with transaction(database_url) as db:
        actions = [row.action for row in db.query(AuditRow).filter(AuditRow.target == alert["id"])]
    assert actions == ["alert.acknowledge"]


def test_draft_coaching_names_the_practice_and_stores_nothing(
    client: httpx.Client, tenant: Tenant, database_url: str
) -> None:
    cid = _open(client, tenant)
    _play(client, tenant, cid, ESCALATING[:1])
    response = client.post(
        f"/v1/conversations/{cid}/drafts",
        json={"text": "Calm down, that's our policy."},
        headers=tenant.headers("agent"),
    )
    assert response.status_code == 200
    findings = response.json()["findings"]
    assert any(f["practice"] == "P01" and f["quote"].lower() == "calm down" for f in findings)
    with transaction(database_url) as db:
        assert db.query(TurnRow).filter(TurnRow.conversation_id == cid).count() == 1


def test_the_company_playbook_is_validated_and_applied(client: httpx.Client, tenant: Tenant) -> None:
    bad = client.put("/v1/playbook", json={"authority": {"max_refund": -5}}, headers=tenant.headers("admin"))
    assert bad.status_code == 422
    assert "authority.max_refund" in bad.json()["detail"]
    assert (
        client.put(
            "/v1/playbook", json={"authority": {"max_refund": 500}}, headers=tenant.headers("supervisor")
        ).status_code
        == 403
    )
    good = client.put(
        "/v1/playbook", json={"authority": {"max_refund": 500}}, headers=tenant.headers("admin")
    )
    assert good.status_code == 200 and good.json()["version"] == 1
    shown = client.get("/v1/playbook", headers=tenant.headers("agent")).json()
    assert shown["company"] == {"authority": {"max_refund": 500}}
    assert shown["effective"]["authority"]["max_refund"] == 500


def test_retention_lists_and_purges_only_old_closed_conversations(
    client: httpx.Client, tenant: Tenant
) -> None:
    old = _open(client, tenant)
    _play(client, tenant, old, ESCALATING[:1])
    client.post(f"/v1/conversations/{old}/close", headers=tenant.headers("agent"))
    active = _open(client, tenant)
    closed = client.get("/v1/conversations", params={"status": "closed"}, headers=tenant.headers("qa")).json()
    assert old in {c["id"] for c in closed}
    assert (
        client.delete(
            "/v1/conversations", params={"closed_before": "2999-01-01"}, headers=tenant.headers("supervisor")
        ).status_code
        == 403
    )
    purged = client.delete(
        "/v1/conversations", params={"closed_before": "2999-01-01T00:00:00Z"}, headers=tenant.headers("admin")
    )
    assert purged.status_code == 200 and purged.json()["purged"] >= 1
    assert client.get(f"/v1/conversations/{old}", headers=tenant.headers("admin")).status_code == 404
    assert client.get(f"/v1/conversations/{active}", headers=tenant.headers("admin")).status_code == 200


def test_keys_travel_only_in_the_authorization_header(client: httpx.Client, tenant: Tenant) -> None:
    key = tenant.keys["supervisor"]
    assert client.get("/v1/conversations", params={"api_key": key}).status_code == 400
    assert client.get("/v1/conversations").status_code == 401
    assert client.get("/v1/conversations", headers={"Authorization": f"Bearer {key}x"}).status_code == 401
    assert client.get("/v1/conversations", headers={"Authorization": f"Bearer {key}"}).status_code == 200


def test_health_ready_metrics_and_openapi(client: httpx.Client, tenant: Tenant) -> None:
    cid = _open(client, tenant)
    _play(client, tenant, cid, ESCALATING)
    assert client.get("/health").json()["status"] == "ok"
    assert client.get("/ready").json()["ready"] is True
    page = client.get("/metrics").text
    for name in (
        "calmline_turns_processed_total",
        "calmline_turn_latency_seconds_bucket",
        "calmline_alerts_total",
        "calmline_websocket_clients",
    ):
        assert name in page
    assert 'calmline_alerts_total{kind="abuse"}' in page
    spec = client.get("/openapi.json").json()
    assert "/v1/conversations/{conversation_id}/turns" in spec["paths"]


def test_text_that_cannot_be_stored_is_refused_the_same_way_on_every_database(
    client: httpx.Client, tenant: Tenant
) -> None:
    cid = _open(client, tenant)
    headers = {**tenant.headers("agent"), "Content-Type": "application/json"}
    for raw in (
        b'{"id": "n", "speaker": "customer", "text": "a\\u0000b"}',
        b'{"id": "s", "speaker": "customer", "text": "\\ud800"}',
    ):
        response = client.post(f"/v1/conversations/{cid}/turns", content=raw, headers=headers)
        assert response.status_code == 422, response.text
    nul_query = client.get("/v1/records", params={"agent": "a\x00b"}, headers=tenant.headers("qa"))
    assert nul_query.status_code in (200, 422)
    assert _turn(client, tenant, cid, "ok", "customer", "Still here.").status_code == 200
