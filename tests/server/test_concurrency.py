"""Many conversations at once: turns written many to a transaction still land once each, in order, gapless."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import select

from calmline.storage.database import reading
from calmline.storage.events import conversation_stream, tenant_stream
from calmline.storage.tables import EventRow, TurnRow
from calmline.storage.tables import Tenant as TenantRow
from tests.server.support import ServerProcess, Tenant

CONVERSATIONS = 12
LINES = [
    ("customer", "I was charged twice for my order and nobody answers my emails."),
    ("agent", "I'm sorry about that. Let me look at both charges right now."),
    ("customer", "This is the third time. Honestly, this is ridiculous."),
    ("agent", "You're right to be annoyed. I can see the second charge; I'm refunding it today."),
    ("customer", "Fine. When will I see the money?"),
    ("agent", "Within three to five business days; you'll get an email when it's sent."),
]


def _post_all(server: ServerProcess, tenant: Tenant, cid: str) -> list[dict]:
    """Post the conversation's turns one after another, as its agent's client would."""
    with httpx.Client(base_url=server.url, timeout=60) as client:
        results = []
        for i, (speaker, text) in enumerate(LINES):
            body = {"id": f"{cid[:8]}-{i}", "speaker": speaker, "text": text}
            response = client.post(
                f"/v1/conversations/{cid}/turns", json=body, headers=tenant.headers("agent")
            )
            assert response.status_code == 200, response.text
            results.append(response.json())
        return results


def test_concurrent_conversations_and_replays_store_each_turn_once_in_order(
    server: ServerProcess, client: httpx.Client, tenant: Tenant, database_url: str
) -> None:
    ids = []
    for _ in range(CONVERSATIONS):
        response = client.post("/v1/conversations", headers=tenant.headers("agent"))
        assert response.status_code == 201
        ids.append(response.json()["id"])
    # Two clients per conversation send the same turns at the same time (a retrying integration):
    # whichever arrives first stores a turn, the other must get the very same answer back.
    with ThreadPoolExecutor(max_workers=2 * CONVERSATIONS) as pool:
        first = [pool.submit(_post_all, server, tenant, cid) for cid in ids]
        second = [pool.submit(_post_all, server, tenant, cid) for cid in ids]
        answers = [(a.result(), b.result()) for a, b in zip(first, second, strict=True)]
    for a, b in answers:
        assert a == b

    with reading(database_url) as db:
        for cid in ids:
            turns = db.execute(
                select(TurnRow.seq, TurnRow.client_id)
                .where(TurnRow.conversation_id == cid)
                .order_by(TurnRow.seq)
            ).all()
            assert [(seq, client_id) for seq, client_id in turns] == [
                (i, f"{cid[:8]}-{i}") for i in range(len(LINES))
            ]
            events = db.execute(
                select(EventRow.seq, EventRow.type, EventRow.data)
                .where(EventRow.stream == conversation_stream(cid))
                .order_by(EventRow.seq)
            ).all()
            # The agent's stream: one event per turn, numbered without gaps, in the order the turns were said.
            assert [seq for seq, _, _ in events] == list(range(1, len(LINES) + 1))
            assert [data["turn"]["index"] for _, kind, data in events if kind == "turn"] == list(
                range(len(LINES))
            )
        tenant_id = db.scalar(select(TenantRow.id).where(TenantRow.name == tenant.name))
        board = db.scalars(select(EventRow.seq).where(EventRow.stream == tenant_stream(tenant_id))).all()
    # The supervisors' stream: every turn's board news from every conversation, numbered without gaps.
    assert sorted(board) == list(range(1, len(board) + 1))
    assert len(board) >= CONVERSATIONS  # at least each conversation's opening
    view = client.get(f"/v1/conversations/{ids[0]}", headers=tenant.headers("agent")).json()
    assert [t["text"] for t in view["turns"]] == [text for _, text in LINES]
