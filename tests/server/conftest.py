"""Fixtures for the server tests: every storage-touching test runs on SQLite and on PostgreSQL, for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server.support import ServerProcess, Tenant, drop_postgres, fresh_postgres, make_tenant


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'calmline.db'}"
        return
    url, name = fresh_postgres()
    yield url
    drop_postgres(name)


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path_factory.mktemp("home")).start()
    yield process
    process.stop()


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    return make_tenant(database_url)


@pytest.fixture
def other_tenant(database_url: str) -> Tenant:
    return make_tenant(database_url)


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path
