"""Detectors backed by the trained utterance models: emotion (v2), offensive (v2) and impolite (v1).

Each reads the shared model scores of the turn (one transform serves every signal) and fires a
signal when the probability reaches the model's own threshold (chosen on train, see the model
card). The signal's score is a *strength* on the engine's scale, not the raw probability: 0.5 at
the model's threshold, rising linearly to 1.0 at probability 1, so that the state tracker's rule
"a signal counts from 0.5" and the rules' ``min_score`` mean the same for every model whatever its
threshold. The probability itself travels in ``data["probability"]``.

calmline.emotion.v2 also reads the cue phrases of calmline.emotion.v1 ("are you even …", "don't
you dare", "unbelievable"): contact-centre anger that Reddit comments rarely show. A cue counts
when the model leans the same way (probability ≥ ``cue_floor``), so a cue the model finds out of
place ("terrible pun") does not fire. And it sets apologies aside for distress: GoEmotions labels
"sorry" as remorse, so "so sorry it's a bit last minute" would read as distress and bring a P02
empathy prompt; distress is read from the text without its apology words. The lexicon detectors
(calmline.emotion.v1, calmline.offensive.v1) stay registered for playbooks that name them.
"""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.detectors._phrase import AGENT, CUSTOMER
from calmline.engine.detectors.emotion import Emotion, negativity
from calmline.engine.models import UtteranceModels, load_models
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Evidence, Role, Signal, Turn

EMOTIONS = ("anger", "distress", "negative")
CUED = ("anger", "distress")
"""The emotions calmline.emotion.v1 has cue phrases for."""

CUE_FLOOR = 0.35
"""A cue phrase fires its emotion when the model gives it at least this probability. Set by design
(well under every emotion threshold, well above the models' base rates); GoEmotions dev F1 is flat
between 0.30 and 0.45, so it was not tuned there (see docs/quality.md)."""

VADER_NEGATIVE = 0.35
"""As in calmline.emotion.v1, plainly negative wording by VADER (compound ≤ -0.35) counts as a negative
feeling of that strength even when the GoEmotions model misses it: the escalation forecast's hand-set
weights read this reading, and without it the forecast on cga_wiki dev falls (ROC-AUC 0.69 → 0.63)."""

# "sorry", "so sorry", "I'm really sorry about", "apologies for", "I apologise if": the words that make
# an apology, with the preposition that ties them to what is regretted. At most six lead-in words: an
# unbounded run was re-read from every word of "I'm I'm I'm …" (quadratic).
_APOLOGY = re.compile(
    r"\b(?:(?:i'?m|i am|we'?re|we are|so|really|very|terribly|awfully|truly)\s+){0,6}"
    r"(?:sorry|apologi[sz]e[sd]?|apologies)\b(?:\s+(?:for|about|that|to|if))?",
    re.IGNORECASE,
)


def strength(probability: float, threshold: float) -> float:
    """The engine-scale score of a probability at or above ``threshold``: 0.5 there, 1.0 at certainty."""
    if threshold >= 1.0:
        return 1.0
    return round(min(1.0, 0.5 + 0.5 * max(0.0, probability - threshold) / (1.0 - threshold)), 3)


def without_apologies(text: str) -> str | None:
    """``text`` with its apology words blanked (same length, so spans still point into it), or None."""
    if _APOLOGY.search(text) is None:
        return None
    return _APOLOGY.sub(lambda m: " " * len(m.group()), text)


def _evidence(models: UtteranceModels, turn: Turn, context: Context, signal: str, k: int) -> list[Evidence]:
    found = models.explain(turn.text, signal, k)
    return [
        evidence(context.index, turn.text, c.span[0], c.span[1]) for c in sorted(found, key=lambda c: c.span)
    ]


def _merge(*groups: list[Evidence]) -> list[Evidence]:
    """Evidence from several readings, each span once, in text order."""
    seen: dict[tuple[int, int], Evidence] = {}
    for group in groups:
        for item in group:
            seen.setdefault(item.span, item)
    return [seen[span] for span in sorted(seen)]


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
        score=strength(probability, cut),
        evidence=_evidence(models, turn, context, signal, evidence_words),
        practice=practice,
        detector=detector,
        data={
            "model": f"{signal} v{models.info(signal).version}",
            "probability": round(probability, 4),
            "threshold": round(cut, 4),
        },
    )


