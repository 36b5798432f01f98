"""Benchmark: how often each guidance card appears, over conversations nobody on the team wrote.

An agent who sees the same card on every chat stops reading the panel, so this prints, per card (playbook
rule), the share of conversations it appears in and how often it appears per customer turn, over the
CuCom e-commerce complaint chats (dev) and the user-satisfaction dialogues (dev) in ../shared/data.
Also cards per customer turn, the most cards shown after one turn, and the time per conversation. The
issue's bar: no card in more than 30 % of conversations.

    python bench/guidance.py [--data ../shared/data] [--limit 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from calmline.engine.pipeline import Engine
from calmline.model import Conversation, ConversationAnalysis, Role, Turn

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
SETS = {"cucom_ecommerce": "dev.jsonl", "user_satisfaction_sim": "dev.jsonl"}
AGENT_SPEAKERS = {"agent", "system"}
BAR = 0.30


def load(path: Path, limit: int) -> list[Conversation]:
    conversations: list[Conversation] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            turns = [
                Turn(
                    speaker=t["speaker"],
                    role=Role.agent if t["speaker"] in AGENT_SPEAKERS else Role.customer,
                    text=t["text"],
                )
                for t in record["turns"]
                if t["text"].strip()
            ]
            conversations.append(Conversation(id=record["id"], turns=turns))
            if limit and len(conversations) >= limit:
                break
    return conversations


def tally(analyses: list[ConversationAnalysis]) -> dict[str, Any]:
    """Per rule: conversations it appears in, cards after customer turns, cards after agent turns."""
    conversations: Counter[str] = Counter()
    per_customer_turn: Counter[str] = Counter()
    practice: dict[str, str] = {}
    customer_turns = customer_cards = most = 0
    for analysis in analyses:
        seen: set[str] = set()
        for turn in analysis.turns:
            most = max(most, len(turn.guidance))
            for card in turn.guidance:
                seen.add(card.rule)
                practice[card.rule] = card.practice
                if turn.role is Role.customer:
                    per_customer_turn[card.rule] += 1
            if turn.role is Role.customer:
                customer_turns += 1
                customer_cards += len(turn.guidance)
        conversations.update(seen)
    total = len(analyses)
    rules = sorted(conversations, key=lambda rule: -conversations[rule])
    return {
        "conversations": total,
        "customer_turns": customer_turns,
        "cards_per_customer_turn": customer_cards / max(customer_turns, 1),
        "most_cards_after_one_turn": most,
        "cards": [
            {
                "rule": rule,
                "practice": practice[rule],
                "share_of_conversations": conversations[rule] / max(total, 1),
                "per_customer_turn": per_customer_turn[rule] / max(customer_turns, 1),
            }
            for rule in rules
        ],
    }


def run(engine: Engine, conversations: list[Conversation]) -> tuple[list[ConversationAnalysis], list[float]]:
    analyses: list[ConversationAnalysis] = []
    seconds: list[float] = []
    for conversation in conversations:
        start = time.perf_counter()
        analyses.append(engine.analyze(conversation))
        seconds.append(time.perf_counter() - start)
    return analyses, seconds


def report(name: str, figures: dict[str, Any], seconds: list[float]) -> None:
    print(f"\n== {name}: {figures['conversations']} conversations, {figures['customer_turns']} customer turns")
    print(
        f"cards per customer turn {figures['cards_per_customer_turn']:.2f}; "
        f"most cards after one turn {figures['most_cards_after_one_turn']}; "
        f"per conversation p50 {statistics.median(seconds) * 1000:.0f} ms"
    )
    print(f"{'rule':32} {'practice':8} {'conversations':>13} {'per customer turn':>18}")
    for card in figures["cards"]:
        flag = "  ABOVE 30 %" if card["share_of_conversations"] > BAR else ""
        print(
            f"{card['rule']:32} {card['practice']:8} {card['share_of_conversations']:>12.1%} "
            f"{card['per_customer_turn']:>18.3f}{flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="conversations per set (0: all)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    engine = Engine.default()
    results: dict[str, Any] = {}
    worst = 0.0
    for folder, split in SETS.items():
        conversations = load(args.data / folder / split, args.limit)
        analyses, seconds = run(engine, conversations)
        figures = tally(analyses)
        report(f"{folder}/{split}", figures, seconds)
        results[folder] = figures
        worst = max([worst, *(card["share_of_conversations"] for card in figures["cards"])])
    print(f"\nmost frequent card in {worst:.1%} of conversations (bar: {BAR:.0%})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
