"""Records after the conversation: commitments with due times, the QA scorecard, overrides, well-being,
exports, the optional generator and ``calmline record`` end to end."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from calmline.errors import InputError
from calmline.playbook import load_default
from calmline.playbook.schema import Wellbeing
from calmline.records import ItemStatus, Override, RecordResult, aggregate, apply_overrides, build_record
from calmline.records.due import WorkWeek, resolve_due
from calmline.records.export import commitments_csv, records_csv, report_html, scorecards_csv, to_json
from calmline.records.generator import GeneratorConfig, rewrite_note
from calmline.records.wellbeing import ClosedConversation, facts_of, shifts, suggestions
from calmline.transcripts import read_transcript
from tests.conftest import EXAMPLES, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "records"
NEW_YORK = "America/New_York"
CALMLINE = [sys.executable, "-m", "calmline"]
PLAYBOOK = load_default()
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def record_of(path: Path, engine, at: str | None = None, timezone: str | None = None) -> RecordResult:
    conversation = read_transcript(path)
    if at is not None:
        conversation = conversation.model_copy(
            update={"started_at": datetime.fromisoformat(at), "after_hours": None}
        )
    return build_record(engine.analyze(conversation), PLAYBOOK, timezone)


def dues(result: RecordResult) -> list[tuple[int, str, str | None, str]]:
    return [
        (c.turn, c.owner, c.due.isoformat() if c.due else None, c.status.value) for c in result.commitments
    ]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CALMLINE, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


@pytest.fixture(scope="module")
def examples(engine) -> dict[str, RecordResult]:
    names = ["abuse_at_agent", "after_hours_emergency", "billing_anger_deescalates", "calm_inquiry",
             "frustration_builds_manager", "self_harm"]  # fmt: skip
    return {name: record_of(EXAMPLES / f"{name}.txt", engine, timezone=None) for name in names}


# --- commitments and their due times ----------------------------------------------------------


def test_late_night_promises_get_their_due_times(engine) -> None:
    # Friday 2026-11-20, 23:30 in New York; no per-turn times, so turn n is said n minutes later.
    result = record_of(
        FIXTURES / "late_callback.txt", engine, at="2026-11-20T23:30:00-05:00", timezone=NEW_YORK
    )
    assert dues(result) == [
        # "tomorrow morning" at 23:31 is the next calendar morning, 09:00.
        (1, "Sam", "2026-11-21T09:00:00-05:00", "open"),
        # 3 business days after a Friday: Monday, Tuesday, Wednesday, at the close (18:00).
        (3, "Sam", "2026-11-25T18:00:00-05:00", "open"),
        # "today" said after the close: the end of the day.
        (5, "Sam", "2026-11-20T23:59:59-05:00", "open"),
        # "by Friday" said on a Friday is next week's Friday; the team named owns it.
        (5, "billing team", "2026-11-27T18:00:00-05:00", "open"),
        # "someone will be there within 2 hours": elapsed time; the agent answers for it.
        (7, "Sam", "2026-11-21T01:37:00-05:00", "open"),
    ]
    assert [c.evidence[0].turn for c in result.commitments] == [1, 3, 5, 5, 7]
    assert result.commitments[0].what == "I'll call you back tomorrow morning with the corrected amount"


def test_example_commitments(examples: dict[str, RecordResult], engine) -> None:
    billing = record_of(EXAMPLES / "billing_anger_deescalates.txt", engine, timezone=NEW_YORK)
    # Said on Thursday 2025-03-06, "by Thursday" is the next Thursday, after the switch to summer time;
    # the reminder to email the decision on Thursday (turn 10) is the same follow-up, restated.
    assert dues(billing) == [(8, "Marco", None, "done"), (8, "Marco", "2025-03-13T18:00:00-04:00", "open")]
    filed, decision = billing.commitments
    assert [e.turn for e in filed.done_evidence] == [10] and "filed" in filed.done_evidence[0].quote
    assert [e.turn for e in decision.evidence] == [8, 10]
    # Without a zone name, the start time's fixed offset is all there is to go on.
    assert dues(examples["billing_anger_deescalates"])[1][2] == "2025-03-13T18:00:00-05:00"

    emergency = examples["after_hours_emergency"]
    assert dues(emergency) == [
        (2, "Devin", "2025-01-17T02:29:14-06:00", "open"),  # "right away", said 14.3 s into the call
        (10, "on-call technician", "2025-01-17T02:50:00-06:00", "open"),  # "if you haven't heard by 2:50"
    ]
    assert [e.turn for e in emergency.commitments[1].evidence] == [10, 15]  # "they'll be in touch shortly"

    # A supervisor's promise on the agent's behalf, said on Tuesday 2025-04-22: due at the end of next week.
    assert dues(examples["self_harm"]) == [(17, "Nina", "2025-05-02T18:00:00-04:00", "open")]
    # Offers, conditional threats ("if it happens again, I'll…") and transfers are not commitments.
    for name in ("abuse_at_agent", "calm_inquiry", "frustration_builds_manager"):
        assert examples[name].commitments == [], name


@pytest.mark.parametrize(
    ("start", "within_two_hours", "tomorrow_morning"),
    [
        # Spring forward in New York: 02:00 EST becomes 03:00 EDT on 2026-03-08.
        ("2026-03-07T23:30:00-05:00", "2026-03-08T01:31:00-05:00", "2026-03-08T09:00:00-04:00"),
        ("2026-03-08T01:00:00-05:00", "2026-03-08T04:01:00-04:00", "2026-03-08T09:00:00-04:00"),
        # Fall back: 02:00 EDT becomes 01:00 EST on 2026-11-01, so 01:31 happens twice.
        ("2026-10-31T23:30:00-04:00", "2026-11-01T01:31:00-04:00", "2026-11-01T09:00:00-05:00"),
        ("2026-11-01T00:30:00-04:00", "2026-11-01T01:31:00-05:00", "2026-11-01T09:00:00-05:00"),
    ],
)
def test_due_times_across_daylight_saving_changes(
    engine, start: str, within_two_hours: str, tomorrow_morning: str
) -> None:
    result = record_of(FIXTURES / "overnight_repair.txt", engine, at=start, timezone=NEW_YORK)
    assert [c.due.isoformat() for c in result.commitments if c.due] == [within_two_hours, tomorrow_morning]
    said = datetime.fromisoformat(start) + timedelta(minutes=1)
    # Two hours are two real hours, whatever the wall clock did; the due is stored as an exact instant.
    assert result.commitments[0].due.astimezone(UTC) - said.astimezone(UTC) == timedelta(hours=2)
    assert result.record.timezone == NEW_YORK


WEEK = WorkWeek.from_hours(PLAYBOOK.business_hours)
FRIDAY_NOON = datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo(NEW_YORK))


@pytest.mark.parametrize(
    ("phrase", "said", "due"),
    [
        ("this Friday", FRIDAY_NOON, "2026-11-20T18:00:00-05:00"),
        ("next Friday", FRIDAY_NOON - timedelta(days=2), "2026-11-27T18:00:00-05:00"),
        ("by Monday", FRIDAY_NOON, "2026-11-23T18:00:00-05:00"),
        ("end of day", FRIDAY_NOON, "2026-11-20T18:00:00-05:00"),
        ("tomorrow morning", FRIDAY_NOON.replace(hour=0, minute=30), "2026-11-20T09:00:00-05:00"),
        ("within 2 business days", FRIDAY_NOON, "2026-11-24T18:00:00-05:00"),
        ("within 3 to 5 business days", FRIDAY_NOON, "2026-11-27T18:00:00-05:00"),
        ("in two days", FRIDAY_NOON, "2026-11-22T12:00:00-05:00"),
        ("by 2:50", FRIDAY_NOON, "2026-11-20T14:50:00-05:00"),
        ("next week", FRIDAY_NOON, "2026-11-27T18:00:00-05:00"),
        ("right away", FRIDAY_NOON, "2026-11-20T12:15:00-05:00"),
        ("on December 3rd", FRIDAY_NOON, "2026-12-03T18:00:00-05:00"),
        # The day after the time: once read as "by 5pm" today, dropping "this Friday".
        ("by 5pm this Friday", FRIDAY_NOON - timedelta(days=2), "2026-11-20T17:00:00-05:00"),
        ("at 10 a.m. tomorrow", FRIDAY_NOON, "2026-11-21T10:00:00-05:00"),
    ],
)
def test_due_rules(phrase: str, said: datetime, due: str) -> None:
    assert resolve_due(phrase, said, WEEK).isoformat() == due


def test_due_follows_the_playbooks_business_hours() -> None:
    hours = PLAYBOOK.business_hours.model_copy(update={"days": ["mon", "tue", "wed", "thu", "fri", "sat"]})
    saturday_week = WorkWeek.from_hours(hours)
    assert (
        resolve_due("within 1 business day", FRIDAY_NOON, saturday_week).isoformat()
        == "2026-11-21T18:00:00-05:00"
    )
    assert resolve_due("whenever suits", FRIDAY_NOON, WEEK) is None


def test_commitment_becomes_overdue_after_its_due(examples: dict[str, RecordResult]) -> None:
    decision = examples["billing_anger_deescalates"].commitments[1]
    assert decision.status_at(decision.due - timedelta(minutes=1)).value == "open"
    assert decision.status_at(decision.due + timedelta(minutes=1)).value == "overdue"
    filed = examples["billing_anger_deescalates"].commitments[0]
    assert filed.status_at(datetime(2030, 1, 1, tzinfo=UTC)).value == "done"


# --- scorecard -----------------------------------------------------------------------------------


def items(result: RecordResult) -> dict[str, tuple[str, list[int]]]:
    return {
        i.practice: (i.status.value, sorted({e.turn for e in i.evidence})) for i in result.scorecard.items
    }


def test_scorecard_of_a_conversation_that_went_wrong(examples: dict[str, RecordResult]) -> None:
    card = items(examples["frustration_builds_manager"])
    assert {p: v for p, v in card.items() if v[0] == "missed"} == {
        "P01": ("missed", [8]),  # "Please calm down, sir."
        "P02": ("missed", [8, 12]),  # no acknowledgement after the angry turns
        "P03": ("missed", [5, 7]),  # the customer repeated themselves; nothing was said back
        "P04": ("missed", [1, 3, 5, 9]),  # three grievances left open
        "P05": ("missed", [4, 6]),  # "You should also have searched…", "As I already stated…"
        "P07": ("missed", [6, 10]),
        "P08": ("missed", [8, 12]),  # passed on twice
        "P10": ("missed", [5, 9, 11]),  # forecast, then two manager requests, no supervisor
        "P14": ("missed", [1, 3, 7]),  # marked delivered, never arrived, third time explaining: no apology
        "P15": ("missed", [0]),
        "P16": ("missed", [1, 3, 5, 9]),
        "P18": ("missed", [1, 3, 5, 9]),
    }
    assert card["P06"] == ("met", []) and card["P17"] == ("met", [])
    assert card["P12"][0] == card["P13"][0] == card["P11"][0] == "n/a"
    # Met P06 and P17 (weights 1.0 + 1.0) over 17.5 applicable weight.
    assert examples["frustration_builds_manager"].scorecard.score == round(100 * 2.0 / 17.5, 1)


def test_scorecard_items_met_with_their_evidence(examples: dict[str, RecordResult]) -> None:
    billing = items(examples["billing_anger_deescalates"])
    assert billing["P02"] == ("met", [2, 4, 6])
    assert billing["P14"] == ("met", [6, 8, 10])  # apologised, then committed
    assert billing["P20"] == ("met", [12])
    assert examples["billing_anger_deescalates"].scorecard.score == 100.0
    crisis = items(examples["self_harm"])
    assert crisis["P12"] == ("met", [6, 10])  # stayed, asked about safety, brought in the supervisor
    assert crisis["P10"] == ("met", [10])
    emergency = items(examples["after_hours_emergency"])
    assert emergency["P13"] == ("met", [1, 5, 7])  # nature, address, callback number
    assert emergency["P24"][0] == "met"
    assert items(examples["calm_inquiry"])["P12"] == ("n/a", [])


@pytest.mark.xfail(strict=True, reason='known false alarm (issue 18 note): the encoder reads "Your whole company is a joke" (examples/abuse_at_agent.txt, turn 3) as abuse aimed at the agent, p 0.63')
def test_the_abuse_scorecard_credits_the_boundary_the_warning_and_the_ending(
    examples: dict[str, RecordResult],
) -> None:
    abuse = items(examples["abuse_at_agent"])
    assert abuse["P11"] == ("met", [6, 8, 10])  # boundary, warning, ending
    assert abuse["P20"][0] == "n/a"  # ended under the abuse policy


def test_every_practice_is_judged_once(examples: dict[str, RecordResult]) -> None:
    for result in examples.values():
        assert [i.practice for i in result.scorecard.items] == sorted(PLAYBOOK.practices)
        for item in result.scorecard.items:
            assert item.note
            if item.status is ItemStatus.not_applicable:
                assert item.evidence == []


def test_overrides_change_the_score_and_keep_the_reason(examples: dict[str, RecordResult]) -> None:
    card = examples["frustration_builds_manager"].scorecard
    changed = apply_overrides(
        card, [Override(practice="P15", status=ItemStatus.met, reason="used it on the phone")]
    )
    item = next(i for i in changed.items if i.practice == "P15")
    assert item.status is ItemStatus.met and item.override.previous is ItemStatus.missed
    assert item.override.reason == "used it on the phone"
    assert changed.score == round(100 * 2.5 / 17.5, 1) > card.score
    with pytest.raises(ValidationError):
        Override(practice="P15", status=ItemStatus.met, reason="")
    other = card.model_copy(update={"items": [i for i in card.items if i.practice != "P21"]})
    with pytest.raises(InputError):
        apply_overrides(other, [Override(practice="P21", status=ItemStatus.met, reason="x")])


def test_aggregates_per_agent_and_team_use_the_overrides(examples: dict[str, RecordResult]) -> None:
    jordan = examples["frustration_builds_manager"].scorecard
    second = jordan.model_copy(update={"conversation_id": "second", "team": "billing"})
    cards = [jordan, second, examples["billing_anger_deescalates"].scorecard]
    plain = {a.group: a for a in aggregate(cards, by="agent")}
    assert plain["Jordan"].conversations == 2 and plain["Jordan"].score == jordan.score
    overrides = {"second": [Override(practice="P15", status=ItemStatus.met, reason="reviewed the call")]}
    reviewed = {a.group: a for a in aggregate(cards, by="agent", overrides=overrides)}
    assert reviewed["Jordan"].score == round((jordan.score + round(100 * 2.5 / 17.5, 1)) / 2, 1)
    assert reviewed["Jordan"].overridden_items == 1
    assert reviewed["Jordan"].practices["P15"].met == 1 and reviewed["Jordan"].practices["P15"].missed == 1
    teams = {a.group: a for a in aggregate(cards, by="team", overrides=overrides)}
    assert sorted(teams) == ["billing", "delivery"]
    assert teams["billing"].conversations == 2 and teams["billing"].overridden_items == 1
    with pytest.raises(InputError):
        aggregate(cards, by="queue")


# --- record and hand-off note ------------------------------------------------------------------


def test_outcomes(examples: dict[str, RecordResult]) -> None:
    assert {name: r.record.outcome.value for name, r in examples.items()} == {
        "abuse_at_agent": "abandoned",
        "after_hours_emergency": "follow_up_needed",
        "billing_anger_deescalates": "follow_up_needed",
        "calm_inquiry": "resolved",
        "frustration_builds_manager": "escalated",
        "self_harm": "escalated",
    }


def test_record_holds_grievances_mood_and_alerts(examples: dict[str, RecordResult]) -> None:
    record = examples["billing_anger_deescalates"].record
    assert (
        record.reason == "You can start by explaining why you took $84.99 out of my account TWICE this month."
    )
    assert [g.topic for g in record.grievances] == ["account", "waiting", "billing"]
    assert record.mood.start_label == "upset" and record.mood.end_label == "satisfied"
    assert record.alerts == []
    assert [(s.kind, s.evidence[0].turn) for s in record.steps] == [
        ("apology", 6),
        ("options", 8),
        ("action", 10),
    ]
    assert record.steps[2].what == "Done. The $84.99 refund is submitted under reference RF-20931."
    crisis = examples["self_harm"].record
    assert (crisis.alerts[0].kind.value, crisis.alerts[0].turn) == ("crisis", 5)
    assert crisis.reason == "I got another letter saying my account is going to collections."


@pytest.mark.xfail(
    strict=True,
    reason='known false alarm (issue 18 note): "Okay. He says he\'s on his way over." (the brother, turn 14 of '
    "examples/self_harm.txt) reads as a threat of violence, p 0.51",
)
def test_a_crisis_call_raises_one_crisis_alert(examples: dict[str, RecordResult]) -> None:
    crisis = examples["self_harm"].record
    assert [(a.kind.value, a.turn) for a in crisis.alerts] == [("crisis", 5)]


def test_handoff_note_is_short_and_says_what_a_supervisor_needs(engine) -> None:
    result = record_of(EXAMPLES / "billing_anger_deescalates.txt", engine, timezone=NEW_YORK)
    note = result.handoff_note
    assert len(note.splitlines()) == 6 and len(note) <= 600
    assert "Tanya Brooks" in note and "Marco" in note
    assert "Thu 13 Mar 2025 18:00 EDT" in note  # the open promise with its due time
    assert "reimbursement" not in note.split("Promised:")[1].split("\n")[0]  # kept in the call: not open
    assert "Don't ask again: their name (Tanya Brooks)" in note


def test_record_is_deterministic(engine) -> None:
    first = record_of(EXAMPLES / "after_hours_emergency.txt", engine)
    second = record_of(EXAMPLES / "after_hours_emergency.txt", engine)
    assert first.model_dump_json() == second.model_dump_json()


# --- well-being ----------------------------------------------------------------------------------


def closed(agent: str, hour: float, abuse: bool = False, crisis: bool = False) -> ClosedConversation:
    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    return ClosedConversation(
        agent=agent,
        ended_at=start + timedelta(hours=hour),
        abuse=abuse,
        crisis=crisis,
        conversation_id=f"{agent}{hour}",
    )


def test_wellbeing_counter_reaches_the_threshold() -> None:
    policy = PLAYBOOK.wellbeing  # two abusive contacts or one crisis contact per 8-hour shift
    day = [closed("Aisha", 0, abuse=True), closed("Aisha", 1), closed("Aisha", 2, abuse=True),
           closed("Aisha", 3, abuse=True), closed("Nina", 1, crisis=True), closed("Aisha", 9, abuse=True)]  # fmt: skip
    found = suggestions(day, policy)
    assert [(s.agent, s.kind, s.count, s.reached_at.hour) for s in found] == [
        ("Aisha", "break", 2, 10),  # the second abusive contact of the shift
        ("Nina", "debrief", 1, 9),
    ]
    assert found[0].debrief == policy.debrief and "Aisha" in found[0].to_supervisor
    exposure = [(s.agent, s.contacts, s.abuse, s.crisis) for s in shifts(day, policy)]
    # The contact 9 hours after the first opens a new shift: the count starts again.
    assert exposure == [("Aisha", 4, 3, 0), ("Aisha", 1, 1, 0), ("Nina", 1, 0, 1)]


def test_wellbeing_thresholds_come_from_the_playbook() -> None:
    strict = Wellbeing(shift_hours=8, abuse_threshold=1, crisis_threshold=1, debrief=["Breathe."])
    assert [s.kind for s in suggestions([closed("Kim", 0, abuse=True)], strict)] == ["break"]
    assert suggestions([closed("Kim", 0, abuse=True)], PLAYBOOK.wellbeing) == []


def test_wellbeing_facts_from_records(examples: dict[str, RecordResult]) -> None:
    abuse = facts_of(examples["abuse_at_agent"].record)
    crisis = facts_of(examples["self_harm"].record)
    assert (abuse.agent, abuse.abuse, abuse.crisis) == ("Aisha", True, False)
    assert (crisis.agent, crisis.abuse, crisis.crisis) == ("Nina", False, True)
    assert [s.kind for s in suggestions([crisis], PLAYBOOK.wellbeing)] == ["debrief"]


# --- exports -------------------------------------------------------------------------------------


def test_csv_and_json_exports(examples: dict[str, RecordResult]) -> None:
    results = list(examples.values())
    records = list(csv.DictReader(io.StringIO(records_csv(results))))
    assert [r["conversation_id"] for r in records] == [r.record.conversation_id for r in results]
    assert records[2]["outcome"] == "follow_up_needed" and records[2]["score"] == "100.0"
    promises = list(csv.DictReader(io.StringIO(commitments_csv(results))))
    assert len(promises) == sum(len(r.commitments) for r in results) == 5
    assert {p["due"] for p in promises} >= {"2025-03-13T18:00:00-05:00", "2025-01-17T02:50:00-06:00"}
    scores = list(csv.DictReader(io.StringIO(scorecards_csv([r.scorecard for r in results]))))
    assert len(scores) == 24 * len(results)
    back = [RecordResult.model_validate(item) for item in json.loads(to_json(results))]
    assert back == results


def test_csv_cells_cannot_run_as_formulas(examples: dict[str, RecordResult]) -> None:
    result = examples["self_harm"]
    sly = result.commitments[0].model_copy(update={"what": '=HYPERLINK("http://x")'})
    exported = commitments_csv([result.model_copy(update={"commitments": [sly]})])
    assert next(iter(csv.DictReader(io.StringIO(exported))))["what"].startswith("'=")


def test_html_report_is_printable_and_self_contained(examples: dict[str, RecordResult]) -> None:
    result = examples["frustration_builds_manager"]
    page = report_html(result)
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert not re.search(r"<script|<link|src=|@import|url\(", page)
    assert "Greg Holloway" in page and "P10 Escalate early" in page
    tricky = result.model_copy(update={"handoff_note": "<script>alert(1)</script>"})
    assert "<script>" not in report_html(tricky)


# --- the optional generator ----------------------------------------------------------------------


class StandIn(BaseHTTPRequestHandler):
    """A local chat-completions stand-in; the test sets what it answers."""

    answer: tuple[int, dict | str] = (200, {})
    delay = 0.0
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "body": body})
        time.sleep(self.delay)
        status, payload = self.answer
        data = payload if isinstance(payload, str) else json.dumps(payload)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            self.wfile.write(data.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    StandIn.answer, StandIn.delay, StandIn.seen = (200, {}), 0.0, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def completion(text: str) -> dict:
    return {"choices": [{"message": {"role": "assistant", "content": text}}]}


NOTE = "Who: Tanya Brooks with Marco.\nPromised: Marco — decision (due Thu 13 Mar 2025 18:00 EDT)."


def test_generator_rewrites_the_note(stand_in: str) -> None:
    StandIn.answer = (200, completion("Tanya Brooks spoke to Marco; he owes her a decision by Thu 18:00."))
    rewrite = rewrite_note(NOTE, GeneratorConfig(url=stand_in, model="tiny"), ("Tanya Brooks", "Marco"))
    assert rewrite.generated and rewrite.warning is None and rewrite.text.startswith("Tanya Brooks spoke")
    sent = StandIn.seen[0]
    assert sent["path"] == "/v1/chat/completions" and sent["body"]["model"] == "tiny"
    assert sent["body"]["messages"][-1]["content"] == NOTE


@pytest.mark.parametrize(
    ("answer", "delay", "reason"),
    [
        ((500, {"error": "boom"}), 0.0, "answered 500"),
        ((200, "not json"), 0.0, "generator:"),
        ((200, {"choices": []}), 0.0, "not a chat completion"),
        ((200, completion("Marco owes a decision.")), 0.0, "dropped"),  # lost the customer and the time
        ((200, completion("late")), 1.5, "no answer in time"),
    ],
)
def test_generator_failure_keeps_the_deterministic_note(
    stand_in: str, answer: tuple[int, dict | str], delay: float, reason: str
) -> None:
    StandIn.answer, StandIn.delay = answer, delay
    rewrite = rewrite_note(
        NOTE, GeneratorConfig(url=stand_in, model="tiny", timeout=0.5), ("Tanya Brooks", "Marco")
    )
    assert rewrite.text == NOTE and not rewrite.generated
    assert reason in rewrite.warning and "\n" not in rewrite.warning


def test_generator_unreachable_and_off() -> None:
    rewrite = rewrite_note(NOTE, GeneratorConfig(url="http://127.0.0.1:9", model="tiny", timeout=0.5))
    assert rewrite.text == NOTE and "cannot reach" in rewrite.warning
    assert rewrite_note(NOTE, None).text == NOTE and rewrite_note(NOTE, None).warning is None


# --- calmline record end to end ----------------------------------------------------------------


def test_cli_json_follows_the_contract() -> None:
    done = run(
        "record", str(FIXTURES / "late_callback.txt"), "--at", "2026-11-20T23:30:00-05:00", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"record", "commitments", "scorecard", "handoff_note"}
    assert result["commitments"] and all(
        {"what", "owner", "due", "evidence"} <= set(c) and ISO_WITH_OFFSET.match(c["due"])
        for c in result["commitments"]
    )
    assert {"turn", "span", "quote"} == set(result["commitments"][0]["evidence"][0])
    assert result["commitments"][0]["due"] == "2026-11-21T09:00:00-05:00"
    assert isinstance(result["scorecard"]["score"], float)
    assert {i["status"] for i in result["scorecard"]["items"]} <= {"met", "missed", "n/a"}
    assert all({"practice", "status", "evidence"} <= set(i) for i in result["scorecard"]["items"])
    assert result["record"]["outcome"] == "follow_up_needed"
    RecordResult.model_validate(result)


def test_cli_text_and_html() -> None:
    text = run("record", str(EXAMPLES / "self_harm.txt"))
    assert text.returncode == 0, text.stderr
    assert "hand-off" in text.stdout and "P12" in text.stdout and "Nina" in text.stdout
    html = run(
        "record", str(EXAMPLES / "calm_inquiry.txt"), "--format", "html", "--timezone", "America/Los_Angeles"
    )
    assert (
        html.returncode == 0
        and html.stdout.startswith("<!doctype html>")
        and "America/Los_Angeles" in html.stdout
    )


def test_cli_uses_the_generator_when_asked(stand_in: str) -> None:
    StandIn.answer = (500, {"error": "down"})
    done = run(
        "record", str(EXAMPLES / "billing_anger_deescalates.txt"), "--format", "json",
        "--generator-url", stand_in, "--generator-model", "tiny",
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stderr.strip().startswith("generator: the endpoint answered 500")
    assert len(done.stderr.strip().splitlines()) == 1
    assert json.loads(done.stdout)["handoff_note"].startswith("Who: Tanya Brooks")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["record", "no/such/file.txt"], "no/such/file.txt"),
        (["record", str(FIXTURES / "late_callback.txt"), "--at", "yesterday"], "not an ISO 8601 time"),
        (["record", str(FIXTURES / "late_callback.txt"), "--at", "2026-11-20T23:30:00"], "no UTC offset"),
        (["record", str(FIXTURES / "late_callback.txt"), "--timezone", "Mars/Olympus"], "unknown time zone"),
        (
            ["record", str(FIXTURES / "late_callback.txt"), "--generator-url", "http://127.0.0.1:9"],
            "go together",
        ),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


def test_minimising_an_upset_customers_problem_misses_empathy(engine, tmp_path: Path) -> None:
    call = tmp_path / "minimised.txt"
    call.write_text(
        "Customer: My parcel is a week late, I've waited in every day and I'm furious about it.\n"
        "Agent: I'm sorry you've been waiting in. It's only a short delay though, it will arrive on Monday.\n",
        encoding="utf-8",
    )
    p02 = next(i for i in record_of(call, engine).scorecard.items if i.practice == "P02")
    assert p02.status is ItemStatus.missed
    # The reply apologised, so the feeling was answered; it then made the problem small.
    assert any("short delay" in e.quote and "sorry" not in e.quote for e in p02.evidence)
