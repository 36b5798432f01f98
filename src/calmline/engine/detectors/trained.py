"""Detectors backed by the trained utterance models: emotion (v2), offensive (v2) and impolite (v1).

Each reads the shared model scores of the turn (one transform serves every signal), fires a signal
when its probability reaches the model's threshold, scores it with that probability, and quotes as
evidence the words that pushed the probability up. The lexicon detectors (calmline.emotion.v1,
calmline.offensive.v1) stay registered for playbooks that name them.
"""

from __future__ import annotations

from calmline.engine.context import Context
from calmline.engine.detectors._phrase import AGENT, CUSTOMER
from calmline.engine.detectors.emotion import Emotion
from calmline.engine.models import UtteranceModels, load_models
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Evidence, Role, Signal, Turn

EMOTIONS = ("anger", "distress", "negative")


def _evidence(models: UtteranceModels, turn: Turn, context: Context, signal: str, k: int) -> list[Evidence]:
    found = models.explain(turn.text, signal, k)
    return [
        evidence(context.index, turn.text, c.span[0], c.span[1]) for c in sorted(found, key=lambda c: c.span)
    ]


def _fired(
    models: UtteranceModels,
    scores: dict[str, float],
    signal: str,
    threshold: float | None,
    turn: Turn,
    context: Context,
    *,
    practice: str,
    detector: str,
    evidence_words: int,
) -> Signal | None:
    """The signal if its probability reaches the threshold (the model's own unless configured)."""
    cut = models.threshold(signal) if threshold is None else threshold
    probability = scores[signal]
    if probability < cut:
        return None
    return Signal(
        kind=signal,
        score=round(probability, 3),
        evidence=_evidence(models, turn, context, signal, evidence_words),
        practice=practice,
        detector=detector,
        data={"model": f"{signal} v{models.info(signal).version}", "threshold": round(cut, 4)},
    )


class TrainedEmotion:
    """Anger, distress and any negative feeling from the trained models; relief as in calmline.emotion.v1."""

    name = "calmline.emotion.v2"
    roles = CUSTOMER

    def __init__(self, thresholds: dict[str, float] | None = None, evidence_words: int = 3) -> None:
        self.models = load_models()
        self.thresholds = dict(thresholds or {})
        self.evidence_words = evidence_words
        self._lexicon = Emotion()

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        scores = self.models.score(turn.text)
        signals = []
        for kind in EMOTIONS:
            fired = _fired(
                self.models,
                scores,
                kind,
                self.thresholds.get(kind),
                turn,
                context,
                practice="P02",
                detector=self.name,
                evidence_words=self.evidence_words,
            )
            if fired is not None:
                signals.append(fired)
        # Thanks and relief: the lexicon detector's reading, which no trained model replaces.
        signals += [
            s.model_copy(update={"detector": self.name})
            for s in self._lexicon(turn, context)
            if s.kind == "positive"
        ]
        return signals


class TrainedSignal:
    """One trained signal on one side of the conversation."""

    def __init__(
        self,
        name: str,
        kind: str,
        practice: str,
        roles: frozenset[Role],
        threshold: float | None,
        evidence_words: int,
    ) -> None:
        self.name = name
        self.kind = kind
        self.practice = practice
        self.roles = roles
        self.threshold = threshold
        self.evidence_words = evidence_words
        self.models = load_models()

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        fired = _fired(
            self.models,
            self.models.score(turn.text),
            self.kind,
            self.threshold,
            turn,
            context,
            practice=self.practice,
            detector=self.name,
            evidence_words=self.evidence_words,
        )
        return [] if fired is None else [fired]


@register("calmline.emotion.v2")
def make_trained_emotion(
    thresholds: dict[str, float] | None = None, evidence_words: int = 3
) -> TrainedEmotion:
    return TrainedEmotion(thresholds, evidence_words)


@register("calmline.offensive.v2")
def make_trained_offensive(threshold: float | None = None, evidence_words: int = 3) -> TrainedSignal:
    return TrainedSignal("calmline.offensive.v2", "offensive", "P11", CUSTOMER, threshold, evidence_words)


@register("calmline.impolite.v1")
def make_impolite(threshold: float | None = None, evidence_words: int = 3) -> TrainedSignal:
    return TrainedSignal("calmline.impolite.v1", "impolite", "P01", AGENT, threshold, evidence_words)
