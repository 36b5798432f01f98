"""Benchmark: all trained utterance signals for one utterance, against VADER and alt-profanity-check.

Utterances are the customer and agent turns of the CuCom e-commerce chats in ../shared/data
(Apache-2.0), each scored alone, as a live turn would be. The process is pinned to one core. Prints
p50/p95/p99 latency, utterances per second and peak memory for: the shared scoring of every trained
signal (one transform), the same plus the evidence of the signals that fire, VADER alone, and
alt-profanity-check alone (when installed) — all timed in the same run — and the ratios.

    python bench/detectors.py [--utterances 5000] [--data ../shared/data/cucom_ecommerce]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from calmline.engine.models import UtteranceModels, load_models

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cucom_ecommerce"
TARGET_P50_MS = 3.0


def load_utterances(folder: Path, count: int) -> list[str]:
    texts: list[str] = []
    for split in ("dev.jsonl", "train.jsonl"):
        with (folder / split).open(encoding="utf-8") as lines:
            for line in lines:
                texts += [turn["text"] for turn in json.loads(line)["turns"] if turn["text"].strip()]
                if len(texts) >= count:
                    return texts[:count]
    return texts


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "mean": statistics.fmean(ordered) / 1e6}


def timed(score: Callable[[str], object], texts: list[str]) -> tuple[list[int], float]:
    for text in texts[:50]:
        score(text)  # warm up: lazy imports, caches of frequent words
    samples: list[int] = []
    start = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter_ns()
        score(text)
        samples.append(time.perf_counter_ns() - t0)
    return samples, time.perf_counter() - start


def with_evidence(models: UtteranceModels) -> Callable[[str], object]:
    """Scores plus the evidence the detectors would attach to every signal that fires."""

    def run(text: str) -> object:
        scores = models._score(text)
        return [models.explain(text, s, 3) for s, p in scores if p >= models.threshold(s)]

    return run


def peak_heap_mb(score: Callable[[str], object], texts: list[str]) -> float:
    tracemalloc.start()
    for text in texts:
        score(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--utterances", type=int, default=5000, help="how many turns to score (default 5,000)"
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with the CuCom dev/train JSONL"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the target says

    texts = load_utterances(args.data, args.utterances)
    started = time.perf_counter()
    models = load_models()
    load_ms = (time.perf_counter() - started) * 1e3
    vader = SentimentIntensityAnalyzer()
    candidates: list[tuple[str, Callable[[str], object]]] = [
        (f"calmline: all {len(models.signals)} signals", models._score),  # uncached: a full transform each
        ("  + evidence of fired ones", with_evidence(models)),
        ("VADER alone", vader.polarity_scores),
    ]
    batched = None
    try:
        from profanity_check import predict_prob

        candidates.append(("alt-profanity-check alone", lambda text: predict_prob([text])))
        started = time.perf_counter()
        predict_prob(texts)
        batched = (time.perf_counter() - started) * 1e3 / len(texts)
    except ImportError:
        print("(alt-profanity-check not installed: pip install alt-profanity-check to time it)")

    results = {name: timed(score, texts) for name, score in candidates}
    mean_chars = statistics.fmean(len(t) for t in texts)
    print(
        f"utterances: {len(texts)} CuCom turns, mean {mean_chars:.0f} characters; one core; "
        f"signals: {', '.join(models.signals)}; models loaded in {load_ms:.0f} ms"
    )
    print(f"{'':30}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'utt/s':>9}")
    for name, (samples, seconds) in results.items():
        p = percentiles(samples)
        print(
            f"{name:30}{p['p50']:9.3f}{p['p95']:9.3f}{p['p99']:9.3f}{p['mean']:9.3f}{len(texts) / seconds:9.0f}"
        )
    ours = percentiles(results[candidates[0][0]][0])["p50"]
    for name in ("VADER alone", "alt-profanity-check alone"):
        if name in results:
            theirs = percentiles(results[name][0])["p50"]
            print(f"calmline (all signals) / {name}: p50 ×{ours / theirs:.2f}")
    if batched is not None:
        print(
            f"(alt-profanity-check batched over all {len(texts)} texts: {batched:.3f} ms per utterance; "
            "a live turn cannot be batched)"
        )
    heap = peak_heap_mb(models._score, texts[:1000])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    weights = (models._weights.nbytes + models._dense.nbytes) / 1e6
    print(
        f"peak memory: process RSS {rss:.0f} MB (all baselines loaded); weights {weights:.1f} MB; "
        f"Python heap while scoring {heap:.1f} MB"
    )
    print(
        f"target p50 <= {TARGET_P50_MS:g} ms for all trained signals: {'met' if ours <= TARGET_P50_MS else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
