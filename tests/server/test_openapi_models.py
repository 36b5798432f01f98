"""The OpenAPI specification documents every body: each JSON route declares its response model, and real
responses validate against what it declares."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from tests.server.support import ServerProcess, Tenant

# The one route that answers with something other than JSON (the metrics and the streams are not in the spec).
NOT_JSON = {"GET /v1/records/{conversation_id}/report.html"}


@pytest.fixture
def spec(client: httpx.Client) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _success(operation: dict[str, Any]) -> dict[str, Any]:
    return next(answer for code, answer in operation["responses"].items() if code.startswith("2"))


def _resolved(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_json_route_declares_a_response_schema_with_properties(spec: dict[str, Any]) -> None:
    undocumented, other = [], set()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            content = _success(operation).get("content", {})
            if "application/json" not in content:
                other.add(name)
                continue
            schema = _resolved(spec, content["application/json"].get("schema", {}))
            if schema.get("type") == "array":
                schema = _resolved(spec, schema.get("items", {}))
            if not schema.get("properties"):
                undocumented.append(name)
    assert undocumented == []
    assert other == NOT_JSON


class Checked:
    """Calls the server and validates each answer against the schema the specification declares for it."""

    def __init__(self, client: httpx.Client, spec: dict[str, Any], tenant: Tenant) -> None:
        self.client, self.spec, self.tenant = client, spec, tenant
        self.seen: set[str] = set()

    def __call__(self, method: str, template: str, role: str, **call: Any) -> Any:
        path = template.format(**call.pop("ids", {}))
        answer = self.client.request(method, path, headers=self.tenant.headers(role), **call)
        assert answer.status_code < 300, (template, answer.status_code, answer.text)
        declared = self.spec["paths"][template][method.lower()]["responses"][str(answer.status_code)]
        schema = declared["content"]["application/json"]["schema"]
        body = answer.json()
        jsonschema.validate(body, {**schema, "components": self.spec["components"]})
        self.seen.add(f"{method} {template}")
        return body


def test_real_responses_validate_against_their_declared_models(
    server: ServerProcess, client: httpx.Client, spec: dict[str, Any], tenant: Tenant
) -> None:
    call = Checked(client, spec, tenant)
    call("GET", "/health", "agent")
    call("GET", "/ready", "agent")
    cid = call("POST", "/v1/conversations", "agent", json={"customer_name": "Dana"})["id"]
    ids = {"conversation_id": cid}
    turn = call(
        "POST",
        "/v1/conversations/{conversation_id}/turns",
        "agent",
        ids=ids,
        json={"id": "1", "speaker": "customer", "text": "You idiots charged me twice, I want a manager."},
    )
    promise = "I'm sorry, Dana. I'll refund the second charge and call you back tomorrow morning."
    call(
        "POST",
        "/v1/conversations/{conversation_id}/turns",
        "agent",
        ids=ids,
        json={"id": "2", "speaker": "agent", "text": promise},
    )
    call(
        "POST",
        "/v1/conversations/{conversation_id}/drafts",
        "agent",
        ids=ids,
        json={"text": "Calm down, that is our policy."},
    )
    call("POST", "/v1/conversations/{conversation_id}/handoff", "agent", ids=ids)
    call("GET", "/v1/conversations", "supervisor")
    call("POST", "/v1/alerts/{alert_id}/ack", "supervisor", ids={"alert_id": turn["alerts"][0]["id"]})
    call("POST", "/v1/conversations/{conversation_id}/close", "agent", ids=ids)
    assert call("GET", "/v1/conversations/{conversation_id}", "qa", ids=ids)["record"] is not None
    call("GET", "/v1/records", "qa")
    record = call("GET", "/v1/records/{conversation_id}", "qa", ids=ids)
    item = record["scorecard"]["items"][0]
    call(
        "POST",
        "/v1/records/{conversation_id}/overrides",
        "qa",
        ids=ids,
        json={"practice": item["practice"], "status": "met", "reason": "heard on the call"},
    )
    call("GET", "/v1/scorecards/aggregate", "qa")
    call("GET", "/v1/exports/{what}.{form}", "qa", ids={"what": "records", "form": "json"})
    commitments = call("GET", "/v1/commitments", "agent")
    mine = next(c for c in commitments if c["conversation_id"] == cid)
    call(
        "POST",
        "/v1/commitments/{commitment_id}/done",
        "agent",
        ids={"commitment_id": mine["id"]},
        json={"note": "called"},
    )
    call("GET", "/v1/wellbeing", "supervisor")
    call("GET", "/v1/settings", "admin")
    call("PUT", "/v1/settings", "admin", json={"timezone": "Europe/Paris"})
    call("GET", "/v1/playbook", "qa")
    call("GET", "/v1/webhooks", "admin")
    call("DELETE", "/v1/conversations", "admin", params={"closed_before": "2000-01-01"})

    persona = call("GET", "/v1/roleplay/personas", "agent")[0]["id"]
    session = call("POST", "/v1/roleplay/sessions", "agent", json={"persona": persona, "seed": 3})
    sid = {"session_id": session["id"]}
    reply = "I'm sorry this happened. Let me look at your account and fix it now."
    call("POST", "/v1/roleplay/sessions/{session_id}/replies", "agent", ids=sid, json={"text": reply})
    call("GET", "/v1/roleplay/sessions/{session_id}", "agent", ids=sid)
    call("POST", "/v1/roleplay/sessions/{session_id}/finish", "agent", ids=sid)
    assert call("GET", "/v1/roleplay/sessions/{session_id}", "agent", ids=sid)["result"] is not None
    call("GET", "/v1/roleplay/sessions", "supervisor")

    # Last: nothing above may be sent to the webhook, nor read under the replaced playbook.
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["record"]}
    call("POST", "/v1/webhooks", "admin", json=hook)
    call("PUT", "/v1/playbook", "admin", json=call("GET", "/v1/playbook", "admin")["company"])

    every_json_route = {
        f"{method.upper()} {path}" for path, operations in spec["paths"].items() for method in operations
    }
    assert every_json_route - NOT_JSON == call.seen


def test_error_answers_validate_against_the_declared_error_body(
    client: httpx.Client, spec: dict[str, Any], tenant: Tenant
) -> None:
    cid = client.post("/v1/conversations", headers=tenant.headers("agent")).json()["id"]
    turns = "/v1/conversations/{conversation_id}/turns"
    answers = {
        401: client.post(turns.format(conversation_id=cid), json={}),
        403: client.post(turns.format(conversation_id=cid), json={}, headers=tenant.headers("qa")),
        422: client.post(turns.format(conversation_id=cid), json={"id": ""}, headers=tenant.headers("agent")),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, answer.text
        declared = spec["paths"][turns]["post"]["responses"][str(status)]
        schema = declared["content"]["application/json"]["schema"]
        jsonschema.validate(answer.json(), {**schema, "components": spec["components"]})
    assert answers[422].json()["problems"]
