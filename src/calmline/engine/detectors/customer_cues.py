"""Customer cues about the conversation itself: their name, what they ask for, confusion, and wanting to finish."""

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
        r"or maybe i",
        r"i'?m not sure (?:if|whether|how|which|why)",
        r"(?:says|said|saying) something about",
        r"what does (?:that|this|it) (?:mean|say)",
        r"no idea (?:what|why|how|which)",
        r"i don'?t know (?:what|why|how|which|if|whether) (?:i|it|this|that|to)",
    ]
)
WANTS_TO_END = phrases(
    [
        r"that'?s (?:all|everything|it)(?: for now| for today)?(?! of)",
        r"nothing else",
        r"i'?ll let you go",
        r"(?:good)?bye",
        r"have a (?:good|nice|great) (?:day|night|evening|one)",
        r"talk (?:to you )?later",
        r"i'?m (?:all )?set",
        r"that'?s all i needed",
    ]
)
ASKS_FOR_OPTIONS = phrases(
    [
        r"wh?at (?:are|r) (?:my|the|our) (?:options|choices|alternatives)",
        r"what can (?:be done|i do)",
        r"what (?:else )?(?:can|could|cn) (?:you|u|ya) (?:do|offer|suggest)",
        r"what do (?:you|u) (?:suggest|recommend|propose)",
        r"(?:is|are) there (?:any|another|other) (?:way|option|options|alternative|alternatives)",
        r"any (?:other )?(?:options|alternatives|other way)",
        r"what (?:happens|do i do|should i do|now)\??$",
        r"so what now",
    ]
)
THANKS = phrases(
    [
        r"thanks?(?: you)?(?: so much| very much| a lot| again| anyway)?",
        r"ty",
        r"thx",
        r"tysm",
        r"cheers",
        r"ta",
        r"appreciate (?:it|that|your help)",
        r"much appreciated",
        r"you'?(?:ve|re) been (?:great|helpful|a star)",
    ]
)
CLOSING_WORDS = 12
"""A thank-you this short, with no question in it, ends the conversation; a longer one goes on to more."""
# "Forget it", "I give up" and "I'm done here" end a conversation too, but in defeat: the customer leaves
# unhelped, and "close warmly" would be the wrong advice (the forecast reads them as giving up).
REQUEST = phrases(
    [
        r"i(?: would|'d| really| just| urgently)? (?:need|want|would like|'d like|like|wanna|wish) (?:to|a|an|the|my|some|it|"
        r"help|someone|you)",
        r"i(?:'m| am) (?:looking for|trying to|hoping to|calling about|calling to|writing about|writing to|"
        r"contacting you)",
        r"(?:can|could|would|will|cud|pls|please) (?:you|u|someone|somebody) (?:please |pls |plz )?\w+",
        r"(?:how|where|when|why|what) (?:do|does|did|can|could|is|are|was|were|will|should|long|much|many) \w+",
        r"(?:please|pls|plz|kindly) (?:help|send|check|cancel|change|update|refund|fix|sort|confirm|tell|let|book|"
        r"find|look|call|reset|arrange|replace|give|process|explain)",
        r"(?:is|are) (?:there|it|my|the|this) \w+",
        r"my \w+(?: \w+)? (?:is|isn'?t|was|wasn'?t|won'?t|hasn'?t|keeps|stopped|got|has|doesn'?t|didn'?t)",
        r"(?:about|regarding|re) (?:my|the|an|a) \w+",
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


@register("calmline.request.v1", assigns=["request"])
def make_request() -> PhraseDetector:
    return PhraseDetector("calmline.request.v1", "request", "P03", REQUEST, 0.6, roles=CUSTOMER)


@register("calmline.options_asked.v1", assigns=["options_asked"])
def make_options_asked() -> PhraseDetector:
    return PhraseDetector("calmline.options_asked.v1", "options_asked", "P16", ASKS_FOR_OPTIONS, 0.7, roles=CUSTOMER)


@register("calmline.confusion.v1", assigns=["confusion"])
def make_confusion() -> PhraseDetector:
    return PhraseDetector(
        "calmline.confusion.v1", "confusion", "P03", CONFUSION, 0.7, roles=CUSTOMER, per_extra_match=0.1
    )


_ANSWERS_TOO = re.compile(r"\d|\b(?:would|please|pls|but|also|and what|can i)\b", re.IGNORECASE)
"""A thank-you that carries a choice, a time or a number ("a table for two at 5, thanks"), or goes on with
"but"/"also", answers the agent and the conversation goes on."""


def _closing_thanks(text: str, match: re.Match[str]) -> bool:
    return (
        "?" not in text
        and len(text.split()) <= CLOSING_WORDS
        and not REQUEST.search(text)
        and not _ANSWERS_TOO.search(text)
    )


class WantsToEnd:
    """The customer is finishing: a goodbye or "that's all", or a short thank-you with nothing more asked."""

    name = "calmline.wants_to_end.v1"
    roles = CUSTOMER

    def __init__(self) -> None:
        self.farewells = PhraseDetector(
            self.name, "wants_to_end", "P20", WANTS_TO_END, 0.7, roles=CUSTOMER, per_extra_match=0.1
        )
        self.thanks = PhraseDetector(
            self.name, "wants_to_end", "P20", THANKS, 0.6, _closing_thanks, roles=CUSTOMER
        )

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        return self.farewells(turn, context) or self.thanks(turn, context)


@register("calmline.wants_to_end.v1", assigns=["wants_to_end"])
def make_wants_to_end() -> WantsToEnd:
    return WantsToEnd()
