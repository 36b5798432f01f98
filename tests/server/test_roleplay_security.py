"""Role-play sessions keep no personal data a trainee typed, and whose session it is comes from the key."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import text

from calmline.roleplay import play, read_script, shipped_personas
from calmline.storage.database import connect, transaction
from calmline.storage.roleplay import store_finished
from calmline.storage.tenants import create_key, find_tenant
from tests.server.support import Tenant

GOOD = read_script(Path(__file__).resolve().parents[1] / "fixtures" / "roleplay" / "overcharged.good.txt")
CARD, PHONE, EMAIL = "4111 1111 1111 1111", "415-555-0134", "dana.whitfield@example.com"
# The good overcharged sequence, with a card number, an email and a phone number typed into it.
WITH_PERSONAL_DATA = [
    *GOOD[:3],
    f"Here's what I can do: I can refund the duplicate charge to your card {CARD} now, or credit it to"
    " your next bill. Which would you prefer?",
    f"I've processed the refund of the duplicate charge now. I'll email you the confirmation at {EMAIL}"
    f" today, and I'll check with my supervisor about the overdraft fee and call you on {PHONE} tomorrow"
    " by noon.",
    GOOD[5],
]
RAW = (CARD, CARD.replace(" ", ""), PHONE, EMAIL, "1111 1111 1111", "555-0134")


def _agent_key(database_url: str, tenant: Tenant, label: str) -> dict[str, str]:
    """Headers for one more agent key of ``tenant``, with ``label`` naming the person who holds it."""
    with transaction(database_url) as db:
        key = create_key(db, find_tenant(db, tenant.name), "agent", label=label)
    return {"Authorization": f"Bearer {key}"}


def _start(client: httpx.Client, headers: dict[str, str], **body: object) -> dict:
    started = client.post(
        "/v1/roleplay/sessions", json={"persona": "overcharged", "seed": 5, **body}, headers=headers
    )
    assert started.status_code == 201, started.text
    return started.json()


def _stored(database_url: str, session_id: str) -> str:
    """The session's row as the database holds it (turns and result), read back as text."""
    with connect(database_url).connect() as connection:
        row = connection.execute(
            text("SELECT trainee, turns, result FROM roleplay_sessions WHERE id = :id"), {"id": session_id}
        ).one()
    return " ".join(value if isinstance(value, str) else json.dumps(value) for value in row)


def test_personal_data_typed_into_replies_is_never_stored_and_the_session_replays_the_same(
    database_url: str, client: httpx.Client, tenant: Tenant
) -> None:
    headers = tenant.headers("agent")
    session = _start(client, headers)
    kept = []
    for reply in WITH_PERSONAL_DATA:
        answer = client.post(
            f"/v1/roleplay/sessions/{session['id']}/replies", json={"text": reply}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        kept.append(answer.json()["reply"])
        if answer.json()["over"]:
            break
    assert "[EMAIL]" in kept[4] and "[PHONE]" in kept[4] and "411111******1111" in kept[3]

    while_active = _stored(database_url, session["id"])
    finished = client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=headers).json()
    stored = _stored(database_url, session["id"])
    for raw in RAW:
        assert raw not in while_active and raw not in stored, f"{raw!r} was stored"
        assert raw not in json.dumps(finished)
    assert "[EMAIL]" in stored and "[PHONE]" in stored and "411111******1111" in stored

    # Every reply was rebuilt from its redacted text and the session still went the way the good
    # sequence goes: the customer calmed down, exactly as a local play of the stored replies does.
    local = play(shipped_personas()["overcharged"], kept, seed=5)
    assert finished["outcome"] == "de-escalated" == local.outcome.value
    assert finished["turns"] == [turn.model_dump(mode="json") for turn in local.turns]
    assert finished["scorecard"]["score"] == local.scorecard.score


def test_a_session_played_in_the_terminal_is_stored_redacted_too(database_url: str, tenant: Tenant) -> None:
    result = play(shipped_personas()["overcharged"], WITH_PERSONAL_DATA, seed=5, trainee="Sam")
    assert any(EMAIL in turn.text for turn in result.turns), "the terminal shows the trainee's own words"
    with transaction(database_url) as db:  # what `calmline roleplay --tenant` does with a finished session
        row = store_finished(db, find_tenant(db, tenant.name).id, result.model_dump(mode="json"), "cli")
        session_id = row.id
    stored = _stored(database_url, session_id)
    for raw in RAW:
        assert raw not in stored, f"{raw!r} was stored"
    assert "[EMAIL]" in stored and "Sam" in stored


