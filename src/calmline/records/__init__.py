"""After the conversation: records, the commitment ledger, the QA scorecard, agent well-being and exports."""

from calmline.records.model import (
    Aggregate,
    Commitment,
    CommitmentStatus,
    ItemStatus,
    Outcome,
    Override,
    Record,
    RecordResult,
    Scorecard,
    ScoreItem,
)
from calmline.records.record import build_record
from calmline.records.scorecard import aggregate, apply_overrides

__all__ = [
    "Aggregate",
    "Commitment",
    "CommitmentStatus",
    "ItemStatus",
    "Outcome",
    "Override",
    "Record",
    "RecordResult",
    "ScoreItem",
    "Scorecard",
    "aggregate",
    "apply_overrides",
    "build_record",
]
