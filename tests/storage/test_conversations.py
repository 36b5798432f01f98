"""storage.conversations and storage.alerts: each query keeps to its tenant, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from calmline.storage import alerts, conversations
from calmline.storage.database import reading, transaction
from calmline.storage.tables import utcnow
from tests.storage.conftest import Tenants
from tests.storage.support import alert_on, closed_conversation, new_conversation


def test_a_conversation_is_found_only_by_its_tenant(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        mine = new_conversation(db, tenants.a, agent_name="Sam", team="billing")
    with reading(database_url) as db:
        found = conversations.find_conversation(db, tenants.a, mine)
        assert found is not None
        assert (found.agent_name, found.team, found.meta, found.status) == ("Sam", "billing", {}, "active")
        assert conversations.find_conversation(db, tenants.b, mine) is None
        assert conversations.find_conversation(db, tenants.a, "no-such-id") is None


def test_the_board_lists_the_tenants_own_riskiest_first(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        calm = new_conversation(db, tenants.a, escalation_risk=0.1)
        hot = new_conversation(db, tenants.a, escalation_risk=0.9)
        new_conversation(db, tenants.b, escalation_risk=1.0)
        done = closed_conversation(db, tenants.a)
        closed_conversation(db, tenants.b)
    with reading(database_url) as db:
        assert [r.id for r in conversations.board(db, tenants.a, "active")] == [hot, calm]
        assert [r.id for r in conversations.board(db, tenants.a, "closed")] == [done]
        later = utcnow() + timedelta(minutes=1)
        assert [r.id for r in conversations.board(db, tenants.a, "closed", closed_before=later)] == [done]
        assert conversations.board(db, tenants.a, "closed", closed_before=utcnow() - timedelta(days=1)) == []
        assert len(conversations.board(db, tenants.a, "active", limit=1)) == 1


def test_a_board_copy_is_detached_and_holds_the_board_fields(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        conversation_id = new_conversation(db, tenants.a, agent_name="Sam")
    with reading(database_url) as db:
        row = conversations.find_conversation(db, tenants.a, conversation_id)
        assert row is not None
        copy = conversations.board_copy(row)
    assert copy is not row
    assert {name: getattr(copy, name) for name in conversations.BOARD_FIELDS} == {
        name: getattr(row, name) for name in conversations.BOARD_FIELDS
    }
    assert copy.record is None


def test_purging_deletes_only_the_tenants_closed_conversations(database_url: str, tenants: Tenants) -> None:
    old = utcnow() - timedelta(days=30)
    with transaction(database_url) as db:
        purged = closed_conversation(db, tenants.a, closed_at=old)
        alert_on(db, tenants.a, purged)
        kept_recent = closed_conversation(db, tenants.a)
        kept_active = new_conversation(db, tenants.a)
        theirs = closed_conversation(db, tenants.b, closed_at=old)
    with transaction(database_url) as db:
        assert conversations.purge_closed(db, tenants.a, utcnow() - timedelta(days=1)) == 1
    with reading(database_url) as db:
        assert conversations.find_conversation(db, tenants.a, purged) is None
        assert alerts.alerts_of(db, purged) == []  # cascaded
        for kept in (kept_recent, kept_active):
            assert conversations.find_conversation(db, tenants.a, kept) is not None
        assert conversations.find_conversation(db, tenants.b, theirs) is not None


def test_open_alert_kinds_count_unacknowledged_alerts_of_the_tenant(
    database_url: str, tenants: Tenants
) -> None:
    with transaction(database_url) as db:
        mine = new_conversation(db, tenants.a)
        theirs = new_conversation(db, tenants.b)
        alert_on(db, tenants.a, mine, "escalation")
        alert_on(db, tenants.a, mine, "escalation")
        acknowledged = alert_on(db, tenants.a, mine, "legal_threat")
        alerts.acknowledge(acknowledged, "key-1")
        alert_on(db, tenants.b, theirs, "escalation")
    with reading(database_url) as db:
        assert alerts.open_alert_kinds(db, tenants.a, [mine, theirs]) == {mine: ["escalation"]}
        assert alerts.open_alert_kinds(db, tenants.b, [mine]) == {}
        assert alerts.open_alert_kinds(db, tenants.a, []) == {}
        assert [a.kind for a in alerts.alerts_of(db, mine)] == ["escalation", "escalation", "legal_threat"]


def test_an_alert_is_found_and_acknowledged_only_by_its_tenant(database_url: str, tenants: Tenants) -> None:
    with transaction(database_url) as db:
        alert_id = alert_on(db, tenants.a, new_conversation(db, tenants.a)).id
    with transaction(database_url) as db:
        assert alerts.find_alert(db, tenants.b, alert_id) is None
        alert = alerts.find_alert(db, tenants.a, alert_id)
        assert alert is not None and alert.acknowledged_at is None
        alerts.acknowledge(alert, "key-1")
    with reading(database_url) as db:
        alert = alerts.find_alert(db, tenants.a, alert_id)
        assert alert is not None and alert.acknowledged_by == "key-1" and alert.acknowledged_at is not None
