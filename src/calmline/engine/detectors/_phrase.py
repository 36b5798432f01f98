"""The shared shape of lexicon detectors: phrase matches, optionally filtered, become one signal."""

from __future__ import annotations

import re
from collections.abc import Callable

from calmline.engine.context import Context
from calmline.engine.text import evidence
from calmline.model import Evidence, Role, Signal, Turn

AGENT = frozenset({Role.agent})
CUSTOMER = frozenset({Role.customer})

Keep = Callable[[str, re.Match[str]], bool]
"""Decides whether one match of a phrase really counts (text, match) -> bool."""


def matches(pattern: re.Pattern[str], text: str, turn: int, keep: Keep | None = None) -> list[Evidence]:
    """Evidence for the matches of ``pattern`` that ``keep`` accepts."""
    return [
        evidence(turn, text, m.start(), m.end())
        for m in pattern.finditer(text)
        if keep is None or keep(text, m)
    ]


class PhraseDetector:
    """Fires one signal when phrases of a pattern occur; evidence = each phrase.

    ``per_extra_match`` raises the score for each further match, up to 1.
    """

    def __init__(
        self,
        name: str,
        kind: str,
        practice: str | None,
        pattern: re.Pattern[str],
        score: float,
        keep: Keep | None = None,
        *,
        roles: frozenset[Role] = AGENT,
        per_extra_match: float = 0.0,
    ) -> None:
        self.name = name
        self.kind = kind
        self.practice = practice
        self.pattern = pattern
        self.score = score
        self.keep = keep
        self.roles = roles
        self.per_extra_match = per_extra_match

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        found = matches(self.pattern, turn.text, context.index, self.keep)
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
