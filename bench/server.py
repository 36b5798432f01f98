"""Benchmark: live conversations over REST + WebSocket on loopback, next to a trivial endpoint of the same server.

Starts `calmline serve` (SQLite in a temporary folder unless --database-url), opens N conversations and an
agent WebSocket stream for each, then measures two things, and the same two for GET /health (the trivial
endpoint, same server, same clients) so the ratio shows what calmline adds to FastAPI itself:

1. Latency at a live load. Every conversation posts its next turn a think time after it received the
   previous turn's guidance and stream event (uniform between 0.5 and 1.5 x --think, so the N clients do
   not march in step). The offered load is therefore about N / (think + latency) turns per second: with
   1,000 conversations and 5 s, some 200 turns/s, a busy contact center where each side answers within
   seconds (real chats leave 10-30 s between turns). Latency is turn posted -> HTTP response (state,
   guidance, alerts) and -> the turn's event on the agent's stream; p50, p95, p99.
2. Saturated throughput. --saturate conversations post turns back to back, no think time, for
   --saturate-turns turns each: sustained turns/s is the server's ceiling (latency there is queueing).

Each conversation replays a real chat (CuCom e-commerce complaints, ../shared/data, Apache-2.0), so the
engine sees varied text as it would live. The server's RSS (server and worker processes) is sampled: with the models loaded and the conversations and
streams open, then its peak while the turns run. The load generator runs on the same machine: its CPU use
while saturating is printed, since it takes that from the server's two cores.

    python bench/server.py [--conversations 1000] [--think 5] [--turns 6] [--saturate 200]
                           [--saturate-turns 5] [--database-url URL] [--workers 1]

With --workers > 1 the server fans events out through Redis (CALMLINE_REDIS_URL, default the local one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

from calmline.training.data import chat_turns

ROOT = Path(__file__).resolve().parents[1]
DIALOGUES = ROOT.parent / "shared" / "data" / "cucom_ecommerce"
# Only when the CuCom chats are absent: ten lines said over and over let the engine's caches flatter it.
LINES = [
    ("customer", "Hi, I was charged twice for my order and I'd like it sorted."),
    ("agent", "I'm sorry about the double charge. Let me look at your account right now."),
    ("customer", "This is the third time I've called about it. Nobody ever fixes anything!"),
    ("agent", "I understand how frustrating that is. I can see both charges here."),
    ("customer", "So refund one of them. Why is this so hard?"),
    ("agent", "I've started the refund for the second charge; you'll get an email confirmation today."),
    ("customer", "Fine. How long until I see the money?"),
    ("agent", "Usually three to five business days. Is there anything else I can help with?"),
    ("customer", "No, that's all. Thanks, I guess."),
    ("agent", "Thank you for your patience. Have a good evening."),
]


class RawHttp:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    httpx's async pool slows to ~100 requests/s with hundreds of waiting tasks on this machine, which would
    measure the client, not the server; a bare connection per simulated client does not.
    """

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.port = port
        self.headers = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{self.headers}"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        assert self.reader is not None
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


@dataclass
class Figures:
    """One measured phase: latencies (seconds) of each kind, and how long the phase took."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    elapsed: float = 0.0
    count: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50": statistics.median(ordered) * 1000, "p95": pick(0.95), "p99": pick(0.99)}


def server_processes(pid: int) -> list[Path]:
    """/proc entries of the server and its worker processes."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if proc.name == str(pid) or f"PPid:\t{pid}\n" in (proc / "status").read_text():
                found.append(proc)
        except OSError:
            continue
    return found


def server_rss_mb(pid: int) -> float:
    """RSS of the server and its worker processes."""
    total = 0
    for proc in server_processes(pid):
        try:
            status = (proc / "status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        except (OSError, StopIteration):
            continue
    return total / 1024


TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuClock:
    """CPU seconds so far: the whole machine's busy time, the server's (and its workers'), this process's."""

    machine: float
    client: float
    processes: dict[str, float]
    """Per server process (the server and, with --workers, each worker)."""

    @property
    def server(self) -> float:
        return sum(self.processes.values())

    @classmethod
    def now(cls, server_pid: int) -> CpuClock:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle and iowait
        processes = {}
        for proc in server_processes(server_pid):
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                processes[proc.name] = (int(stat[11]) + int(stat[12])) / TICK  # utime, stime
            except (OSError, IndexError):
                continue
        return cls((sum(fields[:8]) - idle) / TICK, _cpu_seconds(), processes)

    def since(self, start: CpuClock, seconds: float) -> str:
        """The CPUs in use between ``start`` and now, by whom: the load the figures were taken under."""
        machine, server = (self.machine - start.machine) / seconds, (self.server - start.server) / seconds
        client = (self.client - start.client) / seconds
        other = max(0.0, machine - server - client)
        # With several workers, how evenly the connections spread shows in each worker's share.
        shares = [
            (used - start.processes.get(pid, 0.0)) / seconds for pid, used in sorted(self.processes.items())
        ]
        split = f" = {' + '.join(f'{share:.2f}' for share in shares)}" if len(shares) > 1 else ""
        return (
            f"{machine:.2f} of {os.cpu_count()} CPUs busy (server {server:.2f}{split}, load generator "
            f"{client:.2f}, other processes {other:.2f}); load average {os.getloadavg()[0]:.2f}"
        )


class RssSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0.0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, server_rss_mb(self.pid))
            time.sleep(0.25)


