"""The customer repeating a complaint, a sign they do not feel heard (P03, P10)."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.detectors.grievance import COMPLAINT_CUES
from calmline.engine.registry import register
from calmline.engine.text import content_words, find, phrases
from calmline.model import Evidence, Role, Signal, Turn

REPEAT_MARKERS = phrases(
    [
        r"i (?:\w+ )?(?:already|just) (?:told|said|explained|mentioned)(?: (?:you|this|that))?",
        r"as i (?:already )?said",
        r"like i (?:already )?said",
        r"i keep (?:telling|saying|explaining)",
        r"how many times",
        r"for the (?:second|third|fourth|fifth|tenth|hundredth|\d+(?:st|nd|rd|th)) time",
        r"(?:once|yet) again",
        r"again and again",
        r"over and over",
        r"i'?ve (?:already )?explained",
        r"are you (?:even )?(?:listening|reading|paying attention)",
        r"you(?:'re| are) not listening",
        r"did you (?:even )?hear me",
        r"still (?:not|hasn'?t|haven'?t|isn'?t|no)",
        r"every time i call",
        r"(?:third|fourth|fifth) call",
        r"called (?:\w+ )?(?:twice|three times|four times|several times|multiple times|again)",
    ]
)


class Repetition:
    """Explicit markers ("I already told you") or a complaint that re-uses an earlier complaint's words.

    Only complaints count as echoes: a customer booking a hotel says "hotel" in every turn, and that is
    a conversation moving on, not one going round in circles."""

    name = "calmline.repetition.v1"
    roles = frozenset({Role.customer})

    def __init__(self, min_shared_words: int = 3, min_overlap: float = 0.35, lookback: int = 8) -> None:
        self.min_shared_words = min_shared_words
        self.min_overlap = min_overlap
        self.lookback = lookback

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        markers = find(REPEAT_MARKERS, turn.text, context.index)
        echoed = self._echo(turn.text, context)
        if not markers and not echoed:
            return []
        score = (0.75 if markers else 0.0) + (0.55 if echoed else 0.0)
        return [
            Signal(
                kind="repetition",
                score=round(min(1.0, score), 3),
                evidence=markers or echoed,
                practice="P03",
                detector=self.name,
                data={"explicit": bool(markers)},
            )
        ]

    def _echo(self, text: str, context: Context) -> list[Evidence]:
        words = content_words(text)
        if len(words) < self.min_shared_words or not COMPLAINT_CUES.search(text):
            return []
        for earlier in context.recent(Role.customer, self.lookback):
            if not any(s.kind == "grievance" for s in earlier.signals):
                continue
            earlier_words = content_words(earlier.text)
            shared = words & earlier_words
            overlap = len(shared) / min(len(words), len(earlier_words) or 1)
            if len(shared) >= self.min_shared_words and overlap >= self.min_overlap:
                pattern = re.compile(
                    r"\b(?:" + "|".join(map(re.escape, sorted(shared))) + r")\b", re.IGNORECASE
                )
                return find(pattern, text, context.index)
        return []


@register("calmline.repetition.v1", assigns=["repetition"])
def make_repetition(min_shared_words: int = 3, min_overlap: float = 0.35, lookback: int = 8) -> Repetition:
    return Repetition(min_shared_words, min_overlap, lookback)
