"""``calmline detect`` end to end: scores and labels, turns and forecasts, bad lines, order, memory."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calmline.batch import detect as detect_module
from calmline.batch.detect import (
    DETECT_SIGNALS,
    KNOWN_SIGNALS,
    DetectOptions,
    detect_file,
    detect_stream,
    score_chunk,
    score_record,
    shipped_threshold,
    windows,
)
from calmline.cli import app
from calmline.engine.models import load_models
from calmline.errors import InputError, RecordError, RecordScoringError
from tests.conftest import ROOT


def _detect_is_registered() -> bool:
    return any((command.name or command.callback.__name__) == "detect" for command in app.registered_commands)


# Until the lead registers the command, the same app and entry point (one-line errors, exit
# codes) run with `detect` added exactly as the registration will add it.
_SHIM = "from calmline import cli; from calmline.cli.detect_cmd import detect; cli.app.command()(detect); cli.main()"
CALMLINE = [sys.executable, "-m", "calmline"] if _detect_is_registered() else [sys.executable, "-c", _SHIM]

ABUSE = "You are a useless idiot, I want to speak to your manager NOW!!"
CALM = "Could you tell me when my parcel will arrive?"
CONVERSATION = [
    {"speaker": "Caller", "text": "This is the THIRD time I am calling about this charge!!"},
    {"speaker": "Agent", "text": "As I already said, that is our policy."},
    {"speaker": "Caller", "text": "Ridiculous. Nobody here listens, this is a joke."},
    {"speaker": "Agent", "text": "Calm down, there is nothing I can do."},
]


def run(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CALMLINE, "detect", *args], capture_output=True, text=True, input=stdin, timeout=300, cwd=cwd
    )


def write_jsonl(path: Path, lines: list[object]) -> Path:
    """Objects become JSON lines; strings are written as they are (to make malformed lines)."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# --- scores, labels, forecasts through the command ----------------------------------------


@pytest.fixture(scope="module")
def scored(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], list[dict], Path]:
    folder = tmp_path_factory.mktemp("scored")
    source = write_jsonl(
        folder / "in.jsonl",
        [
            {"id": "abuse", "text": ABUSE, "channel": "chat"},
            {"id": "calm", "text": CALM},
            {"id": "conversation", "turns": CONVERSATION},
        ],
    )
    done = run("--input", str(source), "--output", str(folder / "out.jsonl"))
    return done, read_jsonl(folder / "out.jsonl"), folder / "out.jsonl"


def test_a_text_record_keeps_its_fields_and_gets_a_score_and_label_per_stable_signal(scored) -> None:
    done, records, _ = scored
    assert done.returncode == 0, done.stderr
    abuse, calm = records[0], records[1]
    assert abuse["channel"] == "chat" and abuse["text"] == ABUSE
    assert list(abuse["scores"]) == list(DETECT_SIGNALS) == list(abuse["labels"])
    assert abuse["labels"]["abuse_at_agent"] and abuse["labels"]["manager_request"]
    assert not any(calm["labels"].values()), calm["scores"]
    for record in (abuse, calm):
        for name, score in record["scores"].items():
            assert 0.0 <= score <= 1.0
            assert record["labels"][name] == (score >= shipped_threshold(name))


def test_a_conversation_gets_scores_per_turn_and_a_forecast_from_all_but_the_last_turn(scored) -> None:
    conversation = scored[1][2]
    turns = conversation["turns"]
    assert [t["text"] for t in turns] == [t["text"] for t in CONVERSATION]
    assert all(list(t["scores"]) == list(KNOWN_SIGNALS) for t in turns)
    risks = [t["scores"]["escalation_risk"] for t in turns]
    assert conversation["derail_forecast"] == max(risks[:-1])
    assert risks[2] > risks[0], "the risk should rise as the caller gets angrier"
    assert "labels" not in conversation


def test_the_output_file_gets_ordinary_permissions(scored) -> None:
    # Written under a private temporary name first; the renamed file must not stay owner-only.
    umask = os.umask(0)
    os.umask(umask)
    assert scored[2].stat().st_mode & 0o777 == 0o666 & ~umask


