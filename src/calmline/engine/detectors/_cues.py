"""The cue scanner shared by the safety detectors: weighted phrase cues, negation, strongest hits."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from calmline.engine.context import Context
from calmline.engine.text import evidence
from calmline.model import Signal, Turn


class CueData(TypedDict, total=False):
    """What a cue's match says, carried by its hits into the signal's ``data``."""

    type: str  # manager: request, complaint, external, threat_to_leave
    target: str  # crisis, abuse: agent or other
    subject: str  # crisis: the person at risk is someone else ("other")
    kind: str  # emergency: medical, no_heat …; abuse: the lexicon word's kind
    source: str  # emergency: where a callback number or a location was read (digits, street …)


@dataclass(frozen=True, slots=True)
class Cue:
    """One way of saying something: a pattern, how sure a match makes us, and what weakens it.

    ``keys`` are lower-case substrings of which every match contains at least one; a turn
    without any of them skips the pattern (most turns skip most patterns, which keeps the
    detectors fast). ``idiom`` is tried right after the match ("killing myself *laughing*")
    and caps the score at ``idiom_score``. A ``negatable`` cue is capped at the caller's
    negated score when a negation governs it in the same clause ("I'm *not going to* …").
    """

    pattern: re.Pattern[str]
    score: float
    keys: frozenset[str] = frozenset()
    negatable: bool = True
    idiom: re.Pattern[str] | None = None
    idiom_score: float = 0.0
    data: CueData = field(default_factory=CueData)


@dataclass(frozen=True, slots=True)
class Hit:
    """A cue found in a turn: its character span, its score and what it says (target, kind …)."""

    start: int
    end: int
    score: float
    data: CueData


def rx(pattern: str) -> re.Pattern[str]:
    """A pattern written in lower case, to be matched against ``lowered(text)``.

    Matching lowered text with case-sensitive patterns is two to three times faster than
    ``re.IGNORECASE``, and ``lowered`` keeps every offset, so spans still index the turn.
    """
    return re.compile(pattern)


def lowered(text: str) -> str:
    """``text`` in lower case, character for character (offsets unchanged)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower to two ("İ"); keep those as they are.
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def cue(
    pattern: str,
    score: float,
    keys: Iterable[str],
    *,
    negatable: bool = True,
    idiom: str | None = None,
    idiom_score: float = 0.0,
    **data: Unpack[CueData],
) -> Cue:
    return Cue(
        rx(pattern), score, frozenset(keys), negatable, rx(idiom) if idiom else None, idiom_score, data
    )


def folded(text: str) -> str:
    """Lower case with single spaces and straight apostrophes: what cue keys are checked on."""
    return " ".join(text.lower().replace("’", "'").split())


# A clause starts after punctuation or a joining word; negation does not reach across it.
_CLAUSE_BREAK = rx(r"[.!?;:,\n]|\b(?:but|because|cause|cuz|though|although|however|yet|and|so)\b")
# Cancels a negation: the writer is not sure they will stay safe ("not sure I won't"), or
# the negation belongs to a condition ("if you don't fix it I'll hurt you").
_HEDGE = rx(
    r"\b(?:not\s+sure|don['’]?t\s+know\s+(?:if|whether|how)|dunno|can['’]?t\s+promise|"
    r"can['’]?t\s+(?:say|guarantee)|might|maybe|why|if|unless|stop\s+myself|keep\s+myself|"
    r"yet|for\s+now)\b"
)


def clause_before(text: str, start: int) -> str:
    """The words of the clause that come before ``start`` (at most 80 characters)."""
    window = text[max(0, start - 80) : start]
    cut = 0
    for m in _CLAUSE_BREAK.finditer(window):
        cut = m.end()
    return window[cut:]


def negated(text: str, start: int, negation: re.Pattern[str]) -> bool:
    before = clause_before(text, start)
    return negation.search(before) is not None and _HEDGE.search(before) is None


class Cues:
    """A detector's cues, with the union of their keys so one pass finds the keys present."""

    def __init__(self, *cues: Cue) -> None:
        self.cues = cues
        self.keys = tuple(sorted({k for c in cues for k in c.keys}))


def scan(
    cues: Cues,
    text: str,
    negation: re.Pattern[str] | None = None,
    negated_score: float = 0.4,
    *,
    gate: bool = True,
) -> list[Hit]:
    """Every cue match in ``text``, scored after its idiom and negation checks.

    ``gate=False`` runs every pattern regardless of keys (tests use it to prove the keys
    never hide a match).
    """
    low = lowered(text)
    words = folded(low)
    present = {k for k in cues.keys if k in words}
    hits: list[Hit] = []
    for c in cues.cues:
        if gate and c.keys and c.keys.isdisjoint(present):
            continue
        for m in c.pattern.finditer(low):
            score = c.score
            if c.idiom is not None and c.idiom.match(low, m.end()):
                score = min(score, c.idiom_score)
            if negation is not None and c.negatable and negated(low, m.start(), negation):
                score = min(score, negated_score)
            if score > 0.0:
                hits.append(Hit(m.start(), m.end(), score, c.data))
    return hits


def strongest(hits: Iterable[Hit], threshold: float) -> list[Hit]:
    """Hits at or above ``threshold`` in text order, dropping any that overlap a stronger one."""
    kept = sorted(
        (h for h in hits if h.score >= threshold),
        key=lambda h: (-h.score, h.start - h.end, h.start),
    )
    chosen: list[Hit] = []  # in text order, like ``taken``
    taken = Disjoint()
    for hit in kept:
        if not taken.overlaps(hit.start, hit.end):
            chosen.insert(taken.add(hit.start, hit.end), hit)
    return chosen


class Disjoint:
    """Spans that never overlap one another, in text order; asked in logarithmic time whether a span
    overlaps one of them (asking each in turn made thousands of hits quadratic)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in spans:
            self.add(start, end)

    def overlaps(self, start: int, end: int) -> bool:
        # Of the spans starting before this one ends, the last one reaches furthest.
        before = bisect_left(self.starts, end) - 1
        return before >= 0 and self.ends[before] > start

    def add(self, start: int, end: int) -> int:
        """Add a span that overlaps none; returns its place in text order."""
        at = bisect_right(self.starts, start)
        self.starts.insert(at, start)
        self.ends.insert(at, end)
        return at


class Cover:
    """Spans, asked in logarithmic time whether one of them covers a given span."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [start for start, _ in ordered]
        self.reach: list[int] = []  # the furthest end of the spans up to each one
        for _, end in ordered:
            self.reach.append(max(end, self.reach[-1]) if self.reach else end)

    def contain(self, start: int, end: int) -> bool:
        last = bisect_right(self.starts, start) - 1
        return last >= 0 and self.reach[last] >= end


def to_signal(
    hits: list[Hit],
    turn: Turn,
    context: Context,
    *,
    kind: str,
    practice: str,
    detector: str,
    data: dict[str, Any] | None = None,
) -> Signal:
    """One signal scored by the strongest hit, quoting every hit as evidence."""
    best = max(hits, key=lambda h: h.score)
    return Signal(
        kind=kind,
        score=round(best.score, 3),
        evidence=[evidence(context.index, turn.text, h.start, h.end) for h in hits],
        practice=practice,
        detector=detector,
        data=dict(best.data if data is None else data),
    )
