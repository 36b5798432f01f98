"""``calmline serve --demo``: prints where to sign in with a key per role, and plays the examples live."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from calmline.web.demo import DemoPlayer, load_scripts
from tests.server.support import ServerProcess, Tenant, free_port
from tests.web.support import EXAMPLES


def test_serve_demo_prints_the_url_and_keys_then_plays_conversations(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "CALMLINE_HOME": str(tmp_path)}
    env.pop("CALMLINE_DATABASE_URL", None)
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "calmline", "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        keys = _printed_keys(log, process)
        assert set(keys) == {"agent", "supervisor", "qa", "admin"}
        assert f"http://127.0.0.1:{port}/console/" in log.read_text()
        board = _wait_for_conversations(f"http://127.0.0.1:{port}", keys["supervisor"])
        assert board, log.read_text()[-2000:]
        # The printed keys sign in to the console.
        who = httpx.get(
            f"http://127.0.0.1:{port}/console/whoami", headers={"Authorization": f"Bearer {keys['qa']}"}
        )
        assert who.json()["role"] == "qa"
        assert (tmp_path / "demo.db").exists()  # its own database, not the user's
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def _printed_keys(log: Path, process: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        keys = dict(re.findall(r"^\s+(agent|supervisor|qa|admin)\s+(cl_\S+)$", log.read_text(), re.M))
        if len(keys) == 4:
            return keys
        time.sleep(0.2)
    raise AssertionError(f"no demo keys printed: {log.read_text()[-2000:]}")


def _wait_for_conversations(base: str, key: str, timeout: float = 60) -> list[dict]:
    """The board once the demo has opened a conversation (the player test below checks whole plays)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            board = httpx.get(f"{base}/v1/conversations", headers={"Authorization": f"Bearer {key}"}).json()
            if isinstance(board, list) and board:
                return board
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return []


def test_demo_player_plays_every_example_to_its_close(web_server: ServerProcess, tenant: Tenant) -> None:
    scripts = load_scripts(sorted(EXAMPLES.glob("*.txt")))
    assert {s.name for s in scripts} >= {"self_harm", "abuse_at_agent", "after_hours_emergency"}
    player = DemoPlayer(web_server.url, tenant.keys["agent"], scripts, pause=(0.0, 0.0), stagger=0.0, rounds=1)
    player.run()

    supervisor = tenant.headers("supervisor")
    closed = httpx.get(f"{web_server.url}/v1/conversations?status=closed", headers=supervisor).json()
    assert len(closed) == len(scripts) == len(player.played)
    by_customer = {c["customer_name"]: c for c in closed}
    crisis = by_customer["Paul Andersen"]
    stored = httpx.get(f"{web_server.url}/v1/conversations/{crisis['id']}", headers=supervisor).json()
    assert "crisis" in {alert["kind"] for alert in stored["alerts"]}
    assert stored["turn_count"] == len(next(s for s in scripts if s.name == "self_harm").turns)
