"""What the encoder's heads learn from: each permissively licensed set and our own written examples, mapped
to the heads they teach (a head a set says nothing about is masked, not counted as a negative)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from calmline.errors import InputError
from calmline.signals import ALERT_HEADS, EMERGENCY_KINDS, ENCODER_HEADS
from calmline.training.data import REPO_ROOT

WRITTEN = REPO_ROOT / "data" / "written"
"""Examples the team wrote: ``train/*.jsonl`` to learn from, ``heldout/`` written separately to report on."""

"""Heads that raise an alert: every calm request and written complaint is a negative for them."""

MASKED = -1

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Example:
    """One training text with a 0/1/MASKED label per head (ENCODER_HEADS order) and, for an emergency,
    its kind's index in EMERGENCY_KINDS (else MASKED)."""

    text: str
    labels: tuple[int, ...]
    kind: int
    source: str
    repeat: int = 1
    """How many times an epoch shows it (applied after the held-back split, so no copy of a learnt
    example is used to calibrate)."""


@dataclass(frozen=True, slots=True)
class Source:
    """One data set: where it is, how many of its rows to take, and what each row teaches."""

    name: str
    folder: str
    licence: str
    limit: int
    teach: Callable[[Record], dict[str, int] | None]
    repeat: int = 1


def _label(record: Record) -> str:
    return str(record.get("label", ""))


def _none_of(heads: tuple[str, ...]) -> dict[str, int]:
    return dict.fromkeys(heads, 0)


def _goemotions(record: Record) -> dict[str, int]:
    groups = record["groups"]
    anger, distress = int("anger" in groups), int("distress" in groups)
    return {"anger": anger, "distress": distress, "negative": max(anger, distress)}


def _bitext(record: Record) -> dict[str, int] | None:
    intent = _label(record)
    if intent == "contact_customer_service":
        # "I need to speak with customer service": a wish for a human, or for the help pages? The set
        # does not say, so it teaches nothing about it either way.
        return None
    taught = _none_of(ALERT_HEADS)
    taught["manager_request"] = int(intent == "contact_human_agent")
    taught["churn_threat"] = int(intent == "delete_account")
    return taught


def _banking77(record: Record) -> dict[str, int]:
    return {**_none_of(ALERT_HEADS), "churn_threat": int(_label(record) == "terminate_account")}


def _politeness(record: Record) -> dict[str, int] | None:
    label = _label(record)
    return None if label == "neutral" else {"impolite": int(label == "impolite")}


SOURCES: tuple[Source, ...] = (
    Source("goemotions", "goemotions", "Apache-2.0", 10000, _goemotions),
    Source(
        "davidson_hate_offensive",
        "davidson_hate_offensive",
        "MIT",
        5000,
        lambda r: {"offensive": int(_label(r) != "neither")},
    ),
    Source(
        "convabuse",
        "convabuse",
        "CC BY 4.0",
        10000,
        lambda r: {"abuse_at_agent": int(_label(r) == "abusive"), "violence_threat": 0},
        repeat=2,
    ),
    Source(
        "isarcasmeval_en",
        "isarcasmeval_en",
        "MIT",
        10000,
        lambda r: {"sarcasm": int(_label(r) == "sarcastic")},
        repeat=2,
    ),
    Source("bitext_customer_support", "bitext_customer_support", "CDLA-Sharing-1.0", 10000, _bitext),
    Source("banking77", "banking77", "CC BY 4.0", 3000, _banking77),
    Source("clinc150", "clinc150", "CC BY 3.0", 4000, lambda r: _none_of(ALERT_HEADS)),
    Source("cfpb_complaints", "cfpb_complaints", "public domain", 1500, lambda r: _none_of(ALERT_HEADS)),
    Source("stanford_politeness", "stanford_politeness", "Apache-2.0 / CC BY 4.0", 10000, _politeness),
)

WINDOW_WORDS = 70
"""A long written complaint is learned from in pieces of this many words, as the engine reads it in windows."""


def _read_jsonl(path: Path) -> list[Record]:
    if not path.exists():
        raise InputError(f"{path}: missing; is --data the folder holding {path.parent.name}/?")
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _pieces(text: str) -> Iterator[str]:
    words = text.split()
    for start in range(0, len(words), WINDOW_WORDS):
        yield " ".join(words[start : start + WINDOW_WORDS])


def _example(text: str, taught: dict[str, int], kind: int, source: str, repeat: int = 1) -> Example:
    labels = tuple(taught.get(head, MASKED) for head in ENCODER_HEADS)
    return Example(text, labels, kind, source, repeat)


def public_examples(folder: Path, split: str, seed: int) -> list[Example]:
    """The public sets' rows for ``split``, each set sampled (seeded) down to its limit on train."""
    rng = np.random.default_rng(seed)
    examples: list[Example] = []
    for source in SOURCES:
        records = _read_jsonl(folder / source.folder / f"{split}.jsonl")
        if split == "train" and len(records) > source.limit:
            records = [records[i] for i in np.sort(rng.permutation(len(records))[: source.limit])]
        for record in records:
            taught = source.teach(record)
            if taught is None:
                continue
            texts = list(_pieces(record["text"]))[:2] if source.name == "cfpb_complaints" else [record["text"]]
            examples += [_example(text, taught, MASKED, source.name, source.repeat) for text in texts]
    return examples


WRITTEN_HEADS = ("self_harm", "violence_threat", "abuse_at_agent", "manager_request", "emergency", "churn_threat")
"""The heads every written example speaks to: a label it does not carry is a negative for these; the
other labels (anger, distress, sarcasm) were added only where the writer noticed them, so their absence
teaches nothing."""


def written_example(record: Record, source: str) -> Example:
    labels = set(record.get("labels") or [])
    taught = {head: int(head in labels) for head in WRITTEN_HEADS}
    taught.update({head: 1 for head in labels if head in ENCODER_HEADS and head not in taught})
    kind = record.get("emergency_kind")
    return _example(record["text"], taught, EMERGENCY_KINDS.index(kind) if kind else MASKED, source)


EVALSETS = Path(__file__).resolve().parent / "evalsets"


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def evaluation_texts() -> set[str]:
    """Every text of the evaluation sets (the safety sets and the held-out conversations), normalised."""
    texts = {_normal(r["text"]) for path in EVALSETS.rglob("*.jsonl") for r in _read_jsonl(path)}
    for path in (WRITTEN / "heldout").glob("*.jsonl"):
        texts |= {_normal(t["text"]) for r in _read_jsonl(path) for t in r["turns"]}
    return texts


def written_examples(folder: Path = WRITTEN / "train") -> list[Example]:
    """Our own examples (every ``*.jsonl`` under ``folder``), in file and line order, leaving out any
    text that is also in an evaluation set (so no figure is measured on what was learnt)."""
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise InputError(f"no written examples in {folder}")
    evaluated = evaluation_texts()
    examples = []
    for path in files:
        for record in _read_jsonl(path):
            if _normal(record["text"]) in evaluated:
                continue
            example = written_example(record, path.stem)
            if _hard_negative(example):
                example = replace(example, repeat=HARD_NEGATIVE_REPEAT)
            examples.append(example)
    return examples


HARD_NEGATIVE_REPEAT = 2
"""A written hard negative (an idiom, a past event, a calm maintenance request) is seen twice per epoch:
without it the alert heads learnt the words of emergencies and crises rather than the danger."""


def _hard_negative(example: Example) -> bool:
    return not any(example.labels[ENCODER_HEADS.index(head)] == 1 for head in WRITTEN_HEADS)


def split_held_back(examples: list[Example], share: float, seed: int) -> tuple[list[Example], list[Example]]:
    """A seeded share of ``examples`` held back (to calibrate and choose thresholds on), and the rest, each
    as many times as its ``repeat`` asks."""
    order = np.random.default_rng(seed).permutation(len(examples))
    cut = int(len(examples) * share)
    held = {int(i) for i in order[:cut]}
    learn = [e for i, e in enumerate(examples) if i not in held for _ in range(e.repeat)]
    return learn, [e for i, e in enumerate(examples) if i in held]
