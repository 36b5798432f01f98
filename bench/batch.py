"""Benchmark: ``calmline batch analyze`` over generated archives of 20-turn conversations, local and Ray.

Archives are built from the CuCom e-commerce complaint chats in ../shared/data (Apache-2.0):
each conversation takes real customer and agent turns, in order, from consecutive CuCom chats
until it has 20, with a team, a group (inhouse/outsourced), an agent and a start time spread
over two months and all hours. They are written as JSONL shards of 1,000 conversations.

For each size and engine, a fresh process runs the job (so start-up, engine building and
writing are all counted) while this process samples the memory of that process and all its
descendants (the worker processes, or Ray's raylet and workers). Prints conversations/s, peak
memory of the job's process tree and of its driver, and where the time goes in one worker.

    python bench/batch.py [--sizes 1000,10000,100000] [--engines local,ray] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cucom_ecommerce"
TURNS = 20
SHARD = 1_000
TEAMS = ("billing", "delivery", "returns", "technical support")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cucom_turns(folder: Path) -> list[dict[str, str]]:
    turns: list[dict[str, str]] = []
    for split in ("train.jsonl", "dev.jsonl"):
        with (folder / split).open(encoding="utf-8") as lines:
            for line in lines:
                turns.extend(json.loads(line)["turns"])
    return turns


def conversations(pool: list[dict[str, str]], count: int, seed: int = 13) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    position = 0
    for n in range(count):
        turns = []
        while len(turns) < TURNS:
            turn = pool[position % len(pool)]
            position += 1
            role = "agent" if turn["speaker"] == "agent" else "customer"
            if turns and turns[-1]["role"] == role:
                continue  # keep the two parties alternating across chat boundaries
            turns.append({"speaker": role.title(), "role": role, "text": turn["text"]})
        group = "outsourced" if n % 3 == 0 else "inhouse"
        yield {
            "id": f"bench-{n:06d}",
            "started_at": f"2025-{1 + n % 2:02d}-{1 + n % 28:02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00+00:00",
            "agent_name": f"{group[:3]}-agent-{rng.randrange(20):02d}",
            "metadata": {"team": TEAMS[n % len(TEAMS)], "group": group},
            "turns": turns,
        }


def write_archive(folder: Path, pool: list[dict[str, str]], count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shard = None
    for n, conversation in enumerate(conversations(pool, count)):
        if n % SHARD == 0:
            if shard is not None:
                shard.close()
            shard = (folder / f"shard-{n // SHARD:04d}.jsonl").open("w", encoding="utf-8")
        assert shard is not None
        shard.write(json.dumps(conversation) + "\n")
    if shard is not None:
        shard.close()


def tree_rss(root: int) -> tuple[int, int]:
    """Resident memory (bytes) of ``root`` and of ``root`` with all its descendants."""
    parents: dict[int, int] = {}
    resident: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            pages = int(Path(f"/proc/{entry}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry)] = int(stat[1])
        resident[int(entry)] = pages * PAGE
    members, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in members]
        members.update(children)
        frontier.extend(children)
    return resident.get(root, 0), sum(resident.get(pid, 0) for pid in members)


def measure(archive: Path, out: Path, engine: str, workers: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--job", str(archive), str(out), engine, str(workers)]
    started = time.perf_counter()
    job = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak_driver = peak_tree = 0
    while job.poll() is None:
        driver, tree = tree_rss(job.pid)
        peak_driver, peak_tree = max(peak_driver, driver), max(peak_tree, tree)
        time.sleep(0.5)
    seconds = time.perf_counter() - started
    output = job.stdout.read() if job.stdout else ""
    if job.returncode != 0:
        raise SystemExit(f"the {engine} job failed (exit {job.returncode})")
    result = json.loads(output.strip().splitlines()[-1])
    return {
        "conversations": result["conversations"],
        "seconds": seconds,
        "per_second": result["conversations"] / seconds,
        "job_seconds": result["seconds"],
        "peak_tree_mb": peak_tree / 2**20,
        "peak_driver_mb": peak_driver / 2**20,
    }


PREVIOUS = "previous"
"""The local engine without the encoder: the pipeline as it was before issue 18, for the ratio."""


def run_job(archive: Path, out: Path, engine: str, workers: int) -> None:
    from calmline.batch.job import BatchOptions, EngineKind, analyze_archive
    from calmline.playbook import load_default

    playbook = None
    if engine == PREVIOUS:
        playbook = load_default()
        kept = [spec for spec in playbook.detectors if spec.name != "calmline.encoder.v1"]
        playbook = playbook.model_copy(update={"detectors": kept})
    kind = EngineKind.local if engine == PREVIOUS else EngineKind(engine)
    summary = analyze_archive(
        archive, out, BatchOptions(engine=kind, workers=workers, restart=True, playbook=playbook)
    )
    print(json.dumps({"conversations": summary.conversations, "seconds": summary.seconds}))


def time_split(pool: list[dict[str, str]], sample: int = 40) -> dict[str, float]:
    """Milliseconds per conversation spent in each step of a worker, on one core (after a warm-up)."""
    import pyarrow as pa

    from calmline.batch.rows import CONVERSATION_SCHEMA, TURN_SCHEMA, conversation_row, turn_rows
    from calmline.batch.sources import Document, Loaded
    from calmline.engine.pipeline import Engine
    from calmline.records import build_record

    engine = Engine.default()
    documents = [
        Document(f"line {n}", json.dumps(c)) for n, c in enumerate(conversations(pool, sample + 2, 99))
    ]
    steps = ("parse", "engine (detectors, state, rules)", "record + scorecard", "rows + Arrow")
    spent = dict.fromkeys(steps, 0.0)
    for n, document in enumerate(documents):
        clock = [time.perf_counter()]
        loaded = document.load()
        assert isinstance(loaded, Loaded)
        clock.append(time.perf_counter())
        analysis = engine.analyze(loaded.conversation)
        clock.append(time.perf_counter())
        result = build_record(analysis, engine.playbook)
        clock.append(time.perf_counter())
        pa.Table.from_pylist(turn_rows(analysis), schema=TURN_SCHEMA)
        pa.Table.from_pylist(
            [conversation_row(analysis, result, document.origin)], schema=CONVERSATION_SCHEMA
        )
        clock.append(time.perf_counter())
        if n >= 2:  # the first conversations pay one-off set-up (lazy imports, Arrow's time zones)
            for step, start, end in zip(steps, clock, clock[1:], strict=False):
                spent[step] += end - start
    return {step: seconds * 1000 / sample for step, seconds in spent.items()}


def vader_alone(pool: list[dict[str, str]], sample: int = 40) -> float:
    """Milliseconds per conversation for VADER alone on every turn (the cheapest lexicon a user would run).

    It bounds what any per-turn analysis that reads sentiment can reach on these cores.
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    texts = [str(t["text"]) for c in conversations(pool, sample, 99) for t in c["turns"]]  # type: ignore[union-attr]
    started = time.perf_counter()
    for text in texts:
        analyzer.polarity_scores(text)
    return (time.perf_counter() - started) * 1000 / sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="archive sizes in conversations")
    parser.add_argument(
        "--engines", default=f"local,{PREVIOUS},ray", help=f"local, ray, and {PREVIOUS} (local without the encoder)"
    )
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--job", nargs=4, help=argparse.SUPPRESS)  # internal: run one job in this process
    args = parser.parse_args()
    if args.job:
        archive, out, engine, workers = args.job
        run_job(Path(archive), Path(out), engine, int(workers))
        return

    pool = cucom_turns(args.data)
    print(
        f"CuCom e-commerce turns in the pool: {len(pool):,}; {TURNS} turns per conversation; {args.workers} workers"
    )
    split = time_split(pool)
    total = sum(split.values())
    print(
        f"one worker, ms per conversation: {total:.0f} ms = "
        + ", ".join(f"{k} {v:.0f}" for k, v in split.items())
    )
    print(
        f"=> ceiling on {args.workers} cores: {1000 / total * args.workers:.0f} conversations/s (target 500)"
    )
    vader = vader_alone(pool)
    print(
        f"VADER alone on the same turns: {vader:.1f} ms per conversation, ceiling "
        f"{1000 / vader * args.workers:.0f} conversations/s on {args.workers} cores; "
        f"the full analysis costs {total / vader:.1f}x VADER\n"
    )
    print(
        f"{'size':>8} {'engine':>8} {'conv/s':>8} {'wall s':>8} {'peak tree MB':>13} {'peak driver MB':>15}"
    )
    with tempfile.TemporaryDirectory(prefix="calmline-bench-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            archive = Path(scratch) / f"archive-{size}"
            write_archive(archive, pool, size)
            rates: dict[str, float] = {}
            for engine in args.engines.split(","):
                figures = measure(archive, Path(scratch) / f"out-{size}-{engine}", engine, args.workers)
                rates[engine] = figures["per_second"]
                print(
                    f"{size:>8} {engine:>8} {figures['per_second']:>8.1f} {figures['seconds']:>8.1f} "
                    f"{figures['peak_tree_mb']:>13.0f} {figures['peak_driver_mb']:>15.0f}",
                    flush=True,
                )
            if "local" in rates and PREVIOUS in rates:
                print(f"{size:>8} local with the encoder / without: ×{rates['local'] / rates[PREVIOUS]:.2f} throughput")


if __name__ == "__main__":
    main()
