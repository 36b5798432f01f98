"""The batch analysis job: archive → chunks → runner → Parquet parts + manifest, then themes and a summary.

Output folder layout (``DIR``):

* ``turns.parquet/`` and ``conversations.parquet/`` — Parquet dataset directories, one
  ``part-NNNNNN.parquet`` per input chunk (read them whole with ``pyarrow.parquet.read_table``
  or ``pandas.read_parquet``). Parts are written under a hidden temporary name and renamed, so a
  reader never sees half a part.
* ``manifest.jsonl`` — the finished chunks (see ``calmline.batch.manifest``); a rerun with the
  same archive resumes after the last finished chunk.
* ``themes.json`` — the complaint themes (see ``calmline.batch.themes``).
* ``summary.json`` — counts and every input that failed, with its reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from calmline.batch.manifest import FinishedChunk, Manifest, RunKey
from calmline.batch.options import BatchOptions, BatchSummary, EngineKind
from calmline.batch.runners import LocalRunner, RayRunner, Runner
from calmline.batch.sources import Archive
from calmline.batch.themes import find_themes
from calmline.batch.work import Chunk, ChunkResult, Setup
from calmline.errors import InputError

__all__ = ["BatchOptions", "BatchSummary", "EngineKind", "analyze_archive"]

TURNS = "turns.parquet"
CONVERSATIONS = "conversations.parquet"


# Called after each finished chunk with (conversations analysed, failures) in it.
ProgressHook = Callable[[int, int], None]


def analyze_archive(
    source: Path, out: Path, options: BatchOptions, on_chunk: ProgressHook | None = None
) -> BatchSummary:
    """Analyse every conversation under ``source`` into ``out``, resuming a run that was interrupted."""
    if options.chunk_size < 1:
        raise InputError("--chunk-size must be at least 1")
    started = time.perf_counter()
    archive = Archive(source, max_bytes=options.max_bytes, max_turn_chars=options.max_turn_chars)
    playbook_json = options.playbook.model_dump_json() if options.playbook is not None else None
    key = RunKey(
        source=str(source.resolve()),
        fingerprint=archive.fingerprint(),
        chunk_size=options.chunk_size,
        playbook=hashlib.sha256((playbook_json or "default").encode()).hexdigest()[:16],
    )
    _prepare(out, options.restart)
    manifest = Manifest.open(out, key, restart=options.restart)
    summary = BatchSummary(out=out, resumed_chunks=len(manifest.finished))
    try:
        runner = _runner(options, Setup(playbook_json, options.max_turn_chars))
        for result in runner.run(_pending_chunks(archive, options.chunk_size, manifest)):
            _write_parts(out, result)
            manifest.record(FinishedChunk(result.number, result.analysed, result.failures))
            summary.analysed_now += result.analysed
            if on_chunk is not None:
                on_chunk(result.analysed, len(result.failures))
    finally:
        manifest.close()
    _finish(summary, manifest, options)
    summary.seconds = time.perf_counter() - started
    _write_json(out / "summary.json", summary.as_json())
    return summary


def _prepare(out: Path, restart: bool) -> None:
    try:
        for name in (TURNS, CONVERSATIONS):
            (out / name).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{out}: cannot create the output folder: {error.strerror}") from None
    for name in (TURNS, CONVERSATIONS):
        for part in (out / name).iterdir():
            # Temporary parts are what an interruption left; on --restart every part goes.
            if part.name.startswith(".") or (restart and part.suffix == ".parquet"):
                part.unlink()
    if restart:
        for name in ("themes.json", "summary.json"):
            (out / name).unlink(missing_ok=True)


def _runner(options: BatchOptions, setup: Setup) -> Runner:
    workers = options.workers or len(os.sched_getaffinity(0))
    if workers < 1:
        raise InputError("--workers must be at least 1")
    if options.engine is EngineKind.ray:
        return RayRunner(workers, options.ray_address, setup)
    if options.ray_address is not None:
        raise InputError("--ray-address needs --engine ray")
    return LocalRunner(workers, setup)


def _pending_chunks(archive: Archive, size: int, manifest: Manifest) -> Iterator[Chunk]:
    """The archive cut into numbered chunks, without the ones a previous run finished.

    Finished chunks are still read (numbering must stay the same) but not analysed again. Nothing
    is parsed here: the workers parse, so this one process is not what limits the pace.
    """
    items = iter(archive)
    number = 0
    while batch := list(islice(items, size)):
        if not manifest.is_finished(number):
            yield Chunk(number, batch)
        number += 1


def _write_parts(out: Path, result: ChunkResult) -> None:
    name = f"part-{result.number:06d}.parquet"
    for folder, table in ((TURNS, result.turns), (CONVERSATIONS, result.conversations)):
        _write_atomically(out / folder / name, table)


def _write_atomically(path: Path, table: pa.Table) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary, compression="zstd")
    os.replace(temporary, path)


def _finish(summary: BatchSummary, manifest: Manifest, options: BatchOptions) -> None:
    finished = sorted(manifest.finished.values(), key=lambda chunk: chunk.number)
    summary.chunks = len(finished)
    summary.conversations = sum(chunk.conversations for chunk in finished)
    summary.failures = [failure for chunk in finished for failure in chunk.failures]
    if options.themes and summary.conversations:
        themes = find_themes(summary.out)
        _write_json(summary.out / "themes.json", themes.as_json())
        summary.themes = len(themes.themes)


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
