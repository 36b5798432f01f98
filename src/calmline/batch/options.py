"""What a batch run is asked to do and what it reports back: light types the CLI can import without pyarrow."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from calmline.playbook import Playbook
from calmline.transcripts import DEFAULT_MAX_BYTES, DEFAULT_MAX_TURN_CHARS


class EngineKind(StrEnum):
    local = "local"
    ray = "ray"


@dataclass(frozen=True, slots=True)
class BatchOptions:
    engine: EngineKind = EngineKind.local
    workers: int | None = None  # default: every CPU this process may use
    ray_address: str | None = None
    chunk_size: int = 100
    playbook: Playbook | None = None
    restart: bool = False
    themes: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS


@dataclass(slots=True)
class BatchSummary:
    """What a run did: conversations in the output, how many this run analysed, and every failure."""

    out: Path
    conversations: int = 0
    analysed_now: int = 0
    chunks: int = 0
    resumed_chunks: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    themes: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "conversations": self.conversations,
            "analysed_now": self.analysed_now,
            "chunks": self.chunks,
            "resumed_chunks": self.resumed_chunks,
            "failures": [{"origin": origin, "reason": reason} for origin, reason in self.failures],
            "seconds": round(self.seconds, 3),
            "themes": self.themes,
        }
