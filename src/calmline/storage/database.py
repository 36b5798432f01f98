"""Connecting to the database (SQLite by default, PostgreSQL by URL) and bringing its schema up to date."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from calmline.errors import InputError

DATABASE_URL_ENV = "CALMLINE_DATABASE_URL"
# Connections per process. Hot writes go through one GroupCommit writer and live conversations are
# cached, so connections serve cache misses, board reads and stream catch-up: a few are plenty, and
# each costs memory here (SQLite page cache) and in the server (a PostgreSQL backend).
POOL_SIZE = 5
POOL_OVERFLOW = 15

log = logging.getLogger("calmline.storage")
Item = TypeVar("Item")
Result = TypeVar("Result")
# The session storage functions take: callers name it by this, so they need not import SQLAlchemy.
DbSession = Session
UnstorableValue = DataError
"""The database refused a value of the request (a NUL character, say): the caller's input, not an outage."""
StorageFailure = DBAPIError
"""Any other failure of the database or of reaching it (unstorable values are a kind of it, caught first)."""


def data_dir() -> Path:
    """Where calmline keeps its files on this machine (``CALMLINE_HOME`` overrides)."""
    import platformdirs

    return Path(os.environ.get("CALMLINE_HOME") or platformdirs.user_data_dir("calmline"))


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``CALMLINE_DATABASE_URL``, else a SQLite file in the data dir."""
    chosen = url or os.environ.get(DATABASE_URL_ENV)
    if not chosen:
        folder = data_dir()
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'calmline.db'}"
    try:
        parsed = make_url(chosen)
    except ArgumentError:
        raise InputError(f"not a database URL: {_without_password(chosen)}") from None
    if parsed.drivername in ("postgresql", "postgres"):
        # psycopg 3 is the driver we ship; a plain postgresql:// URL means it.
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InputError(f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or postgresql://…")
    return parsed.render_as_string(hide_password=False)


def _without_password(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


@cache
def connect(url: str | None = None) -> Engine:
    """An engine for ``url`` (one per URL and process), with SQLite made durable."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(
            resolved,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(resolved, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the supervisor board read while turns are written; FULL makes an acknowledged turn
    # survive a power cut, not only a crash; foreign keys make purges cascade.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def ping(url: str | None = None) -> bool:
    """Whether the database answers a trivial query now (for readiness checks: never raises)."""
    try:
        with connect(url).connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@cache
def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(connect(url), expire_on_commit=False)


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with _writer_lock(url), session_factory(url).begin() as session:
        yield session


@contextmanager
def reading(url: str | None = None) -> Iterator[Session]:
    """A session for reads: it never queues behind SQLite's writer (WAL readers run beside it) and
    commits nothing (closing it ends its snapshot)."""
    with session_factory(url)() as session:
        yield session


class _Job(Generic[Item, Result]):
    def __init__(self, item: Item) -> None:
        self.item = item
        self.future: Future[Result] = Future()


class GroupCommit(Generic[Item, Result]):
    """Writes from many threads stored by one writer, many to a transaction: one commit (one fsync) for all.

    ``store(session, items)`` writes a batch and returns one result per item; it may write them all with
    one statement per table. A caller's future resolves only once the transaction holding its item has
    committed, so an answer given after it is as durable as with a transaction of its own; while one
    batch commits, the next one gathers. A batch that fails is stored again one item per transaction,
    so a bad item fails alone: ``store`` must touch nothing but the session (it may run twice), and a
    caller must not queue an item that needs another of its own still-queued items to be stored first.
    """

    def __init__(
        self,
        url: str | None,
        store: Callable[[Session, list[Item]], list[Result]],
        max_batch: int = 200,
        name: str = "group-commit",
    ) -> None:
        self.url = url
        self.store = store
        self.max_batch = max_batch
        self.name = name
        self._queue: queue.SimpleQueue[_Job[Item, Result]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()

    def submit(self, item: Item) -> Future[Result]:
        """Queue ``item``; the future resolves once it is committed (or fails with the error)."""
        job: _Job[Item, Result] = _Job(item)
        self._start()
        self._queue.put(job)
        return job.future

    def run(self, item: Item) -> Result:
        """Store ``item`` and return its result once it is committed."""
        return self.submit(item).result()

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._starting:
            if self._thread is None:
                self._thread = threading.Thread(target=self._write_forever, name=self.name, daemon=True)
                self._thread.start()

    def _write_forever(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit(batch)
            except BaseException as exc:  # never let the writer die: its callers would wait for ever
                log.error("group commit failed: %s", type(exc).__name__)
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)

    def _commit(self, batch: list[_Job[Item, Result]]) -> None:
        try:
            with transaction(self.url) as session:
                results = self.store(session, [job.item for job in batch])
        except Exception as exc:
            if len(batch) == 1:
                batch[0].future.set_exception(exc)
                return
            for job in batch:
                self._commit([job])
            return
        for job, result in zip(batch, results, strict=True):
            job.future.set_result(result)


def store_each(session: Session, works: list[Callable[[Session], Result]]) -> list[Result]:
    """A GroupCommit store for writes given as functions of the session, run one after another."""
    return [work(session) for work in works]


@cache
def _writer_lock(url: str | None) -> contextlib.AbstractContextManager[object]:
    # SQLite has one writer; threads that collide wait in its busy handler, which sleeps up to
    # 100 ms at a time. Queueing them on a lock in this process is fair and far faster. PostgreSQL
    # locks rows itself.
    return threading.Lock() if database_url(url).startswith("sqlite") else contextlib.nullcontext()


def migrate(url: str | None = None) -> None:
    """Bring the database at ``url`` to the newest schema (Alembic ``upgrade head``)."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    engine = connect(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