class TrainedEmotion:
    """Anger, distress and any negative feeling from the trained models, with v1's cue phrases as
    corroborated evidence; thanks and relief as in calmline.emotion.v1."""

    name = "calmline.emotion.v2"
    roles = CUSTOMER

    def __init__(
        self,
        thresholds: dict[str, float] | None = None,
        evidence_words: int = 3,
        cue_floor: float = CUE_FLOOR,
        set_aside_apologies: bool = True,
        vader_negative: float | None = VADER_NEGATIVE,
    ) -> None:
        self.models = load_models()
        self.vader_negative = vader_negative
        self.thresholds = dict(thresholds or {})
        self.evidence_words = evidence_words
        self.cue_floor = cue_floor
        self.set_aside_apologies = set_aside_apologies
        self._lexicon = Emotion()

    def probabilities(self, text: str) -> dict[str, float]:
        """The model probabilities this detector judges by: distress and negative read without apologies."""
        scores = self.models.score(text)
        plain = without_apologies(text) if self.set_aside_apologies else None
        if plain is not None:
            apology_free = self.models.score(plain)
            scores["distress"] = apology_free["distress"]
            # "negative" is anger or distress: an apology may no longer lift it, anger still may.
            scores["negative"] = min(scores["negative"], max(apology_free["negative"], scores["anger"]))
        return scores

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        scores = self.probabilities(turn.text)
        lexicon = self._lexicon(turn, context)
        cues = {s.kind: s for s in lexicon if s.kind in CUED}
        fired: dict[str, Signal] = {}
        for kind in CUED:
            signal = self._emotion(kind, scores, cues.get(kind), turn, context)
            if signal is not None:
                fired[kind] = signal
        negative = self._negative(scores, fired, turn, context)
        signals = [*fired.values(), *([negative] if negative is not None else [])]
        # Thanks and relief: the lexicon detector's reading, which no trained model replaces.
        signals += [s.model_copy(update={"detector": self.name}) for s in lexicon if s.kind == "positive"]
        return signals

    def _cut(self, kind: str) -> float:
        return self.thresholds.get(kind, self.models.threshold(kind))

    def _emotion(
        self, kind: str, scores: dict[str, float], cue: Signal | None, turn: Turn, context: Context
    ) -> Signal | None:
        probability, cut = scores[kind], self._cut(kind)
        by_model = probability >= cut
        by_cue = cue is not None and probability >= self.cue_floor
        if not (by_model or by_cue):
            return None
        score = max(strength(probability, cut) if by_model else 0.0, cue.score if by_cue and cue else 0.0)
        found = _evidence(self.models, turn, context, kind, self.evidence_words) if by_model else []
        return Signal(
            kind=kind,
            score=round(score, 3),
            evidence=_merge(found, cue.evidence if by_cue and cue else []),
            practice="P02",
            detector=self.name,
            data={
                "model": f"{kind} v{self.models.info(kind).version}",
                "probability": round(probability, 4),
                "threshold": round(cut, 4),
                "cue": by_cue,
            },
        )

    def _negative(
        self, scores: dict[str, float], fired: dict[str, Signal], turn: Turn, context: Context
    ) -> Signal | None:
        """Any negative feeling: the model's own reading, or anger or distress having fired."""
        probability, cut = scores["negative"], self._cut("negative")
        own = strength(probability, cut) if probability >= cut else 0.0
        plain = negativity(turn.text)
        lexicon = plain if self.vader_negative is not None and plain >= self.vader_negative else 0.0
        score = max([own, lexicon, *(s.score for s in fired.values())])
        if score == 0.0:
            return None
        found = _evidence(self.models, turn, context, "negative", self.evidence_words) if own else []
        return Signal(
            kind="negative",
            score=round(score, 3),
            evidence=_merge(found, *(s.evidence for s in fired.values())),
            practice="P02",
            detector=self.name,
            data={
                "model": f"negative v{self.models.info('negative').version}",
                "probability": round(probability, 4),
                "threshold": round(cut, 4),
                "vader_negativity": round(plain, 3),
            },
        )


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


@register("calmline.emotion.v2", assigns=["anger", "distress", "negative", "positive"])
def make_trained_emotion(
    thresholds: dict[str, float] | None = None,
    evidence_words: int = 3,
    cue_floor: float = CUE_FLOOR,
    set_aside_apologies: bool = True,
    vader_negative: float | None = VADER_NEGATIVE,
) -> TrainedEmotion:
    return TrainedEmotion(thresholds, evidence_words, cue_floor, set_aside_apologies, vader_negative)


@register("calmline.offensive.v2", assigns=["offensive"])
def make_trained_offensive(threshold: float | None = None, evidence_words: int = 3) -> TrainedSignal:
    return TrainedSignal("calmline.offensive.v2", "offensive", "P11", CUSTOMER, threshold, evidence_words)


@register("calmline.impolite.v1", assigns=["impolite"])
def make_impolite(threshold: float | None = None, evidence_words: int = 3) -> TrainedSignal:
    return TrainedSignal("calmline.impolite.v1", "impolite", "P01", AGENT, threshold, evidence_words)
