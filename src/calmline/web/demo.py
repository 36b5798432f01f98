"""``calmline serve --demo``: a demo tenant with a key per role, and the examples played as live conversations."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from calmline.demo import example_files
from calmline.errors import CalmlineError
from calmline.model import Role
from calmline.storage.database import data_dir, migrate, transaction
from calmline.storage.tenants import create_key, create_tenant, tenant_named
from calmline.transcripts import read_transcript

log = logging.getLogger("calmline.demo")

DEMO_TENANT = "demo"
ROLES = ("agent", "supervisor", "qa", "admin")


def demo_database_url() -> str:
    """A SQLite file of its own, emptied on each start, so demo data never mixes with real data."""
    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.db"
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def seed(database_url: str) -> dict[str, str]:
    """The demo tenant (created if missing) and a new key for each role: role -> key."""
    migrate(database_url)
    with transaction(database_url) as db:
        tenant = tenant_named(db, DEMO_TENANT)
        keys: dict[str, str] = {}
        if tenant is None:
            tenant, keys["admin"] = create_tenant(db, DEMO_TENANT)
        for role in ROLES:
            if role not in keys:
                keys[role] = create_key(db, tenant, role, label=f"demo {role}")  # the name a key trains under
    return {role: keys[role] for role in ROLES}


@dataclass(frozen=True)
class ScriptedTurn:
    speaker: str  # "customer" or "agent" (a supervisor who joins speaks on the agent's side)
    text: str


@dataclass(frozen=True)
class Script:
    name: str
    channel: str
    customer_name: str | None
    agent_name: str | None
    team: str | None
    turns: tuple[ScriptedTurn, ...]


def load_scripts(files: list[Path] | None = None) -> list[Script]:
    """The example conversations as scripts to play; a file that cannot be read is skipped."""
    scripts = []
    for path in files if files is not None else example_files():
        try:
            conversation = read_transcript(path)
        except CalmlineError as exc:
            log.warning("demo: skipping %s: %s", path.name, exc)
            continue
        turns = tuple(
            ScriptedTurn("customer" if turn.role == Role.customer else "agent", turn.text)
            for turn in conversation.turns
            if turn.text.strip()
        )
        team = conversation.metadata.get("queue") or conversation.metadata.get("team")
        scripts.append(
            Script(
                name=path.stem,
                channel=conversation.channel.value,
                customer_name=conversation.customer_name,
                agent_name=conversation.agent_name,
                team=str(team)[:100] if team else None,
                turns=turns,
            )
        )
    return scripts


@dataclass
class _Playing:
    script: Script
    due: float
    conversation_id: str | None = None
    next_turn: int = 0


@dataclass
class DemoPlayer:
    """Plays scripts through the real REST API, interleaved, with pauses, round after round.

    Conversations start a few seconds apart and each turn waits a pause, so the board shows risk
    moving, alerts firing and rows reordering; each conversation is closed when its script ends.
    """

    base_url: str
    agent_key: str
    scripts: list[Script]
    pause: tuple[float, float] = (2.0, 5.0)
    stagger: float = 4.0
    rounds: int | None = None  # None: until the process ends
    seed: int = 7
    stop: threading.Event = field(default_factory=threading.Event)
    played: list[str] = field(default_factory=list)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="calmline-demo", daemon=True)
        thread.start()
        return thread

    def run(self) -> None:
        if not self.scripts:
            log.warning("demo: no example conversations found; nothing to play")
            return
        headers = {"Authorization": f"Bearer {self.agent_key}"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=30) as client:
            if not self._wait_ready(client):
                log.warning("demo: the server did not become ready; nothing played")
                return
            round_number = 0
            while not self.stop.is_set() and (self.rounds is None or round_number < self.rounds):
                self._play_round(client, random.Random(self.seed + round_number))
                round_number += 1
                self.stop.wait(self.stagger * 2)

    def _wait_ready(self, client: httpx.Client, timeout: float = 120.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stop.is_set():
            try:
                if client.get("/ready").status_code == 200:
                    return True
            except httpx.HTTPError:
                pass
            self.stop.wait(0.3)
        return False

    def _play_round(self, client: httpx.Client, rng: random.Random) -> None:
        now = time.monotonic()
        playing = [_Playing(script, now + i * self.stagger) for i, script in enumerate(self.scripts)]
        while playing and not self.stop.is_set():
            playing.sort(key=lambda p: p.due)
            current = playing[0]
            if self.stop.wait(max(0.0, current.due - time.monotonic())):
                return
            try:
                finished = self._step(client, current)
            except httpx.HTTPError as exc:
                log.warning("demo: %s: %s", current.script.name, exc)
                current.due = time.monotonic() + self.pause[1]
                continue
            if finished:
                playing.remove(current)
            else:
                current.due = time.monotonic() + rng.uniform(*self.pause)

    def _step(self, client: httpx.Client, playing: _Playing) -> bool:
        """Open, post the next turn, or close; True once the conversation is closed."""
        script = playing.script
        if playing.conversation_id is None:
            body = {"channel": script.channel, "metadata": {"demo": script.name}}
            for name in ("customer_name", "agent_name", "team"):
                if getattr(script, name):
                    body[name] = getattr(script, name)
            response = client.post("/v1/conversations", json=body)
            response.raise_for_status()
            playing.conversation_id = response.json()["id"]
            self.played.append(playing.conversation_id)
            return False
        path = f"/v1/conversations/{playing.conversation_id}"
        if playing.next_turn < len(script.turns):
            turn = script.turns[playing.next_turn]
            response = client.post(
                f"{path}/turns",
                json={"id": f"demo-{playing.next_turn}", "speaker": turn.speaker, "text": turn.text},
            )
            response.raise_for_status()
            playing.next_turn += 1
            return False
        client.post(f"{path}/close").raise_for_status()
        return True


def banner(url: str, keys: dict[str, str], database_url: str) -> str:
    """What ``serve --demo`` prints on start: where to go and how to sign in."""
    width = max(len(role) for role in keys)
    lines = [
        "",
        "calmline demo",
        f"  open {url}/console/ and sign in with one of these keys:",
        *(f"    {role.ljust(width)}  {key}" for role, key in keys.items()),
        "  the example conversations are playing live; the board reorders as risk moves.",
        f"  demo data: {database_url}",
        "",
    ]
    return "\n".join(lines)
