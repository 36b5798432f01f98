"""Customer-side mood, shouting, repetition, grievance, name and conversation cues."""

from __future__ import annotations

import pytest

from calmline.engine.detectors.customer_cues import make_confusion, make_customer_name, make_wants_to_end
from calmline.engine.detectors.emotion import make_emotion
from calmline.engine.detectors.grievance import make_company_fault, make_grievances
from calmline.engine.detectors.repetition import make_repetition
from calmline.engine.detectors.shouting import make_shouting
from calmline.model import CustomerState, Role, TurnAnalysis
from tests.conftest import context, customer


def kinds(detector, text: str, **kw) -> dict[str, float]:
    return {s.kind: s.score for s in detector(customer(text), context(**kw))}


def past_customer(index: int, text: str) -> TurnAnalysis:
    """An earlier customer turn as the engine leaves it in the history, with its grievances."""
    return TurnAnalysis(
        index=index,
        speaker="Customer",
        role=Role.customer,
        text=text,
        signals=make_grievances()(customer(text), context(index=index)),
        state=CustomerState(),
        guidance=[],
        alerts=[],
    )


EMOTION = make_emotion()


@pytest.mark.parametrize(
    "text",
    [
        "This is absolutely ridiculous, I've been waiting three weeks.",
        "I'm furious. You people took my money and did nothing.",
        "Honestly I'm fed up with this company.",
        "Are you kidding me? That's the worst service I've ever had.",
    ],
)
def test_anger_is_found_with_its_words(text: str) -> None:
    signals = {s.kind: s for s in EMOTION(customer(text), context())}
    assert signals["anger"].score >= 0.5
    assert signals["negative"].score >= 0.5
    for item in signals["anger"].evidence:
        assert text[item.span[0] : item.span[1]] == item.quote


@pytest.mark.parametrize(
    "text",
    [
        "I'm really worried, I can't afford to lose this deposit.",
        "I'm so stressed about this, I don't know what to do.",
        "I'm scared the heating won't come back before the baby wakes up.",
    ],
)
def test_distress_is_told_from_anger(text: str) -> None:
    found = kinds(EMOTION, text)
    assert found["distress"] >= 0.5
    assert "anger" not in found


@pytest.mark.parametrize(
    "text",
    [
        "I'm not angry, just confused about the charge.",
        "Hi, I'd like to update the address on my account.",
        "Could you tell me when the store opens on Saturday?",
    ],
)
def test_calm_or_negated_turns_carry_no_anger(text: str) -> None:
    assert "anger" not in kinds(EMOTION, text)


def test_thanks_is_positive_and_not_negative() -> None:
    found = kinds(EMOTION, "Thank you so much, that's perfect. I really appreciate it.")
    assert found["positive"] >= 0.7
    assert "negative" not in found


SHOUTING = make_shouting()


def test_capitals_and_exclamations_are_shouting() -> None:
    text = "I WANT MY MONEY BACK NOW!!!"
    signal = SHOUTING(customer(text), context())[0]
    assert signal.score >= 0.8
    assert [e.quote for e in signal.evidence][:2] == ["WANT", "MONEY"]
    assert signal.evidence[-1].quote == "!!!"


@pytest.mark.parametrize(
    "text",
    [
        "My PIN doesn't work at the ATM.",
        "I emailed the CEO and the FAQ was no help.",
        "Thanks!",
    ],
)
def test_acronyms_and_one_exclamation_are_not_shouting(text: str) -> None:
    assert SHOUTING(customer(text), context()) == []


REPETITION = make_repetition()


@pytest.mark.parametrize(
    "text",
    [
        "I already told you, the order number is on the email.",
        "For the third time, I did not sign up for this.",
        "Are you even listening to me?",
        "I've called three times about this.",
    ],
)
def test_explicit_repetition(text: str) -> None:
    assert kinds(REPETITION, text)["repetition"] >= 0.7


def test_a_complaint_repeated_in_other_words_is_found() -> None:
    history = [
        past_customer(0, "The technician never showed up for the boiler repair appointment on Tuesday.")
    ]
    signals = REPETITION(
        customer("Your technician didn't show up again, the boiler repair appointment was missed."),
        context(index=2, history=history),
    )
    assert signals and signals[0].score >= 0.5
    assert {"technician", "boiler", "repair", "appointment"} <= {e.quote.lower() for e in signals[0].evidence}


def test_a_conversation_moving_on_about_the_same_thing_is_not_repetition() -> None:
    # Booking a hotel, the customer says "hotel" and "parking" in every turn: nothing was complained about.
    history = [past_customer(0, "I need a hotel in the centre with free parking for two nights.")]
    signals = REPETITION(
        customer("Does that hotel in the centre have free parking for the two nights?"), context(index=2, history=history)
    )
    assert signals == []


def test_a_new_topic_is_not_repetition() -> None:
    history = [past_customer(0, "The technician never showed up for the boiler repair.")]
    assert (
        REPETITION(customer("Also, can I change my billing address?"), context(index=2, history=history))
        == []
    )


GRIEVANCES = make_grievances()


def test_each_distinct_grievance_gets_its_topic_and_sentence() -> None:
    text = "You charged me twice this month. And the parcel still hasn't arrived after two weeks."
    signals = GRIEVANCES(customer(text), context())
    topics = {s.data["topic"]: s.evidence[0].quote for s in signals}
    assert topics["billing"] == "You charged me twice this month."
    assert topics["delivery"].startswith("And the parcel still hasn't arrived")


def test_a_question_without_a_complaint_is_not_a_grievance() -> None:
    assert GRIEVANCES(customer("What payment methods do you take?"), context()) == []


COMPANY_FAULT = make_company_fault()


@pytest.mark.parametrize(
    "text",
    [
        "I was double charged for the same order.",
        "Your technician didn't show up.",
        "The package never arrived and I was told it would be here Monday.",
    ],
)
def test_company_fault(text: str) -> None:
    assert kinds(COMPANY_FAULT, text)["company_fault"] >= 0.7


def test_customer_own_mistake_is_not_company_fault() -> None:
    assert COMPANY_FAULT(customer("I think I typed my card number wrong when I ordered."), context()) == []


NAME = make_customer_name()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi, my name is Dana Ruiz and I have a problem.", "Dana Ruiz"),
        ("Hello, this is Priya calling about my bill.", "Priya"),
        ("It's Mrs. Okafor again.", "Mrs. Okafor"),
    ],
)
def test_customer_name(text: str, name: str) -> None:
    signal = NAME(customer(text), context())[0]
    assert signal.data["name"] == name
    assert signal.evidence[0].quote == name


@pytest.mark.parametrize(
    "text", ["I'm Frustrated with this.", "It's Monday and still nothing.", "I'm Sorry but no."]
)
def test_words_after_im_are_not_names(text: str) -> None:
    assert NAME(customer(text), context()) == []


def test_confusion_and_wanting_to_end() -> None:
    assert kinds(make_confusion(), "Sorry, I don't understand what you mean by that.")["confusion"] >= 0.5
    assert kinds(make_wants_to_end(), "No, that's all, thanks. Have a good day.")["wants_to_end"] >= 0.5
    assert make_wants_to_end()(customer("I'd like to go over my bill."), context()) == []
