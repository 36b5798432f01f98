"""calmline.encoder.v1: the signals the fine-tuned sentence encoder's heads give, one pass per turn.

Each head fires at its threshold (the playbook's, else the one chosen when the encoder was trained);
its score is the engine-scale strength (0.5 at the threshold, 1.0 at certainty) and the calibrated
probability travels in ``data``. Evidence is computed only for heads that fire, so an ordinary turn costs
one forward pass. For an alert it is the clause whose removal lowers the probability most (occlusion: the
whole turn read again per clause, since a threat or a crisis often lives in how clauses relate); for the
other signals (upset, sarcasm, churn) it is the clause that reads most so on its own (one short batch:
sarcasm fires on a quarter of complaint-chat turns, and occluding them was a third of the engine's time).
In a turn too long for one window, it is the sentence that gave the head its probability.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from calmline.engine.context import Context
from calmline.engine.detectors.trained import strength
from calmline.engine.models.encoder import Encoder, Reading, load_encoder
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Evidence, Role, Signal, Turn
from calmline.signals import ALERT_HEADS, ENCODER_HEADS

PRACTICE = {
    "anger": "P02",
    "distress": "P02",
    "negative": "P02",
    "offensive": "P11",
    "abuse_at_agent": "P11",
    "violence_threat": "P12",
    "self_harm": "P12",
    "manager_request": "P10",
    "emergency": "P13",
    "churn_threat": "P10",
    "sarcasm": "P02",
    "impolite": "P01",
    "company_fault": "P14",
    "upset": "P02",
}
AGENT_HEADS = frozenset({"impolite"})
ALIASES = {"upset": "negative"}
"""Signals read from another head under their own name and threshold. ``upset`` is the negative head: it reads
a flight cancelled before surgery as upsetting where the word-level emotion models (whose ``negative`` drives
mood) see calm words. It feeds the acknowledgement card only, so the mood keeps the scale its forecasts were
set on."""
SIGNALS = (*ENCODER_HEADS, *ALIASES)
DEFAULT_SIGNALS = (*ALERT_HEADS, "churn_threat", "sarcasm")
"""What the default playbook reads from this detector; emotion, offensive and impolite are read by the
hashed models' detectors unless a playbook names them here."""

MAX_CLAUSES = 12
"""Occlusion reads at most this many pieces of a turn (one batched run): enough for a long chat message."""
_CLAUSE = re.compile(r"[^.!?;,\n]+[.!?;,\n]*")
_WORDS_PER_PIECE = 8


