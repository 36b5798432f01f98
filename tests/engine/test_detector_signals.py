"""Declared outputs: every detector says which signal kinds it sets, and sets no others.

Like spaCy's ``@Language.component(assigns=[...])``: rules, the coach and storage read the
declarations, so a detector that emits an undeclared kind (or names itself wrongly in
``Signal.detector``) must fail here, on real conversations, not in production.

The default engine's fine-tuned encoder costs ~0.15 s a customer turn (its occlusion evidence), so the
whole default engine reads a sample (one held-out conversation of each label and a few CuCom ones),
and every other default detector reads the lot: 150 CuCom dev conversations and all the held-out set.
The registered detectors the default playbook does not run (emotion.v1, offensive.v1) read the lot too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from calmline.engine import registry
from calmline.engine.pipeline import Engine
from calmline.errors import RegistryError
from calmline.model import Conversation, Signal
from calmline.playbook import load_default
from calmline.playbook.schema import DetectorSpec
from calmline.signals import AGENT_SIGNALS, CUSTOMER_SIGNALS, ENCODER_HEADS
from calmline.training.data import chat_turns
from tests.conftest import ROOT

CUCOM_DEV = ROOT.parent / "shared" / "data" / "cucom_ecommerce" / "dev.jsonl"
HELDOUT = ROOT / "data" / "written" / "heldout" / "conversations.jsonl"
CUCOM_LIMIT = 150
SLOW = frozenset({"calmline.encoder.v1"})
"""Default detectors read on the sample only."""

CATALOGUE = frozenset(CUSTOMER_SIGNALS) | frozenset(AGENT_SIGNALS) | frozenset(ENCODER_HEADS)


def records(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return list(islice((json.loads(line) for line in lines if line.strip()), limit))


def sample() -> list[dict[str, Any]]:
    """The first held-out conversation of each label (ids are h-<label>-NNN) and the first three CuCom ones."""
    labels: set[str] = set()
    chosen = []
    for record in records(HELDOUT):
        label = record["id"].rsplit("-", 1)[0]
        if label not in labels:
            labels.add(label)
            chosen.append(record)
    return chosen + records(CUCOM_DEV, 3)


SOURCES = {
    "cucom_dev": lambda: records(CUCOM_DEV, CUCOM_LIMIT),
    "heldout": lambda: records(HELDOUT),
    "default_engine_sample": sample,
    "not_in_default": lambda: records(HELDOUT) + records(CUCOM_DEV, CUCOM_LIMIT),
}


@cache
def fast_engine() -> Engine:
    """The default playbook without the slow detectors."""
    playbook = load_default()
    kept = [spec for spec in playbook.detectors if spec.name not in SLOW]
    return Engine(playbook.model_copy(update={"detectors": kept}))


@cache
def other_engine() -> Engine:
    """The registered detectors the default playbook does not run (the superseded lexicon ones)."""
    playbook = load_default()
    default = {spec.name for spec in playbook.detectors}
    others = [DetectorSpec(name=name) for name in registry.names() if name not in default]
    return Engine(playbook.model_copy(update={"detectors": others}))


def conversations(found: Iterable[dict[str, Any]]) -> Iterator[Conversation]:
    for i, record in enumerate(found):
        yield Conversation(id=str(record.get("id", i)), turns=chat_turns(record))


@cache
def emitted(source: str) -> tuple[tuple[str, Signal], ...]:
    """Every signal emitted over ``source``, with where (conversation, turn); computed once per run."""
    found = SOURCES[source]()
    if not found:
        pytest.skip(f"no conversations for {source} (shared data not present)")
    engines = {"default_engine_sample": Engine.default, "not_in_default": other_engine}
    engine = engines.get(source, fast_engine)()
    return tuple(
        (f"{analysis.conversation.id} turn {turn.index}", signal)
        for analysis in engine.pipe(conversations(found))
        for turn in analysis.turns
        for signal in turn.signals
    )


def undeclared(found: Iterable[tuple[str, Signal]]) -> dict[tuple[str, str], str]:
    """(detector, kind) pairs emitted without being declared, with where each was first seen."""
    known = set(registry.names())
    wrong: dict[tuple[str, str], str] = {}
    for where, signal in found:
        if signal.detector not in known or signal.kind not in registry.assigns(signal.detector):
            wrong.setdefault((signal.detector, signal.kind), where)
    return wrong


# --- the declarations -------------------------------------------------------------------


@pytest.mark.parametrize("name", registry.names())
def test_every_detector_declares_known_kinds(name: str) -> None:
    declared = registry.assigns(name)
    assert declared, f"{name} declares no signal kinds"
    assert declared <= CATALOGUE, (
        f"{name} declares kinds outside calmline.signals: {sorted(declared - CATALOGUE)}"
    )


def test_assigns_of_an_unknown_detector() -> None:
    with pytest.raises(RegistryError, match=r"unknown detector 'calmline\.nope\.v1'"):
        registry.assigns("calmline.nope.v1")


@pytest.mark.parametrize(
    ("assigns", "message"),
    [
        (["anger", "grumpiness"], "unknown signal kinds: grumpiness"),
        ([], "declares no signal kinds"),
        ("anger", "not the string"),
    ],
)
def test_registration_rejects_bad_declarations(assigns: object, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        registry.register("calmline.test_declared.v1", assigns=assigns)  # type: ignore[arg-type]
    assert "calmline.test_declared.v1" not in registry.names()


def test_default_detectors_sign_with_their_registered_name(engine: Engine) -> None:
    # Signal.detector is the detector's ``name``; it must be the name it was built from.
    built = {
        spec.name: detector.name
        for spec, detector in zip(engine.playbook.detectors, engine.detectors, strict=True)
    }
    assert built == {name: name for name in built}


def test_only_the_slow_detectors_are_left_to_the_sample(engine: Engine) -> None:
    fast = {detector.name for detector in fast_engine().detectors}
    assert {detector.name for detector in engine.detectors} - fast <= SLOW


# --- what the default engine really emits -----------------------------------------------


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_emitted_signals_are_declared(source: str) -> None:
    found = emitted(source)
    assert found, f"no signals at all from {source}"
    wrong = undeclared(found)
    assert not wrong, "undeclared signals (detector, kind) -> first seen: " + ", ".join(
        f"{detector} {kind!r} at {where}" for (detector, kind), where in sorted(wrong.items())
    )


@pytest.mark.parametrize(
    ("detector", "kind"),
    [
        ("calmline.emotion.v2", "positive"),
        ("calmline.abuse.v1", "venting"),
        ("calmline.agent_shouting.v1", "shouting"),
        ("calmline.encoder.v1", "self_harm"),
        ("calmline.emotion.v1", "positive"),
    ],
)
def test_a_missing_declaration_is_caught(monkeypatch: pytest.MonkeyPatch, detector: str, kind: str) -> None:
    # The check above must bite: take one kind out of a declaration and the same signals fail it.
    declared = registry.assigns(detector)
    assert kind in declared
    monkeypatch.setitem(registry._assigns, detector, declared - {kind})
    found = [item for source in sorted(SOURCES) for item in emitted(source)]
    assert (detector, kind) in undeclared(found)
