"""Customer shouting in text: words in capitals and runs of exclamation marks (P01)."""

from __future__ import annotations

import re

from calmline.engine.context import Context
from calmline.engine.registry import register
from calmline.engine.text import evidence
from calmline.model import Role, Signal, Turn

CAPS_WORD = re.compile(r"\b[A-Z][A-Z']{2,}\b")
BANG_RUN = re.compile(r"[!?]*![!?]*!+[!?]*")
# Acronyms are written in capitals without any shouting.
ACRONYMS = frozenset(
    [
        "ATM",
        "USA",
        "UK",
        "EU",
        "PIN",
        "SMS",
        "FAQ",
        "API",
        "URL",
        "USB",
        "GPS",
        "DVD",
        "CEO",
        "CFO",
        "VAT",
        "IBAN",
        "SIM",
        "ISP",
        "DSL",
        "WIFI",
        "TV",
        "ETA",
        "ASAP",
        "AM",
        "PM",
        "UPS",
        "DHL",
        "FEDEX",
        "USPS",
        "HVAC",
        "AC",
        "ID",
        "OK",
        "NHS",
        "IRS",
        "PDF",
        "BBC",
        "CNN",
        "NYC",
    ]
)


class Shouting:
    name = "calmline.shouting.v1"
    roles = frozenset({Role.customer})

    def __init__(self, min_caps_words: int = 2) -> None:
        self.min_caps_words = min_caps_words

    def __call__(self, turn: Turn, context: Context) -> list[Signal]:
        text = turn.text
        caps = [m for m in CAPS_WORD.finditer(text) if m.group().strip("'") not in ACRONYMS]
        bangs = list(BANG_RUN.finditer(text))
        if len(caps) < self.min_caps_words and not bangs:
            return []
        words = max(1, len(text.split()))
        score = 0.0
        if len(caps) >= self.min_caps_words:
            score = 0.5 + 0.5 * min(1.0, len(caps) / words * 2)
        if bangs:
            score = max(score, 0.5) + 0.1 * len(bangs)
        found = [
            evidence(context.index, text, m.start(), m.end())
            for m in sorted(
                [*(caps if len(caps) >= self.min_caps_words else []), *bangs], key=lambda m: m.start()
            )
        ]
        return [
            Signal(
                kind="shouting",
                score=round(min(1.0, score), 3),
                evidence=found,
                practice="P01",
                detector=self.name,
            )
        ]


@register("calmline.shouting.v1", assigns=["shouting"])
def make_shouting(min_caps_words: int = 2) -> Shouting:
    return Shouting(min_caps_words)
