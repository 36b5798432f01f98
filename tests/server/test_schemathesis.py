"""schemathesis fuzzes every operation of the OpenAPI spec against a real server: no server errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.server.support import ServerProcess, Tenant

CONFIG = """
headers = {{ Authorization = "Bearer {key}" }}

[parameters]
conversation_id = "{cid}"
alert_id = "{aid}"
"""


def test_no_server_errors_on_any_operation(server: ServerProcess, tenant: Tenant, tmp_path: Path) -> None:
    cid = httpx.post(f"{server.url}/v1/conversations", headers=tenant.headers("agent")).json()["id"]
    result = httpx.post(
        f"{server.url}/v1/conversations/{cid}/turns",
        json={"id": "seed", "speaker": "customer", "text": "You idiots, I want a manager."},
        headers=tenant.headers("agent"),
    ).json()
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(key=tenant.keys["admin"], cid=cid, aid=result["alerts"][0]["id"]))
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        "25",
        "--seed",
        "20261123",
    ]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert "passed" in run.stdout
    # (The fuzzer may close and purge the seeded conversation part-way; later turns then answer 404.)
    assert "Traceback" not in server.logs()
