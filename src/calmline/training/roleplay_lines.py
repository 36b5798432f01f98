"""Builds the role-play simulator's shipped line index from CuCom's train split (a development step).

Short customer lines with no numbers, names or product words, banded by VADER sentiment and tagged with a
topic by keywords. ``python -m calmline.training.roleplay_lines [DATA_DIR]`` writes
``calmline/roleplay/data/cucom_lines.json``.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from calmline.roleplay import corpus
from calmline.roleplay.corpus import GENERAL, INDEX_NAME
from calmline.roleplay.persona import Band
from calmline.training.data import data_dir

SOURCE = {
    "name": "CuCom e-commerce customer-complaint chats (train split)",
    "citation": "Vakyansh, Customer Complaints v0.1 (CuCom) dataset, GitHub repository vakyansh/cucom, 2025.",
    "licence": "Apache License 2.0",
}
PER_CELL = 20
MIN_WORDS, MAX_WORDS = 4, 14
# Words that tie a line to one product or shop: such a line would not fit another persona's story.
SPECIFIC = re.compile(
    r"\b(?:order|deliver\w*|package|parcel|ship\w*|courier|book|phone|laptop|toaster|machine|box|item|"
    r"product|return\w*|amazon|card|account|gift|size|dress|shoes?|track\w*|address|seller|warranty|"
    r"replace\w*|exchange|screen|app|website|otp|upi|emi|cod|stock|colou?r|model|brand|charger|shirt|"
    r"watch|bag|tv|fridge|pic\w*|photo\w*|video|pincode|store|wallet|cashback|coupon|exams?|sale|party|"
    r"surprise|birthday|wedding|trip|holiday|vacation|school|college|mom|dad|wife|husband|sister|brother|"
    r"yaar|nai|bhai|hai|kya|ji|acha|arre|na|arriv\w*|reship\w*|keyboard|screws?|temple|packag\w*|attach\w*|comes|came)\b",
    re.IGNORECASE,
)
TOPICS: dict[str, re.Pattern[str]] = {
    "billing": re.compile(r"\b(?:charg\w*|debit\w*|money|pay\w*|paid|amount|bill\w*|overcharg\w*)\b", re.I),
    "refund": re.compile(r"\b(?:refund\w*|compensat\w*|discount|money back)\b", re.I),
    "repeat": re.compile(r"\b(?:again|already|same|told|times|every time|keep|twice|third)\b", re.I),
    "waiting": re.compile(r"\b(?:wait\w*|long|hurry|soon|forever|asap|yesterday|weeks?|days|hours?)\b", re.I),
    "manager": re.compile(r"\b(?:manager|supervisor|escalat\w*|senior|higher up|complain\w*)\b", re.I),
    "outage": re.compile(r"\b(?:not working|doesn'?t work|down|broken|useless|nothing works)\b", re.I),
}


def band_of_line(text: str, compound: float) -> Band:
    """A retrieved line's mood band, from its VADER compound score and its exclamation marks."""
    thanks = re.search(r"\b(?:thank|thanks|thx|great|perfect|appreciate)\w*", text, re.IGNORECASE)
    if compound >= 0.5 and thanks:
        return Band.satisfied
    if compound >= 0.2:
        return Band.calm
    if compound <= -0.6 or (compound < 0 and text.count("!") >= 2):
        return Band.furious
    if compound <= -0.2:
        return Band.upset
    return Band.uneasy


def usable(text: str) -> bool:
    """Short, with no digits, links, proper names or product words, so it fits any persona's story."""
    words = text.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS or re.search(r"[\d@#/]|http", text) or SPECIFIC.search(text):
        return False
    for previous, word in pairwise(words):
        # A capitalised word mid-sentence is most often a name ("Galaxy", "Rahul"); all caps is shouting.
        titled = word[:1].isupper() and any(ch.islower() for ch in word)
        if titled and not previous.endswith((".", "!", "?")) and not word.startswith("I'"):
            return False
    return True


def topics_of(text: str) -> list[str]:
    return [topic for topic, pattern in TOPICS.items() if pattern.search(text)] or [GENERAL]


def build_index(data: Path, seed: int = 13) -> dict[str, Any]:
    """The shipped index from CuCom's train split: up to PER_CELL lines per (topic, band)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    cells: dict[tuple[str, str], list[str]] = defaultdict(list)
    for text in sorted(set(_customer_lines(data / "cucom_ecommerce" / "train.jsonl"))):
        if not usable(text):
            continue
        band = band_of_line(text, analyser.polarity_scores(text)["compound"])
        for topic in topics_of(text):
            cells[(topic, band.value)].append(text)
    rng = random.Random(seed)
    lines = [
        {"text": text, "topic": topic, "band": band}
        for (topic, band) in sorted(cells)
        for text in sorted(rng.sample(cells[(topic, band)], min(PER_CELL, len(cells[(topic, band)]))))
    ]
    return {"source": SOURCE, "lines": lines}


def _customer_lines(path: Path) -> Iterable[str]:
    with path.open(encoding="utf-8") as records:
        for record in records:
            if record.strip():
                for turn in json.loads(record)["turns"]:
                    if turn["speaker"] == "customer":
                        yield " ".join(turn["text"].split())


def main(argv: Sequence[str]) -> None:
    folder = data_dir(Path(argv[0]) if argv else None)
    index = build_index(folder)
    target = Path(corpus.__file__).with_name("data") / INDEX_NAME
    target.write_text(json.dumps(index, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(index['lines'])} lines -> {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
