"""Test support for the server: real server processes on loopback, fresh databases, tenants and keys."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from calmline.storage.database import migrate, transaction
from calmline.storage.tenants import create_key, create_tenant

POSTGRES_ADMIN = os.environ.get("CALMLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("CALMLINE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_postgres() -> tuple[str, str]:
    """A new empty database on the local PostgreSQL: (its URL, its name)."""
    name = f"calmline_t_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is needed for the storage tests at {POSTGRES_ADMIN} (see README: starting PostgreSQL): {exc}"
        ) from exc
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Tenant:
    name: str
    keys: dict[str, str]

    def headers(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_tenant(database_url: str, name: str | None = None) -> Tenant:
    """A tenant with one key of every role."""
    name = name or f"t-{uuid.uuid4().hex[:8]}"
    migrate(database_url)
    with transaction(database_url) as db:
        tenant, admin = create_tenant(db, name)
        keys = {"admin": admin}
        for role in ("agent", "supervisor", "qa"):
            keys[role] = create_key(db, tenant, role)
    return Tenant(name, keys)


@dataclass
class ServerProcess:
    """``calmline.server.app`` under uvicorn in its own process, as a user runs it."""

    database_url: str
    home: Path
    workers: int = 1
    redis_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)  # more settings, e.g. CALMLINE_ANALYSIS_BUDGET

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "CALMLINE_DATABASE_URL": self.database_url,
            "CALMLINE_HOME": str(self.home),
            "CALMLINE_WEBHOOK_ALLOW_PRIVATE": "1",
            "CALMLINE_RATE_LIMIT": os.environ.get("CALMLINE_RATE_LIMIT", "5000"),
            "CALMLINE_RATE_BURST": os.environ.get("CALMLINE_RATE_BURST", "10000"),
        }
        if self.redis_url:
            env["CALMLINE_REDIS_URL"] = self.redis_url
        env.update(self.env)
        command = [
            sys.executable,
            "-m",
            "calmline",
            "serve",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        self.log_path = self.home / f"server-{self.port}.log"
        self.home.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.logs()[-2000:]}")
            try:
                if httpx.get(self.url + "/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not become ready: {self.logs()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no chance to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """A real HTTP endpoint on loopback that records deliveries; the first ``fail_first`` answer 500."""

    def __init__(self, fail_first: int = 0, port: int | None = None) -> None:
        import http.server
        import threading

        self.received: list[Received] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                failing = len(receiver.received) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port or 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.received) < count:
            time.sleep(0.1)
        return list(self.received)
