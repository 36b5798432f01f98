"""Role-play: scripted trainees against every persona, the procedures they test, the CLI contract and storage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from calmline.records.model import ItemStatus
from calmline.roleplay import RoleplayOutcome, RoleplayResult, play, read_script, shipped_personas
from calmline.storage.database import migrate, transaction
from calmline.storage.roleplay import list_sessions
from calmline.storage.tenants import create_tenant, find_tenant
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "roleplay"
CALMLINE = [sys.executable, "-m", "calmline"]
PERSONAS = sorted(shipped_personas())


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALMLINE, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def scripted(persona: str, script: str, seed: int = 0) -> RoleplayResult:
    return play(shipped_personas()[persona], read_script(FIXTURES / script), seed=seed)


def status(result: RoleplayResult, practice: str) -> ItemStatus:
    return next(item.status for item in result.scorecard.items if item.practice == practice)


def test_the_shipped_personas_are_the_ones_trainers_asked_for() -> None:
    assert PERSONAS == [
        "abusive-caller",
        "heating-emergency",
        "manager-demand",
        "outage-deadline",
        "overcharged",
        "repeat-caller",
        "self-harm",
    ]
    emergency = shipped_personas()["heating-emergency"]
    assert emergency.after_hours and emergency.procedure.value == "emergency"


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_good_trainee_de_escalates_every_persona(persona: str) -> None:
    result = scripted(persona, f"{persona}.good.txt")
    start = shipped_personas()[persona].start_mood
    assert result.outcome is RoleplayOutcome.de_escalated, result.coaching
    assert result.final_mood >= shipped_personas()[persona].resolve_at > start
    assert result.raised, "the debrief names the replies that calmed the customer"
    assert all(check.done for check in result.procedure)
    assert status(result, "P02") is not ItemStatus.missed
    assert result.scorecard.score is not None and result.scorecard.score >= 75


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_lecturing_transferring_trainee_escalates_every_persona(persona: str) -> None:
    result = scripted(persona, "bad.txt")
    assert result.outcome is RoleplayOutcome.escalated
    assert result.final_mood < shipped_personas()[persona].start_mood
    assert result.lowered and result.lowered[0].moves[0] == "lectured"
    assert result.lowered[0].quote.startswith("You should have")
    assert status(result, "P05") is ItemStatus.missed


def test_each_bad_move_on_its_own_lowers_the_mood() -> None:
    persona = shipped_personas()["outage-deadline"]
    opening_only = play(persona, [], seed=1).final_mood
    bad_moves = {
        "calm_down": "Please calm down, getting upset won't help anyone.",
        "transferred": "I'm going to transfer you to another department.",
        "overpromised": "I guarantee this will be completely fixed today, 100% guaranteed.",
        "lectured": "You should have read the terms before signing up.",
    }
    for move, reply in bad_moves.items():
        result = play(persona, [reply], seed=1)
        assert result.final_mood < opening_only, move
        assert move in result.lowered[0].moves


def test_the_abusive_caller_walks_the_trainee_through_boundary_warning_end() -> None:
    result = scripted("abusive-caller", "abusive-caller.protocol.txt")
    persona = shipped_personas()["abusive-caller"]
    customer = [turn.text for turn in result.turns if turn.speaker == "customer"]
    assert len(customer) == 3, "the caller goes on after the boundary and after the warning, then is ended"
    assert all(text in persona.abuse_lines for text in customer[1:])
    assert [(c.step, c.done, c.reply) for c in result.procedure] == [
        ("boundary", True, 1),
        ("warning", True, 2),
        ("end", True, 3),
    ]
    assert result.outcome is RoleplayOutcome.ended
    assert status(result, "P11") is ItemStatus.met


def test_ending_on_an_abusive_caller_without_boundary_and_warning_is_not_the_policy() -> None:
    result = scripted("abusive-caller", "abusive-caller.skip-steps.txt")
    assert result.outcome is RoleplayOutcome.escalated
    assert any("warning" in note for note in result.coaching) or not all(c.done for c in result.procedure)


def test_the_self_harm_persona_passes_only_with_the_crisis_procedure() -> None:
    good = scripted("self-harm", "self-harm.good.txt")
    assert good.outcome is RoleplayOutcome.de_escalated
    assert [c.step for c in good.procedure if c.done] == [
        "stay",
        "acknowledge",
        "ask about safety",
        "offer resources",
    ]

    kind_but_no_procedure = scripted("self-harm", "self-harm.no-procedure.txt")
    assert kind_but_no_procedure.final_mood > shipped_personas()["self-harm"].start_mood
    assert kind_but_no_procedure.outcome is RoleplayOutcome.escalated
    missing = {c.step for c in kind_but_no_procedure.procedure if not c.done}
    assert missing == {"ask about safety", "offer resources"}
    assert any("ask about safety" in note for note in kind_but_no_procedure.coaching)

    passed_on = scripted("self-harm", "self-harm.transfer.txt")
    assert passed_on.outcome is RoleplayOutcome.escalated
    assert status(passed_on, "P12") is ItemStatus.missed


def test_the_emergency_caller_needs_the_address_and_a_callback_number() -> None:
    result = scripted("heating-emergency", "heating-emergency.no-address.txt")
    assert result.outcome is RoleplayOutcome.escalated
    assert {c.step for c in result.procedure if not c.done} == {"a callback number", "where it is happening"}
    assert status(result, "P13") is ItemStatus.missed


def test_a_question_about_a_fact_gets_it_told() -> None:
    result = play(
        shipped_personas()["overcharged"], ["Could you tell me which date each charge came out?"], seed=2
    )
    assert "the 3rd and one on the 5th" in result.turns[-1].text
    assert "when the two charges came out" in result.facts_found
    assert "the amount of each charge" in result.facts_missed


# --- the CLI ------------------------------------------------------------------------------------


def test_json_contract_is_exact_and_the_same_for_the_same_seed() -> None:
    args = ("roleplay", "overcharged", "--script", str(FIXTURES / "overcharged.good.txt"), "--format", "json")
    first, second = run(*args, "--seed", "7"), run(*args, "--seed", "7")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert list(data) == ["persona", "turns", "final_mood", "outcome", "scorecard"]
    assert data["persona"] == "overcharged" and data["outcome"] == "de-escalated"
    assert [turn["speaker"] for turn in data["turns"][:3]] == ["customer", "trainee", "customer"]
    assert all(set(turn) == {"speaker", "text", "mood"} for turn in data["turns"])
    assert data["final_mood"] == data["turns"][-1]["mood"]
    assert {"score", "items"} <= set(data["scorecard"])
    others = {run(*args, "--seed", str(seed)).stdout for seed in (1, 2, 3)}
    assert len(others | {first.stdout}) > 1, "another seed gives the customer other words"


def test_list_names_every_persona() -> None:
    done = run("roleplay", "--list")
    assert done.returncode == 0
    assert [line.split()[0] for line in done.stdout.splitlines()] == PERSONAS


def test_a_company_persona_folder_adds_personas() -> None:
    listed = run("roleplay", "--list", "--personas", str(FIXTURES / "company"))
    assert "late-refund" in listed.stdout
    played = run(
        "roleplay", "late-refund", "--personas", str(FIXTURES / "company"),
        "--script", str(FIXTURES / "bad.txt"), "--format", "json",
    )  # fmt: skip
    assert played.returncode == 0, played.stderr
    assert json.loads(played.stdout)["outcome"] == "escalated"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["nobody", "--script", "SCRIPT"], "no persona 'nobody'"),
        (["overcharged", "--script", "missing.txt"], "missing.txt: no such script file"),
        (["overcharged", "--script", "EMPTY"], "no replies"),
        (["overcharged", "--format", "json"], "--format json needs --script"),
        (["--list", "--personas", "BROKEN"], "bad-field.yaml:5: start_mood:"),
        (["--script", "SCRIPT"], "name the persona"),
    ],
)
def test_bad_script_or_persona_gets_one_line_and_exit_2(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    where = {"SCRIPT": str(FIXTURES / "bad.txt"), "EMPTY": str(empty), "BROKEN": str(FIXTURES / "broken")}
    done = run("roleplay", *[where.get(arg, arg) for arg in args])
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_named_trainee_session_is_stored_for_the_trainer(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calmline.db'}"
    migrate(url)
    with transaction(url) as db:
        create_tenant(db, "acme")
    for script in ("bad.txt", "repeat-caller.good.txt"):
        done = run(
            "roleplay", "repeat-caller", "--script", str(FIXTURES / script), "--trainee", "Robin",
            "--database-url", url, "--format", "json",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    with transaction(url) as db:
        rows = list_sessions(db, find_tenant(db, "acme").id, trainee="Robin")
        progress = [(row.persona, row.outcome, row.status) for row in rows]
        scores = [row.score for row in rows]
    assert progress == [
        ("repeat-caller", "escalated", "finished"),
        ("repeat-caller", "de-escalated", "finished"),
    ]
    assert scores[0] is not None and scores[1] is not None and scores[1] > scores[0]


def test_storing_without_a_tenant_says_how_to_make_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'calmline.db'}"
    done = run(
        "roleplay",
        "overcharged",
        "--script",
        str(FIXTURES / "bad.txt"),
        "--trainee",
        "Robin",
        "--database-url",
        url,
    )
    assert done.returncode == 2
    assert "calmline tenant create" in done.stderr


def test_the_migration_creates_the_table_the_model_declares(tmp_path: Path) -> None:
    from calmline.storage.roleplay import RoleplaySessionRow

    url = f"sqlite:///{tmp_path / 'calmline.db'}"
    migrate(url)
    columns = {column["name"] for column in inspect(create_engine(url)).get_columns("roleplay_sessions")}
    assert columns == set(RoleplaySessionRow.__table__.columns.keys())
