"""The encoder's figures on data nobody here wrote (the dev splits) and on the held-out conversations, beside
the previous engine and the obvious baseline: the tables of docs/quality.md and of the model card."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calmline.engine.models.encoder import Encoder
from calmline.engine.pipeline import Engine
from calmline.model import Conversation, Role, Turn
from calmline.playbook import load_default
from calmline.signals import ALERT_HEADS
from calmline.training import heldout
from calmline.training.data import chat_turns
from calmline.training.metrics import binary_metrics

Log = Callable[[str], None]


@dataclass(slots=True)
class Figure:
    """One row: a head on one data set, the encoder's figures and, where there is one, the baseline's."""

    head: str
    data: str
    measure: str
    value: float
    target: str = ""
    baseline: dict[str, float] = field(default_factory=dict)


def _read(folder: Path, name: str) -> list[dict[str, Any]]:
    with (folder / name / "dev.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _probabilities(encoder: Encoder, texts: list[str], head: str) -> np.ndarray:
    return np.array([r.probabilities[head] for r in encoder.read_many(texts)])


def _previous_engine(texts: list[str], kind: str) -> np.ndarray:
    """The strongest score the previous engine (cue lists and hashed models, no encoder) gives ``kind``."""
    engine = _engine_without_encoder()
    role = Role.agent if kind == "impolite" else Role.customer
    scores = []
    for text in texts:
        analysed = engine.session().add(Turn(speaker=role.value, role=role, text=text))
        scores.append(max([s.score for s in analysed.signals if s.kind == kind], default=0.0))
    return np.array(scores)


_previous: list[Engine] = []


def _engine_without_encoder() -> Engine:
    if not _previous:
        playbook = load_default()
        kept = [spec for spec in playbook.detectors if spec.name != "calmline.encoder.v1"]
        _previous.append(Engine(playbook.model_copy(update={"detectors": kept})))
    return _previous[0]


def playbook_thresholds(encoder: Encoder) -> dict[str, float]:
    """Each head's threshold as the default playbook sets it (else the one chosen when trained)."""
    config = next(
        (spec.config for spec in load_default().detectors if spec.name == "calmline.encoder.v1"), {}
    )
    return {**encoder.thresholds, **config.get("thresholds", {})}


def _profanity(texts: list[str]) -> np.ndarray | None:
    try:
        from profanity_check import predict_prob
    except ImportError:
        return None
    return np.asarray(predict_prob(texts), dtype=np.float64)


def _binary(
    encoder: Encoder,
    head: str,
    data: str,
    texts: list[str],
    labels: np.ndarray,
    measure: str,
    target: str = "",
) -> Figure:
    ours = binary_metrics(labels, _probabilities(encoder, texts, head), playbook_thresholds(encoder)[head])
    figure = Figure(head, data, measure, float(ours[measure] or 0.0), target)
    figure.baseline["auc"] = float(ours["auc"] or 0.0)
    previous = binary_metrics(labels, _previous_engine(texts, head), 0.5)
    figure.baseline["previous engine"] = float(previous[measure] or 0.0)
    return figure


def public_figures(encoder: Encoder, folder: Path, log: Log = print) -> list[Figure]:
    """Each head on the dev split of the public set that teaches or tests it."""
    figures: list[Figure] = []
    abuse = _read(folder, "convabuse")
    texts, labels = [r["text"] for r in abuse], np.array([int(r["label"] == "abusive") for r in abuse])
    figure = _binary(encoder, "abuse_at_agent", "convabuse dev", texts, labels, "f1", "F1 ≥ 0.82, AUC ≥ 0.95")
    if (profanity := _profanity(texts)) is not None:
        figure.baseline["alt-profanity-check AUC"] = float(
            binary_metrics(labels, profanity, 0.5)["auc"] or 0.0
        )
    figures.append(figure)
    log("convabuse done")

    bitext = [r for r in _read(folder, "bitext_customer_support")]
    texts = [r["text"] for r in bitext]
    labels = np.array([int(r["label"] == "contact_human_agent") for r in bitext])
    figures.append(
        _binary(
            encoder, "manager_request", "bitext dev (contact_human_agent)", texts, labels, "f1", "F1 ≥ 0.90"
        )
    )
    strict = [i for i, r in enumerate(bitext) if r["label"] != "contact_customer_service"]
    figures.append(
        _binary(
            encoder,
            "manager_request",
            "bitext dev, contact_customer_service left out",
            [texts[i] for i in strict],
            labels[strict],
            "f1",
        )
    )
    labels = np.array([int(r["label"] == "delete_account") for r in bitext])
    figures.append(_binary(encoder, "churn_threat", "bitext dev (delete_account)", texts, labels, "f1"))
    log("bitext done")

    sarcasm = _read(folder, "isarcasmeval_en")
    texts, labels = [r["text"] for r in sarcasm], np.array([int(r["label"] == "sarcastic") for r in sarcasm])
    figures.append(_binary(encoder, "sarcasm", "isarcasmeval_en dev", texts, labels, "f1", "F1 ≥ 0.50"))

    emotions = _read(folder, "goemotions")
    texts = [r["text"] for r in emotions]
    for head, groups in (
        ("anger", {"anger"}),
        ("distress", {"distress"}),
        ("negative", {"anger", "distress"}),
    ):
        labels = np.array([int(bool(groups & set(r["groups"]))) for r in emotions])
        figures.append(
            _binary(
                encoder, head, "goemotions dev", texts, labels, "f1", "F1 ≥ 0.58" if head == "anger" else ""
            )
        )
    log("goemotions done")

    davidson = _read(folder, "davidson_hate_offensive")
    texts, labels = [r["text"] for r in davidson], np.array([int(r["label"] != "neither") for r in davidson])
    figures.append(_binary(encoder, "offensive", "davidson dev", texts, labels, "macro_f1"))

    polite = [r for r in _read(folder, "stanford_politeness") if r["label"] != "neutral"]
    texts, labels = [r["text"] for r in polite], np.array([int(r["label"] == "impolite") for r in polite])
    figures.append(
        _binary(encoder, "impolite", "stanford_politeness dev", texts, labels, "accuracy", "accuracy ≥ 0.83")
    )
    log("politeness done")
    figures += false_alarm_figures(encoder, folder)
    return figures


