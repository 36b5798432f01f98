"""After the conversation, through the server: records, the commitment ledger, QA overrides, well-being, exports."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import update

from calmline.storage.database import transaction
from calmline.storage.tables import AuditRow, CommitmentRow
from tests.server.support import ServerProcess, Tenant, WebhookReceiver, make_tenant

PROMISES = [
    ("customer", "My internet bill is wrong again this month and I'm sick of it."),
    ("agent", "I'm sorry about that, Rosa. I'll call you back tomorrow morning with the corrected amount."),
    ("customer", "And what about the late fee you charged me?"),
    ("agent", "You'll receive a refund of the late fee within 3 business days."),
    ("customer", "Fine, thanks."),
    ("agent", "Thanks for your patience, Rosa. Is there anything else I can help with?"),
]
ABUSIVE = [
    ("customer", "You are a useless idiot and this company is a joke."),
    ("agent", "I do want to sort this out for you, and I can do that best if we keep this respectful."),
]


def _conversation(
    url: str, tenant: Tenant, turns: list[tuple[str, str]], agent: str = "Sam", team: str = "billing"
) -> str:
    headers = tenant.headers("agent")
    cid = httpx.post(
        f"{url}/v1/conversations",
        json={"agent_name": agent, "team": team, "customer_name": "Rosa"},
        headers=headers,
    ).json()["id"]
    for i, (speaker, text) in enumerate(turns):
        response = httpx.post(
            f"{url}/v1/conversations/{cid}/turns",
            json={"id": str(i), "speaker": speaker, "text": text},
            headers=headers,
        )
        assert response.status_code == 200, response.text
    closed = httpx.post(f"{url}/v1/conversations/{cid}/close", headers=headers)
    assert closed.status_code == 200
    return cid


def test_closing_keeps_the_record_and_its_commitments_in_the_tenants_zone(
    server: ServerProcess, tenant: Tenant
) -> None:
    admin = tenant.headers("admin")
    assert (
        httpx.put(
            f"{server.url}/v1/settings", json={"timezone": "America/New_York"}, headers=admin
        ).status_code
        == 200
    )
    cid = _conversation(server.url, tenant, PROMISES)
    record = httpx.get(f"{server.url}/v1/records/{cid}", headers=tenant.headers("qa")).json()
    assert {"record", "commitments", "scorecard", "handoff_note"} <= set(record)
    assert record["record"]["agent"] == "Sam" and record["record"]["team"] == "billing"
    assert "Sam" in record["handoff_note"]
    ledger = httpx.get(
        f"{server.url}/v1/commitments", params={"owner": "Sam"}, headers=tenant.headers("agent")
    ).json()
    mine = [c for c in ledger if c["conversation_id"] == cid]
    assert len(mine) == 2
    callback = next(c for c in mine if "call you back" in c["what"])
    due = datetime.fromisoformat(callback["due"])
    assert due.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4)), "shown in the tenant's zone"
    assert (due.hour, due.minute) == (9, 0), "tomorrow morning is 09:00 local"
    with transaction(server.database_url) as db:
        stored = db.get(CommitmentRow, callback["id"])
        assert stored is not None and stored.due == due.astimezone(UTC), "stored as the same instant, in UTC"
    listed = httpx.get(
        f"{server.url}/v1/records", params={"agent": "Sam"}, headers=tenant.headers("supervisor")
    ).json()
    assert cid in {r["id"] for r in listed}
    entry = next(r for r in listed if r["id"] == cid)
    assert entry["commitments"] == 2 and entry["score"] is not None and "start" in entry["mood"]


def test_marking_a_commitment_done_needs_a_note_and_is_audited(server: ServerProcess, tenant: Tenant) -> None:
    cid = _conversation(server.url, tenant, PROMISES)
    commitment = next(
        c
        for c in httpx.get(f"{server.url}/v1/commitments", headers=tenant.headers("agent")).json()
        if c["conversation_id"] == cid
    )
    url = f"{server.url}/v1/commitments/{commitment['id']}/done"
    assert httpx.post(url, json={}, headers=tenant.headers("agent")).status_code == 422
    done = httpx.post(
        url, json={"note": "Called Rosa at 9:05, amount corrected."}, headers=tenant.headers("agent")
    )
    assert (
        done.status_code == 200
        and done.json()["status"] == "done"
        and done.json()["done_note"].startswith("Called")
    )
    open_ids = {
        c["id"]
        for c in httpx.get(
            f"{server.url}/v1/commitments", params={"status": "open"}, headers=tenant.headers("agent")
        ).json()
    }
    assert commitment["id"] not in open_ids
    with transaction(server.database_url) as db:
        assert (
            db.query(AuditRow)
            .filter(AuditRow.action == "commitment.done", AuditRow.target == commitment["id"])
            .count()
            == 1
        )


def test_an_overdue_commitment_alerts_owner_and_supervisor_once_and_goes_out_by_webhook(
    database_url: str, tmp_path: Path
) -> None:
    tenant = make_tenant(database_url)
    os.environ["CALMLINE_OVERDUE_POLL"] = "1"
    try:
        server = ServerProcess(database_url, tmp_path).start()
    finally:
        del os.environ["CALMLINE_OVERDUE_POLL"]
    receiver = WebhookReceiver()
    try:
        httpx.post(
            f"{server.url}/v1/webhooks",
            json={"url": receiver.url, "events": ["commitment.overdue"]},
            headers=tenant.headers("admin"),
        )
        cid = _conversation(server.url, tenant, PROMISES)
        with transaction(database_url) as db:  # a week passes
            db.execute(
                update(CommitmentRow)
                .where(CommitmentRow.conversation_id == cid)
                .values(due=datetime.now(UTC) - timedelta(hours=1))
            )
        received = receiver.wait_for(2, timeout=30)
        overdue = httpx.get(
            f"{server.url}/v1/commitments", params={"status": "overdue"}, headers=tenant.headers("agent")
        ).json()
        view = httpx.get(f"{server.url}/v1/conversations/{cid}", headers=tenant.headers("supervisor")).json()
    finally:
        server.stop()
        receiver.close()
    assert {c["conversation_id"] for c in overdue} == {cid} and len(overdue) == 2
    alerts = [a for a in view["alerts"] if a["kind"] == "commitment_overdue"]
    assert len(alerts) == 2, "one alert per commitment, not one per check"
    assert (
        set(alerts[0]["alert"]["audience"]) == {"agent", "supervisor"}
        and alerts[0]["alert"]["practice"] == "P19"
    )
    bodies = [json.loads(r.body) for r in received]
    assert {b["type"] for b in bodies} == {"commitment.overdue"} and len(bodies) == 2


def test_a_qa_override_changes_the_scorecard_and_the_aggregates(
    server: ServerProcess, tenant: Tenant
) -> None:
    cid = _conversation(server.url, tenant, PROMISES, agent="Ines", team="retention")
    before = httpx.get(
        f"{server.url}/v1/scorecards/aggregate", params={"by": "agent"}, headers=tenant.headers("qa")
    ).json()
    ines_before = next(a for a in before if a["group"] == "Ines")
    card = httpx.get(f"{server.url}/v1/records/{cid}", headers=tenant.headers("qa")).json()["scorecard"]
    target = next(i for i in card["items"] if i["status"] == "met")
    body = {
        "practice": target["practice"],
        "status": "missed",
        "reason": "Listened to the call: the name was mispronounced.",
    }
    assert (
        httpx.post(
            f"{server.url}/v1/records/{cid}/overrides", json=body, headers=tenant.headers("agent")
        ).status_code
        == 403
    )
    changed = httpx.post(f"{server.url}/v1/records/{cid}/overrides", json=body, headers=tenant.headers("qa"))
    assert changed.status_code == 200
    item = next(i for i in changed.json()["items"] if i["practice"] == target["practice"])
    assert item["status"] == "missed" and item["override"]["previous"] == "met"
    assert changed.json()["score"] < card["score"]
    after = httpx.get(
        f"{server.url}/v1/scorecards/aggregate", params={"by": "agent"}, headers=tenant.headers("qa")
    ).json()
    ines_after = next(a for a in after if a["group"] == "Ines")
    assert ines_after["score"] < ines_before["score"] and ines_after["overridden_items"] == 1
    with transaction(server.database_url) as db:
        audit = (
            db.query(AuditRow).filter(AuditRow.action == "scorecard.override", AuditRow.target == cid).one()
        )
        assert audit.detail["reason"].startswith("Listened")


def test_wellbeing_suggests_a_break_when_the_abuse_threshold_is_reached(
    server: ServerProcess, tenant: Tenant
) -> None:
    _conversation(server.url, tenant, ABUSIVE, agent="Noor")
    first = httpx.get(f"{server.url}/v1/wellbeing", headers=tenant.headers("supervisor")).json()
    assert not [s for s in first["suggestions"] if s["agent"] == "Noor"]
    _conversation(server.url, tenant, ABUSIVE, agent="Noor")
    second = httpx.get(f"{server.url}/v1/wellbeing", headers=tenant.headers("supervisor")).json()
    noor = [s for s in second["suggestions"] if s["agent"] == "Noor"]
    assert [s["kind"] for s in noor] == ["break"] and noor[0]["count"] == second["policy"][
        "abuse_threshold"
    ] == 2
    assert noor[0]["debrief"], "the debrief checklist comes with it"
    shift = next(s for s in second["shifts"] if s["agent"] == "Noor")
    assert shift["abuse"] == 2


def test_exports_and_the_printable_report(server: ServerProcess, tenant: Tenant) -> None:
    cid = _conversation(server.url, tenant, PROMISES)
    headers = tenant.headers("qa")
    rows = list(
        csv.DictReader(
            io.StringIO(httpx.get(f"{server.url}/v1/exports/commitments.csv", headers=headers).text)
        )
    )
    assert any(cid in json.dumps(row) for row in rows)
    as_json = httpx.get(f"{server.url}/v1/exports/records.json", headers=headers)
    assert as_json.headers["content-type"].startswith("application/json") and cid in as_json.text
    report = httpx.get(f"{server.url}/v1/records/{cid}/report.html", headers=headers)
    assert report.status_code == 200 and "<html" in report.text.lower()
    assert 'src="http' not in report.text and 'href="http' not in report.text, "self-contained, prints offline"
    assert (
        httpx.get(f"{server.url}/v1/exports/records.csv", headers=tenant.headers("agent")).status_code == 403
    )
    with transaction(server.database_url) as db:
        exports = {
            row.target for row in db.query(AuditRow).filter(AuditRow.action.in_(["export", "export.report"]))
        }
    assert {"commitments.csv", "records.json", cid} <= exports


def test_followups_cli_lists_overdue_and_marks_done(
    database_url: str, server: ServerProcess, tenant: Tenant, tmp_path: Path
) -> None:
    cid = _conversation(server.url, tenant, PROMISES)
    with transaction(database_url) as db:
        db.execute(
            update(CommitmentRow)
            .where(CommitmentRow.conversation_id == cid, CommitmentRow.what.like("%call you back%"))
            .values(due=datetime.now(UTC) - timedelta(days=1))
        )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "CALMLINE_DATABASE_URL": database_url, "CALMLINE_HOME": str(tmp_path)}
        return subprocess.run(
            [sys.executable, "-m", "calmline", "followups", "--tenant", tenant.name, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    overdue = json.loads(run("--overdue", "--format", "json").stdout)
    assert [c["conversation_id"] for c in overdue] == [cid] and "call you back" in overdue[0]["what"]
    refused = run("--done", overdue[0]["id"])
    assert refused.returncode == 2 and "--note" in refused.stderr
    assert run("--done", overdue[0]["id"][:8], "--note", "Called back, sorted.").returncode == 0
    assert json.loads(run("--overdue", "--format", "json").stdout) == []
