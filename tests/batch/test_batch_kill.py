"""A batch job killed outright (SIGKILL, as by a crash or the OOM killer) mid-run resumes with nothing lost or doubled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tests.conftest import ROOT

FILES = 3
PER_FILE = 100
CHUNK = 10
TURNS = 6
KILL_AFTER_CHUNKS = 3
DEADLINE_S = 300


def conversation(n: int) -> dict[str, object]:
    turns = []
    for t in range(TURNS):
        if t % 2 == 0:
            text = f"Order {n} is late again, this is the {t + 2}th time I write about it!"
            turns.append({"speaker": "Customer", "role": "customer", "text": text})
        else:
            text = f"I'm sorry about order {n}. I will check with the courier and email you today."
            turns.append({"speaker": "Agent", "role": "agent", "text": text})
    return {"id": f"c-{n:04d}", "started_at": "2025-03-04T10:00:00+00:00", "turns": turns}


def build_archive(folder: Path) -> tuple[set[str], set[str]]:
    """JSONL files of conversations, each with one broken line; the ids and the broken lines' origins."""
    folder.mkdir()
    ids, broken = set(), set()
    for f in range(FILES):
        path = folder / f"part-{f}.jsonl"
        lines = []
        for i in range(PER_FILE):
            n = f * PER_FILE + i
            lines.append(json.dumps(conversation(n)))
            ids.add(f"c-{n:04d}")
        lines.insert(PER_FILE // 2, '{"turns": [')  # line 51 of every file
        broken.add(f"{path}:line {PER_FILE // 2 + 1}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids, broken


def finished_chunks(out: Path) -> list[dict[str, Any]]:
    """The manifest's chunk entries; a line the kill tore in half is not one."""
    manifest = out / "manifest.jsonl"
    if not manifest.exists():
        return []
    entries = []
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:  # the first line is the header
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def test_a_job_killed_mid_run_resumes_with_every_conversation_exactly_once(tmp_path: Path) -> None:
    ids, broken = build_archive(tmp_path / "archive")
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "calmline",
        "batch",
        "analyze",
        str(tmp_path / "archive"),
        "--out",
        str(out),
        "--workers",
        "2",
        "--chunk-size",
        str(CHUNK),
        "--no-themes",
    ]
    total_chunks = -(-(len(ids) + len(broken)) // CHUNK)

    # Its own process group, so the kill takes the workers with the driver, as a crash of the machine would.
    job = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + DEADLINE_S
    while (
        len(finished_chunks(out)) < KILL_AFTER_CHUNKS and job.poll() is None and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()

    before_kill = finished_chunks(out)
    assert job.returncode == -signal.SIGKILL, "the job ended before it could be killed mid-run"
    assert KILL_AFTER_CHUNKS <= len(before_kill) < total_chunks
    assert not (out / "summary.json").exists()

    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE_S)

    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["resumed_chunks"] == len(before_kill)  # what was finished before the kill was not redone
    assert summary["chunks"] == len(finished_chunks(out)) == total_chunks
    assert summary["analysed_now"] == len(ids) - sum(c["conversations"] for c in before_kill)
    conversation_ids = pq.read_table(out / "conversations.parquet").column("conversation_id").to_pylist()
    assert Counter(conversation_ids) == Counter(ids)  # every conversation, each once
    turns = pq.read_table(out / "turns.parquet", columns=["conversation_id", "turn"]).to_pylist()
    assert Counter((row["conversation_id"], row["turn"]) for row in turns) == Counter(
        (cid, t) for cid in ids for t in range(TURNS)
    )
    assert Counter(failure["origin"] for failure in summary["failures"]) == Counter(broken)
    # Nothing half-written is left behind: parts are written under a hidden name and renamed.
    assert not [p for p in out.rglob(".*") if p.is_file()]
