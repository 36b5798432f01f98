"""The escalation forecast (P10): prefix only, early on a build-up, quiet when calm, keener after hours."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calmline.engine.pipeline import Engine
from calmline.engine.state import Scores, turn_cues, window_features
from calmline.model import Conversation, Role, Turn, TurnAnalysis
from calmline.training.conversation import (
    CHOSEN_ROLES,
    binary_metrics,
    cga_traces,
    data_dir,
    detokenize,
    forecast_result,
    roc_auc,
    turn_features,
)

ROLES = {"c": Role.customer, "a": Role.agent}

# A broadband outage that goes wrong: the agent deflects, the customer blames, then asks for a supervisor.
BUILD_UP = [
    ("c", "Hi, my internet has been down since yesterday morning."),
    ("a", "Have you tried turning the router off and on again?"),
    ("c", "Yes, obviously, that was the first thing I did. I work from home and I need this fixed."),
    ("a", "You'll need to wait for an engineer. The next slot is Thursday."),
    (
        "c",
        "Thursday? Why didn't you tell me that yesterday? You said someone would call me back and nobody did.",
    ),
    ("a", "I can only see what's on the system."),
    (
        "c",
        "You keep reading me the same script. This is ridiculous, I'm losing money every day this goes on.",
    ),
    ("a", "There's nothing else I can do today."),
    ("c", "Then put me through to your supervisor."),
]
CALM = [
    ("a", "Good morning, you're through to Brightwater Energy, this is Sam. How can I help?"),
    ("c", "Morning! I'm moving house next month and wanted to move my account to the new address."),
    ("a", "Congratulations on the move! Could you give me the new address and the date you get the keys?"),
    ("c", "Sure, it's 12 Orchard Row, and we get the keys on the 14th."),
    ("a", "Thanks. Would you like a meter reading reminder for the day you move?"),
    ("c", "Yes please, that would be really helpful. Do you need anything else from me?"),
    ("a", "That's everything. You'll get an email confirming it today."),
    ("c", "Perfect, thank you so much for your help."),
]
POOL = [line for line in BUILD_UP + CALM] + [
    ("c", "You never get this right, you people keep messing up my bill."),
    ("c", "I'm so fed up with this, it's a joke."),
    ("a", "Please calm down. As I already said, that's the policy."),
    ("a", "I'm sorry about that, I've fixed the charge now."),
    ("c", "Why did you cut me off last time? Are you even listening?"),
]


def play(engine: Engine, lines: list[tuple[str, str]], **conversation: object) -> list[TurnAnalysis]:
    session = engine.session(Conversation(**conversation))  # type: ignore[arg-type]
    return [session.add(Turn(speaker=who, role=ROLES[who], text=text)) for who, text in lines]


def risks(turns: list[TurnAnalysis]) -> list[float]:
    return [t.state.escalation_risk for t in turns]


def first(turns: list[TurnAnalysis], kind: str) -> int | None:
    return next((t.index for t in turns if any(a.kind.value == kind for a in t.alerts)), None)


@settings(max_examples=30, deadline=None)
@given(
    lines=st.lists(st.sampled_from(POOL), min_size=2, max_size=9), cut=st.integers(min_value=1, max_value=8)
)
def test_risk_uses_only_the_prefix(lines: list[tuple[str, str]], cut: int) -> None:
    engine = Engine.default()
    cut = min(cut, len(lines) - 1)
    whole = risks(play(engine, lines))
    prefix = risks(play(engine, lines[:cut]))
    assert whole[:cut] == prefix  # later turns never change an earlier turn's risk


def test_risk_rises_and_alerts_before_the_customer_asks_for_a_supervisor(engine: Engine) -> None:
    turns = play(engine, BUILD_UP)
    forecast, request = first(turns, "escalation_risk"), first(turns, "manager_request")
    assert request == len(BUILD_UP) - 1
    assert forecast is not None and forecast < request
    assert risks(turns)[0] < 0.1 and risks(turns)[forecast] >= 0.6
    alert = next(a for a in turns[forecast].alerts if a.kind.value == "escalation_risk")
    assert {a.value for a in alert.audience} >= {"supervisor"} and alert.practice == "P10"


def test_risk_stays_low_on_a_calm_conversation(engine: Engine) -> None:
    turns = play(engine, CALM)
    assert max(risks(turns)) < 0.2
    assert first(turns, "escalation_risk") is None


def test_after_hours_raises_the_risk_and_alerts_no_later(engine: Engine) -> None:
    day, night = play(engine, BUILD_UP), play(engine, BUILD_UP, after_hours=True)
    assert all(late > early for late, early in zip(risks(night), risks(day), strict=True))
    assert first(night, "escalation_risk") <= first(day, "escalation_risk")  # type: ignore[operator]


def test_one_angry_opening_is_not_a_forecast_but_repeated_blame_is(engine: Engine) -> None:
    opening = (
        "c",
        "You charged me TWICE this month and my rent bounced. This is ridiculous, why did you take it twice?",
    )
    alone = play(engine, [opening])
    assert first(alone, "escalation_risk") is None  # the emotion guidance answers one upset turn
    again = play(
        engine,
        [
            opening,
            ("a", "Let me look into it."),
            ("c", "You never get this right. Third month in a row you people keep messing it up."),
        ],
    )
    assert first(again, "escalation_risk") == 2


def test_the_research_path_recomputes_exactly_the_live_risk(engine: Engine) -> None:
    turns = play(engine, BUILD_UP)
    features = turn_features(engine.tracker, turns)
    recomputed = [round(engine.tracker.escalation_risk(f, after_hours=False), 3) for f in features]
    assert recomputed == risks(turns)


@pytest.mark.parametrize(
    ("text", "blame", "second_person"),
    [
        ("You never listen to a word I say.", True, 1),
        ("Why didn't you call me back like you promised?", True, 2),
        ("Are you even reading what I write?", True, 1),
        ("Could you tell me the price, please? Thank you!", False, 0),
        ("Thank you so much, you've been really helpful.", False, 0),
    ],
)
def test_blame_is_aimed_at_the_agent_and_courtesy_is_not_counted(
    text: str, blame: bool, second_person: int
) -> None:
    cues = turn_cues(text, Scores())
    assert (cues.blame, cues.second_person) == (blame, second_person)


def test_you_said_is_blame_only_when_said_in_anger() -> None:
    calm = turn_cues("You said it would arrive on Monday, and it did.", Scores())
    angry = turn_cues("You said it would arrive on Monday, and it didn't!", Scores({"anger": 0.7}))
    assert not calm.blame and angry.blame


def test_window_features_are_bounded_and_need_two_customer_turns() -> None:
    hot = turn_cues(
        "Why did you lie to me?! You people are useless!!", Scores({"anger": 0.9, "shouting": 0.9})
    )
    assert set(window_features([hot]).values()) == {0.0}
    features = window_features([hot] * 6)
    assert all(0.0 <= v <= 1.0 for v in features.values()) and features["blame"] == 1.0


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc([True, False], [0.9, 0.1]) == 1.0
    assert roc_auc([True, False, True, False], [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert roc_auc([True, True], [0.1, 0.2]) is None


def test_always_escalates_scores_two_thirds_f1_on_balanced_classes() -> None:
    truth = [True, False] * 10
    metrics = binary_metrics(truth, [True] * 20, [1.0] * 20)
    assert round(metrics.f1, 3) == 0.667 and metrics.accuracy == 0.5


def test_cga_tokenisation_is_undone() -> None:
    assert detokenize("you ' re wrong , and it ' s here .") == "you're wrong, and it's here."


@pytest.mark.skipif(not (data_dir() / "cga_wiki" / "dev.jsonl").exists(), reason="shared data not present")
def test_forecast_on_cga_wiki_dev_holds_its_measured_level(engine: Engine) -> None:
    # Measured 2026-11-23 with CHOSEN_ROLES: AUC 0.689, precision 0.933, recall 0.292 at the
    # playbook's alert. Floors: those minus about 0.04 (AUC) and 0.1 (precision, recall: 84
    # conversations, so one conversation is 0.02-0.03).
    result = forecast_result(cga_traces(engine, "dev", CHOSEN_ROLES))
    assert result.metrics.auc is not None and result.metrics.auc >= 0.65
    assert result.metrics.precision >= 0.83 and result.metrics.recall >= 0.19
    assert result.median_lead is not None and result.median_lead >= 1
