"""One chunk of an archive analysed in a worker: the engine and the record per conversation, as Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pyarrow as pa

from calmline.batch.rows import CONVERSATION_SCHEMA, TURN_SCHEMA, conversation_row, turn_rows
from calmline.engine.pipeline import Engine
from calmline.model import Conversation
from calmline.playbook import Playbook
from calmline.records import build_record

__all__ = ["Chunk", "ChunkResult", "analyze_chunk"]


@dataclass(frozen=True, slots=True)
class Chunk:
    """A numbered slice of the archive: conversations as JSON (plain data for any worker) and read failures."""

    number: int
    conversations: list[tuple[str, str]]  # (origin, conversation JSON)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (origin, reason)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The rows of a chunk's conversations and every input of it that failed, with the reason."""

    number: int
    turns: pa.Table
    conversations: pa.Table
    failures: list[tuple[str, str]]

    @property
    def analysed(self) -> int:
        return self.conversations.num_rows


def analyze_chunk(chunk: Chunk, playbook_json: str | None = None) -> ChunkResult:
    """Analyse every conversation of a chunk; one that breaks the engine becomes a failure, not a crash."""
    engine = _engine(playbook_json)
    turns: list[dict[str, object]] = []
    conversations: list[dict[str, object]] = []
    failures = list(chunk.failures)
    for origin, document in chunk.conversations:
        try:
            analysis = engine.analyze(Conversation.model_validate_json(document))
            result = build_record(analysis, engine.playbook)
        except Exception as error:  # one bad conversation must not lose the rest of the archive
            failures.append((origin, f"analysis failed: {type(error).__name__}: {error}"))
            continue
        turns.extend(turn_rows(analysis))
        conversations.append(conversation_row(analysis, result, origin))
    return ChunkResult(
        number=chunk.number,
        turns=pa.Table.from_pylist(turns, schema=TURN_SCHEMA),
        conversations=pa.Table.from_pylist(conversations, schema=CONVERSATION_SCHEMA),
        failures=failures,
    )


@lru_cache(maxsize=2)
def _engine(playbook_json: str | None) -> Engine:
    # Built once per worker process (a few seconds: models and lexicons), then reused for every chunk.
    if playbook_json is None:
        return Engine.default()
    return Engine(Playbook.model_validate_json(playbook_json))
