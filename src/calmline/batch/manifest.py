"""The run manifest: which chunks of an archive are finished, so an interrupted run resumes where it stopped.

``DIR/manifest.jsonl`` is append-only: a header line naming the archive (a fingerprint of its
files), the chunk size and the playbook, then one line per finished chunk, written only after
the chunk's Parquet parts are in place. A line torn by a crash is ignored, so that chunk is
simply done again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from calmline.errors import InputError

__all__ = ["FinishedChunk", "Manifest", "RunKey"]

FORMAT = "calmline.batch.v1"


@dataclass(frozen=True, slots=True)
class RunKey:
    """What makes two runs the same run: resuming is only safe when all of it matches."""

    source: str
    fingerprint: str
    chunk_size: int
    playbook: str

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "source": self.source,
            "fingerprint": self.fingerprint,
            "chunk_size": self.chunk_size,
            "playbook": self.playbook,
        }


@dataclass(frozen=True, slots=True)
class FinishedChunk:
    number: int
    conversations: int
    failures: list[tuple[str, str]]


class Manifest:
    """The finished chunks of one run in one output folder."""

    def __init__(self, path: Path, key: RunKey, finished: dict[int, FinishedChunk]) -> None:
        self.path = path
        self.key = key
        self.finished = finished
        self._handle: IO[str] | None = None

    @classmethod
    def open(cls, out: Path, key: RunKey, *, restart: bool = False) -> Manifest:
        """The manifest in ``out``: resumed when it belongs to the same run, else a clear error."""
        path = out / "manifest.jsonl"
        if restart or not path.exists():
            path.write_text(json.dumps(key.header()) + "\n", encoding="utf-8")
            return cls(path, key, {})
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        header = _loads(lines[0]) if lines else None
        if header != key.header():
            raise InputError(
                f"{out} holds {_describe(header)}; pass --restart to start over, or another --out"
            )
        if not text.endswith("\n"):
            # A line torn by a crash: end it, or the next chunk's line would be glued to it and lost.
            with path.open("a", encoding="utf-8") as handle:
                handle.write("\n")
        finished = {}
        for line in lines[1:]:
            entry = _loads(line)
            if entry is not None:
                failures = [(str(origin), str(reason)) for origin, reason in entry["failures"]]
                finished[entry["chunk"]] = FinishedChunk(entry["chunk"], entry["conversations"], failures)
        return cls(path, key, finished)

    def is_finished(self, number: int) -> bool:
        return number in self.finished

    def record(self, chunk: FinishedChunk) -> None:
        """Mark a chunk finished, durably: the line is on disk before the next chunk is looked at."""
        if self._handle is None:
            self._handle = self.path.open("a", encoding="utf-8")
        entry = {"chunk": chunk.number, "conversations": chunk.conversations, "failures": chunk.failures}
        self._handle.write(json.dumps(entry) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self.finished[chunk.number] = chunk

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _loads(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _describe(header: dict[str, Any] | None) -> str:
    if header is None or header.get("format") != FORMAT:
        return "a manifest calmline cannot read"
    return (
        f"a run over {header.get('source')} (chunk size {header.get('chunk_size')}) whose archive, "
        "chunk size or playbook differ from this one"
    )