def test_an_agent_key_trains_under_its_own_name_whatever_the_request_says(
    database_url: str, client: httpx.Client, tenant: Tenant
) -> None:
    sam = _agent_key(database_url, tenant, "Sam Rivera")
    assert _start(client, sam, trainee="The Boss")["trainee"] == "Sam Rivera"
    assert _start(client, sam)["trainee"] == "Sam Rivera"
    unlabelled = _start(client, tenant.headers("agent"), trainee="Sam Rivera")["trainee"]
    assert unlabelled == f"key {tenant.keys['agent'][:10]}"

    # A trainer may run a session for someone, or for themselves.
    assert _start(client, tenant.headers("supervisor"), trainee="Alex")["trainee"] == "Alex"
    assert _start(client, tenant.headers("qa"))["trainee"] == f"key {tenant.keys['qa'][:10]}"
    names = {
        row["trainee"] for row in client.get("/v1/roleplay/sessions", headers=tenant.headers("qa")).json()
    }
    assert "The Boss" not in names and {"Sam Rivera", "Alex"} <= names


def test_an_agent_sees_and_plays_only_its_own_sessions_and_trainers_see_all(
    database_url: str, client: httpx.Client, tenant: Tenant
) -> None:
    sam, kim = _agent_key(database_url, tenant, "Sam"), _agent_key(database_url, tenant, "Kim")
    sams = _start(client, sam)["id"]
    kims = _start(client, kim)["id"]
    for method, path in [
        ("GET", f"/v1/roleplay/sessions/{kims}"),
        ("POST", f"/v1/roleplay/sessions/{kims}/finish"),
    ]:
        refused = client.request(method, path, headers=sam)
        assert refused.status_code == 404 and refused.json()["detail"] == f"no role-play session {kims}"
    reply = client.post(f"/v1/roleplay/sessions/{kims}/replies", json={"text": "Hello?"}, headers=sam)
    assert reply.status_code == 404
    assert client.get(f"/v1/roleplay/sessions/{kims}", headers=kim).json()["replies"] == 0, (
        "Sam did not play it"
    )

    mine = client.get("/v1/roleplay/sessions", headers=sam)
    assert [row["id"] for row in mine.json()] == [sams]
    assert [row["id"] for row in client.get("/v1/roleplay/sessions?trainee=Sam", headers=sam).json()] == [
        sams
    ]
    other = client.get("/v1/roleplay/sessions?trainee=Kim", headers=sam)
    assert other.status_code == 403 and "only its own" in other.json()["detail"]

    for trainer in ("supervisor", "qa", "admin"):
        seen = {
            row["id"] for row in client.get("/v1/roleplay/sessions", headers=tenant.headers(trainer)).json()
        }
        assert {sams, kims} <= seen, trainer
    assert client.get(f"/v1/roleplay/sessions/{kims}", headers=tenant.headers("qa")).status_code == 200
    # A trainer sitting with the trainee may end a session left open.
    ended = client.post(f"/v1/roleplay/sessions/{kims}/finish", headers=tenant.headers("supervisor"))
    assert ended.status_code == 200 and ended.json()["trainee"] == "Kim"


def test_another_tenant_never_reaches_a_session(
    client: httpx.Client, tenant: Tenant, other_tenant: Tenant
) -> None:
    session = _start(client, tenant.headers("agent"))
    for role in ("agent", "supervisor", "qa", "admin"):
        headers = other_tenant.headers(role)
        assert client.get(f"/v1/roleplay/sessions/{session['id']}", headers=headers).status_code == 404
        replied = client.post(
            f"/v1/roleplay/sessions/{session['id']}/replies", json={"text": "Hi"}, headers=headers
        )
        assert replied.status_code == 404
        assert (
            client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=headers).status_code == 404
        )
        listed = client.get("/v1/roleplay/sessions", headers=headers)
        assert listed.status_code == 200 and session["id"] not in listed.text
    untouched = client.get(f"/v1/roleplay/sessions/{session['id']}", headers=tenant.headers("agent")).json()
    assert untouched["replies"] == 0 and untouched["status"] == "active"


def test_a_missing_or_unknown_key_is_refused(client: httpx.Client) -> None:
    assert client.post("/v1/roleplay/sessions", json={"persona": "overcharged"}).status_code == 401
    unknown = client.get("/v1/roleplay/sessions", headers={"Authorization": "Bearer cl_nope"})
    assert unknown.status_code == 401 and "invalid API key" in unknown.json()["detail"]
