"""Where chunks are analysed: local worker processes, or Ray Data on a local Ray or an existing cluster.

Both runners call the same ``analyze_chunk``, so they give the same rows; both keep only a
bounded number of chunks in flight, so memory does not grow with the archive.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from itertools import islice
from typing import Any, Protocol

import pyarrow as pa

from calmline.batch.work import Chunk, ChunkResult, analyze_chunk
from calmline.errors import InputError

__all__ = ["LocalRunner", "RayRunner", "Runner"]

IN_FLIGHT_PER_WORKER = 2
RAY_WINDOW_PER_WORKER = 4


class Runner(Protocol):
    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        """Analyse chunks, yielding each result as it is ready (not necessarily in order)."""
        ...


class LocalRunner:
    """Worker processes on this machine (``workers=1`` analyses in this process, with no pool)."""

    def __init__(self, workers: int, playbook_json: str | None = None) -> None:
        self.workers = workers
        self.playbook_json = playbook_json

    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        if self.workers == 1:
            for chunk in chunks:
                yield analyze_chunk(chunk, self.playbook_json)
            return
        # forkserver: workers start from a clean process (no Ray, no progress thread to inherit),
        # with calmline already imported so each only builds its engine once.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["calmline.batch.work"])
        with ProcessPoolExecutor(self.workers, mp_context=context) as pool:
            yield from self._bounded(pool, chunks)

    def _bounded(self, pool: ProcessPoolExecutor, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        # Submitting everything at once would read the whole archive into memory; keep a window.
        pending: set[Future[ChunkResult]] = set()
        limit = self.workers * IN_FLIGHT_PER_WORKER
        try:
            for chunk in chunks:
                pending.add(pool.submit(analyze_chunk, chunk, self.playbook_json))
                while len(pending) >= limit:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    yield from (future.result() for future in done)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                yield from (future.result() for future in done)
        finally:
            for future in pending:
                future.cancel()


class RayRunner:
    """Ray Data over windows of chunks: a local Ray with ``workers`` CPUs, or the cluster at ``address``.

    On a cluster, calmline must be installed on the workers; the driver reads the archive and
    writes the output, so only the driver needs the files.
    """

    def __init__(self, workers: int, address: str | None = None, playbook_json: str | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise InputError("--engine ray needs Ray: pip install 'calmline[ray]'") from None
        self.workers = workers
        self.playbook_json = playbook_json
        if not ray.is_initialized():
            _start_ray(ray, address, workers)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the job shows its own progress
        logging.getLogger("ray.data").setLevel(logging.WARNING)

    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        import ray

        size = self.workers * RAY_WINDOW_PER_WORKER
        while window := list(islice(chunks, size)):
            rows = [{"number": chunk.number, "chunk": pickle.dumps(chunk)} for chunk in window]
            dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map(
                _analyze_row, fn_kwargs={"playbook_json": self.playbook_json}, num_cpus=1
            )
            for row in dataset.iter_rows():
                yield _result_from_row(row)


def _start_ray(ray: Any, address: str | None, workers: int) -> None:
    try:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"the Ray cluster at {address}" if address else "a local Ray"
        raise InputError(f"cannot start {where}: {' '.join(str(error).split())}") from None


def _analyze_row(row: dict[str, Any], playbook_json: str | None) -> dict[str, Any]:
    result = analyze_chunk(pickle.loads(row["chunk"]), playbook_json)
    return {
        "number": result.number,
        "turns": _ipc(result.turns),
        "conversations": _ipc(result.conversations),
        "failures": pickle.dumps(result.failures),
    }


def _result_from_row(row: dict[str, Any]) -> ChunkResult:
    return ChunkResult(
        number=int(row["number"]),
        turns=_table(row["turns"]),
        conversations=_table(row["conversations"]),
        failures=pickle.loads(row["failures"]),
    )


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _table(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()
