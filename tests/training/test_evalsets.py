"""Our labelled evaluation sets: well-formed, and the shipped safety signals held at their measured bars."""

from __future__ import annotations

import json

import pytest

from calmline.training.conversation import (
    EVALSETS,
    SAFETY_SIGNALS,
    Scored,
    cga_last_turns,
    data_dir,
    explicit_recall,
    load_evalset,
    pipeline_scored,
    safety_metrics,
)

# What each set must hold at least: (positives, negatives); self_harm counts explicit positives.
MINIMUM = {
    "self_harm": (80, 80),
    "abuse_at_agent": (80, 80),
    "manager_request": (60, 60),
    "violence_threat": (50, 50),
}

# Measured 2026-12-07 with the default playbook's pipeline (signal at >= 0.5, after the encoder's review):
#   self_harm        P 0.835  R 0.964
#   abuse_at_agent   P 0.842  R 1.000
#   manager_request  P 0.844  R 0.900
#   violence_threat  P 0.980  R 0.980
# Floors are those figures minus 0.05, so a regression fails CI; raise them when a detector improves.
# The precision floors are LOWER than the ones before the encoder (0.87, 0.92, 0.88): those were measured
# on the very sets the cue lists had been fitted to ("after adding the misses this set showed"), and the
# encoder, which never saw these sets, still calls some negated, third-person and quoted statements
# alerts, and manager-request recall fell from 1.000 to 0.900. That regression was taken knowingly for recall on conversations nobody here fitted to
# (held-out self-harm 19 -> 38 of 40, threats 12 -> 39 of 40); issue 18's closing note names it.
FLOORS = {
    "self_harm": (0.78, 0.91),
    "abuse_at_agent": (0.79, 0.95),
    "manager_request": (0.79, 0.85),
    "violence_threat": (0.93, 0.93),
}
SELF_HARM_TARGET = 0.95  # the bar: never miss an explicit statement


@pytest.fixture(scope="module")
def scored() -> dict[str, list[Scored]]:
    return {signal: pipeline_scored(signal) for signal in SAFETY_SIGNALS}


@pytest.mark.parametrize("signal", SAFETY_SIGNALS)
def test_every_set_is_well_formed_and_large_enough(signal: str) -> None:
    lines = (EVALSETS / signal / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(r["text"], str) and r["text"].strip() for r in records)
    assert all(isinstance(r["label"], bool) and isinstance(r["category"], str) for r in records)
    assert len({r["id"] for r in records}) == len(records)
    assert len({r["text"].strip().lower() for r in records}) == len(records)  # no text twice, under any label
    examples = load_evalset(signal)
    positives = [e for e in examples if e.label and (signal != "self_harm" or e.explicit)]
    negatives = [e for e in examples if not e.label]
    assert len(positives) >= MINIMUM[signal][0] and len(negatives) >= MINIMUM[signal][1]


@pytest.mark.parametrize("signal", SAFETY_SIGNALS)
def test_every_set_says_who_wrote_it_and_how(signal: str) -> None:
    readme = (EVALSETS / signal / "README.md").read_text(encoding="utf-8")
    assert "Written by the calmline project" in readme and "How it was written" in readme


def test_self_harm_positives_say_whether_they_are_explicit() -> None:
    for example in load_evalset("self_harm"):
        assert (example.explicit is not None) == example.label, example.id


@pytest.mark.parametrize("signal", SAFETY_SIGNALS)
def test_shipped_detectors_hold_their_measured_level(scored: dict[str, list[Scored]], signal: str) -> None:
    metrics = safety_metrics(scored[signal])
    precision, recall = FLOORS[signal]
    assert metrics.precision >= precision, f"{signal} precision {metrics.precision:.3f} < {precision}"
    assert metrics.recall >= recall, f"{signal} recall {metrics.recall:.3f} < {recall}"


def test_self_harm_never_misses_an_explicit_statement(scored: dict[str, list[Scored]]) -> None:
    recall, missed = explicit_recall(scored["self_harm"])
    assert recall >= SELF_HARM_TARGET, missed


@pytest.mark.parametrize(
    ("signal", "text"),
    [
        ("self_harm", "I'm dying to know when the new model comes out."),
        ("self_harm", "This bill is killing me, it's double what I usually pay."),
        ("violence_threat", "I could kill for a coffee right now, this queue is long."),
        pytest.param(
            "abuse_at_agent",
            "The last agent called me an idiot, can you believe that?",
            marks=pytest.mark.xfail(strict=True, reason="known false alarm (issue 18 note): a reported insult, p 0.77"),
        ),
        ("abuse_at_agent", "This stupid bill makes no sense."),
        ("manager_request", "My manager asked me to call about our business account."),
    ],
)
def test_the_named_hard_negatives_stay_quiet(scored: dict[str, list[Scored]], signal: str, text: str) -> None:
    match = next(s for s in scored[signal] if s.example.text == text)
    assert not match.example.label and match.score < 0.5


@pytest.mark.skipif(not (data_dir() / "cga_wiki" / "dev.jsonl").exists(), reason="shared data not present")
def test_abuse_on_real_personal_attacks_is_rarely_wrong() -> None:
    # Outside check on cga_wiki dev last turns (48 attacks, 36 civil endings), measured 2026-11-23:
    # precision 1.000, recall 0.104. Wikipedia attacks are mostly not "you <insult>", so recall is
    # low; what must hold is that a civil ending is not called abuse.
    metrics = safety_metrics(pipeline_scored("abuse_at_agent", cga_last_turns()))
    assert metrics.precision >= 0.8 and metrics.recall >= 0.06


# --- the held-out sets (evalsets/heldout/): written before any detector ran on them ------------

# First and only measurement before any fix, 2026-11 (default pipeline, signal at >= 0.5):
#   self_harm        P 0.923  R 0.857 (explicit statements 1.000; the 6 misses are all implicit)
#   abuse_at_agent   P 0.952  R 0.556
#   manager_request  P 0.895  R 0.515
#   violence_threat  P 1.000  R 0.333
# No floors on these: a floor invites tuning on the set, and then it is no longer held out. The one
# bar kept is the issue's: an explicit statement of self-harm is never missed.


@pytest.mark.parametrize("signal", SAFETY_SIGNALS)
def test_every_heldout_set_is_well_formed_and_shares_no_line_with_its_tuned_twin(signal: str) -> None:
    heldout = load_evalset(signal, heldout=True)
    tuned = {e.text.strip().lower() for e in load_evalset(signal)}
    assert len({e.id for e in heldout}) == len(heldout) >= 57
    assert len({e.text.strip().lower() for e in heldout}) == len(heldout)
    assert not {e.text.strip().lower() for e in heldout} & tuned
    assert sum(e.label for e in heldout) >= 24 and sum(not e.label for e in heldout) >= 28
    if signal == "self_harm":
        assert all(isinstance(e.explicit, bool) for e in heldout if e.label)


def test_no_explicit_heldout_self_harm_statement_is_missed() -> None:
    recall, missed = explicit_recall(pipeline_scored("self_harm", load_evalset("self_harm", heldout=True)))
    assert recall == 1.0, missed
