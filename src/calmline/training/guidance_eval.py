"""Guidance against the gold set: the practices a QA lead wants shown after each customer turn."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calmline.engine.pipeline import Engine
from calmline.errors import InputError
from calmline.model import Conversation, Role, Turn
from calmline.training.metrics import read_while_tuning

GOLD = Path(__file__).resolve().parents[3] / "data" / "written" / "gold" / "guidance.jsonl"
PRECISION_TARGET = 0.80
RECALL_TARGET = 0.60


@dataclass
class GuidanceScore:
    """Cards shown after customer turns, against the practices expected (or tolerated) there."""

    turns: int = 0
    shown: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    expected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    most_cards: int = 0

    def add(self, shown: set[str], expected: set[str], acceptable: set[str]) -> None:
        self.turns += 1
        self.most_cards = max(self.most_cards, len(shown))
        for practice in shown:
            self.shown[practice] += 1
            self.right[practice] += practice in expected or practice in acceptable
        for practice in expected:
            self.expected[practice] += 1
            self.found[practice] += practice in shown

    @property
    def precision(self) -> float:
        return _ratio(sum(self.right.values()), sum(self.shown.values()))

    @property
    def recall(self) -> float:
        return _ratio(sum(self.found.values()), sum(self.expected.values()))

    def practices(self) -> list[str]:
        return sorted(set(self.shown) | set(self.expected))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    if not path.exists():
        raise InputError(f"{path}: the guidance gold set is missing")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def conversation(record: dict[str, Any]) -> Conversation:
    """A gold record as a conversation; an after-hours one starts at 23:30 on a weekday, others at 11:00."""
    hour = 23 if record.get("after_hours") else 11
    return Conversation(
        id=record["id"],
        started_at=datetime(2026, 11, 18, hour, 30, tzinfo=UTC),
        turns=[
            Turn(speaker=t["role"], role=Role.agent if t["role"] == "agent" else Role.customer, text=t["text"])
            for t in record["turns"]
        ],
    )


def score(records: list[dict[str, Any]], engine: Engine | None = None) -> GuidanceScore:
    engine = engine or Engine.default()
    result = GuidanceScore()
    for record in records:
        analysis = engine.analyze(conversation(record))
        for turn in analysis.turns:
            if turn.role is not Role.customer:
                continue
            key = str(turn.index)
            result.add(
                {card.practice for card in turn.guidance},
                set(record["expected"].get(key, [])),
                set(record.get("acceptable", {}).get(key, [])),
            )
    return result


def section(gold: Path = GOLD, log: Callable[[str], None] = print) -> str:
    """The guidance part of ``calmline eval``: precision and recall per practice and overall."""
    records = load_gold(gold)
    log(f"guidance gold set: {len(records)} conversations")
    result = score(records)
    looked = score([r for r in records if read_while_tuning(r["id"])])
    unseen = score([r for r in records if not read_while_tuning(r["id"])])
    lines = [
        "## Guidance against the gold set",
        "",
        f"{len(records)} conversations written by a helper who had not read the rules (data/written/gold/README.md); "
        f"{result.turns} customer turns. A card is right when its practice is expected or tolerated after that "
        "turn; recall counts the expected practices shown. "
        f"Target: precision ≥ {PRECISION_TARGET:.2f}, recall ≥ {RECALL_TARGET:.2f}.",
        "",
        f"**Overall: precision {result.precision:.3f}, recall {result.recall:.3f}** "
        f"(cards shown {sum(result.shown.values())}, expected {sum(result.expected.values())}, "
        f"most cards after one turn {result.most_cards}).",
        "",
        f"Odd ids, whose misses were read while the rules were changed: precision {looked.precision:.3f}, "
        f"recall {looked.recall:.3f}. Even ids, never read: precision {unseen.precision:.3f}, "
        f"recall {unseen.recall:.3f}.",
        "",
        "| practice | shown | right | precision | expected | found | recall |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for practice in result.practices():
        lines.append(
            f"| {practice} | {result.shown[practice]} | {result.right[practice]} | "
            f"{_ratio(result.right[practice], result.shown[practice]):.2f} | {result.expected[practice]} | "
            f"{result.found[practice]} | {_ratio(result.found[practice], result.expected[practice]):.2f} |"
        )
    return "\n".join(lines) + "\n"
