"""After the conversation, served: records with QA overrides, the commitment ledger, well-being and exports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from calmline.errors import NotFoundError
from calmline.model import Alert as EngineAlert
from calmline.model import AlertKind, Audience, Evidence, Severity
from calmline.playbook import Playbook
from calmline.records import export
from calmline.records.model import Override, RecordResult
from calmline.records.scorecard import aggregate, apply_overrides
from calmline.records.wellbeing import facts_of, shifts, suggestions
from calmline.server.bus import Publish
from calmline.server.service import Actor
from calmline.server.turns import board_entry
from calmline.storage.alerts import add_alert
from calmline.storage.audit import audit
from calmline.storage.commitments import (
    add_override,
    commitment_view,
    find_commitment,
    find_commitments,
    mark_done,
    mark_overdue_alerted,
    newly_overdue,
    overrides_for,
    tenant_zone,
)
from calmline.storage.database import DbSession, transaction
from calmline.storage.events import Message, append_event, conversation_stream, tenant_stream
from calmline.storage.records import RecordFilter, closed_conversation, closed_conversations
from calmline.storage.tables import CommitmentRow, ConversationRow, Tenant
from calmline.storage.tenants import tenant_by_id
from calmline.storage.webhooks import enqueue

EVERYTHING = 100_000  # aggregates, exports and well-being read every closed conversation in range


class Ledger:
    """Closed conversations' records and the follow-ups they left, for QA, supervisors and the agents."""

    def __init__(
        self, database_url: str, publish: Publish, playbook_of: Callable[[Tenant], Playbook]
    ) -> None:
        self.database_url = database_url
        self.publish = publish
        self.playbook_of = playbook_of

    # --- records ----------------------------------------------------------------------------

    def records(self, actor: Actor, which: RecordFilter) -> list[Message]:
        with transaction(self.database_url) as db:
            rows = self._closed(db, actor, which)
            overrides = overrides_for(db, actor.tenant_id, [r.id for r in rows])
            return [self._summary(row, overrides.get(row.id, [])) for row in rows]

    def record(self, actor: Actor, conversation_id: str) -> Message:
        with transaction(self.database_url) as db:
            row = self._closed_row(db, actor, conversation_id)
            result = self._result(row, overrides_for(db, actor.tenant_id, [row.id]).get(row.id, []))
            return {**board_entry(row), **result.model_dump(mode="json")}

    def override(self, actor: Actor, conversation_id: str, override: Override) -> Message:
        with transaction(self.database_url) as db:
            row = self._closed_row(db, actor, conversation_id)
            reviewed = override.model_copy(update={"reviewer": actor.key_id})
            current = overrides_for(db, actor.tenant_id, [row.id]).get(row.id, [])
            scorecard = apply_overrides(
                _result(row).scorecard, [*current, reviewed]
            )  # refuses unknown practices
            add_override(db, actor.tenant_id, row.id, reviewed, actor.key_id)
            audit(
                db,
                actor.tenant_id,
                actor.key_id,
                "scorecard.override",
                row.id,
                practice=override.practice,
                status=override.status.value,
                reason=override.reason,
            )
            return scorecard.model_dump(mode="json")

    def aggregates(self, actor: Actor, by: str, since: datetime | None = None) -> list[Message]:
        with transaction(self.database_url) as db:
            rows = self._closed(db, actor, RecordFilter(since=since, limit=EVERYTHING))
            cards = [_result(row).scorecard for row in rows]
            overrides = overrides_for(db, actor.tenant_id, [row.id for row in rows])
            return [a.model_dump(mode="json") for a in aggregate(cards, by, overrides)]

    def report_html(self, actor: Actor, conversation_id: str) -> str:
        with transaction(self.database_url) as db:
            row = self._closed_row(db, actor, conversation_id)
            result = self._result(row, overrides_for(db, actor.tenant_id, [row.id]).get(row.id, []))
            audit(db, actor.tenant_id, actor.key_id, "export.report", row.id)
        return export.report_html(result)

    def export(self, actor: Actor, what: str, form: str) -> str:
        """Records, commitments or scorecards as CSV or JSON (audited: exports leave the system)."""
        with transaction(self.database_url) as db:
            rows = self._closed(db, actor, RecordFilter(limit=EVERYTHING))
            overrides = overrides_for(db, actor.tenant_id, [row.id for row in rows])
            results = [self._result(row, overrides.get(row.id, [])) for row in rows]
            audit(db, actor.tenant_id, actor.key_id, "export", f"{what}.{form}", rows=len(results))
        if form == "json":
            return export.to_json(results)
        writers: dict[str, Callable[[list[RecordResult]], str]] = {
            "records": export.records_csv,
            "commitments": export.commitments_csv,
            "scorecards": lambda rs: export.scorecards_csv([r.scorecard for r in rs]),
        }
        return writers[what](results)

    # --- commitments ------------------------------------------------------------------------

    def commitments(self, actor: Actor, status: str | None = None, owner: str | None = None) -> list[Message]:
        with transaction(self.database_url) as db:
            zone = tenant_zone(tenant_by_id(db, actor.tenant_id))
            return [
                commitment_view(row, zone) for row in find_commitments(db, actor.tenant_id, status, owner)
            ]

    def commitment_done(self, actor: Actor, commitment_id: str, note: str) -> Message:
        with transaction(self.database_url) as db:
            row = find_commitment(db, actor.tenant_id, commitment_id)
            if row is None:
                raise NotFoundError("no such commitment")
            if row.status != "done":
                mark_done(db, row, note, actor.key_id)
                audit(db, actor.tenant_id, actor.key_id, "commitment.done", row.id, note=note)
            return commitment_view(row, tenant_zone(tenant_by_id(db, actor.tenant_id)))

    def alert_overdue(self, now: datetime | None = None) -> int:
        """Raise one alert (owner and supervisor, event and webhook) for each newly overdue commitment."""
        published: list[tuple[str, Message]] = []
        with transaction(self.database_url) as db:
            rows = newly_overdue(db, now)
            for row in rows:
                published += self._overdue_alert(db, row)
        for tenant_id, event in published:
            self.publish(tenant_id, event)
        return len(rows)

    def _overdue_alert(self, db: DbSession, row: CommitmentRow) -> list[tuple[str, Message]]:
        mark_overdue_alerted(row)
        due = row.due.astimezone(tenant_zone(tenant_by_id(db, row.tenant_id))).isoformat() if row.due else "?"
        alert = EngineAlert(
            kind=AlertKind.commitment_overdue,
            severity=Severity.warning,
            practice="P19",
            audience=[Audience.agent, Audience.supervisor],
            message=f"Overdue: {row.owner} promised “{row.what}” by {due}.",
            evidence=[Evidence(**e) for e in row.evidence],
            rule="commitment-overdue",
        )
        stored = add_alert(
            db,
            row.tenant_id,
            row.conversation_id,
            turn_seq=alert.evidence[0].turn if alert.evidence else 0,
            kind=alert.kind.value,
            severity=alert.severity.value,
            alert={**alert.model_dump(mode="json"), "commitment_id": row.id, "owner": row.owner},
        )
        payload = {"conversation_id": row.conversation_id, "alert": {"id": stored.id, **stored.alert}}
        enqueue(db, row.tenant_id, "commitment.overdue", f"overdue-{row.id}", payload)
        return [
            (row.tenant_id, append_event(db, row.tenant_id, stream, "alert", payload))
            for stream in (tenant_stream(row.tenant_id), conversation_stream(row.conversation_id))
        ]

    # --- well-being -------------------------------------------------------------------------

    def wellbeing(self, actor: Actor, since: datetime | None = None) -> Message:
        """Each agent's exposures per shift and the break/debrief suggestions reached (P22)."""
        with transaction(self.database_url) as db:
            tenant = tenant_by_id(db, actor.tenant_id)
            assert tenant is not None
            policy = self.playbook_of(tenant).wellbeing
            rows = self._closed(db, actor, RecordFilter(since=since, limit=EVERYTHING))
        facts = [f for f in (facts_of(_result(r).record) for r in reversed(rows)) if f is not None]
        facts.sort(key=lambda f: f.ended_at)
        return {
            "policy": policy.model_dump(mode="json"),
            "shifts": [s.model_dump(mode="json") for s in shifts(facts, policy)],
            "suggestions": [s.model_dump(mode="json") for s in suggestions(facts, policy)],
        }

    # --- internals --------------------------------------------------------------------------

    def _closed(
        self, db: DbSession, actor: Actor, which: RecordFilter | None = None
    ) -> list[ConversationRow]:
        return closed_conversations(db, actor.tenant_id, which or RecordFilter())

    def _closed_row(self, db: DbSession, actor: Actor, conversation_id: str) -> ConversationRow:
        row = closed_conversation(db, actor.tenant_id, conversation_id)
        if row is None:
            raise NotFoundError("no closed conversation with that id")
        return row

    def _result(self, row: ConversationRow, overrides: list[Override]) -> RecordResult:
        result = _result(row)
        if overrides:
            result = result.model_copy(update={"scorecard": apply_overrides(result.scorecard, overrides)})
        return result

    def _summary(self, row: ConversationRow, overrides: list[Override]) -> Message:
        result = self._result(row, overrides)
        return {
            **board_entry(row),
            "agent": result.record.agent,
            "outcome": result.record.outcome.value,
            "mood": result.record.mood.model_dump(mode="json"),
            "score": result.scorecard.score,
            "alerts": sorted({a.kind.value for a in result.record.alerts}),
            "commitments": len(result.commitments),
            "reason": result.record.reason,
        }


def _result(row: ConversationRow) -> RecordResult:
    return RecordResult.model_validate(row.record)