CALM_SETS = {"banking77": "≤ 0.5 %", "clinc150": "≤ 0.5 %", "cfpb_complaints": "≤ 2 %"}


def false_alarm_figures(encoder: Encoder, folder: Path) -> list[Figure]:
    """Share of calm requests and written complaints on which an alerting head fires."""
    figures = []
    for name, target in CALM_SETS.items():
        texts = [r["text"] for r in _read(folder, name)]
        readings = encoder.read_many(texts)
        thresholds = playbook_thresholds(encoder)
        for head in ALERT_HEADS:
            fired = np.mean([r.probabilities[head] >= thresholds[head] for r in readings])
            figure = Figure(head, f"{name} dev", "false alarms %", float(fired * 100), target)
            figure.baseline["previous engine"] = float(np.mean(_previous_engine(texts, head) >= 0.5) * 100)
            figures.append(figure)
    return figures


CHAT_SETS = ("cucom_ecommerce", "user_satisfaction_sim")
"""Whole conversations nobody here wrote, none of them a crisis, an emergency or abuse of the agent: an
alert of those kinds in one of them is a false alarm a supervisor would have to dismiss."""
QUIET_KINDS = ("crisis", "emergency", "abuse")


def chat_alarm_figures(engine: Engine, folder: Path, log: Log = print) -> list[Figure]:
    """Per alert kind, the share of the dev conversations of each chat set in which the engine raises it."""
    figures = []
    for name in CHAT_SETS:
        chats = [Conversation(id=r["id"], turns=chat_turns(r)) for r in _read(folder, name)]
        raised = [{a.kind.value for t in engine.analyze(c).turns for a in t.alerts} for c in chats]
        for kind in QUIET_KINDS:
            share = float(np.mean([kind in kinds for kinds in raised]) * 100)
            figures.append(
                Figure(kind, f"{name} dev ({len(chats)} conversations)", "conversations alarmed %", share)
            )
        log(f"{name}: alerts counted")
    return figures


def heldout_figures(engine: Engine, log: Log = print) -> dict[str, heldout.Result]:
    """The held-out conversations through the whole engine: with every cue list, without them, and the
    previous engine (no encoder)."""
    records = heldout.load()
    results = {
        "engine": heldout.evaluate(engine, records),
        "encoder alone (cue lists off)": heldout.evaluate(
            Engine(heldout.without_cues(engine.playbook)), records
        ),
        "previous engine": heldout.evaluate(_engine_without_encoder(), records),
    }
    log("held-out conversations done")
    return results


def latency_ms(encoder: Encoder, texts: list[str]) -> dict[str, float]:
    """Milliseconds per text read alone on one thread (as a live turn is): p50 and p95."""
    encoder.cache_clear()
    samples = []
    for text in texts:
        start = time.perf_counter()
        encoder.read(text)
        samples.append((time.perf_counter() - start) * 1e3)
    encoder.cache_clear()
    return {"p50": float(np.percentile(samples, 50)), "p95": float(np.percentile(samples, 95))}


def markdown(figures: list[Figure], held: dict[str, heldout.Result]) -> str:
    lines = [
        "| head | data | measure | encoder | target | previous engine | other |",
        "|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        other = ", ".join(f"{k} {v:.3f}" for k, v in f.baseline.items() if k != "previous engine")
        previous = f.baseline.get("previous engine")
        lines.append(
            f"| {f.head} | {f.data} | {f.measure} | {f.value:.3f} | {f.target} | "
            f"{'' if previous is None else f'{previous:.3f}'} | {other} |"
        )
    lines += [
        "",
        "Held-out conversations (data/written/heldout, written apart from the training examples): the right "
        "alert on the very turn, and hard negatives that raise any alert.",
        "",
    ]
    labels = [*heldout.ALERT_OF, *heldout.SIGNAL_ONLY]
    lines.append("| run | " + " | ".join(labels) + " | hard negatives alarmed | emergency kind right |")
    lines.append("|---|" + "---|" * (len(labels) + 2))
    for name, result in held.items():
        cells = [f"{result.found[label][0]}/{result.found[label][1]}" for label in labels]
        right, of = result.kinds_right
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | {result.false_alarms}/{result.negatives} | {right}/{of} |"
        )
    return "\n".join(lines) + "\n"


def section(folder: Path, log: Log = print) -> str:
    """The encoder's part of docs/quality.md: every head on its dev set and the held-out conversations."""
    from calmline.engine.models.encoder import load_encoder

    encoder = load_encoder()
    figures = public_figures(encoder, folder, log) + chat_alarm_figures(Engine.default(), folder, log)
    held = heldout_figures(Engine.default(), log)
    return (
        f"## The encoder (v{encoder.version}): every head on data nobody here wrote\n\n"
        "Each head at its shipped threshold on the dev split of the set that tests it; *previous engine* is the "
        "same pipeline without the encoder (cue lists and hashed models) at score 0.5; false alarms are the share "
        "of calm requests and written complaints on which an alerting head fires. Written by `calmline eval`; the "
        "model card (src/calmline/engine/models/encoder/README.md) has the same tables.\n\n"
        + markdown(figures, held)
    )
