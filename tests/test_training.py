"""Training is deterministic and honest; eval rows, targets and docs/quality.md come from the same numbers."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from calmline.engine.models import SIGNALS, load_models_from
from calmline.errors import InputError
from calmline.training.data import SPECS, load_split
from calmline.training.evaluate import PROFANITY, SHIPPED, VADER, conversation_rows, markdown, targets
from calmline.training.metrics import binary_metrics, choose_threshold
from calmline.training.train import train_signal

ANGRY = [
    "This is ridiculous, I am furious with you",
    "I hate this stupid update, it is garbage",
    "What the hell is wrong with this company",
    "Absolutely disgusting service, I'm so annoyed",
    "Stop lying to me, this is unacceptable",
    "I'm fed up, this is the worst app ever",
]
CALM = [
    "Thanks, that sounds great to me",
    "I love how easy this was, thank you",
    "Could you tell me when the shop opens?",
    "The parcel arrived this morning, all good",
    "Have a lovely weekend everyone",
    "That makes sense, I appreciate the help",
]


def _goemotions_sample(folder: Path, copies: int = 6) -> Path:
    """A tiny GoEmotions-shaped data folder: anger and calm comments, with small variations."""
    (folder / "goemotions").mkdir(parents=True)
    for split, count in (("train", copies), ("dev", 2)):
        with (folder / "goemotions" / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for n in range(count):
                for i, text in enumerate(ANGRY + CALM):
                    groups = ["anger"] if i < len(ANGRY) else ["positive"]
                    out.write(
                        json.dumps({"id": f"{split}-{n}-{i}", "text": f"{text} ({n})", "groups": groups})
                        + "\n"
                    )
    return folder


def test_training_twice_on_the_same_data_writes_identical_bytes(tmp_path: Path) -> None:
    data = _goemotions_sample(tmp_path / "data")
    first, second = tmp_path / "first", tmp_path / "second"
    train_signal("anger", data, first)
    train_signal("anger", data, second)
    for name in ("anger.npz", "anger.json", "anger.md"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_trained_model_loads_scores_and_separates_its_training_classes(tmp_path: Path) -> None:
    data = _goemotions_sample(tmp_path / "data")
    description = train_signal("anger", data, tmp_path / "models")
    models = load_models_from(tmp_path / "models")
    assert models.signals == ("anger",)
    assert 0.0 < description["threshold"] < 1.0
    angry = models.score("I am furious, this is ridiculous")["anger"]
    calm = models.score("Thanks, that sounds great")["anger"]
    assert angry > models.threshold("anger") > calm
    card = (tmp_path / "models" / "anger.md").read_text(encoding="utf-8")
    assert "Apache License 2.0" in card and "Demszky" in card and f"{description['dev']['f1']:.3f}" in card


def test_labels_follow_the_documented_mapping(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    (folder / "stanford_politeness").mkdir(parents=True)
    rows = [("Please could you help?", "polite"), ("Why would you do that?", "impolite"), ("Ok.", "neutral")]
    (folder / "stanford_politeness" / "dev.jsonl").write_text(
        "".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in rows), encoding="utf-8"
    )
    # The binary split: impolite vs polite, the neutral middle left out.
    assert load_split("impolite", "dev", folder) == (
        ["Please could you help?", "Why would you do that?"],
        [0, 1],
    )
    with pytest.raises(InputError, match="unknown signal"):
        load_split("grumpy", "dev", folder)


def test_every_shipped_signal_has_a_training_spec_and_data_licence_we_may_ship() -> None:
    assert set(SIGNALS) == set(SPECS)
    shippable = {"goemotions", "davidson_hate_offensive", "stanford_politeness", "cucom_ecommerce"}
    assert {spec.corpus.folder for spec in SPECS.values()} <= shippable


def test_threshold_choice_maximises_the_objective() -> None:
    labels = np.array([0, 0, 0, 1, 1, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.35, 0.6, 0.65, 0.7, 0.9])
    for objective in ("f1", "macro_f1", "accuracy"):
        best = choose_threshold(labels, scores, objective)
        # No other cut does better than the chosen one.
        assert all(
            binary_metrics(labels, scores, best)[objective] >= binary_metrics(labels, scores, t)[objective]
            for t in scores
        )
    assert choose_threshold(labels, scores, "accuracy") == pytest.approx(0.35)
    figures = binary_metrics(labels, scores, 0.6)
    assert figures["precision"] == pytest.approx(3 / 4)
    assert figures["recall"] == pytest.approx(3 / 4)
    assert figures["accuracy"] == pytest.approx(6 / 8)
    assert figures["auc"] == pytest.approx(14 / 16)


def _row(signal: str, candidate: str, **figures: float) -> dict:
    base = {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "macro_f1": 0.5,
        "accuracy": 0.5,
        "auc": 0.5,
        "latency_ms": 0.1,
        "note": "",
    }
    return {"signal": signal, "candidate": candidate, **base, **figures, "shipped": candidate == SHIPPED}


def test_targets_are_judged_from_the_rows() -> None:
    rows = [
        _row("anger", VADER, f1=0.40),
        _row("anger", SHIPPED, f1=0.56, latency_ms=0.8),
        _row("offensive", PROFANITY, macro_f1=0.94),
        _row("offensive", SHIPPED, macro_f1=0.92, latency_ms=0.8),
        _row("impolite", SHIPPED, accuracy=0.84, latency_ms=0.8),
    ]
    met = {target.split()[0] + (" latency" if "ms" in target else ""): ok for target, _, ok in targets(rows)}
    assert met == {"anger": True, "offensive": False, "impolite": True, "all latency": True}
    page = markdown(rows)
    assert "| anger | **hashed n-gram LR (shipped)** | 0.500 | 0.500 | 0.560 |" in page
    assert "| offensive macro-F1 > alt-profanity-check | 0.920 vs 0.940 | no |" in page


def test_conversation_rows_join_the_table_filtered_by_signal_and_failures_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = types.ModuleType("calmline.training.conversation")
    rows = [
        {
            "signal": "self_harm",
            "candidate": "patterns",
            "precision": 0.9,
            "recall": 0.97,
            "f1": 0.93,
            "auc": None,
            "accuracy": None,
            "latency_ms": 0.05,
            "note": "explicit statements",
        },
        {"signal": "escalation_risk", "candidate": "forecast", "f1": 0.66, "note": "median lead 2 turns"},
    ]
    fake.evaluation_rows = lambda: rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "calmline.training.conversation", fake)
    assert conversation_rows("self_harm") == rows[:1]
    page = markdown(conversation_rows())
    assert "| self_harm | patterns | 0.900 | 0.970 | 0.930 | – | – | – | 0.05 | explicit statements |" in page
    assert "| escalation_risk | forecast | – | – | 0.660 |" in page

    def broken() -> list[dict]:
        raise RuntimeError("no conversations found")

    fake.evaluation_rows = broken  # type: ignore[attr-defined]
    [failed] = conversation_rows()
    assert "no conversations found" in failed["note"]