def clauses(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of the turn's clauses, long ones cut into pieces of a few words, at most MAX_CLAUSES."""
    spans: list[tuple[int, int]] = []
    for match in _CLAUSE.finditer(text):
        words = [w.span() for w in re.finditer(r"\S+", match.group())]
        for i in range(0, len(words), _WORDS_PER_PIECE):
            piece = words[i : i + _WORDS_PER_PIECE]
            spans.append((match.start() + piece[0][0], match.start() + piece[-1][1]))
    if len(spans) > MAX_CLAUSES:
        step = len(spans) / MAX_CLAUSES
        spans = [spans[int(i * step)] for i in range(MAX_CLAUSES)]
    return tuple(spans)


_POLITE_NO = re.compile(
    r"(?:(?:oh|ah|well|ok|okay),? )*(?:no|nope|sorry|so sorry|i'?m (?:so )?sorry|my apologies|apologies|"
    r"i don'?t (?:really )?(?:care|mind)(?: (?:about|which|what|where|when) (?:\w+ ?){1,4})?|not really|"
    r"that'?s a (?:shame|pity|bummer)|bummer)[\s,.!]*",
    re.IGNORECASE,
)
"""A turn whose negative reading rests on a bare "no", an apology or "I don't mind" is a choice being made,
not a feeling to acknowledge (the negative head learnt disapproval and remorse as negative)."""


def _a_polite_no(signal: Signal) -> bool:
    return all(_POLITE_NO.fullmatch(e.quote.strip()) for e in signal.evidence)


def _head(signal: str) -> str:
    return ALIASES.get(signal, signal)


class EncodedSignals:
    """The encoder's heads as signals on customer turns (and ``impolite`` on agent turns)."""

    name = "calmline.encoder.v1"

    def __init__(
        self,
        signals: Collection[str],
        thresholds: Mapping[str, float],
        encoder: Encoder,
        corroborate: Mapping[str, float] | None = None,
    ) -> None:
        unknown = sorted(set(signals) - set(SIGNALS))
        if unknown:
            raise ValueError(f"no encoder head for {', '.join(unknown)}; heads: {', '.join(ENCODER_HEADS)}")
        self.encoder = encoder
        self.customer = [s for s in SIGNALS if s in signals and s not in AGENT_HEADS]
        self.agent = [s for s in SIGNALS if s in signals and s in AGENT_HEADS]
        self.roles = frozenset(
            ([Role.customer] if self.customer else []) + ([Role.agent] if self.agent else [])
        )
        self.thresholds = {s: float(thresholds.get(s, encoder.thresholds[_head(s)])) for s in SIGNALS}
        self.corroborate = (
            dict(corroborate) if corroborate is not None else {h: encoder.floors[h] for h in ALERT_HEADS}
        )

    def prepare(self, turn: Turn) -> None:
        """Read the turn now (in the caller's thread), and the pieces that give the evidence of each head
        that fires; the call that analyses it finds both cached. On a server, evidence read on the event
        loop was half of the loop's time per turn."""
        heads = self._heads(turn)
        if not heads:
            return
        reading = self.encoder.read(turn.text)
        for kind in heads:
            if self._fires(kind, reading):
                self._strongest_span(_head(kind), reading, turn.text)

    def prime(self, turns: Sequence[Turn]) -> None:
        """Read many turns now, batched by length; analysing them later finds each reading waiting."""
        self.encoder.prime([turn.text for turn in turns if self._heads(turn)])

    def _heads(self, turn: Turn) -> list[str]:
        heads = self.customer if turn.role is Role.customer else self.agent
        return heads if turn.text.strip() else []

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        heads = self._heads(turn)
        if not heads:
            return []
        reading = self.encoder.read(turn.text)
        fired = [self._signal(kind, reading, turn, context) for kind in heads if self._fires(kind, reading)]
        return [s for s in fired if not (s.kind == "upset" and _a_polite_no(s))]

    def review(self, turn: Turn, signals: list[Signal]) -> list[Signal]:
        """The turn's signals without those of other detectors that the encoder does not back: a cue
        phrase for a head listed in ``corroborate`` counts only where that head's probability reaches
        the floor given there. No alert then rests on a cue list alone."""
        if not self.corroborate or not turn.text.strip():
            return signals
        reading = self.encoder.read(turn.text)
        return [
            s
            for s in signals
            if s.detector == self.name
            or s.kind not in self.corroborate
            or reading.probabilities[s.kind] >= self.corroborate[s.kind]
        ]

    def _fires(self, kind: str, reading: Reading) -> bool:
        return reading.probabilities[_head(kind)] >= self.thresholds[kind]

    def _signal(self, kind: str, reading: Reading, turn: Turn, context: Context) -> Signal:
        head = _head(kind)
        probability, cut = reading.probabilities[head], self.thresholds[kind]
        data: dict[str, object] = {
            "model": f"encoder v{self.encoder.version}",
            "probability": probability,
            "threshold": round(cut, 4),
        }
        if head == "emergency":
            data["kind"] = reading.kind()
        return Signal(
            kind=kind,
            score=strength(probability, cut),
            evidence=self._evidence(kind, reading, turn, context),
            practice=PRACTICE[kind],
            detector=self.name,
            data=data,
        )

    def _evidence(self, kind: str, reading: Reading, turn: Turn, context: Context) -> list[Evidence]:
        span = self._strongest_span(_head(kind), reading, turn.text)
        return [evidence(context.index, turn.text, *span)] if span is not None else []

    def _strongest_span(self, head: str, reading: Reading, text: str) -> tuple[int, int] | None:
        where = reading.spans.get(head) if reading.spans else None
        if where is not None:  # the sentence the head read it in
            return where
        spans = clauses(text)
        if len(spans) <= 1:
            return spans[0] if spans else None
        if head in ALERT_HEADS:
            weights = self.encoder.occlusion(text, head, spans)
        else:
            weights = self.encoder.by_piece(text, head, spans)
        return spans[max(range(len(spans)), key=weights.__getitem__)]


@register("calmline.encoder.v1", assigns=SIGNALS)
def make_encoded_signals(
    signals: list[str] | None = None,
    thresholds: dict[str, float] | None = None,
    corroborate: dict[str, float] | None = None,
) -> EncodedSignals:
    chosen = DEFAULT_SIGNALS if signals is None else signals
    return EncodedSignals(chosen, thresholds or {}, load_encoder(), corroborate)
