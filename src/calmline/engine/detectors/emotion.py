"""Customer emotion: anger, distress, any negative feeling and relief, from lexicons and VADER."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.registry import register
from calmline.engine.sentiment import compound
from calmline.engine.text import evidence, phrases
from calmline.model import Evidence, Role, Signal, Turn

ANGER = phrases(
    [
        r"furious",
        r"angry",
        r"mad at",
        r"so mad",
        r"pissed(?: off)?",
        r"fed up",
        r"sick (?:and tired )?of",
        r"ridiculous",
        r"unacceptable",
        r"outrageous",
        r"disgusting",
        r"disgraceful",
        r"a joke",
        r"infuriat\w*",
        r"frustrat\w*",
        r"annoy\w*",
        r"livid",
        r"fuming",
        r"i hate",
        r"hate (?:this|that|you)",
        r"terrible",
        r"awful",
        r"worst",
        r"useless",
        r"incompetent",
        r"scam",
        r"rip-?off",
        r"ripped off",
        r"pathetic",
        r"unbelievable",
        r"how dare",
        r"what the hell",
        r"wtf",
        r"garbage",
        r"rubbish",
        r"nonsense",
        r"had enough",
        r"fed up",
        r"beyond (?:angry|frustrated)",
        r"shambles",
        r"appalling",
        r"absurd",
        r"insult(?:ing)?",
        r"lied to",
        r"liars?",
        r"enough is enough",
        r"for god'?s sake",
        r"seriously\?+",
        r"are you kidding(?: me)?",
        r"you'?ve got to be kidding",
        r"this is a nightmare",
        r"hopeless",
        r"are you (?:even|serious)",
        r"don'?t you dare",
        r"i can'?t believe",
        r"waste of (?:my )?time",
        r"nobody (?:is )?(?:taking|takes|will take) (?:any )?responsibility",
        r"not good enough",
        r"this is (?:insane|crazy|a disgrace)",
        r"sick to death",
        r"beyond a joke",
        r"had it with",
    ]
)
DISTRESS = phrases(
    [
        r"worried",
        r"scared",
        r"afraid",
        r"anxious",
        r"desperate",
        r"stressed(?: out)?",
        r"overwhelmed",
        r"upset",
        r"sad",
        r"devastated",
        r"heartbroken",
        r"can'?t afford",
        r"panick\w*",
        r"nervous",
        r"disappointed",
        r"don'?t know what (?:to do|else to do)",
        r"at my wit'?s end",
        r"crying",
        r"in tears",
        r"terrified",
        r"helpless",
        r"losing my mind",
        r"can'?t cope",
        r"falling apart",
        r"exhausted",
        r"miserable",
        r"depressed",
        r"hopeless",
        r"struggling",
        r"scary",
        r"frightened",
        r"broke\b",
    ]
)
POSITIVE = phrases(
    [
        r"thank(?:s| you)(?: so much)?",
        r"great",
        r"perfect",
        r"(?:really )?appreciate(?: it| that)?",
        r"wonderful",
        r"helpful",
        r"awesome",
        r"relieved",
        r"that works",
        r"sounds good",
        r"brilliant",
        r"excellent",
        r"lovely",
        r"fantastic",
        r"that'?s fine",
        r"fair enough",
        r"much better",
        r"okay good",
        r"you'?ve been (?:great|very helpful|so helpful)",
        r"glad",
        r"happy with",
    ]
)
NEGATION = re.compile(r"\b(?:not|never|no|n't|isn't|wasn't|aren't|ain't)\W+(?:\w+\W+)?$", re.IGNORECASE)


def negativity(text: str) -> float:
    """How negative VADER finds ``text``: minus its compound score, floored at 0."""
    return max(0.0, -compound(text))


def _unnegated(pattern: re.Pattern[str], text: str, turn: int) -> list[Evidence]:
    """Matches of ``pattern`` that are not negated just before ("not angry", "no longer worried")."""
    found = []
    for m in pattern.finditer(text):
        if NEGATION.search(text[max(0, m.start() - 25) : m.start()]):
            continue
        found.append(evidence(turn, text, m.start(), m.end()))
    return found


class Emotion:
    """Lexicon hits give the emotion and its evidence; VADER's compound score sets the strength."""

    name = "calmline.emotion.v1"
    roles = frozenset({Role.customer})

    def __init__(self, base: float = 0.55, per_hit: float = 0.12) -> None:
        self.base = base
        self.per_hit = per_hit

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        polarity = compound(text)
        negativity = max(0.0, -polarity)
        signals = []
        for kind, pattern in (("anger", ANGER), ("distress", DISTRESS)):
            found = _unnegated(pattern, text, context.index)
            if found:
                score = self.base + self.per_hit * (len(found) - 1) + 0.3 * negativity
                signals.append(self._signal(kind, score, found, "P02"))
        emotional = max((s.score for s in signals), default=0.0)
        if emotional or negativity >= 0.35:
            found = [e for s in signals for e in s.evidence]
            signals.append(self._signal("negative", max(emotional, negativity), found, "P02"))
        positive = _unnegated(POSITIVE, text, context.index)
        if positive and polarity > -0.2:
            score = 0.5 + 0.1 * (len(positive) - 1) + 0.4 * max(0.0, polarity)
            signals.append(self._signal("positive", score, positive, None))
        return signals

    def _signal(self, kind: str, score: float, found: list[Evidence], practice: str | None) -> Signal:
        return Signal(
            kind=kind, score=round(min(1.0, score), 3), evidence=found, practice=practice, detector=self.name
        )


@register("calmline.emotion.v1", assigns=["anger", "distress", "negative", "positive"])
def make_emotion(base: float = 0.55, per_hit: float = 0.12) -> Emotion:
    return Emotion(base, per_hit)
