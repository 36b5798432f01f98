"""Live conversations: each turn through the engine, stored with its events in one transaction, then published."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from calmline.coach import coach_session
from calmline.engine.pipeline import Engine, Session
from calmline.engine.redact import REDACTION_KINDS, redact, redact_json
from calmline.errors import CalmlineError, InputError
from calmline.model import Conversation, Role, Turn, TurnAnalysis
from calmline.playbook import Playbook, load_playbook_text
from calmline.records.record import build_record
from calmline.storage.audit import audit
from calmline.storage.commitments import store_commitments
from calmline.storage.database import transaction
from calmline.storage.events import append_event, conversation_stream, open_stream, tenant_stream
from calmline.storage.tables import AlertRow, ConversationRow, Tenant, TurnRow, utcnow
from calmline.storage.webhooks import enqueue

Message = dict[str, Any]
Publish = Callable[[str, Message], None]

RISK_STEP = 0.02  # the board is told of risk moves at least this large (and of every alert)
MOOD_STEP = 0.25


class NotFoundError(CalmlineError):
    """No such thing for this tenant (another tenant's things are not found either)."""


class ConflictError(CalmlineError):
    """The request clashes with the current state: a closed conversation, a reused turn id."""


@dataclass(frozen=True)
class Actor:
    """Who is calling: the tenant and the key (its id is what the audit log names)."""

    tenant_id: str
    key_id: str
    role: str


class LiveService:
    """Everything the server does, without HTTP: the routes translate requests into these calls."""

    def __init__(self, database_url: str, publish: Publish, cache_size: int = 5000) -> None:
        self.database_url = database_url
        self.publish = publish
        self._engines: dict[tuple[str, int], Engine] = {}
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._cache_size = cache_size

    # --- conversations --------------------------------------------------------------------

    def create_conversation(self, actor: Actor, fields: dict[str, Any]) -> Message:
        conversation_id = str(uuid.uuid4())
        with transaction(self.database_url) as db:
            row = ConversationRow(
                id=conversation_id,
                tenant_id=actor.tenant_id,
                channel=fields.get("channel") or "chat",
                customer_name=fields.get("customer_name"),
                agent_name=fields.get("agent_name"),
                team=fields.get("team"),
                meta=redact_json(fields.get("metadata") or {}),
            )
            db.add(row)
            db.flush()
            open_stream(db, conversation_stream(conversation_id))
            event = append_event(
                db, actor.tenant_id, tenant_stream(actor.tenant_id), "conversation.opened", board_entry(row)
            )
        self.publish(actor.tenant_id, event)
        return {"id": conversation_id}

    def add_turn(self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str) -> Message:
        with self._lock(conversation_id):
            replay = self._replay(actor, conversation_id, turn_id, speaker, text)
            if replay is not None:
                return replay
            try:
                return self._add_turn(actor, conversation_id, turn_id, speaker, text)
            except IntegrityError:
                # Another worker wrote this conversation meanwhile: our cached session is stale.
                self._forget(conversation_id)
                replay = self._replay(actor, conversation_id, turn_id, speaker, text)
                if replay is not None:
                    return replay
                return self._add_turn(actor, conversation_id, turn_id, speaker, text)

    def _replay(
        self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> Message | None:
        with transaction(self.database_url) as db:
            conversation = self._conversation(db, actor, conversation_id)
            stored = db.scalar(
                select(TurnRow).where(
                    TurnRow.conversation_id == conversation_id, TurnRow.client_id == turn_id
                )
            )
            if stored is None:
                if conversation.status != "active":
                    raise ConflictError("the conversation is closed; it takes no more turns")
                return None
            if stored.speaker != speaker or stored.text != self._redact_like(db, actor, stored, text):
                raise ConflictError(f"turn id {turn_id!r} was already used for a different turn")
            return stored.result

    def _add_turn(self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str) -> Message:
        try:
            with transaction(self.database_url) as db:
                conversation = self._conversation(db, actor, conversation_id)
                session = self._session(db, conversation)
                turn = Turn(id=turn_id, speaker=speaker, role=Role(speaker), text=text, timestamp=utcnow())
                stored = self._store_turn(db, conversation, turn_id, session.add(turn))
        except BaseException:
            # The session took the turn but the database did not: the next call rebuilds it.
            self._forget(conversation_id)
            raise
        for event in stored["events"]:
            self.publish(actor.tenant_id, event)
        return stored["result"]

    def _store_turn(
        self, db: DbSession, conversation: ConversationRow, turn_id: str, analysis: TurnAnalysis
    ) -> Message:
        alerts = []
        for alert in analysis.alerts:
            row = AlertRow(
                id=str(uuid.uuid4()),
                tenant_id=conversation.tenant_id,
                conversation_id=conversation.id,
                turn_seq=analysis.index,
                kind=alert.kind.value,
                severity=alert.severity.value,
                alert=alert.model_dump(mode="json"),
            )
            db.add(row)
            alerts.append({"id": row.id, **row.alert})
        result = {
            "turn": {
                "id": turn_id,
                "index": analysis.index,
                "speaker": analysis.role.value,
                "text": analysis.text,
            },
            "state": analysis.state.model_dump(mode="json"),
            "guidance": [g.model_dump(mode="json") for g in analysis.guidance],
            "alerts": alerts,
            "signals": [s.model_dump(mode="json") for s in analysis.signals],
        }
        db.add(
            TurnRow(
                conversation_id=conversation.id,
                seq=analysis.index,
                client_id=turn_id,
                speaker=analysis.role.value,
                text=analysis.text,
                result=result,
            )
        )
        moved = self._update_conversation(conversation, analysis)
        events = [
            append_event(db, conversation.tenant_id, conversation_stream(conversation.id), "turn", result)
        ]
        board = tenant_stream(conversation.tenant_id)
        for alert in alerts:
            payload = {"conversation_id": conversation.id, "alert": alert}
            events.append(append_event(db, conversation.tenant_id, board, "alert", payload))
            enqueue(db, conversation.tenant_id, "alert", alert["id"], payload)
        if moved or alerts:
            events.append(
                append_event(
                    db, conversation.tenant_id, board, "conversation.updated", board_entry(conversation)
                )
            )
        db.flush()
        return {"result": result, "events": events}

    @staticmethod
    def _update_conversation(conversation: ConversationRow, analysis: TurnAnalysis) -> bool:
        state = analysis.state
        moved = (
            abs(state.escalation_risk - conversation.escalation_risk) >= RISK_STEP
            or abs(state.mood - conversation.mood) >= MOOD_STEP
        )
        conversation.turn_count = analysis.index + 1
        conversation.escalation_risk = state.escalation_risk
        conversation.mood = state.mood
        conversation.state = state.model_dump(mode="json")
        conversation.updated_at = utcnow()
        return moved

    def coach(self, actor: Actor, conversation_id: str, draft: str) -> Message:
        with self._lock(conversation_id), transaction(self.database_url) as db:
            conversation = self._conversation(db, actor, conversation_id)
            session = self._session(db, conversation)
            previous = session.history[-1].text if session.history else None
            clean = self._redact(db, actor, draft, previous)
            return coach_session(clean, session).model_dump(mode="json")

    def check_conversation(self, actor: Actor, conversation_id: str) -> None:
        """Raise NotFoundError unless the conversation is the actor's tenant's."""
        with transaction(self.database_url) as db:
            self._conversation(db, actor, conversation_id)

    def get_conversation(self, actor: Actor, conversation_id: str) -> Message:
        with transaction(self.database_url) as db:
            conversation = self._conversation(db, actor, conversation_id)
            turns = db.scalars(
                select(TurnRow).where(TurnRow.conversation_id == conversation_id).order_by(TurnRow.seq)
            ).all()
            alerts = db.scalars(
                select(AlertRow)
                .where(AlertRow.conversation_id == conversation_id)
                .order_by(AlertRow.created_at)
            ).all()
            return {
                **board_entry(conversation),
                "metadata": conversation.meta,
                "state": conversation.state,
                "turns": [_turn_view(t) for t in turns],
                "alerts": [_alert_view(a) for a in alerts],
                "record": conversation.record,
            }

    def close(self, actor: Actor, conversation_id: str) -> Message:
        with self._lock(conversation_id):
            with transaction(self.database_url) as db:
                conversation = self._conversation(db, actor, conversation_id)
                if conversation.status != "active":
                    return conversation.record or {}
                session = self._session(db, conversation)
                tenant = _tenant(db, actor)
                result = build_record(
                    session.result(), session.engine.playbook, tenant.settings.get("timezone")
                )
                store_commitments(db, actor.tenant_id, conversation_id, result.commitments)
                record = result.model_dump(mode="json")
                conversation.status = "closed"
                conversation.closed_at = utcnow()
                conversation.record = record
                payload = {"conversation_id": conversation_id, "record": record}
                events = [
                    append_event(
                        db,
                        actor.tenant_id,
                        conversation_stream(conversation_id),
                        "conversation.closed",
                        payload,
                    ),
                    append_event(
                        db,
                        actor.tenant_id,
                        tenant_stream(actor.tenant_id),
                        "conversation.closed",
                        board_entry(conversation),
                    ),
                ]
                enqueue(db, actor.tenant_id, "record", f"record-{conversation_id}", payload)
            self._forget(conversation_id)
        for event in events:
            self.publish(actor.tenant_id, event)
        return record

    def handoff(self, actor: Actor, conversation_id: str) -> Message:
        """The agent asks for a supervisor: the hand-off note as things stand, sent to the board."""
        with self._lock(conversation_id), transaction(self.database_url) as db:
            conversation = self._conversation(db, actor, conversation_id)
            session = self._session(db, conversation)
            zone = _tenant(db, actor).settings.get("timezone")
            note = build_record(session.result(), session.engine.playbook, zone).handoff_note
            payload = {**board_entry(conversation), "note": note}
            event = append_event(
                db, actor.tenant_id, tenant_stream(actor.tenant_id), "supervisor.requested", payload
            )
        self.publish(actor.tenant_id, event)
        return {"conversation_id": conversation_id, "note": note}

    def board(
        self, actor: Actor, status: str = "active", closed_before: datetime | None = None, limit: int = 200
    ) -> list[Message]:
        with transaction(self.database_url) as db:
            query = select(ConversationRow).where(
                ConversationRow.tenant_id == actor.tenant_id, ConversationRow.status == status
            )
            if closed_before is not None:
                query = query.where(ConversationRow.closed_at < closed_before)
            order = (
                ConversationRow.escalation_risk.desc()
                if status == "active"
                else ConversationRow.closed_at.desc()
            )
            rows = db.scalars(query.order_by(order, ConversationRow.created_at).limit(limit)).all()
            alert_counts = self._open_alert_kinds(db, [r.id for r in rows])
            return [{**board_entry(r), "open_alerts": alert_counts.get(r.id, [])} for r in rows]

    @staticmethod
    def _open_alert_kinds(db: DbSession, ids: list[str]) -> dict[str, list[str]]:
        if not ids:
            return {}
        rows = db.execute(
            select(AlertRow.conversation_id, AlertRow.kind)
            .where(AlertRow.conversation_id.in_(ids), AlertRow.acknowledged_at.is_(None))
            .distinct()
        ).all()
        kinds: dict[str, list[str]] = {}
        for conversation_id, kind in rows:
            kinds.setdefault(conversation_id, []).append(kind)
        return kinds

    def purge(self, actor: Actor, closed_before: datetime) -> int:
        with transaction(self.database_url) as db:
            where = (
                ConversationRow.tenant_id == actor.tenant_id,
                ConversationRow.status == "closed",
                ConversationRow.closed_at < closed_before,
            )
            count = db.scalar(select(func.count()).select_from(ConversationRow).where(*where)) or 0
            db.execute(delete(ConversationRow).where(*where))
            audit(
                db,
                actor.tenant_id,
                actor.key_id,
                "conversations.purge",
                closed_before.isoformat(),
                purged=count,
            )
            return count

    # --- alerts -----------------------------------------------------------------------------

    def acknowledge(self, actor: Actor, alert_id: str, note: str = "") -> Message:
        with transaction(self.database_url) as db:
            alert = db.get(AlertRow, alert_id)
            if alert is None or alert.tenant_id != actor.tenant_id:
                raise NotFoundError("no such alert")
            if alert.acknowledged_at is None:
                alert.acknowledged_at = utcnow()
                alert.acknowledged_by = actor.key_id
                audit(
                    db,
                    actor.tenant_id,
                    actor.key_id,
                    "alert.acknowledge",
                    alert_id,
                    kind=alert.kind,
                    note=redact(note)[0],
                )
                payload = {"conversation_id": alert.conversation_id, "alert_id": alert_id}
                events = [
                    append_event(db, actor.tenant_id, stream, "alert.acknowledged", payload)
                    for stream in (conversation_stream(alert.conversation_id), tenant_stream(actor.tenant_id))
                ]
            else:
                events = []
            view = _alert_view(alert)
        for event in events:
            self.publish(actor.tenant_id, event)
        return view

    # --- playbook ---------------------------------------------------------------------------

    def playbook(self, actor: Actor) -> Message:
        with transaction(self.database_url) as db:
            tenant = _tenant(db, actor)
            return {
                "version": tenant.playbook_version,
                "company": yaml.safe_load(tenant.playbook_yaml) if tenant.playbook_yaml else {},
                "effective": self._engine(tenant).playbook.model_dump(mode="json"),
            }

    def put_playbook(self, actor: Actor, company: dict[str, Any]) -> Message:
        clean = redact_json(company)
        text = yaml.safe_dump(clean, sort_keys=False, allow_unicode=True)
        load_playbook_text(text, "playbook")  # raises PlaybookError naming the field
        with transaction(self.database_url) as db:
            tenant = _tenant(db, actor)
            tenant.playbook_yaml = text
            tenant.playbook_version += 1
            audit(db, actor.tenant_id, actor.key_id, "playbook.update", f"v{tenant.playbook_version}")
            version = tenant.playbook_version
        return {"version": version}

    # --- tenant settings --------------------------------------------------------------------

    def settings(self, actor: Actor) -> Message:
        with transaction(self.database_url) as db:
            settings = _tenant(db, actor).settings
            return {
                "redact": settings.get("redact") or list(REDACTION_KINDS),
                "timezone": settings.get("timezone"),
            }

    def put_settings(self, actor: Actor, changes: Message) -> Message:
        with transaction(self.database_url) as db:
            tenant = _tenant(db, actor)
            tenant.settings = {**tenant.settings, **changes}
            audit(db, actor.tenant_id, actor.key_id, "settings.update", "", **changes)
        with self._guard:
            # Sessions carry their tenant's redaction choice: rebuild each on its next turn (rare; cheap).
            self._sessions.clear()
        return self.settings(actor)

    # --- internals --------------------------------------------------------------------------

    def _conversation(self, db: DbSession, actor: Actor, conversation_id: str) -> ConversationRow:
        row = db.get(ConversationRow, conversation_id)
        if row is None or row.tenant_id != actor.tenant_id:
            raise NotFoundError("no such conversation")
        return row

    def _redact(self, db: DbSession, actor: Actor, text: str, context: str | None) -> str:
        return redact(text, kinds=_tenant(db, actor).settings.get("redact"), context=context)[0]

    def _redact_like(self, db: DbSession, actor: Actor, stored: TurnRow, text: str) -> str:
        """``text`` redacted as the stored turn was (with the turn before it as context)."""
        previous = db.scalar(
            select(TurnRow.text).where(
                TurnRow.conversation_id == stored.conversation_id, TurnRow.seq == stored.seq - 1
            )
        )
        return self._redact(db, actor, text, previous)

    def playbook_of(self, tenant: Tenant) -> Playbook:
        return self._engine(tenant).playbook

    def _engine(self, tenant: Tenant) -> Engine:
        if not tenant.playbook_yaml:
            return Engine.default()
        key = (tenant.id, tenant.playbook_version)
        if key not in self._engines:
            self._engines[key] = Engine(load_playbook_text(tenant.playbook_yaml, "playbook"))
        return self._engines[key]

    def _session(self, db: DbSession, conversation: ConversationRow) -> Session:
        """The conversation's engine session, rebuilt from stored turns when this worker's copy is stale."""
        with self._guard:
            session = self._sessions.get(conversation.id)
        tenant = db.get(Tenant, conversation.tenant_id)
        assert tenant is not None
        engine = self._engine(tenant)
        if session is None or len(session.history) != conversation.turn_count or session.engine is not engine:
            session = self._rebuild(db, conversation, engine, tenant)
        with self._guard:
            self._sessions[conversation.id] = session
            self._sessions.move_to_end(conversation.id)
            while len(self._sessions) > self._cache_size:
                evicted, _ = self._sessions.popitem(last=False)
                self._locks.pop(evicted, None)
        return session

    def _rebuild(
        self, db: DbSession, conversation: ConversationRow, engine: Engine, tenant: Tenant
    ) -> Session:
        rows = db.scalars(
            select(TurnRow).where(TurnRow.conversation_id == conversation.id).order_by(TurnRow.seq)
        )
        zone = ZoneInfo(tenant.settings.get("timezone") or "UTC")
        turns = [
            Turn(id=r.client_id, speaker=r.speaker, role=Role(r.speaker), text=r.text, timestamp=r.created_at)
            for r in rows
        ]
        info = Conversation(
            id=conversation.id,
            channel=conversation.channel,
            started_at=conversation.created_at.astimezone(zone),
            customer_name=conversation.customer_name,
            agent_name=conversation.agent_name,
            metadata={**conversation.meta, **({"team": conversation.team} if conversation.team else {})},
            turns=turns,
        )
        return engine.session(info, tenant.settings.get("redact"))

    def _lock(self, conversation_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(conversation_id, threading.Lock())

    def _forget(self, conversation_id: str) -> None:
        with self._guard:
            self._sessions.pop(conversation_id, None)


def _tenant(db: DbSession, actor: Actor) -> Tenant:
    tenant = db.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFoundError("no such tenant")
    return tenant


def board_entry(row: ConversationRow) -> Message:
    return {
        "id": row.id,
        "status": row.status,
        "channel": row.channel,
        "customer_name": row.customer_name,
        "agent_name": row.agent_name,
        "team": row.team,
        "escalation_risk": round(row.escalation_risk, 4),
        "mood": round(row.mood, 3),
        "turn_count": row.turn_count,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
    }


def _turn_view(row: TurnRow) -> Message:
    return {
        "id": row.client_id,
        "index": row.seq,
        "speaker": row.speaker,
        "text": row.text,
        "at": row.created_at.isoformat(),
        "guidance": row.result.get("guidance", []),
        "alerts": row.result.get("alerts", []),
        "signals": row.result.get("signals", []),
    }


def _alert_view(row: AlertRow) -> Message:
    return {
        "id": row.id,
        "conversation_id": row.conversation_id,
        "turn": row.turn_seq,
        "kind": row.kind,
        "severity": row.severity,
        "message": row.alert.get("message"),
        "alert": row.alert,
        "created_at": row.created_at.isoformat(),
        "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
    }


def parse_instant(value: str) -> datetime:
    """An ISO 8601 date or time; a date alone means its start, a time without offset means UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"not an ISO 8601 date or time: {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
