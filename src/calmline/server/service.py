"""Live conversations: each turn through the engine, stored with its events by a group commit, then published."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

import anyio
import yaml

from calmline.coach import coach_session
from calmline.engine.pipeline import Engine, Session, check_deadline
from calmline.engine.redact import REDACTION_KINDS, redact, redact_json
from calmline.errors import BudgetExceededError, ConflictError, InputError, NotFoundError
from calmline.model import Conversation, Role, Turn
from calmline.playbook import Playbook, load_playbook_text
from calmline.records.record import build_record
from calmline.server.bus import Publish
from calmline.server.settings import ANALYSIS_BUDGET_SECONDS
from calmline.server.turns import board_entry, turn_write
from calmline.storage import alerts, conversations, turns
from calmline.storage.audit import audit
from calmline.storage.commitments import store_commitments
from calmline.storage.database import DbSession, GroupCommit, reading, store_each, transaction
from calmline.storage.events import Message, append_event, conversation_stream, open_stream, tenant_stream
from calmline.storage.tables import AlertRow, ConversationRow, Tenant, TurnRow, utcnow
from calmline.storage.tenants import set_playbook, tenant_by_id, update_settings
from calmline.storage.turns import DuplicateTurnError, TurnWrite, store_turns
from calmline.storage.webhooks import enqueue

log = logging.getLogger("calmline.server")
# A playbook or settings change made through another worker applies within this (twice this on the event
# loop's path, which keeps using a view while a thread reads it anew).
TENANT_CACHE_SECONDS = 5.0
STALE_RETRIES = 3
# Analysis on the event loop stalls every conversation of the worker, so only a turn short enough to take
# a few milliseconds whatever its text (analysis is linear in its length) is analysed there; longer ones
# go to a worker thread.
LOOP_TEXT_CHARS = 500


@dataclass(frozen=True)
class Actor:
    """Who is calling: the tenant and the key (its id is what the audit log names)."""

    tenant_id: str
    key_id: str
    role: str


@dataclass(frozen=True)
class _TenantView:
    """What a turn needs of its tenant, kept briefly so that a turn costs no tenant read."""

    engine: Engine
    redact: list[str] | None
    zone: str | None
    until: float

    def serves(self, session: Session) -> bool:
        """Whether ``session`` was built with the tenant's current playbook and redaction choice."""
        return session.engine is self.engine and session.redaction_kinds == self.redact


@dataclass
class _Live:
    """A live conversation as this worker keeps it between turns, so that a turn needs no read.

    ``row`` is a detached copy of the stored row's board fields, moved along with each turn stored
    here. Each write checks that the stored row is still where the copy says: another worker may
    have stored a turn or closed the conversation meanwhile, and then the copy is rebuilt.
    """

    row: ConversationRow
    session: Session
    turn_ids: set[str]
    counted: int = 0  # turns this entry adds to the cache's budget


