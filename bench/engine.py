"""Benchmark: the full engine per turn over ≥10,000 real customer-service turns, against the previous engine
(the same pipeline without the encoder) and VADER alone.

Turns come from the CuCom e-commerce complaint chats in ../shared/data (Apache-2.0), replayed
conversation by conversation exactly as live turns would arrive. Prints p50/p95/p99 latency per
turn, turns per second and peak memory, for the engine, the engine without its encoder and VADER
alone on the same texts. The encoder runs on one thread, as it does live.

    python bench/engine.py [--turns 10000] [--data ../shared/data/cucom_ecommerce]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from calmline.engine.pipeline import Engine
from calmline.model import Conversation
from calmline.training.data import chat_turns

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cucom_ecommerce"


def load_conversations(folder: Path, min_turns: int) -> list[Conversation]:
    conversations: list[Conversation] = []
    total = 0
    for split in ("dev.jsonl", "train.jsonl"):
        with (folder / split).open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                turns = chat_turns(record)
                conversations.append(Conversation(id=record["id"], turns=turns))
                total += len(turns)
                if total >= min_turns:
                    return conversations
    return conversations


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "mean": statistics.fmean(ordered) / 1e6}


def run_engine(engine: Engine, conversations: list[Conversation]) -> tuple[list[int], float]:
    samples: list[int] = []
    start = time.perf_counter()
    for conversation in conversations:
        session = engine.session(conversation.model_copy(update={"turns": []}))
        for turn in conversation.turns:
            t0 = time.perf_counter_ns()
            session.add(turn)
            samples.append(time.perf_counter_ns() - t0)
    return samples, time.perf_counter() - start


def run_vader(texts: list[str]) -> tuple[list[int], float]:
    analyzer = SentimentIntensityAnalyzer()
    samples: list[int] = []
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter_ns()
        analyzer.polarity_scores(text)
        samples.append(time.perf_counter_ns() - t0)
    return samples, time.perf_counter() - start


def peak_traced_mb(engine: Engine, conversations: list[Conversation]) -> float:
    """Peak Python heap while analysing, measured in a separate pass (tracing slows the timed one)."""
    tracemalloc.start()
    run_engine(engine, conversations)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000, help="at least this many turns (default 10,000)")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with the CuCom dev/train JSONL"
    )
    args = parser.parse_args()

    conversations = load_conversations(args.data, args.turns)
    texts = [turn.text for c in conversations for turn in c.turns]
    engine = Engine.default()
    run_engine(engine, conversations[:20])  # warm caches and regexes, as a running service would be

    previous = without_encoder(engine)
    run_engine(previous, conversations[:20])
    engine_ns, engine_s = run_engine(engine, conversations)
    previous_ns, previous_s = run_engine(previous, conversations)
    vader_ns, vader_s = run_vader(texts)
    engine_p, previous_p, vader_p = percentiles(engine_ns), percentiles(previous_ns), percentiles(vader_ns)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    heap_mb = peak_traced_mb(engine, conversations)

    print(f"turns: {len(texts)} in {len(conversations)} conversations (CuCom e-commerce, dev then train)")
    print(f"{'':22}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'turns/s':>10}")
    rows = (
        ("calmline engine", engine_p, engine_s),
        ("without the encoder", previous_p, previous_s),
        ("VADER alone", vader_p, vader_s),
    )
    for name, p, seconds in rows:
        print(
            f"{name:22}{p['p50']:9.3f}{p['p95']:9.3f}{p['p99']:9.3f}{p['mean']:9.3f}{len(texts) / seconds:10.0f}"
        )
    print(
        f"engine / engine without the encoder: p50 ×{engine_p['p50'] / previous_p['p50']:.1f}, "
        f"p95 ×{engine_p['p95'] / previous_p['p95']:.1f}"
    )
    print(
        f"engine / VADER: p50 latency ×{engine_p['p50'] / vader_p['p50']:.1f}; VADER alone gets through "
        f"the turns ×{engine_s / vader_s:.1f} faster (it only scores sentiment)"
    )
    print(f"peak memory: process RSS {rss_mb:.0f} MB; Python heap while analysing {heap_mb:.1f} MB")
    target = "met" if engine_p["p50"] <= 6 and engine_p["p95"] <= 15 else "NOT met"
    print(f"target with the encoder, p50 ≤ 6 ms and p95 ≤ 15 ms per turn on one core: {target}")


def without_encoder(engine: Engine) -> Engine:
    kept = [spec for spec in engine.playbook.detectors if spec.name != "calmline.encoder.v1"]
    return Engine(engine.playbook.model_copy(update={"detectors": kept}))


if __name__ == "__main__":
    main()
