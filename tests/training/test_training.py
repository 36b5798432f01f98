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
from calmline.training.data import SPECS, load_graded, load_split
from calmline.training.evaluate import (
    PROFANITY,
    SHIPPED,
    VADER,
    choice_lines,
    conversation_rows,
    evaluate_signal,
    markdown,
    targets,
)
from calmline.training.metrics import binary_metrics, choose_threshold
from calmline.training.train import STRENGTH_GRID, train_signal

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


def test_choosing_the_strength_by_cross_validation_is_reproducible_and_recorded(tmp_path: Path) -> None:
    data = _goemotions_sample(tmp_path / "data")
    first = train_signal("anger", data, tmp_path / "first", choose_strength=True)
    second = train_signal("anger", data, tmp_path / "second", choose_strength=True)
    assert first == second
    assert first["training"]["C"] in STRENGTH_GRID and "CV on train" in first["training"]["C_rule"]
    assert (tmp_path / "first" / "anger.npz").read_bytes() == (tmp_path / "second" / "anger.npz").read_bytes()


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


POLITE = [
    "Could you please take a look when you have a moment? Thanks!",
    "Thank you so much for the help, would you mind checking the source?",
    "Hi, sorry to bother you, could you kindly review my edit?",
]
RUDE = [
    "Why did you revert my edit? Explain yourself.",
    "Did you even read the question? What is the point of this answer?",
    "What is wrong with you, why do you keep deleting it?",
]
MIDDLE = ["I changed the lead section, what do you think?", "Is there a source for the second claim?"]


def _graded_politeness_sample(folder: Path, copies: int = 4) -> Path:
    """A tiny Stanford-Politeness-shaped folder with scores: polite, impolite and the neutral middle."""
    (folder / "stanford_politeness").mkdir(parents=True)
    graded = [(t, "polite", 1.0) for t in POLITE] + [(t, "impolite", -1.0) for t in RUDE]
    graded += [(t, "neutral", -0.1 * i) for i, t in enumerate(MIDDLE)]
    for split, count in (("train", copies), ("dev", 1)):
        with (folder / "stanford_politeness" / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for n in range(count):
                for text, label, score in graded:
                    record = {"text": f"{text} ({n})", "label": label, "score": score + n / 100}
                    out.write(json.dumps(record) + "\n")
    return folder


def test_graded_data_keeps_every_text_with_its_grade_and_marks_those_outside_the_binary_split(
    tmp_path: Path,
) -> None:
    texts, grades, labels = load_graded("impolite", "dev", _graded_politeness_sample(tmp_path / "data"))
    assert len(texts) == len(POLITE) + len(RUDE) + len(MIDDLE)
    # Higher grade = more of the signal: the negated politeness score.
    assert grades[0] == -1.0 and grades[len(POLITE)] == 1.0
    assert labels == [0] * len(POLITE) + [1] * len(RUDE) + [-1] * len(MIDDLE)
    with pytest.raises(InputError, match="no graded"):
        load_graded("anger", "dev", tmp_path / "data")


def test_a_graded_signal_learns_from_every_text_but_is_judged_on_the_binary_split(tmp_path: Path) -> None:
    data = _graded_politeness_sample(tmp_path / "data")
    first = train_signal("impolite", data, tmp_path / "first")
    second = train_signal("impolite", data, tmp_path / "second")
    assert first == second
    for name in ("impolite.npz", "impolite.json", "impolite.md"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes(), name
    training = first["training"]
    assert training["records"] == 4 * (len(POLITE) + len(RUDE))  # the binary split the figures are about
    assert training["graded_records"] == 4 * (len(POLITE) + len(RUDE) + len(MIDDLE))
    assert "quantiles" in training["model"]
    models = load_models_from(tmp_path / "first")
    rude = models.score("Why did you revert my edit? Explain yourself.")["impolite"]
    polite = models.score("Could you please take a look when you have a moment? Thanks!")["impolite"]
    assert rude > models.threshold("impolite") > polite
    assert "graded texts" in (tmp_path / "first" / "impolite.md").read_text(encoding="utf-8")


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
        _row("escalation_risk", "forecast, other casting", f1=0.70),
        {**_row("escalation_risk", "forecast", f1=0.60, accuracy=0.55, auc=0.68), "forecast_target": True},
        {**_row("self_harm", "calmline.self_harm.v1", precision=0.9), "explicit_recall": 0.96},
    ]
    met = {target.split()[0] + (" latency" if "ms" in target else ""): ok for target, _, ok in targets(rows)}
    assert met == {
        "anger": True,
        "offensive": False,
        "impolite": True,
        "escalation_risk": False,  # judged on the casting calmline chose, not the better-looking one
        "self_harm": True,
        "all latency": True,
    }
    page = markdown(rows)
    assert "| anger | **hashed n-gram LR (shipped)** | 0.500 | 0.500 | 0.560 |" in page
    assert "| offensive macro-F1 > alt-profanity-check | 0.920 vs 0.940 | no |" in page
    assert "| 0.600 (accuracy 0.550, ROC-AUC 0.680) | no |" in page
    assert "| self_harm recall >= 0.95 on explicit statements | 0.960 (precision 0.900) | yes |" in page


def _politeness_sample(folder: Path) -> Path:
    """A tiny two-domain Stanford-Politeness-shaped dev split."""
    (folder / "stanford_politeness").mkdir(parents=True)
    rows = [
        ("Could you please take a look when you have a moment? Thanks!", "polite", "wikipedia"),
        ("Why did you revert my edit? Explain yourself.", "impolite", "wikipedia"),
        ("Thanks a lot, that helped. Would you mind sharing the source?", "polite", "stack-exchange"),
        ("Did you even read the question? What is the point of this answer?", "impolite", "stack-exchange"),
        ("Ok.", "neutral", "stack-exchange"),
    ]
    (folder / "stanford_politeness" / "dev.jsonl").write_text(
        "".join(json.dumps({"text": t, "label": label, "domain": d}) + "\n" for t, label, d in rows),
        encoding="utf-8",
    )
    return folder


def test_impolite_is_also_reported_per_domain_and_those_rows_never_count_as_an_alternative(
    tmp_path: Path,
) -> None:
    rows = evaluate_signal("impolite", _politeness_sample(tmp_path / "data"), with_embedding=False)
    by_domain = [r for r in rows if r.get("subset")]
    assert [r["candidate"] for r in by_domain] == [
        "hashed n-gram LR, stack-exchange only",
        "hashed n-gram LR, wikipedia only",
    ]
    assert not any(r.get("shipped") for r in by_domain)
    # Even a subset row that scores higher is the shipped model itself, not an alternative to it.
    shipped = next(r for r in rows if r.get("shipped"))
    higher = [{**by_domain[0], "accuracy": shipped["accuracy"] + 0.1}, *rows]
    [line] = [line for line in choice_lines(higher) if line.startswith("- **impolite**")]
    assert "only" not in line


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
