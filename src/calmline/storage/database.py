"""Connecting to the database (SQLite by default, PostgreSQL by URL) and bringing its schema up to date."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from calmline.errors import InputError

DATABASE_URL_ENV = "CALMLINE_DATABASE_URL"


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
        engine = create_engine(resolved, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(resolved, pool_size=10, max_overflow=20, pool_pre_ping=True)
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


@cache
def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(connect(url), expire_on_commit=False)


@contextmanager
def transaction(url: str | None = None) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with _writer_lock(url), session_factory(url).begin() as session:
        yield session


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