def start_server(home: Path, database_url: str, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CALMLINE_HOME": str(home),
        "CALMLINE_DATABASE_URL": database_url,
        "CALMLINE_RATE_LIMIT": "1000000",
        "CALMLINE_RATE_BURST": "1000000",
    }
    if workers > 1:  # each worker's clients must hear the other workers' events
        env["CALMLINE_REDIS_URL"] = os.environ.get("CALMLINE_REDIS_URL", "redis://127.0.0.1:6379/0")
    command = [
        sys.executable,
        "-m",
        "calmline",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, start_new_session=True)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def admin_key(home: Path, database_url: str) -> str:
    env = {**os.environ, "CALMLINE_HOME": str(home)}
    out = subprocess.run(
        [sys.executable, "-m", "calmline", "tenant", "create", "bench", "--database-url", database_url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def load_dialogues(count: int) -> list[list[tuple[str, str]]]:
    """``count`` real chats as (speaker, text) turns: CuCom (Apache-2.0), else the built-in lines."""
    dialogues: list[list[tuple[str, str]]] = []
    for split in ("dev.jsonl", "train.jsonl"):
        path = DIALOGUES / split
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                dialogues.append([(t.role.value, t.text) for t in chat_turns(json.loads(line))])
                if len(dialogues) == count:
                    return dialogues
    if not dialogues:
        print(
            f"warning: no chats in {DIALOGUES}; every conversation repeats the same ten lines",
            file=sys.stderr,
        )
        return [LINES] * count
    return [dialogues[i % len(dialogues)] for i in range(count)]


@dataclass
class Live:
    """One simulated conversation: its HTTP connection, its agent stream, its chat and how far it has got."""

    http: RawHttp
    conversation_id: str
    stream: websockets.ClientConnection
    lines: list[tuple[str, str]]
    next_turn: int = 0

    async def turn(self, figures: Figures) -> None:
        speaker, text = self.lines[self.next_turn % len(self.lines)]
        body = {"id": str(self.next_turn), "speaker": speaker, "text": text}
        self.next_turn += 1
        started = time.perf_counter()
        status, answer = await self.http.request(
            "POST", f"/v1/conversations/{self.conversation_id}/turns", body
        )
        assert status == 200, answer
        figures.add("http", time.perf_counter() - started)
        while json.loads(await self.stream.recv())["type"] != "turn":
            pass
        figures.add("event", time.perf_counter() - started)
        figures.count += 1

    async def health(self, figures: Figures) -> None:
        """The trivial endpoint, on this conversation's connection."""
        started = time.perf_counter()
        status, _ = await self.http.request("GET", "/health")
        assert status == 200
        figures.add("http", time.perf_counter() - started)
        figures.count += 1


async def open_conversations(port: int, ws_base: str, key: str, count: int) -> list[Live]:
    headers = {"Authorization": f"Bearer {key}"}
    opened = []
    for lines in load_dialogues(count):
        http = RawHttp(port, headers)
        status, body = await http.request("POST", "/v1/conversations")
        assert status == 201, body
        cid = json.loads(body)["id"]
        stream = await websockets.connect(
            f"{ws_base}/v1/conversations/{cid}/stream",
            additional_headers=headers,
            max_queue=None,
            ping_interval=None,
        )
        while json.loads(await stream.recv())["type"] != "ready":
            pass
        opened.append(Live(http, cid, stream, lines))
    return opened


Step = Callable[[Figures], Awaitable[None]]


async def paced(steps: list[Step], rounds: int, think: float) -> Figures:
    """Each client takes ``rounds`` steps, each a think time after its previous one finished."""
    figures = Figures()

    async def client(step: Step) -> None:
        await asyncio.sleep(random.uniform(0, think))  # arrivals spread out from the start
        for _ in range(rounds):
            await step(figures)
            await asyncio.sleep(random.uniform(0.5 * think, 1.5 * think))

    started = time.perf_counter()
    await asyncio.gather(*(client(step) for step in steps))
    figures.elapsed = time.perf_counter() - started
    return figures


async def saturated(steps: list[Step], rounds: int) -> Figures:
    """Each client takes ``rounds`` steps back to back."""
    figures = Figures()

    async def client(step: Step) -> None:
        for _ in range(rounds):
            await step(figures)

    started = time.perf_counter()
    await asyncio.gather(*(client(step) for step in steps))
    figures.elapsed = time.perf_counter() - started
    return figures


@dataclass
class Run:
    live_turns: Figures
    live_trivial: Figures
    saturated_turns: Figures
    saturated_trivial: Figures
    idle_rss: float
    peak_rss: float
    live_load: str
    saturated_load: str


async def measure(args: argparse.Namespace, port: int, key: str, rss: RssSampler) -> Run:
    """Turns first, then the trivial endpoint on the same connections, against a server holding the same state."""
    conversations = await open_conversations(port, f"ws://127.0.0.1:{port}", key, args.conversations)
    await asyncio.sleep(1.0)
    idle_rss = server_rss_mb(rss.pid)
    busy = conversations[: min(args.saturate, args.conversations)]
    began = CpuClock.now(rss.pid)
    live_turns = await paced([c.turn for c in conversations], args.turns, args.think)
    live_load = CpuClock.now(rss.pid).since(began, live_turns.elapsed)
    began = CpuClock.now(rss.pid)
    saturated_turns = await saturated([c.turn for c in busy], args.saturate_turns)
    saturated_load = CpuClock.now(rss.pid).since(began, saturated_turns.elapsed)
    peak_rss = rss.peak
    live_trivial = await paced([c.health for c in conversations], args.turns, args.think)
    saturated_trivial = await saturated([c.health for c in busy], args.saturate_turns)
    for conversation in conversations:
        await conversation.stream.close()
        await conversation.http.close()
    return Run(
        live_turns,
        live_trivial,
        saturated_turns,
        saturated_trivial,
        idle_rss,
        peak_rss,
        live_load,
        saturated_load,
    )


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def report(args: argparse.Namespace, database_url: str, run: Run) -> None:
    print(
        f"calmline server benchmark: {args.conversations} live conversations, {args.workers} worker(s), "
        f"{database_url.split(':')[0]}, {os.cpu_count()} CPUs shared with the load generator"
    )
    header = f"{'':38}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'per s':>9}"
    print(
        f"\nat a live load: each conversation posts its next turn {args.think:g} s (0.5-1.5x) after the last "
        f"one's answer, {args.turns} turns each"
    )
    print(header)
    _row("trivial GET /health", run.live_trivial.latencies["http"], run.live_trivial.rate)
    _row("turn -> HTTP response (guidance)", run.live_turns.latencies["http"], run.live_turns.rate)
    _row("turn -> agent stream event", run.live_turns.latencies["event"], run.live_turns.rate)
    print(f"machine during the turns: {run.live_load}")
    busy = min(args.saturate, args.conversations)
    print(f"\nsaturated: {busy} conversations post back to back, {args.saturate_turns} turns each")
    print(header)
    _row("trivial GET /health", run.saturated_trivial.latencies["http"], run.saturated_trivial.rate)
    _row("turn -> HTTP response (guidance)", run.saturated_turns.latencies["http"], run.saturated_turns.rate)
    _row("turn -> agent stream event", run.saturated_turns.latencies["event"], run.saturated_turns.rate)
    print(f"machine during the turns: {run.saturated_load}")
    live = percentiles(run.live_turns.latencies["event"])
    live_trivial = percentiles(run.live_trivial.latencies["http"])
    print(
        f"\nturn vs trivial: p95 at the live load x{live['p95'] / live_trivial['p95']:.1f}, "
        f"saturated throughput x{run.saturated_turns.rate / run.saturated_trivial.rate:.2f}"
    )
    print(
        f"targets: p95 turn -> guidance at {args.conversations} live conversations {live['p95']:.1f} ms (<= 50); "
        f"saturated {run.saturated_turns.rate:.0f} turns/s (>= 1,500); server RSS idle with models loaded "
        f"{run.idle_rss:.0f} MB, peak {run.peak_rss:.0f} MB (<= 300)"
    )


def _row(name: str, samples: list[float], rate: float) -> None:
    p = percentiles(samples)
    print(f"{name:38}{p['p50']:9.2f}{p['p95']:9.2f}{p['p99']:9.2f}{rate:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument(
        "--think", type=float, default=5.0, help="mean seconds between a turn's answer and the next"
    )
    parser.add_argument("--turns", type=int, default=6, help="turns per conversation at the live load")
    parser.add_argument("--saturate", type=int, default=200, help="conversations posting back to back")
    parser.add_argument("--saturate-turns", type=int, default=5, help="turns each when saturated")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        database_url = args.database_url or f"sqlite:///{home / 'bench.db'}"
        key = admin_key(home, database_url)
        server = start_server(home, database_url, args.workers, args.port)
        sampler = RssSampler(server.pid)
        sampler.start()
        try:
            run = asyncio.run(measure(args, args.port, key, sampler))
        finally:
            sampler.running = False
            server.terminate()
            server.wait(timeout=30)
    report(args, database_url, run)


if __name__ == "__main__":
    main()
