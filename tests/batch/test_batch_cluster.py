"""``calmline batch analyze --engine ray --ray-address`` against a real Ray cluster started with ``ray start``."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from calmline.batch.job import BatchOptions, analyze_archive
from tests.batch.test_batch import build_archive, sorted_rows
from tests.conftest import ROOT

pytest.importorskip("ray")

RAY = Path(sys.executable).with_name("ray")
STARTUP_S = 120
SHUTDOWN_S = 30


@dataclass(frozen=True)
class Cluster:
    address: str
    environment: dict[str, str]
    temp_dir: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """A one-node cluster of 2 CPUs with its own port, temp dir and token.

    Its own temp dir keeps it out of reach of ``ray.init()`` calls elsewhere (which look for a
    running cluster in the default one), and its own token keeps it independent of the token
    file in the home folder. It is stopped by ending its own process group, not with
    ``ray stop``, which stops every Ray on the machine — other tests' and other users' too.
    """
    port = free_port()
    # Short: Ray's unix sockets live under it, and their paths are limited to about 100 bytes.
    temp_dir = Path(tempfile.mkdtemp(prefix="calmline-ray-"))
    environment = os.environ | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    environment.pop("RAY_ADDRESS", None)
    command = [
        str(RAY),
        "start",
        "--head",
        f"--port={port}",
        "--num-cpus=2",
        "--disable-usage-stats",
        "--include-dashboard=false",
        f"--temp-dir={temp_dir}",
        "--block",  # stays in the foreground: ending it (SIGTERM) stops the cluster's processes
    ]
    log = (temp_dir / "head.log").open("wb")
    head = subprocess.Popen(
        command, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _wait_until_up(head, temp_dir)
        yield Cluster(f"127.0.0.1:{port}", environment, temp_dir)
    finally:
        _stop(head)
        log.close()
        shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_until_up(head: subprocess.Popen[bytes], temp_dir: Path) -> None:
    # ``ray start`` writes the cluster's address file once the head is ready for drivers.
    deadline = time.monotonic() + STARTUP_S
    while not (temp_dir / "ray_current_cluster").exists():
        if head.poll() is not None or time.monotonic() > deadline:
            log = (temp_dir / "head.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"the Ray head did not start (exit {head.returncode}):\n{log}")
        time.sleep(0.5)


def _stop(head: subprocess.Popen[bytes]) -> None:
    head.terminate()
    try:
        head.wait(SHUTDOWN_S)
    except subprocess.TimeoutExpired:
        head.kill()
        head.wait()
    with contextlib.suppress(ProcessLookupError):  # anything of the cluster still alive is in its group
        os.killpg(head.pid, signal.SIGKILL)


def batch_analyze(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "calmline", "batch", "analyze", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=environment, timeout=600)


def test_a_run_on_the_cluster_gives_the_local_engines_outputs(cluster: Cluster, tmp_path: Path) -> None:
    archive = build_archive(tmp_path / "archive")
    local = analyze_archive(archive, tmp_path / "local", BatchOptions(workers=2, chunk_size=5))

    run = batch_analyze(
        str(archive),
        "--out",
        str(tmp_path / "cluster"),
        "--engine",
        "ray",
        "--ray-address",
        cluster.address,
        "--chunk-size",
        "5",
        environment=cluster.environment,
    )

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    for name, keys in (
        ("conversations.parquet", ["conversation_id"]),
        ("turns.parquet", ["conversation_id", "turn"]),
    ):
        assert sorted_rows(pq.read_table(tmp_path / "cluster" / name), keys) == sorted_rows(
            pq.read_table(tmp_path / "local" / name), keys
        )
    assert (tmp_path / "cluster" / "themes.json").read_text() == (
        tmp_path / "local" / "themes.json"
    ).read_text()
    assert f"{local.conversations} conversations" in run.stderr
    assert f"{len(local.failures)} inputs skipped" in run.stderr
    # The work was done by that cluster's own workers, not by a Ray the command started for itself.
    logs = cluster.temp_dir / "session_latest" / "logs"
    assert list(logs.glob("python-core-driver-*")) and list(logs.glob("python-core-worker-*"))


def test_an_address_where_no_cluster_listens_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Customer: my parcel is late\nAgent: let me check\n", encoding="utf-8")
    address = f"127.0.0.1:{free_port()}"

    run = batch_analyze(
        str(tmp_path / "a.txt"),
        "--out",
        str(tmp_path / "out"),
        "--engine",
        "ray",
        "--ray-address",
        address,
        environment=dict(os.environ),
    )

    assert run.returncode == 2
    assert f"error: cannot reach the Ray cluster at {address}: Connection refused" in run.stderr
    assert "Traceback" not in run.stderr
