"""`calmline tenant create` and `calmline key create|revoke|list`, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.server.support import ServerProcess


def _calmline(database_url: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CALMLINE_DATABASE_URL": database_url, "CALMLINE_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "calmline", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_keys_from_the_cli_work_until_revoked(
    database_url: str, server: ServerProcess, tmp_path: Path
) -> None:
    name = f"cli-{os.getpid()}-{tmp_path.name[-6:]}"
    created = _calmline(database_url, tmp_path, "tenant", "create", name)
    assert created.returncode == 0, created.stderr
    admin = created.stdout.strip().splitlines()[-1]
    assert admin.startswith("cl_") and " " not in admin
    agent_run = _calmline(database_url, tmp_path, "key", "create", "--tenant", name, "--role", "agent")
    agent = agent_run.stdout.strip().splitlines()[-1]
    assert agent.startswith("cl_") and agent != admin

    opened = httpx.post(f"{server.url}/v1/conversations", headers={"Authorization": f"Bearer {agent}"})
    assert opened.status_code == 201
    assert (
        httpx.get(f"{server.url}/v1/webhooks", headers={"Authorization": f"Bearer {agent}"}).status_code
        == 403
    )
    assert (
        httpx.get(f"{server.url}/v1/webhooks", headers={"Authorization": f"Bearer {admin}"}).status_code
        == 200
    )

    listed = _calmline(database_url, tmp_path, "key", "list", "--tenant", name)
    assert agent[:10] in listed.stdout and agent not in listed.stdout, "keys are listed by prefix only"
    revoked = _calmline(database_url, tmp_path, "key", "revoke", agent[:10], "--tenant", name)
    assert revoked.returncode == 0, revoked.stderr
    time.sleep(5.5)  # the server caches a key's check for up to five seconds
    assert (
        httpx.post(f"{server.url}/v1/conversations", headers={"Authorization": f"Bearer {agent}"}).status_code
        == 401
    )


def test_operator_mistakes_are_one_line_errors(database_url: str, tmp_path: Path) -> None:
    name = f"dup-{tmp_path.name[-6:]}"
    assert _calmline(database_url, tmp_path, "tenant", "create", name).returncode == 0
    cases = [
        ("tenant", "create", name),
        ("tenant", "create", "bad/name"),
        ("key", "create", "--tenant", "nobody-here", "--role", "agent"),
        ("key", "create", "--tenant", name, "--role", "king"),
        ("key", "revoke", "cl_doesnotexist", "--tenant", name),
        ("tenant", "list", "--database-url", "mysql://x@y/z"),
    ]
    for args in cases:
        run = _calmline(database_url, tmp_path, *args)
        assert run.returncode == 2, (args, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr, args
        assert run.stderr.strip(), args
