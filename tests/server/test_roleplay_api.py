"""Role-play through the server: start, reply, finish, and a trainer's view of progress; per tenant."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from calmline.roleplay import read_script
from tests.server.support import ServerProcess, Tenant

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "roleplay"
# The app as `calmline serve` builds it (its role-play routes included).
APP = (
    "import uvicorn, sys\n"
    "from calmline.server.app import create_app\n"
    "app = create_app()\n"
    "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)


class RoleplayServer(ServerProcess):
    def start(self) -> RoleplayServer:
        env = {
            **os.environ,
            "CALMLINE_DATABASE_URL": self.database_url,
            "CALMLINE_HOME": str(self.home),
            "CALMLINE_RATE_LIMIT": "5000",
            "CALMLINE_RATE_BURST": "10000",
        }
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / f"server-{self.port}.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", APP, str(self.port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()
        return self


@pytest.fixture(scope="module")
def roleplay_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RoleplayServer]:
    from calmline.storage.database import migrate

    migrate(database_url)
    process = RoleplayServer(database_url, tmp_path_factory.mktemp("roleplay")).start()
    yield process
    process.stop()


def _play(
    url: str, tenant: Tenant, persona: str, script: str, trainee: str | None = None, seed: int = 5
) -> dict:
    """Play ``script``: as the agent key itself, or as a trainer running the session for ``trainee``."""
    headers = tenant.headers("agent" if trainee is None else "supervisor")
    body = {"persona": persona, "seed": seed, **({"trainee": trainee} if trainee else {})}
    started = httpx.post(f"{url}/v1/roleplay/sessions", json=body, headers=headers)
    assert started.status_code == 201, started.text
    session = started.json()
    assert session["turns"][0]["speaker"] == "customer"
    for text in read_script(FIXTURES / script):
        answer = httpx.post(
            f"{url}/v1/roleplay/sessions/{session['id']}/replies", json={"text": text}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        if answer.json()["over"]:
            break
    finished = httpx.post(f"{url}/v1/roleplay/sessions/{session['id']}/finish", headers=headers)
    assert finished.status_code == 200, finished.text
    return finished.json()


def test_a_session_played_reply_by_reply_matches_the_cli_and_is_scored(
    roleplay_server: RoleplayServer, tenant: Tenant
) -> None:
    from calmline.roleplay import play, shipped_personas

    result = _play(roleplay_server.url, tenant, "overcharged", "overcharged.good.txt")
    local = play(shipped_personas()["overcharged"], read_script(FIXTURES / "overcharged.good.txt"), seed=5)
    assert result["outcome"] == "de-escalated"
    assert result["turns"] == [turn.model_dump(mode="json") for turn in local.turns]
    assert result["scorecard"]["score"] == local.scorecard.score
    assert result["coaching"] == local.coaching and result["raised"]
    again = httpx.post(
        f"{roleplay_server.url}/v1/roleplay/sessions/{result['id']}/finish", headers=tenant.headers("agent")
    )
    assert again.json() == result, "finishing twice returns the same result"
    late = httpx.post(
        f"{roleplay_server.url}/v1/roleplay/sessions/{result['id']}/replies",
        json={"text": "Hello?"},
        headers=tenant.headers("agent"),
    )
    assert late.status_code == 409


def test_the_abusive_caller_ends_over_the_api(roleplay_server: RoleplayServer, tenant: Tenant) -> None:
    result = _play(roleplay_server.url, tenant, "abusive-caller", "abusive-caller.protocol.txt")
    assert result["outcome"] == "ended"
    assert [check["step"] for check in result["procedure"]] == ["boundary", "warning", "end"]


def test_a_trainer_sees_a_trainees_progress_and_no_other_tenants(
    roleplay_server: RoleplayServer, tenant: Tenant, other_tenant: Tenant
) -> None:
    url = roleplay_server.url
    _play(url, tenant, "repeat-caller", "bad.txt", "Alex")
    _play(url, tenant, "repeat-caller", "repeat-caller.good.txt", "Alex")
    _play(url, other_tenant, "repeat-caller", "bad.txt", "Alex")
    progress = httpx.get(
        f"{url}/v1/roleplay/sessions", params={"trainee": "Alex"}, headers=tenant.headers("supervisor")
    )
    assert progress.status_code == 200
    rows = progress.json()
    assert [(row["outcome"], row["status"]) for row in rows] == [
        ("escalated", "finished"),
        ("de-escalated", "finished"),
    ]
    assert rows[1]["score"] > rows[0]["score"]
    own = httpx.get(f"{url}/v1/roleplay/sessions", headers=tenant.headers("agent"))
    assert own.status_code == 200 and own.json() == [], "an agent sees only the sessions it started"
    theirs = httpx.get(
        f"{url}/v1/roleplay/sessions", params={"trainee": "Alex"}, headers=other_tenant.headers("qa")
    )
    assert len(theirs.json()) == 1
    foreign = httpx.get(f"{url}/v1/roleplay/sessions/{rows[0]['id']}", headers=other_tenant.headers("qa"))
    assert foreign.status_code == 404


def test_bad_requests_get_clear_errors(roleplay_server: RoleplayServer, tenant: Tenant) -> None:
    url, headers = roleplay_server.url, tenant.headers("agent")
    unknown = httpx.post(f"{url}/v1/roleplay/sessions", json={"persona": "nobody"}, headers=headers)
    assert unknown.status_code == 422 and "no persona 'nobody'" in unknown.json()["detail"]
    assert httpx.post(f"{url}/v1/roleplay/sessions", json={"persona": "overcharged"}).status_code == 401
    personas = httpx.get(f"{url}/v1/roleplay/personas", headers=headers).json()
    assert "self-harm" in [p["id"] for p in personas]
    overcharged = next(p for p in personas if p["id"] == "overcharged")
    assert overcharged["description"].startswith("Dana's phone plan was charged twice this month")
    assert overcharged["description"].endswith(".") and "\n" not in overcharged["description"]
