"""One chunk of an archive analysed in a worker: parsing, the engine and the record per conversation, as Arrow tables."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from functools import lru_cache

import pyarrow as pa

from calmline.batch.rows import CONVERSATION_SCHEMA, TURN_SCHEMA, conversation_row, turn_rows
from calmline.batch.sources import Document, Raw, Unreadable
from calmline.engine.pipeline import Engine
from calmline.playbook import Playbook
from calmline.records import build_record
from calmline.transcripts import DEFAULT_MAX_TURN_CHARS

__all__ = ["Chunk", "ChunkResult", "Setup", "analyze_chunk"]


@dataclass(frozen=True, slots=True)
class Setup:
    """What every worker needs to analyse chunks alike: the playbook (as JSON) and the turn length limit."""

    playbook_json: str | None = None
    max_turn_chars: int = DEFAULT_MAX_TURN_CHARS


@dataclass(frozen=True, slots=True)
class Chunk:
    """A numbered slice of the archive: documents still unparsed (plain data for any worker) and read failures."""

    number: int
    items: list[Raw]  # in archive order

    @property
    def documents(self) -> list[Document]:
        return [item for item in self.items if isinstance(item, Document)]


@dataclass(frozen=True, slots=True)
class ChunkResult:
    """The rows of a chunk's conversations and every input of it that failed, with the reason."""

    number: int
    turns: pa.Table
    conversations: pa.Table
    failures: list[tuple[str, str]]

    @property
    def analysed(self) -> int:
        rows: int = self.conversations.num_rows
        return rows


def analyze_chunk(chunk: Chunk, setup: Setup) -> ChunkResult:
    """Parse and analyse every conversation of a chunk; one that breaks the engine becomes a failure, not a crash."""
    engine = _engine(setup.playbook_json)
    turns: list[dict[str, object]] = []
    conversations: list[dict[str, object]] = []
    failures: list[tuple[str, str]] = []
    readable = []
    for item in chunk.items:
        loaded = item.load(setup.max_turn_chars) if isinstance(item, Document) else item
        if isinstance(loaded, Unreadable):
            failures.append((loaded.origin, loaded.reason))
        else:
            readable.append(loaded)
    # The encoder reads the whole chunk's turns in length-sorted batches before the turn-by-turn analysis.
    # Priming only saves time: if it breaks, the analysis below reports the conversation that breaks it.
    with contextlib.suppress(Exception):
        engine.prime(loaded.conversation for loaded in readable)
    for loaded in readable:
        try:
            analysis = engine.analyze(loaded.conversation)
            result = build_record(analysis, engine.playbook)
        except Exception as error:  # one bad conversation must not lose the rest of the archive
            failures.append((loaded.origin, f"analysis failed: {type(error).__name__}: {error}"))
            continue
        turns.extend(turn_rows(analysis))
        conversations.append(conversation_row(analysis, result, loaded.origin))
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
