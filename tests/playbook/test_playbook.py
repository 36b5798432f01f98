"""The default playbook, company playbooks merged over it, and errors that name file, line and field."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest

from calmline.errors import PlaybookError
from calmline.playbook import load_default, load_playbook


def write(tmp_path: Path, text: str, name: str = "company.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_covers_the_whole_catalogue() -> None:
    playbook = load_default()
    assert sorted(playbook.practices) == [f"P{n:02d}" for n in range(1, 25)]
    assert {rule.alert.kind.value for rule in playbook.rules if rule.alert} == {
        "crisis", "abuse", "escalation_risk", "manager_request", "emergency"}
    assert len(playbook.abuse_policy.steps) == 3
    assert {item.field for item in playbook.emergency.checklist} == {"callback_number", "location", "nature"}


def test_company_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = write(tmp_path, """
name: acme
authority: {max_refund: 200}
rules:
  - id: escalation-forecast
    when: {state: {escalation_risk: {gte: 0.5}}}
  - id: use-their-name
    enabled: false
  - id: acme-vip
    when: {role: customer, signal: [manager_request]}
    guidance: {practice: P10, message: "VIP line: hand over to the VIP desk."}
""")
    playbook = load_playbook(path)
    default = load_default()
    rules = {rule.id: rule for rule in playbook.rules}
    assert playbook.name == "acme"
    assert playbook.authority.max_refund == 200
    assert rules["escalation-forecast"].when.state["escalation_risk"].gte == 0.5
    # Merged, not replaced: the rule keeps its alert and guidance from the default.
    assert rules["escalation-forecast"].alert == {r.id: r for r in default.rules}["escalation-forecast"].alert
    assert rules["use-their-name"].enabled is False
    assert "acme-vip" in rules
    assert playbook.crisis == default.crisis
    assert len(playbook.rules) == len(default.rules) + 1


@pytest.mark.parametrize(("text", "line", "field", "reason"), [
    ("authority:\n  max_refund: lots\n", 2, "authority.max_refund", "valid number"),
    ("rules:\n  - id: x\n    when: {role: customer}\n    guidance: {practice: P25, message: hi}\n", 4,
     "rules[0].guidance.practice", "pattern"),
    ("practices:\n  P99: {name: Extra}\n", 2, "practices.P99", "pattern"),
    ("rules:\n  - id: escalation-forecast\n    when:\n      min_score: 3\n", 4,
     "rules[0].when.min_score", "less than or equal to 1"),
    ("escalation:\n  weights:\n    moon_phase: 2\n", 3, "escalation.weights.moon_phase", "Input should be"),
])
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, line: int, field: str, reason: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as caught:
        load_playbook(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: {field}"), message
    assert reason in message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "expected"), [
    ("", "the playbook is empty"),
    ("- just\n- a list\n", "must be a mapping"),
    ("rules: [\n  {id: a\n", "not valid YAML"),
    ("rules:\n  - id: typo\n    when: {role: customer, signal: [angr]}\n    guidance: {practice: P02, message: m}\n",
     "unknown signal(s) angr"),
    ("rules:\n  - id: st\n    when: {state: {moood: {gte: 1}}}\n    guidance: {practice: P02, message: m}\n",
     "unknown state field(s) moood"),
    ("rules:\n  - id: w\n    when: {role: customer}\n    guidance: {practice: P02, message: m, suggestions: ['@nope']}\n",
     "@nope"),
    ("rules:\n  - id: nothing\n    when: {role: customer}\n", "needs guidance, an alert, or both"),
])
def test_invalid_playbooks_are_refused_with_a_reason(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        load_playbook(write(tmp_path, text))
    assert expected in str(caught.value)


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="no such playbook file"):
        load_playbook(tmp_path / "absent.yaml")
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PlaybookError, match="not UTF-8"):
        load_playbook(bad)


def test_business_hours_decide_after_hours() -> None:
    from datetime import datetime

    hours = load_default().business_hours
    assert hours.closed_at(datetime(2026, 11, 20, 23, 30, tzinfo=UTC))  # Friday night
    assert not hours.closed_at(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))  # Friday morning
    assert hours.closed_at(datetime(2026, 11, 21, 10, 0, tzinfo=UTC))  # Saturday
