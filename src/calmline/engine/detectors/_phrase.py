"""The shared shape of lexicon detectors: a phrase pattern whose matches become one signal."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.text import find
from calmline.model import Role, Signal, Turn


class PhraseDetector:
    """Emits ``kind`` when ``pattern`` matches; more matches raise the score up to 1."""

    def __init__(
        self,
        name: str,
        kind: str,
        pattern: re.Pattern[str],
        *,
        roles: frozenset[Role],
        practice: str | None,
        score: float,
        per_extra_match: float = 0.1,
    ) -> None:
        self.name = name
        self.kind = kind
        self.pattern = pattern
        self.roles = roles
        self.practice = practice
        self.score = score
        self.per_extra_match = per_extra_match

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = find(self.pattern, turn.text, context.index)
        if not found:
            return []
        score = min(1.0, self.score + self.per_extra_match * (len(found) - 1))
        return [
            Signal(
                kind=self.kind,
                score=round(score, 3),
                evidence=found,
                practice=self.practice,
                detector=self.name,
            )
        ]
