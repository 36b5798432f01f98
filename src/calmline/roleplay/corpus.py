"""Lines retrieved from real-register chats (CuCom, Apache-2.0), indexed by mood band and topic.

The index ships with the package (``data/cucom_lines.json``), so nothing is read from the network or
from the data folder at run time; ``python -m calmline.training.roleplay_lines [DATA_DIR]`` rebuilds it.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from importlib import resources

from calmline.roleplay.persona import Band

INDEX_NAME = "cucom_lines.json"
GENERAL = "general"


@cache
def shipped_index() -> dict[tuple[str, Band], tuple[str, ...]]:
    """The shipped lines by (topic, band)."""
    raw = json.loads(resources.files("calmline.roleplay").joinpath("data", INDEX_NAME).read_text("utf-8"))
    cells: dict[tuple[str, Band], list[str]] = defaultdict(list)
    for line in raw["lines"]:
        cells[(line["topic"], Band(line["band"]))].append(line["text"])
    return {key: tuple(texts) for key, texts in cells.items()}


def retrieve(band: Band, topics: Sequence[str], rng: random.Random, used: set[str]) -> str | None:
    """A line for ``band`` on one of ``topics`` (else a general one) not used yet in this session."""
    index = shipped_index()
    for wanted in (*topics, GENERAL):
        fresh = [text for text in index.get((wanted, band), ()) if text not in used]
        if fresh:
            return rng.choice(fresh)
    return None
