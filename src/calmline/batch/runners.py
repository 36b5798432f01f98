"""Where chunks are analysed: local worker processes, or Ray tasks on a local Ray or an existing cluster.

Both runners call the same ``analyze_chunk``, so they give the same rows, and both keep a
sliding window of chunks in flight: a new chunk is sent as soon as one comes back, so memory
does not grow with the archive and no core waits for the slowest chunk of a batch.

Ray runs plain tasks rather than Ray Data: the archive is read by the driver (only the driver
needs the files), so a Ray dataset could only be built window by window, paying its planning
and a barrier at the end of every window. Tasks on Ray's reused worker processes keep each
worker's engine (built once per process) and carry results back as Arrow buffers, not pickled rows.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from calmline.batch.work import Chunk, ChunkResult, Setup, analyze_chunk
from calmline.errors import InputError

__all__ = ["LocalRunner", "RayRunner", "Runner", "worker_processes"]

# Chunks in flight per worker: one being analysed and one queued, so a worker never waits for the driver.
IN_FLIGHT_PER_WORKER = 2
# Ray itself retries an address that does not answer for minutes; a plain connection attempt is told sooner.
RAY_CONNECT_TIMEOUT_S = 10
RAY_CONNECT_ATTEMPTS = "RAY_gcs_server_port_wait_time_s"  # Ray reads it as the number of attempts

Pending = TypeVar("Pending")


class Runner(Protocol):
    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        """Analyse chunks, yielding each result as it is ready (not necessarily in order)."""
        ...


class LocalRunner:
    """Worker processes on this machine (``workers=1`` analyses in this process, with no pool)."""

    def __init__(self, workers: int, setup: Setup) -> None:
        self.workers = workers
        self.setup = setup

    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        if self.workers == 1:
            for chunk in chunks:
                yield analyze_chunk(chunk, self.setup)
            return
        with worker_processes(self.workers) as pool:

            def submit(chunk: Chunk) -> Future[ChunkResult]:
                return pool.submit(analyze_chunk, chunk, self.setup)

            yield from _sliding_window(
                chunks, submit, _first_futures, Future.cancel, self.workers * IN_FLIGHT_PER_WORKER
            )


@contextmanager
def worker_processes(
    workers: int, warm_up: Callable[[], object] | None = None
) -> Iterator[ProcessPoolExecutor]:
    """The batch commands' one pool: ``workers`` processes, each on one thread, each having run ``warm_up``
    (building the engine, say) before its first task. Leaving on an error or Ctrl-C cancels the queued work
    instead of finishing it."""
    # forkserver: workers start from a clean process (no Ray, no progress thread to inherit),
    # with calmline already imported so each only builds its engine once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["calmline.batch.work"])
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(warm_up,))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _start_worker(warm_up: Callable[[], object] | None) -> None:
    # Ctrl-C is the parent's to handle (it stops the work and tidies its output); workers ignoring it keep
    # the terminal free of one traceback per worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # One worker per core: numeric libraries' own threads would only fight the other workers
    # for the same cores (Ray's workers get the same limit from Ray).
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if warm_up is not None:
        warm_up()


def _first_futures(
    pending: list[Future[ChunkResult]],
) -> tuple[list[ChunkResult], list[Future[ChunkResult]]]:
    done, waiting = wait(pending, return_when=FIRST_COMPLETED)
    return [future.result() for future in done], list(waiting)


class RayRunner:
    """Ray tasks on a local Ray with ``workers`` CPUs, or on the cluster at ``address`` (every CPU it has).

    On a cluster, calmline must be installed on the workers; the driver reads the archive and
    writes the output, so only the driver needs the files.
    """

    def __init__(self, workers: int, address: str | None, setup: Setup) -> None:
        try:
            import ray
        except ImportError:
            raise InputError("--engine ray needs Ray: pip install 'calmline[ray]'") from None
        self.setup = setup
        if not ray.is_initialized():
            _start_ray(ray, address, workers)
        # On a cluster the window follows the cluster's size, not this machine's.
        # ray leaves cluster_resources unannotated.
        cpus = int(ray.cluster_resources().get("CPU", workers)) if address else workers  # type: ignore[no-untyped-call]
        self.in_flight = max(1, cpus) * IN_FLIGHT_PER_WORKER
        self._analyze = ray.remote(num_cpus=1)(analyze_chunk)

    def run(self, chunks: Iterator[Chunk]) -> Iterator[ChunkResult]:
        import ray

        setup = ray.put(self.setup)  # sent once, not with every chunk

        def submit(chunk: Chunk) -> Any:
            return self._analyze.remote(chunk, setup)

        def first_ready(pending: list[Any]) -> tuple[list[ChunkResult], list[Any]]:
            ready, waiting = ray.wait(pending, num_returns=1)
            return ray.get(ready), waiting

        def cancel(reference: Any) -> None:
            ray.cancel(reference)

        yield from _sliding_window(chunks, submit, first_ready, cancel, self.in_flight)


def _start_ray(ray: Any, address: str | None, workers: int) -> None:
    try:
        if address is None:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        else:
            _check_reachable(address)
            # Something answers but may not be Ray: one connection attempt (~40 s), not Ray's twenty.
            with _environment_default(RAY_CONNECT_ATTEMPTS, "1"):
                ray.init(address=address, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as error:
        where = f"connect to the Ray cluster at {address}" if address else "start a local Ray"
        raise InputError(f"cannot {where}: {' '.join(str(error).split())}{_auth_hint(address)}") from None


def _auth_hint(address: str | None) -> str:
    # Ray sends its token to an address given by hand only when told to (see Ray's token-auth docs).
    if address is None or os.environ.get("RAY_AUTH_MODE") == "token":
        return ""
    return " (if the cluster uses token authentication, set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN)"


@contextmanager
def _environment_default(name: str, value: str) -> Iterator[None]:
    """``name=value`` in the environment for the block, unless the user has set it."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


def _check_reachable(address: str) -> None:
    """Refuse at once, with the reason, a ``host:port`` (or ``ray://host:port``) nothing answers at."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto" and other forms: Ray's own checks name the problem
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=RAY_CONNECT_TIMEOUT_S).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise InputError(f"cannot reach the Ray cluster at {address}: {reason}") from None


def _sliding_window(
    chunks: Iterator[Chunk],
    submit: Callable[[Chunk], Pending],
    first_done: Callable[[list[Pending]], tuple[list[ChunkResult], list[Pending]]],
    cancel: Callable[[Pending], Any],
    limit: int,
) -> Iterator[ChunkResult]:
    """Keep ``limit`` chunks in flight, yielding results as they finish; cancel the rest on the way out."""
    pending: list[Pending] = []
    try:
        for chunk in chunks:
            pending.append(submit(chunk))
            while len(pending) >= limit:
                done, pending = first_done(pending)
                yield from done
        while pending:
            done, pending = first_done(pending)
            yield from done
    finally:
        for task in pending:
            cancel(task)