class _ConversationLock:
    """A lock for one conversation (weakly cached: see ``LiveService._lock``)."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = True) -> bool:
        return self._lock.acquire(blocking)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *_: object) -> None:
        self._lock.release()


class _FirstComeLock:
    """A lock that waiting threads get in the order they asked for it.

    ``threading.Lock`` is not fair: a thread that releases it and asks again at once (the next of a run of
    long turns) often wins it back, and a short turn of another tenant waiting for it waited two or three
    long analyses (0.21 s) instead of the rest of one."""

    def __init__(self) -> None:
        self._turns = threading.Condition(threading.Lock())
        self._waiting: deque[object] = deque()
        self._held = False

    def acquire(self, blocking: bool = True) -> bool:
        with self._turns:
            if not self._held and not self._waiting:
                self._held = True
                return True
            if not blocking:
                return False
            ticket = object()
            self._waiting.append(ticket)
            self._turns.wait_for(lambda: not self._held and self._waiting[0] is ticket)
            self._waiting.popleft()
            self._held = True
            return True

    def release(self) -> None:
        with self._turns:
            self._held = False
            self._turns.notify_all()


@dataclass(frozen=True)
class _Stored:
    result: Message
    events: list[Message] = field(default_factory=list)


class LiveService:
    """Everything the server does, without HTTP: the routes translate requests into these calls."""

    def __init__(
        self,
        database_url: str,
        publish: Publish,
        cache_turns: int = 20_000,
        analysis_budget: float = ANALYSIS_BUDGET_SECONDS,
    ) -> None:
        self.database_url = database_url
        self.publish = publish
        self.analysis_budget = analysis_budget
        self._turns = GroupCommit(database_url, store_turns, name="turn-writer")
        self._opens: GroupCommit[Callable[[DbSession], Message], Message] = GroupCommit(
            database_url, store_each, name="conversation-writer"
        )
        self._engines: dict[tuple[str, int], Engine] = {}
        self._tenants: dict[str, _TenantView] = {}
        self._refreshing: set[str] = set()  # tenants whose view a thread is reading anew
        self._live: OrderedDict[str, _Live] = OrderedDict()
        self._locks: weakref.WeakValueDictionary[str, _ConversationLock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()
        # One turn analysed at a time in this process. The engine is pure Python: threads sharing it add no
        # throughput, only make every turn in progress finish late together (first come, first served
        # answers the same turns sooner on average), and each one more thread wanting the interpreter
        # lock makes the writer, whose every SQLite call lets go of that lock, wait longer to win it back.
        self._analysing = _FirstComeLock()
        self._cache_turns = cache_turns
        self._held_turns = 0

    def warm_up(self) -> None:
        """Build the default engine and analyse one turn, so the first caller does not wait for it."""
        Engine.default().session().add(
            Turn(speaker="warm-up", role=Role.customer, text="Hello, I was charged twice for my order.")
        )

    # --- conversations --------------------------------------------------------------------

    def create_conversation(self, actor: Actor, fields: dict[str, Any]) -> Message:
        view = self._tenant_view(actor.tenant_id)
        now = utcnow()
        row = ConversationRow(
            id=str(uuid.uuid4()),
            tenant_id=actor.tenant_id,
            status="active",
            channel=fields.get("channel") or "chat",
            customer_name=fields.get("customer_name"),
            agent_name=fields.get("agent_name"),
            team=fields.get("team"),
            meta=redact_json(fields.get("metadata") or {}),
            escalation_risk=0.0,
            mood=0.0,
            turn_count=0,
            created_at=now,
            updated_at=now,
            closed_at=None,
        )
        values = conversations.opening_values(row)
        entry = board_entry(row)

        def store(db: DbSession) -> Message:
            conversations.insert_conversation(db, values)
            open_stream(db, conversation_stream(row.id))
            return append_event(
                db, actor.tenant_id, tenant_stream(actor.tenant_id), "conversation.opened", entry
            )

        event = self._opens.run(store)
        self._remember(_Live(row, view.engine.session(_conversation_info(row, view, []), view.redact), set()))
        self.publish(actor.tenant_id, event)
        return {"id": row.id}

    def add_turn(self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str) -> Message:
        with self._lock(conversation_id):
            stored = self._add_cached_turn(actor, conversation_id, turn_id, speaker, text)
            for _ in range(STALE_RETRIES):
                if stored is not None:
                    break
                # Not cached here, a replay, or another worker moved the conversation on: read it as stored.
                stored = self._add_read_turn(actor, conversation_id, turn_id, speaker, text)
        if stored is None:
            raise ConflictError("the conversation kept changing while this turn was stored; send it again")
        for event in stored.events:
            self.publish(actor.tenant_id, event)
        return stored.result

    async def add_turn_on_loop(
        self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> Message:
        """``add_turn`` for the event loop's thread: a turn of a conversation this worker holds is analysed
        right here (a millisecond of CPU) and its commit awaited without holding a thread; a replay, a cache
        miss, an expired tenant view or a conversation busy in a thread go to a worker thread as ``add_turn``.

        Handing every turn to a thread pool cost more than the analysis: two thread hops per request,
        and dozens of threads taking turns at the interpreter lock made each turn wait for the others.
        """
        stored = None
        # The encoder reads the turn first, in a worker thread and holding no lock (ONNX Runtime lets go of
        # the interpreter lock): the analysis, here or in a thread, finds that reading cached, and a long
        # turn's second of reading never holds up the turns it is stored with.
        await anyio.to_thread.run_sync(self._prepare_turn, actor, conversation_id, speaker, text)
        if len(text) <= LOOP_TEXT_CHARS:
            stored = await self._add_turn_here(actor, conversation_id, turn_id, speaker, text)
        if stored is None:
            return await anyio.to_thread.run_sync(
                self.add_turn, actor, conversation_id, turn_id, speaker, text
            )
        for event in stored.events:
            self.publish(actor.tenant_id, event)
        return stored.result

    def _prepare_turn(self, actor: Actor, conversation_id: str, speaker: str, text: str) -> None:
        live = self._cached(actor, conversation_id)
        if live is not None and speaker in Role.__members__:
            live.session.prepare(Turn(speaker=speaker, role=Role(speaker), text=text))

    async def _add_turn_here(
        self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> _Stored | None:
        lock = self._lock(conversation_id)
        # Never block the loop: a turn of this conversation is in progress.
        if not lock.acquire(blocking=False):
            return None
        committed: futures.Future[list[Message] | None] | None = None
        try:
            view = self._view_for_loop(actor.tenant_id)
            live = self._cached(actor, conversation_id, view) if view is not None else None
            if not _takes_new_turn(live, turn_id):
                return None
            # Never wait on the loop for a turn another thread is analysing: that one goes to a thread too.
            write = self._analyse_turn(live, turn_id, speaker, text, wait=False)
            if write is None:
                return None
            committed = self._turns.submit(write)
        finally:
            if committed is None:
                lock.release()
        try:
            await asyncio.wait([asyncio.wrap_future(committed)])
        except asyncio.CancelledError:
            # The commit goes on without this request: the conversation stays locked until it is done.
            committed.add_done_callback(lambda _: lock.release())
            raise
        try:
            return self._stored(live, turn_id, write, committed)
        finally:
            lock.release()

    def _add_cached_turn(
        self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> _Stored | None:
        """The turn stored with no read at all, when this worker's copy of the conversation serves."""
        live = self._cached(actor, conversation_id)
        if not _takes_new_turn(live, turn_id):
            return None
        return self._store_turn(live, turn_id, speaker, text)

    def _add_read_turn(
        self, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> _Stored | None:
        with reading(self.database_url) as db:
            replay = self._replay(db, actor, conversation_id, turn_id, speaker, text)
            if replay is not None:
                return _Stored(replay)
            live = self._fresh(db, actor, conversation_id)
        return self._store_turn(live, turn_id, speaker, text)

    def _replay(
        self, db: DbSession, actor: Actor, conversation_id: str, turn_id: str, speaker: str, text: str
    ) -> Message | None:
        conversation = self._conversation(db, actor, conversation_id)
        stored = turns.find_turn(db, conversation_id, turn_id)
        if stored is None:
            if conversation.status != "active":
                raise ConflictError("the conversation is closed; it takes no more turns")
            return None
        if stored.speaker != speaker or stored.text != self._redact_like(db, actor, stored, text):
            raise ConflictError(f"turn id {turn_id!r} was already used for a different turn")
        return stored.result

    def _store_turn(self, live: _Live, turn_id: str, speaker: str, text: str) -> _Stored | None:
        """Analyse and store the turn; None when the stored conversation moved on (the copy is dropped)."""
        write = self._analyse_turn(live, turn_id, speaker, text)
        assert write is not None  # waited for its turn to analyse
        committed = self._turns.submit(write)
        futures.wait([committed])
        return self._stored(live, turn_id, write, committed)

    def _analyse_turn(
        self, live: _Live, turn_id: str, speaker: str, text: str, *, wait: bool = True
    ) -> TurnWrite | None:
        """The turn's rows, analysed within the budget; None when ``wait`` is off and another turn is in analysis."""
        if not self._analysing.acquire(blocking=wait):
            return None
        now = utcnow()
        try:
            turn = Turn(id=turn_id, speaker=speaker, role=Role(speaker), text=text, timestamp=now)
            analysis = live.session.add(turn, deadline=time.monotonic() + self.analysis_budget)
            return turn_write(live.row, turn_id, analysis, now)
        except BudgetExceededError:
            log.warning(
                "turn %s of conversation %s not analysed within %.1f s (%d characters); not stored",
                turn_id, live.row.id, self.analysis_budget, len(text),
            )  # fmt: skip
            raise
        except BaseException:
            self._forget(live.row.id)  # the session may hold half a turn: the next call rebuilds it
            raise
        finally:
            self._analysing.release()

    def _stored(
        self, live: _Live, turn_id: str, write: TurnWrite, committed: futures.Future[list[Message] | None]
    ) -> _Stored | None:
        """What became of ``write`` once its commit is over; None when the stored conversation moved on."""
        try:
            events = committed.result()
        except DuplicateTurnError:
            events = None  # the turn's id or index was stored meanwhile: read it back as stored
        except BaseException:
            # The session took the turn but the database did not: the next call rebuilds it.
            self._forget(live.row.id)
            raise
        if events is None:
            self._forget(live.row.id)
            return None
        live.turn_ids.add(turn_id)
        self._count_turn(live)
        return _Stored(write.result, events)

    def coach(self, actor: Actor, conversation_id: str, draft: str) -> Message:
        with self._lock(conversation_id), reading(self.database_url) as db:
            session = self._fresh(db, actor, conversation_id).session
            # The answer quotes the draft as it would be stored: redacted like the turn it becomes.
            clean = session.redact_next(draft)[0]
            deadline = time.monotonic() + self.analysis_budget
            return coach_session(clean, session, deadline).model_dump(mode="json")

    def check_conversation(self, actor: Actor, conversation_id: str) -> None:
        """Raise NotFoundError unless the conversation is the actor's tenant's."""
        with reading(self.database_url) as db:
            self._conversation(db, actor, conversation_id)

    def get_conversation(self, actor: Actor, conversation_id: str) -> Message:
        with reading(self.database_url) as db:
            conversation = self._conversation(db, actor, conversation_id)
            return {
                **board_entry(conversation),
                "metadata": conversation.meta,
                "state": conversation.state,
                "turns": [_turn_view(t) for t in turns.turns_of(db, conversation_id)],
                "alerts": [_alert_view(a) for a in alerts.alerts_of(db, conversation_id)],
                "record": conversation.record,
            }

    def close(self, actor: Actor, conversation_id: str) -> Message:
        with self._lock(conversation_id):
            with transaction(self.database_url) as db:
                conversation = self._conversation(db, actor, conversation_id)
                if conversation.status != "active":
                    return conversation.record or {}
                session = self._fresh(db, actor, conversation_id).session
                tenant = _tenant(db, actor)  # read now: the record is written in the tenant's zone
                deadline = time.monotonic() + self.analysis_budget
                result = build_record(
                    session.result(), session.engine.playbook, tenant.settings.get("timezone")
                )
                # Checked once built (nothing is stored yet): the conversation stays open and can be closed again.
                check_deadline(deadline, "the record")
                store_commitments(db, actor.tenant_id, conversation_id, result.commitments)
                record = result.model_dump(mode="json")
                conversations.close_conversation(conversation, record)
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
            session = self._fresh(db, actor, conversation_id).session
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
        with reading(self.database_url) as db:
            rows = conversations.board(db, actor.tenant_id, status, closed_before, limit)
            open_kinds = alerts.open_alert_kinds(db, actor.tenant_id, [r.id for r in rows])
            return [{**board_entry(r), "open_alerts": open_kinds.get(r.id, [])} for r in rows]

    def purge(self, actor: Actor, closed_before: datetime) -> int:
        with transaction(self.database_url) as db:
            count = conversations.purge_closed(db, actor.tenant_id, closed_before)
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
            alert = alerts.find_alert(db, actor.tenant_id, alert_id)
            if alert is None:
                raise NotFoundError("no such alert")
            if alert.acknowledged_at is None:
                alerts.acknowledge(alert, actor.key_id)
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
        with reading(self.database_url) as db:
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
            version = set_playbook(_tenant(db, actor), text)
            audit(db, actor.tenant_id, actor.key_id, "playbook.update", f"v{version}")
        self._forget_tenant(actor.tenant_id)  # this worker's next turn takes the new playbook
        return {"version": version}

    # --- tenant settings --------------------------------------------------------------------

    def settings(self, actor: Actor) -> Message:
        with reading(self.database_url) as db:
            settings = _tenant(db, actor).settings
            return {
                "redact": settings.get("redact") or list(REDACTION_KINDS),
                "timezone": settings.get("timezone"),
            }

    def put_settings(self, actor: Actor, changes: Message) -> Message:
        with transaction(self.database_url) as db:
            update_settings(_tenant(db, actor), changes)
            audit(db, actor.tenant_id, actor.key_id, "settings.update", "", **changes)
        # Sessions carry their tenant's redaction choice: each is rebuilt on its next turn here (other
        # workers see the change within 2 x TENANT_CACHE_SECONDS).
        self._forget_tenant(actor.tenant_id)
        return self.settings(actor)

    # --- internals --------------------------------------------------------------------------

    def _conversation(self, db: DbSession, actor: Actor, conversation_id: str) -> ConversationRow:
        row = conversations.find_conversation(db, actor.tenant_id, conversation_id)
        if row is None:
            raise NotFoundError("no such conversation")
        return row

    def _redact_like(self, db: DbSession, actor: Actor, stored: TurnRow, text: str) -> str:
        """``text`` redacted as the stored turn was (with the turn before it as context)."""
        previous = turns.turn_text(db, stored.conversation_id, stored.seq - 1)
        kinds = _tenant(db, actor).settings.get("redact")
        return redact(text, kinds=kinds, context=previous)[0]

    def playbook_of(self, tenant: Tenant) -> Playbook:
        return self._engine(tenant).playbook

    def _engine(self, tenant: Tenant) -> Engine:
        if not tenant.playbook_yaml:
            return Engine.default()
        key = (tenant.id, tenant.playbook_version)
        if key not in self._engines:
            self._engines[key] = Engine(load_playbook_text(tenant.playbook_yaml, "playbook"))
        return self._engines[key]

    def _known_view(self, tenant_id: str) -> _TenantView | None:
        """The tenant's view if this worker read it recently enough, without reading the database."""
        with self._guard:
            view = self._tenants.get(tenant_id)
        return view if view is not None and view.until > time.monotonic() else None

    def _view_for_loop(self, tenant_id: str) -> _TenantView | None:
        """The tenant's view without reading the database on the event loop: one past its time still
        serves, for as long again at most, while a thread reads it anew (every turn would otherwise
        leave the loop until then); an older one is not used (None)."""
        now = time.monotonic()
        with self._guard:
            view = self._tenants.get(tenant_id)
            if view is None or view.until + TENANT_CACHE_SECONDS <= now:
                return None
            refresh = view.until <= now and tenant_id not in self._refreshing
            if refresh:
                self._refreshing.add(tenant_id)
        if refresh:
            asyncio.get_running_loop().run_in_executor(None, self._refresh_view, tenant_id)
        return view

    def _refresh_view(self, tenant_id: str) -> None:
        try:
            with reading(self.database_url) as db:
                self._tenant_view(tenant_id, db)
        except Exception as exc:  # the database may be away a moment: the next turn tries again
            log.warning("tenant settings refresh failed: %s", type(exc).__name__)
        finally:
            with self._guard:
                self._refreshing.discard(tenant_id)

    def _tenant_view(self, tenant_id: str, db: DbSession | None = None) -> _TenantView:
        view = self._known_view(tenant_id)
        if view is not None:
            return view
        if db is None:
            with reading(self.database_url) as fresh:
                return self._tenant_view(tenant_id, fresh)
        tenant = tenant_by_id(db, tenant_id)
        if tenant is None:
            raise NotFoundError("no such tenant")
        settings = tenant.settings
        view = _TenantView(
            self._engine(tenant),
            settings.get("redact"),
            settings.get("timezone"),
            time.monotonic() + TENANT_CACHE_SECONDS,
        )
        with self._guard:
            self._tenants[tenant_id] = view
        return view

    def _cached(self, actor: Actor, conversation_id: str, view: _TenantView | None = None) -> _Live | None:
        """This worker's copy of the conversation, if it has one that still serves the tenant's settings
        (``view``, else the tenant's view as of now)."""
        with self._guard:
            live = self._live.get(conversation_id)
            if live is not None:
                self._live.move_to_end(conversation_id)
        if live is None or live.row.tenant_id != actor.tenant_id:
            return None
        return live if (view or self._tenant_view(actor.tenant_id)).serves(live.session) else None

    def _fresh(self, db: DbSession, actor: Actor, conversation_id: str) -> _Live:
        """The conversation as stored, with this worker's copy when it matches, else one rebuilt from ``db``."""
        row = self._conversation(db, actor, conversation_id)
        view = self._tenant_view(actor.tenant_id, db)
        live = self._cached(actor, conversation_id)
        if live is not None and len(live.session.history) == row.turn_count and view.serves(live.session):
            live.row = conversations.board_copy(row)
            return live
        rows = turns.history(db, conversation_id)
        played = [
            Turn(id=r.client_id, speaker=r.speaker, role=Role(r.speaker), text=r.text, timestamp=r.created_at)
            for r in rows
        ]
        session = view.engine.session(_conversation_info(row, view, played), view.redact)
        live = _Live(conversations.board_copy(row), session, {r.client_id for r in rows})
        self._remember(live)
        return live

    def _remember(self, live: _Live) -> None:
        """Keep ``live``, dropping the least recently used copies past the budget of cached turns."""
        with self._guard:
            previous = self._live.pop(live.row.id, None)
            if previous is not None:
                self._held_turns -= previous.counted
            # + 1: a conversation costs something before its first turn.
            live.counted = len(live.session.history) + 1
            self._held_turns += live.counted
            self._live[live.row.id] = live
            self._evict()

    def _count_turn(self, live: _Live) -> None:
        with self._guard:
            if self._live.get(live.row.id) is live:
                live.counted += 1
                self._held_turns += 1
                self._evict()

    def _evict(self) -> None:
        # The budget is in turns: a session's memory grows with its history, not with the conversation count.
        while self._held_turns > self._cache_turns and len(self._live) > 1:
            _, evicted = self._live.popitem(last=False)
            self._held_turns -= evicted.counted

    def _lock(self, conversation_id: str) -> _ConversationLock:
        """The conversation's own lock: it lives while someone holds or awaits it, so none need cleaning up."""
        with self._guard:
            lock = self._locks.get(conversation_id)
            if lock is None:
                lock = self._locks[conversation_id] = _ConversationLock()
            return lock

    def _forget(self, conversation_id: str) -> None:
        with self._guard:
            live = self._live.pop(conversation_id, None)
            if live is not None:
                self._held_turns -= live.counted

    def _forget_tenant(self, tenant_id: str) -> None:
        with self._guard:
            self._tenants.pop(tenant_id, None)
            stale = [cid for cid, live in self._live.items() if live.row.tenant_id == tenant_id]
        for conversation_id in stale:
            self._forget(conversation_id)


def _takes_new_turn(live: _Live | None, turn_id: str) -> TypeGuard[_Live]:
    """Whether this worker's copy can take ``turn_id`` as a new turn: it has one, the conversation is open and
    the id is unseen (a replay is answered from storage)."""
    return live is not None and turn_id not in live.turn_ids and live.row.status == "active"


def _conversation_info(row: ConversationRow, view: _TenantView, turns: list[Turn]) -> Conversation:
    zone = ZoneInfo(view.zone or "UTC")
    return Conversation(
        id=row.id,
        channel=row.channel,
        started_at=row.created_at.astimezone(zone),
        customer_name=row.customer_name,
        agent_name=row.agent_name,
        metadata={**row.meta, **({"team": row.team} if row.team else {})},
        turns=turns,
    )


def _tenant(db: DbSession, actor: Actor) -> Tenant:
    tenant = tenant_by_id(db, actor.tenant_id)
    if tenant is None:
        raise NotFoundError("no such tenant")
    return tenant


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
