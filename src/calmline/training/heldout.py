"""The held-out conversations (data/written/heldout/, written apart from the training examples): does each
alert fire on the very turn that should raise it, and do hard negatives stay quiet?"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calmline.engine.pipeline import Engine
from calmline.model import Conversation, Role, Turn, TurnAnalysis
from calmline.playbook import Playbook
from calmline.training.encoder_data import WRITTEN

HELDOUT = WRITTEN / "heldout" / "conversations.jsonl"

ALERT_OF = {
    "self_harm": "crisis",
    "violence_threat": "crisis",
    "abuse_at_agent": "abuse",
    "manager_request": "manager_request",
    "emergency": "emergency",
}
"""Each alerting label and the alert kind that must appear on its turn."""
SIGNAL_ONLY = ("churn_threat", "sarcasm")
"""Labels that raise no alert: the signal itself must be on the turn."""
ALERT_KINDS = frozenset(ALERT_OF.values())

CUE_DETECTORS = frozenset(
    {
        "calmline.self_harm.v1",
        "calmline.violence_threat.v1",
        "calmline.abuse.v1",
        "calmline.manager_request.v1",
        "calmline.emergency.v1",
    }
)
"""The cue-list detectors that raise alerts on their own; the encoder must carry the alerts without them."""


HELDOUT_KINDS = {"gas_co": "gas", "fire_smoke": "fire", "power_medical": "power", "lockout_danger": "lockout"}
"""The held-out set's writer named some emergency kinds differently; these are the same kinds."""


@dataclass(frozen=True, slots=True)
class Result:
    """Per label: how many conversations, how many raised the right alert on the target turn."""

    found: dict[str, tuple[int, int]]
    negatives: int
    false_alarms: int
    missed: list[str]
    alarmed: list[str]
    kinds_right: tuple[int, int] = (0, 0)
    """Emergencies found whose strongest emergency signal names the kind the writer gave, of those found."""

    def recall(self, label: str) -> float:
        hit, total = self.found[label]
        return hit / total if total else 0.0

    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.negatives if self.negatives else 0.0


def load(path: Path = HELDOUT) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def without_cues(playbook: Playbook) -> Playbook:
    """``playbook`` with every alerting cue-list detector taken out: what the encoder decides alone."""
    kept = [spec for spec in playbook.detectors if spec.name not in CUE_DETECTORS]
    return playbook.model_copy(update={"detectors": kept})


def _conversation(record: dict[str, Any]) -> Conversation:
    turns = [
        Turn(speaker=t["speaker"], role=Role.agent if t["speaker"] == "agent" else Role.customer, text=t["text"])
        for t in record["turns"]
    ]
    return Conversation(id=record["id"], turns=turns)


def _raised(analysed: TurnAnalysis, label: str) -> bool:
    if label in ALERT_OF:
        return any(alert.kind == ALERT_OF[label] for alert in analysed.alerts)
    return any(signal.kind == label and signal.score >= 0.5 for signal in analysed.signals)


def evaluate(engine: Engine, records: list[dict[str, Any]]) -> Result:
    found: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    negatives = false_alarms = 0
    missed: list[str] = []
    alarmed: list[str] = []
    kinds = [0, 0]
    for record in records:
        turns = engine.analyze(_conversation(record)).turns
        if record["target_turn"] is None:
            negatives += 1
            if any(alert.kind in ALERT_KINDS for t in turns for alert in t.alerts):
                false_alarms += 1
                alarmed.append(record["id"])
            continue
        for label in record["labels"]:
            totals[label] += 1
            if _raised(turns[record["target_turn"]], label):
                found[label] += 1
                if label == "emergency" and record.get("emergency_kind"):
                    kinds[0] += _kind(turns[record["target_turn"]]) == HELDOUT_KINDS.get(
                        record["emergency_kind"], record["emergency_kind"]
                    )
                    kinds[1] += 1
            else:
                missed.append(f"{record['id']} ({label})")
    labels = [*ALERT_OF, *SIGNAL_ONLY]
    return Result(
        {label: (found[label], totals[label]) for label in labels},
        negatives,
        false_alarms,
        missed,
        alarmed,
        (kinds[0], kinds[1]),
    )


def _kind(analysed: TurnAnalysis) -> str | None:
    emergencies = [s for s in analysed.signals if s.kind == "emergency" and "kind" in s.data]
    return str(max(emergencies, key=lambda s: s.score).data["kind"]) if emergencies else None
