"""Benchmark: live conversations over REST + WebSocket on loopback, next to a trivial endpoint of the same server.

Starts `calmline serve` (SQLite in a temporary folder unless --database-url), opens N conversations, connects
an agent WebSocket stream to each, then every conversation posts its turns one after another (all N at
once). Measures, per turn, the time until the HTTP response (state, guidance, alerts) and until the
event arrives on the agent's stream; sustained turns per second; and the server's peak RSS. The trivial
endpoint (GET /health, same server, same concurrency) is measured first and the ratio printed.

    python bench/server.py [--conversations 1000] [--turns 10] [--database-url URL] [--workers 1]

With --workers > 1 the server fans events out through Redis (CALMLINE_REDIS_URL, default the local one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
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


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50": statistics.median(ordered) * 1000, "p95": pick(0.95), "p99": pick(0.99)}


def server_rss_mb(pid: int) -> float:
    """RSS of the server and its worker processes."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
            if proc.name != str(pid) and f"PPid:\t{pid}\n" not in status:
                continue
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
        except (OSError, StopIteration):
            continue
    return total / 1024


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


async def trivial(port: int, clients: int, requests_each: int) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def one() -> None:
        http = RawHttp(port, {})
        for _ in range(requests_each):
            started = time.perf_counter()
            status, _ = await http.request("GET", "/health")
            assert status == 200
            latencies.append(time.perf_counter() - started)
        await http.close()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(clients)))
    return latencies, time.perf_counter() - started


async def live(port: int, ws_base: str, key: str, conversations: int, turns: int) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {key}"}
    http_latency: list[float] = []
    event_latency: list[float] = []
    clients = [RawHttp(port, headers) for _ in range(conversations)]
    ids = []
    for client in clients:
        status, body = await client.request("POST", "/v1/conversations")
        assert status == 201, body
        ids.append(json.loads(body)["id"])
    streams = []
    for cid in ids:
        ws = await websockets.connect(
            f"{ws_base}/v1/conversations/{cid}/stream",
            additional_headers=headers,
            max_queue=None,
            ping_interval=None,
        )
        while json.loads(await ws.recv())["type"] != "ready":
            pass
        streams.append(ws)

    async def converse(client: RawHttp, cid: str, ws: websockets.ClientConnection) -> None:
        for i in range(turns):
            speaker, text = LINES[i % len(LINES)]
            started = time.perf_counter()
            status, body = await client.request(
                "POST", f"/v1/conversations/{cid}/turns", {"id": str(i), "speaker": speaker, "text": text}
            )
            assert status == 200, body
            http_latency.append(time.perf_counter() - started)
            while json.loads(await ws.recv())["type"] != "turn":
                pass
            event_latency.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(converse(c, cid, ws) for c, cid, ws in zip(clients, ids, streams, strict=True)))
    elapsed = time.perf_counter() - started
    for ws, client in zip(streams, clients, strict=True):
        await ws.close()
        await client.close()
    return {"http": http_latency, "event": event_latency, "elapsed": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=10, help="turns per conversation")
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
        ws_base = f"ws://127.0.0.1:{args.port}"
        try:
            clients = min(args.conversations, 200)
            baseline, baseline_elapsed = asyncio.run(trivial(args.port, clients, 20))
            result = asyncio.run(live(args.port, ws_base, key, args.conversations, args.turns))
        finally:
            sampler.running = False
            server.terminate()
            server.wait(timeout=30)
    total = args.conversations * args.turns
    trivial_p = percentiles(baseline)
    http_p = percentiles(result["http"])  # type: ignore[arg-type]
    event_p = percentiles(result["event"])  # type: ignore[arg-type]
    print(
        f"calmline server benchmark: {args.conversations} live conversations x {args.turns} turns, "
        f"{args.workers} worker(s), {database_url.split(':')[0]}, {os.cpu_count()} CPUs"
    )
    print(f"{'':34}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'per s':>10}")
    print(
        f"{'trivial GET /health':34}{trivial_p['p50']:9.2f}{trivial_p['p95']:9.2f}{trivial_p['p99']:9.2f}"
        f"{len(baseline) / baseline_elapsed:10.0f}"
    )
    for name, p in (("turn -> HTTP response (guidance)", http_p), ("turn -> agent stream event", event_p)):
        print(f"{name:34}{p['p50']:9.2f}{p['p95']:9.2f}{p['p99']:9.2f}{total / result['elapsed']:10.0f}")  # type: ignore[operator]
    print(
        f"ratio turn/trivial at p50: x{http_p['p50'] / trivial_p['p50']:.1f}; "
        f"sustained {total / result['elapsed']:.0f} turns/s; server peak RSS {sampler.peak:.0f} MB"
    )  # type: ignore[operator]


if __name__ == "__main__":
    main()
