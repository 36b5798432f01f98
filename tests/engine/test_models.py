"""The shipped utterance models: load offline, predict sensibly on customer-service text, quote their evidence."""

from __future__ import annotations

import json
import socket
from importlib import resources

import pytest

from calmline.engine.detectors.trained import (
    make_impolite,
    make_trained_emotion,
    make_trained_offensive,
    strength,
    without_apologies,
)
from calmline.engine.models import SIGNALS, ModelError, load_models, load_models_from
from tests.conftest import agent, context, customer

MODELS = load_models()


def fired(text: str) -> set[str]:
    scores = MODELS.score(text)
    return {signal for signal, p in scores.items() if p >= MODELS.threshold(signal)}


def test_every_signal_ships_with_weights_description_and_card_within_budget() -> None:
    folder = resources.files("calmline.engine.models")
    assert MODELS.signals == SIGNALS
    total = 0
    for signal in SIGNALS:
        total += len(folder.joinpath(f"{signal}.npz").read_bytes())
        meta = json.loads(folder.joinpath(f"{signal}.json").read_text(encoding="utf-8"))
        card = folder.joinpath(f"{signal}.md").read_text(encoding="utf-8")
        assert meta["signal"] == signal and 0.0 < meta["threshold"] < 1.0
        for heading in ("## Intended use", "## Data and licence", "## Dev figures", "## Known failure modes"):
            assert heading in card
        assert f"{meta['dev']['f1']:.3f}" in card  # the card's figures are the measured ones
    assert total <= 40 * 1024 * 1024


def test_models_load_and_score_with_the_network_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    models = load_models_from(resources.files("calmline.engine.models"))
    assert models.score("I am furious about this charge")["anger"] > models.threshold("anger")


@pytest.mark.parametrize(
    "text",
    [
        "This is absolutely ridiculous, I've been waiting three weeks for my refund!",
        "What the hell is going on with my order? Nobody ever calls me back.",
        "You people are useless, this is the worst service I've ever had.",
    ],
)
def test_angry_customers_read_as_angry_and_negative(text: str) -> None:
    assert {"anger", "negative"} <= fired(text)


@pytest.mark.parametrize(
    "text",
    [
        "I'm really worried, I can't afford to lose this deposit.",
        "I'm scared the heating won't come back before the baby wakes up.",
    ],
)
def test_worried_customers_read_as_distress_not_anger(text: str) -> None:
    found = fired(text)
    assert "distress" in found and "anger" not in found


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much, that's perfect. I really appreciate it.",
        "Hi, I'd like to update the address on my account.",
        "Could you tell me when the store opens on Saturday?",
    ],
)
def test_calm_customers_carry_no_negative_signal(text: str) -> None:
    assert not fired(text) & {"anger", "distress", "negative", "offensive"}


def test_profanity_and_slurs_are_offensive() -> None:
    assert "offensive" in fired("What the fuck is wrong with you people?")
    assert "offensive" in fired("Damn, this printer is a piece of crap.")


@pytest.mark.parametrize(
    "text",
    [
        "Go back where you came from, you filthy raghead.",
        "Put me through to someone who isn't a zipperhead.",
        "I'm not talking to a towelhead, get me someone else.",
    ],
)
def test_slurs_rare_in_the_training_tweets_are_offensive(text: str) -> None:
    # Each of these words occurs at most three times in Davidson train; the slur word class carries
    # the weight the common ones earned over to them.
    assert "offensive" in fired(text)


def test_models_trained_with_other_word_classes_refuse_to_load(tmp_path) -> None:
    folder = resources.files("calmline.engine.models")
    for signal in SIGNALS:
        meta = json.loads(folder.joinpath(f"{signal}.json").read_text(encoding="utf-8"))
        meta["features"]["word_classes"] -= 1
        (tmp_path / f"{signal}.json").write_text(json.dumps(meta), encoding="utf-8")
        (tmp_path / f"{signal}.npz").write_bytes(folder.joinpath(f"{signal}.npz").read_bytes())
    with pytest.raises(ModelError, match="retrain"):
        load_models_from(tmp_path)


def test_venting_without_swearing_and_idioms_are_not_offensive_or_distress() -> None:
    # "stupid" about a bill is venting: angry, yes, but not offensive language.
    vent = fired("This stupid bill is killing me.")
    assert "anger" in vent and "offensive" not in vent
    assert not fired("This is killing me, I've been on hold for an hour.") & {"distress", "offensive"}
    assert "distress" not in fired("I'm dying to know when it ships lol")


def test_quoted_profanity_still_scores_as_offensive_language() -> None:
    # Documented in the card: the model reads words, not who said them to whom; calmline.abuse.v1
    # decides whether anything was aimed at the agent.
    assert "offensive" in fired(
        'My neighbour yelled "fuck you" at the courier, so he left the parcel outside.'
    )


