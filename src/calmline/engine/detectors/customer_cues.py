"""Customer cues about the conversation itself: their name, confusion, and wanting to finish."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.detectors._phrase import CUSTOMER, PhraseDetector
from calmline.engine.registry import register
from calmline.engine.text import evidence, phrases
from calmline.model import Role, Signal, Turn

NAME_INTRO = re.compile(
    r"\b(?i:my name is|my name'?s|name'?s|this is|it'?s|i am|i'?m|call me)\s+"
    r"(?P<name>(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)"
)
# Capitalised words after "I'm" / "it's" that are not names.
NOT_NAMES = frozenset(
    [
        "Sorry",
        "Not",
        "Just",
        "Really",
        "Very",
        "So",
        "Calling",
        "Trying",
        "Still",
        "Here",
        "There",
        "Fine",
        "Good",
        "Okay",
        "Ok",
        "Sure",
        "Afraid",
        "Angry",
        "Frustrated",
        "Done",
        "Tired",
        "Sick",
        "Fed",
        "Upset",
        "Worried",
        "Going",
        "Getting",
        "Looking",
        "Writing",
        "Back",
        "Never",
        "Always",
        "Actually",
        "Honestly",
        "Also",
        "The",
        "A",
        "An",
        "This",
        "That",
        "Your",
        "My",
        "Our",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
        "Absolutely",
        "Totally",
        "Quite",
        "Pretty",
        "Happy",
        "Glad",
        "Literally",
        "Seriously",
        "I",
    ]
)
CONFUSION = phrases(
    [
        r"i don'?t understand",
        r"what do you mean",
        r"(?:that|this|it) makes no sense",
        r"i'?m (?:so )?confused",
        r"i'?m lost",
        r"i don'?t get it",
        r"huh\?",
        r"which one\?",
        r"i'?m not sure what",
        r"what are you (?:saying|talking about)",
    ]
)
WANTS_TO_END = phrases(
    [
        r"that'?s (?:all|everything|it)(?: for now| for today)?",
        r"nothing else",
        r"i'?ll let you go",
        r"(?:good)?bye",
        r"have a (?:good|nice|great) (?:day|night|evening|one)",
        r"talk (?:to you )?later",
        r"i'?m (?:all )?set",
        r"that'?s all i needed",
        r"i'?m done here",
        r"forget it",
        r"i give up",
    ]
)


class CustomerName:
    """The name the customer gives ("my name is Dana Ruiz"); data carries it for the state."""

    name = "calmline.customer_name.v1"
    roles = frozenset({Role.customer})

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        for m in NAME_INTRO.finditer(turn.text):
            name = m.group("name")
            first = name.split()[0].rstrip(".")
            if first in NOT_NAMES:
                continue
            if name.split()[-1] in NOT_NAMES:
                name = name.split()[0]
            start = m.start("name")
            return [
                Signal(
                    kind="customer_name",
                    score=0.9,
                    evidence=[evidence(context.index, turn.text, start, start + len(name))],
                    practice="P15",
                    detector=self.name,
                    data={"name": name},
                )
            ]
        return []


@register("calmline.customer_name.v1", assigns=["customer_name"])
def make_customer_name() -> CustomerName:
    return CustomerName()


@register("calmline.confusion.v1", assigns=["confusion"])
def make_confusion() -> PhraseDetector:
    return PhraseDetector(
        "calmline.confusion.v1", "confusion", "P03", CONFUSION, 0.7, roles=CUSTOMER, per_extra_match=0.1
    )


@register("calmline.wants_to_end.v1", assigns=["wants_to_end"])
def make_wants_to_end() -> PhraseDetector:
    return PhraseDetector(
        "calmline.wants_to_end.v1",
        "wants_to_end",
        "P20",
        WANTS_TO_END,
        0.7,
        roles=CUSTOMER,
        per_extra_match=0.1,
    )
