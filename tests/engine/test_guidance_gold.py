"""Guidance on its gold set (data/written/gold/guidance.jsonl): floors just below the figures measured when the
rules were last changed, so a change that loses right cards or shows wrong ones fails here.

Measured with `calmline eval --part guidance`: precision 0.715 (98 of 137 cards), recall 0.518 (85 of 164
expected practices); odd ids (read while rules changed) 0.786 / 0.570, even ids (never read) 0.642 / 0.471.
The targets (precision 0.80, recall 0.60) are not met: the floors record where guidance stands.
"""

from __future__ import annotations

import pytest

from calmline.training.guidance_eval import GOLD, GuidanceScore, load_gold, score
from calmline.training.metrics import read_while_tuning


@pytest.fixture(scope="module")
def records() -> list[dict]:
    if not GOLD.exists():
        pytest.skip("the guidance gold set is not in this checkout")
    return load_gold()


@pytest.fixture(scope="module")
def measured(records, engine) -> GuidanceScore:
    return score(records, engine)


def test_cards_keep_their_precision_and_recall(records, measured: GuidanceScore) -> None:
    assert len(records) == 60
    assert measured.precision >= 0.70
    assert measured.recall >= 0.50


def test_the_half_never_read_while_tuning_holds_its_floor(records, engine) -> None:
    unseen = score([r for r in records if not read_while_tuning(r["id"])], engine)
    assert unseen.precision >= 0.62
    assert unseen.recall >= 0.45


def test_never_more_than_two_cards_after_a_turn(measured: GuidanceScore) -> None:
    assert 1 <= measured.most_cards <= 2


def test_safety_cards_are_shown_where_the_gold_set_wants_them(measured: GuidanceScore) -> None:
    # Abuse (P11) and emergencies (P13) are the cards an agent must not miss.
    for practice in ("P11", "P13"):
        assert measured.found[practice] == measured.expected[practice] > 0