@pytest.mark.parametrize(
    ("text", "impolite"),
    [
        ("Why didn't you read my previous message? It's obvious.", True),
        ("That's not my problem, read the policy.", True),
        ("I'd be happy to help you with that. Could you please share your order number?", False),
        ("Sorry for the delay, thanks for waiting!", False),
    ],
)
def test_impolite_tells_a_curt_reply_from_a_courteous_one(text: str, impolite: bool) -> None:
    assert ("impolite" in fired(text)) is impolite


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("This is absolutely ridiculous, I've been waiting three weeks for my refund!", "anger"),
        ("You're a useless idiot.", "anger"),
        ("I'm so worried – I can’t afford to lose this deposit 😟", "distress"),
        ("What the fuck is wrong with you people?", "offensive"),
        ("Why didn't you read my previous message? It's obvious.", "impolite"),
    ],
)
def test_evidence_quotes_the_text_exactly_strongest_first(text: str, signal: str) -> None:
    found = MODELS.explain(text, signal, 3)
    assert 1 <= len(found) <= 3
    for item in found:
        assert text[item.span[0] : item.span[1]] == item.quote and item.weight > 0
    assert [c.weight for c in found] == sorted((c.weight for c in found), reverse=True)


def test_evidence_names_the_words_that_triggered_the_signal() -> None:
    quotes = [
        c.quote.lower() for c in MODELS.explain("Honestly this is ridiculous and I'm fed up.", "anger", 2)
    ]
    assert any("ridiculous" in q for q in quotes)
    assert any("fuck" in c.quote.lower() for c in MODELS.explain("What the fuck is this?", "offensive", 1))


def test_emotion_detector_emits_model_probabilities_with_evidence_and_keeps_positive() -> None:
    detector = make_trained_emotion()
    text = "This is absolutely ridiculous, I've been waiting three weeks for my refund!"
    signals = {s.kind: s for s in detector(customer(text), context(index=4))}
    probability = MODELS.score(text)["anger"]
    assert signals["anger"].data["probability"] == pytest.approx(probability, abs=1e-3)
    # The score is the strength on the engine's scale: 0.5 at the model's threshold, 1.0 at certainty.
    assert signals["anger"].score == pytest.approx(strength(probability, MODELS.threshold("anger")), abs=1e-3)
    assert signals["anger"].detector == "calmline.emotion.v2" and signals["anger"].practice == "P02"
    assert all(e.turn == 4 and text[e.span[0] : e.span[1]] == e.quote for e in signals["anger"].evidence)
    thanks = {s.kind for s in detector(customer("Thank you so much, that's perfect!"), context())}
    assert thanks == {"positive"}


def test_offensive_and_impolite_detectors_fire_on_their_side_only() -> None:
    offensive = make_trained_offensive()
    impolite = make_impolite()
    assert offensive.roles == frozenset({customer("x").role}) and impolite.roles == frozenset(
        {agent("x").role}
    )
    [signal] = offensive(customer("What the fuck is wrong with you people?"), context())
    assert signal.kind == "offensive" and signal.practice == "P11" and signal.evidence
    [signal] = impolite(agent("Why didn't you read my previous message? It's obvious."), context())
    assert signal.kind == "impolite" and signal.practice == "P01"
    assert impolite(agent("Thanks for waiting, I've refunded the charge."), context()) == []


def test_a_configured_threshold_overrides_the_models_own() -> None:
    text = "That's not my problem, read the policy."
    assert make_impolite()(agent(text), context())
    assert make_impolite(threshold=0.99)(agent(text), context()) == []


def test_scores_are_probabilities_and_empty_text_is_harmless() -> None:
    for text in ("", "   ", "!!!", "ok", "x" * 5000):
        scores = MODELS.score(text)
        assert set(scores) == set(SIGNALS) and all(0.0 <= p <= 1.0 for p in scores.values())
        assert MODELS.explain(text, "anger", 3) == [] or all(
            c.quote for c in MODELS.explain(text, "anger", 3)
        )


def test_strength_puts_every_models_threshold_at_the_engines_half() -> None:
    assert strength(0.41, 0.41) == 0.5 and strength(1.0, 0.41) == 1.0
    assert strength(0.7, 0.574) < strength(0.9, 0.574) < 1.0


def test_contact_centre_anger_the_model_half_sees_fires_through_its_cue_phrase() -> None:
    # Reddit rarely says it this way: the model alone gives 0.41-0.49 here, under its threshold.
    detector = make_trained_emotion()
    # Turns 5 and 9 of examples/frustration_builds_manager.txt.
    for text in ("I literally just told you I looked everywhere. And it's been three days, not 48 hours. "
                 "Are you even reading what I write?",
                 "Don't you dare transfer me again, the last person already bounced me over to you! "
                 "I want to speak to your manager. Right now."):
        assert MODELS.score(text)["anger"] < MODELS.threshold("anger")
        anger = next(s for s in detector(customer(text), context()) if s.kind == "anger")
        assert anger.data["cue"] and anger.score >= 0.5
        assert any(q in text for q in (e.quote for e in anger.evidence))


def test_a_cue_phrase_the_model_finds_out_of_place_does_not_fire() -> None:
    detector = make_trained_emotion(cue_floor=0.99)
    text = "Are you even reading what I write?"
    assert "anger" not in {s.kind for s in detector(customer(text), context())}


def test_an_apology_is_not_distress() -> None:
    detector = make_trained_emotion()
    text = "My manager only confirmed the trip yesterday, so sorry it's a bit last minute."
    assert MODELS.score(text)["distress"] >= MODELS.threshold("distress")  # GoEmotions: remorse
    assert {s.kind for s in detector(customer(text), context())} & {"distress", "negative"} == set()
    worried = "Sorry, I'm just so worried about my mum, she can't get her medication."
    assert "distress" in {s.kind for s in detector(customer(worried), context())}
    assert without_apologies("fine") is None
    assert len(without_apologies(text) or "") == len(text)
