"""storage.turns: the group-commit write (one statement per table), stale writes, and turns read back."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from calmline.storage import turns
from calmline.storage.conversations import find_conversation
from calmline.storage.database import reading, transaction
from calmline.storage.events import conversation_stream, events_after, tenant_stream
from calmline.storage.tables import utcnow
from calmline.storage.turns import StaleBatchError, TurnWrite, store_turns
from tests.storage.conftest import Tenants
from tests.storage.support import new_conversation


def turn(
    tenant_id: str, conversation_id: str, seq: int, *, alert: bool = False, board: bool = False
) -> TurnWrite:
    """The rows of turn ``seq`` as the service prepares them (``seq`` turns stored before it)."""
    now = utcnow()
    alerts: list[dict[str, Any]] = []
    if alert:
        body = {"kind": "escalation", "message": "rising"}
        alerts.append(
            {
                "id": str(uuid.uuid4()),
                "tenant_id": tenant_id,
                "conversation_id": conversation_id,
                "turn_seq": seq,
                "kind": "escalation",
                "severity": "warning",
                "alert": body,
                "created_at": now,
            }
        )
    result = {
        "turn": {"id": f"t{seq}", "index": seq},
        "alerts": [{"id": a["id"], **a["alert"]} for a in alerts],
    }
    return TurnWrite(
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        stored_turns=seq,
        changes={"turn_count": seq + 1, "escalation_risk": 0.5, "mood": -1.0, "state": {}, "updated_at": now},
        turn={
            "conversation_id": conversation_id,
            "seq": seq,
            "client_id": f"t{seq}",
            "speaker": "customer",
            "text": f"turn {seq}",
            "created_at": now,
            "result": result,
        },
        alerts=alerts,
        result=result,
        board={"id": conversation_id} if board else None,
    )


def test_a_batch_stores_every_turn_with_consecutive_events(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        first = new_conversation(db, tenants.a)
        second = new_conversation(db, tenants.a)
    with transaction(database_url) as db:
        sent = store_turns(
            db, [turn(tenants.a, first, 0, alert=True, board=True), turn(tenants.a, second, 0)]
        )
    assert sent[0] is not None and sent[1] is not None
    assert [(e["stream"], e["type"]) for e in sent[0]] == [
        (conversation_stream(first), "turn"),
        (tenant_stream(tenants.a), "alert"),
        (tenant_stream(tenants.a), "conversation.updated"),
    ]
    assert [(e["stream"], e["seq"]) for e in sent[1]] == [(conversation_stream(second), 1)]
    with transaction(database_url) as db:
        board = events_after(db, tenant_stream(tenants.a), 0)
        assert [e["seq"] for e in board] == [1, 2]
        row = find_conversation(db, tenants.a, first)
        assert row is not None and (row.turn_count, row.escalation_risk) == (1, 0.5)


def test_a_write_from_a_stale_copy_stores_nothing(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        conversation_id = new_conversation(db, tenants.a)
    with transaction(database_url) as db:
        assert store_turns(db, [turn(tenants.a, conversation_id, 0)]) != [None]
    with transaction(database_url) as db:
        assert store_turns(db, [turn(tenants.a, conversation_id, 0)]) == [None]  # the row says 1 turn now
    with transaction(database_url) as db:
        # Another tenant cannot move the conversation on, whatever its count says.
        assert store_turns(db, [turn(tenants.b, conversation_id, 1)]) == [None]
    with pytest.raises(StaleBatchError), transaction(database_url) as db:
        store_turns(db, [turn(tenants.a, conversation_id, 1), turn(tenants.a, conversation_id, 0)])
    with reading(database_url) as db:
        assert [t.seq for t in turns.turns_of(db, conversation_id)] == [0]


def test_turns_read_back_by_client_id_seq_and_order(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        conversation_id = new_conversation(db, tenants.a)
    for seq in range(3):
        with transaction(database_url) as db:
            store_turns(db, [turn(tenants.a, conversation_id, seq)])
    with reading(database_url) as db:
        found = turns.find_turn(db, conversation_id, "t1")
        assert found is not None and found.seq == 1 and found.result["turn"]["id"] == "t1"
        assert turns.find_turn(db, conversation_id, "t9") is None
        assert turns.turn_text(db, conversation_id, 2) == "turn 2"
        assert turns.turn_text(db, conversation_id, -1) is None
        assert [r.client_id for r in turns.history(db, conversation_id)] == ["t0", "t1", "t2"]
        assert [t.seq for t in turns.turns_of(db, conversation_id)] == [0, 1, 2]
