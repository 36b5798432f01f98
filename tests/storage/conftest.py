"""Fixtures for the repository tests: one SQLite and one PostgreSQL database, two tenants per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from calmline.storage.database import migrate, transaction
from calmline.storage.tenants import create_tenant
from tests.server.support import drop_postgres, fresh_postgres


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('storage') / 'calmline.db'}"
        migrate(url)
        yield url
        return
    url, name = fresh_postgres()
    migrate(url)
    yield url
    drop_postgres(name)


@dataclass(frozen=True)
class Tenants:
    """Two tenants of one database: every query for ``a`` must leave ``b``'s rows alone."""

    a: str
    b: str


@pytest.fixture
def tenants(database_url: str) -> Tenants:
    with transaction(database_url) as db:
        a, _ = create_tenant(db, f"a-{uuid.uuid4().hex[:8]}")
        b, _ = create_tenant(db, f"b-{uuid.uuid4().hex[:8]}")
        return Tenants(a.id, b.id)