def test_signals_restricts_what_is_scored_and_stdin_stdout_work(tmp_path: Path) -> None:
    lines = [{"text": ABUSE}, {"turns": CONVERSATION[:2]}]
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    done = run("--input", "-", "--output", "-", "--signals", "abuse_at_agent, anger", stdin=stdin)
    assert done.returncode == 0, done.stderr
    text, conversation = (json.loads(line) for line in done.stdout.splitlines())
    assert list(text["scores"]) == ["abuse_at_agent", "anger"] == list(text["labels"])
    assert all(list(turn["scores"]) == ["abuse_at_agent", "anger"] for turn in conversation["turns"])
    assert "derail_forecast" in conversation


def test_an_unknown_signal_is_a_one_line_error_naming_the_known_ones(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": CALM}])
    done = run("-i", str(source), "-o", str(tmp_path / "out.jsonl"), "--signals", "anger,rudeness")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "rudeness" in done.stderr
    assert all(name in done.stderr for name in KNOWN_SIGNALS)
    assert not (tmp_path / "out.jsonl").exists()


# --- bad lines ---------------------------------------------------------------------------

MALFORMED = [
    {"id": 1, "text": CALM},
    '{"id": 2, "text": "unterminated',  # invalid JSON
    {"id": 3, "note": "no text here"},
    {"id": 4, "text": "   "},
    {"id": 5, "text": 42},
    "[1, 2, 3]",
    "",
    {"id": 8, "turns": [{"speaker": "Caller", "text": "hello"}, {"speaker": "Agent"}]},
    {"id": 9, "turns": []},
    {"id": 10, "text": "x" * 400},  # over the --max-bytes 300 used below
    {"id": 11, "text": ABUSE},
]
MALFORMED_REPORTED = {
    2: "invalid JSON",
    3: "no 'text'",
    4: "empty",
    5: "a number",
    6: "an array",
    7: "blank line",
    8: "turn 1 has no 'text'",
    9: "empty array",
    10: "longer than 300 bytes",
}


def test_bad_lines_are_reported_with_their_line_numbers_and_skipped(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", MALFORMED)
    done = run("-i", str(source), "-o", str(tmp_path / "out.jsonl"), "--max-bytes", "300")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == [1, 11]
    reported = [line for line in done.stderr.splitlines() if line.startswith("line ")]
    assert [int(line.split(":")[0].removeprefix("line ")) for line in reported] == sorted(MALFORMED_REPORTED)
    for line, expected in zip(reported, MALFORMED_REPORTED.values(), strict=True):
        assert expected in line, line
    assert "scored 2 of 11 lines" in done.stderr and "skipped 9" in done.stderr


def test_strict_stops_with_exit_code_2_and_leaves_no_output(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": CALM}] * 40 + ["{oops"] + [{"text": CALM}] * 40)
    done = run("-i", str(source), "-o", str(tmp_path / "new.jsonl"), "--strict")
    assert done.returncode == 2
    assert "line 41: invalid JSON" in done.stderr and "no output written" in done.stderr
    assert not (tmp_path / "new.jsonl").exists() and leftovers(tmp_path) == []

    (tmp_path / "old.jsonl").write_text("the previous run\n", encoding="utf-8")
    done = run("-i", str(source), "-o", str(tmp_path / "old.jsonl"), "--strict")
    assert done.returncode == 2
    assert (tmp_path / "old.jsonl").read_text(encoding="utf-8") == "the previous run\n"


def test_ctrl_c_leaves_no_partial_output_and_says_so(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": f"{CALM} ({i})"} for i in range(20_000)])
    process = subprocess.Popen(
        [*CALMLINE, "detect", "-i", str(source), "-o", str(tmp_path / "out.jsonl")],
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        # A test runner may start us with Ctrl-C ignored; the command must see it as a user would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    _wait_for(lambda: leftovers(tmp_path) != [] or process.poll() is not None)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted; no output written" in stderr
    assert not (tmp_path / "out.jsonl").exists() and leftovers(tmp_path) == []


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# --- order with workers ------------------------------------------------------------------


def test_two_workers_keep_the_input_order_and_the_line_numbers(tmp_path: Path) -> None:
    # Enough lines for many chunks in flight at once; every 7th line is bad, so the reported
    # line numbers check that problems come out in order too.
    lines: list[object] = []
    for number in range(1, 401):
        if number % 7 == 0:
            lines.append("not json")
        elif number % 50 == 0:
            lines.append({"id": number, "turns": CONVERSATION})
        else:
            lines.append({"id": number, "text": ABUSE if number % 3 == 0 else CALM})
    source = write_jsonl(tmp_path / "in.jsonl", lines)
    done = run("-i", str(source), "-o", str(tmp_path / "out.jsonl"), "--workers", "2")
    assert done.returncode == 0, done.stderr
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == [n for n in range(1, 401) if n % 7]
    assert all(r["labels"]["abuse_at_agent"] == (r["id"] % 3 == 0) for r in records if "labels" in r)
    reported = [int(line.split(":")[0][5:]) for line in done.stderr.splitlines() if line.startswith("line ")]
    assert reported == [n for n in range(1, 401) if n % 7 == 0]


# --- the library: forecasting without peeking, roles -------------------------------------


@pytest.mark.parametrize(
    "last",
    [
        "You are a worthless idiot and I will find out where you live.",
        "I WANT YOUR MANAGER RIGHT NOW!!! THIS IS A DISGRACE!!!",
        "Thank you so much, that solves it.",
    ],
)
def test_the_derail_forecast_does_not_peek_at_the_last_turn(engine, last: str) -> None:
    base = {"turns": [*CONVERSATION[:3], {"speaker": "Agent", "text": "Let me see what I can do."}]}
    changed = {"turns": [*base["turns"], {"speaker": "Caller", "text": last}]}
    neutral = {"turns": [*base["turns"], {"speaker": "Caller", "text": "Okay."}]}
    forecast = score_record(neutral, engine)["derail_forecast"]
    result = score_record(changed, engine)
    assert result["derail_forecast"] == forecast
    assert forecast == max(t["scores"]["escalation_risk"] for t in score_record(base, engine)["turns"])


def test_the_forecast_test_would_notice_peeking(engine) -> None:
    # The hostile last turn must raise the risk, or the test above would pass whatever it read.
    result = score_record(
        {"turns": [{"speaker": "Caller", "text": "Hi."}, {"speaker": "Caller", "text": ABUSE}]}, engine
    )
    assert result["turns"][-1]["scores"]["escalation_risk"] > result["derail_forecast"]


def test_roles_come_from_role_then_name_then_alternation(engine) -> None:
    # abuse_at_agent is only looked for in customer turns, so it shows which role each turn got.
    turns = [
        {"speaker": "A", "text": ABUSE},  # unknown name, first: customer
        {"speaker": "B", "text": ABUSE},  # unknown name, after a customer: agent
        {"speaker": "A", "text": ABUSE},  # A again: still the customer
        {"speaker": "Rep Dana", "text": ABUSE},  # the name says agent
        {"speaker": "Dana", "role": "customer", "text": ABUSE},  # an explicit role wins
    ]
    result = score_record({"turns": turns}, engine)
    abusive = [turn["scores"]["abuse_at_agent"] >= 0.5 for turn in result["turns"]]
    assert abusive == [True, False, True, False, True]


def test_a_bad_role_is_a_record_error(engine) -> None:
    with pytest.raises(RecordError, match="role 'boss'"):
        score_record({"turns": [{"speaker": "X", "role": "boss", "text": "hi"}]}, engine)


def test_a_text_longer_than_a_turn_is_scored_over_windows_never_skipped(engine) -> None:
    # A long written complaint whose threat comes only on its last page.
    filler = "I have written to you about the billing error on my account several times since March. " * 300
    threat = "If this is not fixed by Friday I will come to your office and hurt the manager."
    long = {"text": filler + threat}
    assert len(long["text"]) > 25_000
    scored = score_record(long, engine)
    alone = score_record({"text": threat}, engine)
    assert scored["scores"]["violence_threat"] == alone["scores"]["violence_threat"] > 0.5
    assert scored["labels"]["violence_threat"] is True
    turns = score_record({"turns": [{"speaker": "Customer", "text": filler + threat}]}, engine)
    assert turns["turns"][0]["scores"]["violence_threat"] == alone["scores"]["violence_threat"]


def test_windows_cut_at_spaces_and_keep_every_character() -> None:
    text = "word " * 1000
    pieces = windows(text, 300)
    assert "".join(pieces) == text
    assert all(len(p) <= 300 and p.endswith(" ") for p in pieces[:-1])
    assert windows("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_trained_signals_are_model_probabilities_labelled_at_the_models_own_thresholds(engine) -> None:
    models = load_models()
    for name in KNOWN_SIGNALS:
        expected = models.threshold(name) if name in models.signals else 0.5
        assert shipped_threshold(name) == expected, name
    assert shipped_threshold("offensive") != 0.5  # the models' thresholds are their own
    text = "This is ridiculous, I have been waiting three weeks for my refund."
    record = score_record({"text": text}, engine)
    for name in models.signals:
        assert record["scores"][name] == pytest.approx(models.score(text)[name], abs=1e-4)
        assert record["labels"][name] == (models.score(text)[name] >= models.threshold(name))
    # In a conversation each model reads its own side: the customer's anger, the agent's politeness.
    turns = score_record(
        {"turns": [{"speaker": "customer", "text": text}, {"speaker": "agent", "text": text}]}, engine
    )["turns"]
    assert turns[0]["scores"]["anger"] > 0.5 and turns[0]["scores"]["impolite"] == 0.0
    assert turns[1]["scores"]["anger"] == 0.0 and turns[1]["scores"]["impolite"] > 0.0


def test_a_byte_order_mark_and_a_lone_surrogate_do_not_cost_a_record(engine) -> None:
    source = io.BytesIO(b'\xef\xbb\xbf{"id": 1, "text": "hi"}\n{"id": 2, "text": "odd \\ud800 text"}\n')
    sink = io.BytesIO()
    report = detect_stream(source, sink)
    assert (report.written, report.skipped_total) == (2, 0)
    assert [json.loads(line)["id"] for line in sink.getvalue().splitlines()] == [1, 2]


def test_an_engine_failure_names_the_line_to_reproduce_it_with(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(detect_module, "score_record", broken)
    with pytest.raises(RecordScoringError, match="line 7: ValueError: boom"):
        score_chunk([(7, b'{"text": "hi"}')], DetectOptions())


def test_an_output_path_that_is_a_folder_fails_before_any_scoring(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"text": CALM}])
    with pytest.raises(InputError, match="it is a folder"):
        detect_file(source, tmp_path)


# --- memory ------------------------------------------------------------------------------

# Records the size of a long support e-mail with its metadata: few enough that the engine's
# ~2 ms per text keeps the run short, large enough that the file reaches tens of megabytes.
PAYLOAD_BYTES = 25_000
# Growth of peak memory allowed between a 1 MB and a big input. Streaming holds a few chunks
# (≤ 1 MB of input each) with their output, and the engine's LRU caches (≤ 4096 texts each)
# fill up over the first thousands of records: measured 1.8 MB of growth at 50 MB and 5.8 MB at
# 1 GB. Anything that keeps the input or the output around grows by more than the file itself
# (50 MB as bytes, several times that as Python objects). 20 MB sits far from both.
RSS_GROWTH_BOUND_MB = 20
# CALMLINE_DETECT_BIG=1 makes it the 1 GB check (about 4 minutes on 2 cores): a manual run, not CI.
BIG_MB = 1024 if os.environ.get("CALMLINE_DETECT_BIG") else 50


def _generate(path: Path, megabytes: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for index in range(megabytes * 1_000_000 // PAYLOAD_BYTES):
            filler = f"{index:08d} " + "quoted earlier thread and signature " * (PAYLOAD_BYTES // 36)
            record: dict[str, object] = {"id": index, "meta": {"thread": filler}}
            if index % 40 == 0:
                record["turns"] = CONVERSATION[:2]
            else:
                record["text"] = f"{ABUSE if index % 2 else CALM} ({index})"
            out.write(json.dumps(record) + "\n")
    return path


def _peak_rss_mb(*args: str) -> float:
    """Peak resident memory of one ``calmline detect`` run, from the kernel's record of that child."""
    process = subprocess.Popen(
        [*CALMLINE, "detect", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return usage.ru_maxrss / 1024  # kilobytes on Linux


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    folder = tmp_path_factory.mktemp("memory")
    yield _generate(folder / "small.jsonl", 1), _generate(folder / "big.jsonl", BIG_MB)
    for path in folder.iterdir():
        path.unlink()


@pytest.mark.skipif(sys.platform != "linux", reason="reads peak memory from wait4, Linux units")
def test_memory_stays_flat_however_big_the_input(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    small, big = inputs
    base = _peak_rss_mb("-i", str(small), "-o", str(tmp_path / "small.out"))
    peak = _peak_rss_mb("-i", str(big), "-o", str(tmp_path / "big.out"))
    assert big.stat().st_size >= BIG_MB * 900_000
    assert (tmp_path / "big.out").stat().st_size > big.stat().st_size  # everything was written
    assert peak - base < RSS_GROWTH_BOUND_MB, (base, peak)
