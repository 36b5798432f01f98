"""Playbook rules over a conversation: when an alert held back by its cooldown is raised again."""

from __future__ import annotations

import pytest

from calmline.engine.context import Context
from calmline.engine.rules import STRONGER, Firings, RuleBook
from calmline.model import Channel, ConversationInfo, CustomerState, Role, Signal, Turn
from calmline.playbook import load_default


def _crisis_alerts(scores: list[float | None]) -> list[int]:
    """Turn indexes whose customer turn raised a crisis alert, given each turn's self-harm score."""
    rules, fired = RuleBook(load_default()), Firings()
    info = ConversationInfo(id="c", channel=Channel.chat)
    raised = []
    for index, score in enumerate(scores):
        turn = Turn(speaker="customer", role=Role.customer, text="...")
        signals = [] if score is None else [Signal(kind="self_harm", score=score, detector="test.v1")]
        _, alerts = rules.apply(turn, signals, CustomerState(), Context(info, [], CustomerState(), index), fired)
        raised += [index for alert in alerts if alert.kind.value == "crisis"]
    return raised


def test_a_much_stronger_statement_within_the_cooldown_alerts_again() -> None:
    # "I don't even care anymore" (tentative), then "I want to die" two turns later.
    assert _crisis_alerts([0.55, None, 0.55 + STRONGER + 0.1]) == [0, 2]


@pytest.mark.parametrize("later", [0.55, 0.55 + STRONGER - 0.05])
def test_a_similar_statement_within_the_cooldown_does_not_alert_again(later: float) -> None:
    assert _crisis_alerts([0.55, None, later]) == [0]


def test_a_crisis_alert_stays_raised_and_the_same_words_later_do_not_alert_again() -> None:
    assert _crisis_alerts([0.9, None, None, None, None, None, 0.9]) == [0]
