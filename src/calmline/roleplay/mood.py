"""The simulated customer's mood: bands, and how each reply's moves raise or lower it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from calmline.roleplay.catalogue import MoveBook, MoveKind
from calmline.roleplay.moves import Observed
from calmline.roleplay.persona import Band, Persona

LOWEST, HIGHEST = -5.0, 5.0
BAND_TOPS = ((-3.5, Band.furious), (-1.5, Band.upset), (0.5, Band.uneasy), (2.5, Band.calm))
MIXED_MESSAGE = 0.5
"""A soother said in the same breath as a trigger ("I understand, but you should have…") counts half."""


def band_of(mood: float) -> Band:
    for top, band in BAND_TOPS:
        if mood <= top:
            return band
    return Band.satisfied


@dataclass(frozen=True)
class Effect:
    """How far one move moved the mood this time (negative for a trigger)."""

    seen: Observed
    amount: float


@dataclass(frozen=True)
class MoodChange:
    before: float
    after: float
    effects: list[Effect]

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 2)

    def strongest(self) -> Effect | None:
        """The move that did the most, triggers winning ties (the customer hears those first)."""
        return max(self.effects, key=lambda e: (abs(e.amount), e.amount < 0), default=None)


@dataclass
class Mood:
    """The customer's mood, moved by each reply; soothers wear off with repetition, triggers do not."""

    persona: Persona
    book: MoveBook
    value: float = 0.0
    used: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.value = self.persona.start_mood

    @property
    def band(self) -> Band:
        return band_of(self.value)

    def weight(self, seen: Observed) -> float:
        own = self.persona.soothers if seen.move.kind is MoveKind.soother else self.persona.triggers
        return own.get(seen.name, seen.move.weight)

    def take(self, moves: list[Observed]) -> MoodChange:
        """Apply one reply's moves; a reply that does nothing at all lets the customer's patience drain."""
        triggered = any(seen.move.kind is MoveKind.trigger for seen in moves)
        effects: list[Effect] = []
        for seen in moves:
            weight = self.weight(seen)
            if seen.move.kind is MoveKind.trigger:
                effects.append(Effect(seen, -weight))
                continue
            amount = weight * self.book.repeat_decay ** self.used[seen.name]
            effects.append(Effect(seen, amount * (MIXED_MESSAGE if triggered else 1.0)))
            self.used[seen.name] += 1
        gain = min(sum(e.amount for e in effects if e.amount > 0), self.book.max_gain_per_reply)
        loss = sum(e.amount for e in effects if e.amount < 0)
        delta = gain + loss if (gain or loss) else self.book.no_progress_drift
        before = self.value
        self.value = round(min(HIGHEST, max(LOWEST, before + delta)), 2)
        return MoodChange(before, self.value, [e for e in effects if e.amount])
