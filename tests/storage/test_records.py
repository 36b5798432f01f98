"""storage.records, storage.commitments and storage.tenants: tenant-scoped reads and their changes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from calmline.errors import InputError
from calmline.records.model import Commitment
from calmline.storage import commitments, records
from calmline.storage.database import reading, transaction
from calmline.storage.records import RecordFilter
from calmline.storage.tables import utcnow
from calmline.storage.tenants import (
    all_tenants,
    chosen_tenant,
    set_playbook,
    tenant_by_id,
    tenant_named,
    tenant_names,
    update_settings,
)
from tests.storage.conftest import Tenants
from tests.storage.support import alert_on, closed_conversation, new_conversation


def test_records_are_the_tenants_closed_conversations_latest_first(
    database_url: str, tenants: Tenants
) -> None:
    now = utcnow()
    with transaction(database_url) as db:
        older = closed_conversation(db, tenants.a, closed_at=now - timedelta(days=2), agent_name="Sam")
        newer = closed_conversation(db, tenants.a, closed_at=now - timedelta(days=1), team="billing")
        alert_on(db, tenants.a, older, "legal_threat")
        new_conversation(db, tenants.a)  # still active: no record
        theirs = closed_conversation(db, tenants.b, closed_at=now, agent_name="Sam")
        alert_on(db, tenants.b, theirs, "escalation")

    def ids(which: RecordFilter) -> list[str]:
        with reading(database_url) as db:
            return [row.id for row in records.closed_conversations(db, tenants.a, which)]

    assert ids(RecordFilter()) == [newer, older]
    assert ids(RecordFilter(agent="Sam")) == [older]
    assert ids(RecordFilter(team="billing")) == [newer]
    assert ids(RecordFilter(since=now - timedelta(hours=36))) == [newer]
    assert ids(RecordFilter(until=now - timedelta(hours=36))) == [older]
    assert ids(RecordFilter(alert="legal_threat")) == [older]
    assert ids(RecordFilter(alert="escalation")) == []  # only the other tenant's conversation has one
    assert ids(RecordFilter(limit=1)) == [newer]
    with reading(database_url) as db:
        assert records.closed_conversation(db, tenants.a, older) is not None
        assert records.closed_conversation(db, tenants.b, older) is None
        assert records.closed_conversation(db, tenants.a, new_conversation(db, tenants.a)) is None


def test_a_commitment_is_found_only_by_its_tenant(database_url: str, tenants: Tenants) -> None:
    due = utcnow() - timedelta(hours=1)
    promise = Commitment.model_validate(
        {"what": "call back", "owner": "Sam", "due": due, "turn": 0, "evidence": []}
    )
    with transaction(database_url) as db:
        conversation_id = closed_conversation(db, tenants.a)
        (row,) = commitments.store_commitments(db, tenants.a, conversation_id, [promise])
        db.flush()
        commitment_id = row.id
    with transaction(database_url) as db:
        assert commitments.find_commitment(db, tenants.b, commitment_id) is None
        assert commitments.find_commitments(db, tenants.b) == []
        found = commitments.find_commitment(db, tenants.a, commitment_id)
        assert found is not None and found.what == "call back"
        assert commitment_id in {r.id for r in commitments.newly_overdue(db)}
        commitments.mark_overdue_alerted(found)
    with reading(database_url) as db:
        assert commitment_id not in {r.id for r in commitments.newly_overdue(db)}


def test_tenants_are_found_by_id_and_name_and_change_their_settings(
    database_url: str, tenants: Tenants
) -> None:
    with transaction(database_url) as db:
        a = tenant_by_id(db, tenants.a)
        assert a is not None and tenant_by_id(db, "no-such-id") is None
        assert tenant_named(db, a.name) is a
        assert tenant_named(db, "no such tenant") is None
        names = [t.name for t in all_tenants(db)]
        assert names == sorted(names) and a.name in names
        assert len(tenant_names(db, limit=2)) == 2
        assert chosen_tenant(db, a.name) is a
        with pytest.raises(InputError, match="several tenants: say which with --tenant"):
            chosen_tenant(db, None)
        assert set_playbook(a, "company: {}\n") == 1
        assert set_playbook(a, "company: {name: Acme}\n") == 2
        update_settings(a, {"timezone": "Europe/Paris"})
        update_settings(a, {"redact": ["email"]})
    with reading(database_url) as db:
        a = tenant_by_id(db, tenants.a)
        b = tenant_by_id(db, tenants.b)
        assert a is not None and b is not None
        assert (a.playbook_version, a.playbook_yaml) == (2, "company: {name: Acme}\n")
        assert a.settings == {"timezone": "Europe/Paris", "redact": ["email"]}
        assert (b.playbook_version, b.settings) == (0, {})
