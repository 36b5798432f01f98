"""The playbook's schema: practices, thresholds, procedures and the rules that turn state into advice."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from calmline.model import AlertKind, Audience, Channel, CustomerState, PracticeId, Role, Severity
from calmline.signals import AGENT_SIGNALS, CUSTOMER_SIGNALS

Scalar = float | int | bool | str
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Practice(_Strict):
    name: str
    description: str = ""
    weight: float = Field(1.0, ge=0.0, description="Weight in the QA scorecard.")


class DetectorSpec(_Strict):
    """One pipeline component: a registered detector name and its configuration."""

    name: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*\.v[0-9]+$")
    config: dict[str, Any] = Field(default_factory=dict)


class EscalationModel(_Strict):
    """How the state tracker estimates escalation risk (P10) before anyone asks for a manager.

    risk = logistic(bias + Σ weight × feature); features are described in engine/state.py.
    """

    bias: float = -3.2
    weights: dict[
        Literal[
            "negativity",
            "falling_trend",
            "intensity",
            "repetitions",
            "open_grievances",
            "transfers",
            "agent_missteps",
            "manager_request",
            "abuse",
            "blame",
            "second_person",
            "sustained_negativity",
            "pressing_questions",
            "heat",
            "discontent",
        ],
        float,
    ] = Field(default_factory=dict)
    after_hours_boost: float = Field(0.4, description="Added to the logit after hours (P24).")
    mood_smoothing: float = Field(0.55, gt=0.0, le=1.0, description="Weight of the newest turn.")
    trend_window: int = Field(3, ge=2, le=10)


class AbuseStep(_Strict):
    name: str
    instructions: str
    wording: list[str] = Field(min_length=1)


class AbusePolicy(_Strict):
    """Boundary statement, then warning, then ending: one step per abusive turn (P11)."""

    steps: list[AbuseStep] = Field(min_length=1)
    notify: list[Audience] = Field(default_factory=lambda: [Audience.supervisor, Audience.hr])


class CrisisProcedure(_Strict):
    """What to do on a threat of violence or a statement of self-harm (P12); never auto-end."""

    steps: list[str] = Field(min_length=1)
    resources: list[str] = Field(default_factory=list)
    notify: list[Audience] = Field(default_factory=lambda: [Audience.supervisor])


class ChecklistField(_Strict):
    field: Literal["callback_number", "location", "nature"]
    label: str
    ask: str = Field(description="The question that captures it; offered while it is missing.")


class EmergencyProcedure(_Strict):
    """What an urgent call must capture before anything else (P13)."""

    checklist: list[ChecklistField] = Field(min_length=1)
    instructions: str
    notify: list[Audience] = Field(default_factory=lambda: [Audience.supervisor])


def _working_week() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class BusinessHours(_Strict):
    timezone: str | None = Field(
        None, description="IANA zone, e.g. America/New_York; unset: the conversation's own local time."
    )
    days: list[Weekday] = Field(default_factory=_working_week)
    open: time = time(8, 0)
    close: time = time(18, 0)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str | None) -> str | None:
        if zone is not None:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {zone!r}; use an IANA name such as Europe/London"
                ) from None
        return zone

    def closed_at(self, moment: datetime) -> bool:
        """Whether ``moment`` falls outside business hours (P24)."""
        if moment.tzinfo is not None and self.timezone is not None:
            moment = moment.astimezone(ZoneInfo(self.timezone))
        day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[moment.weekday()]
        return day not in self.days or not (self.open <= moment.time() < self.close)


class Contact(_Strict):
    role: str
    name: str
    reach: str = ""


class Authority(_Strict):
    """What a front-line agent may promise on their own (P09)."""

    max_refund: float = Field(50.0, ge=0)
    may_promise: list[str] = Field(
        default_factory=list, description="Phrases of commitments an agent may always make."
    )


class Wellbeing(_Strict):
    """Looking after the agent (P22): how many hard contacts in a shift call for a break or a debrief."""

    shift_hours: float = Field(8.0, gt=0, le=24, description="Length of a shift; exposures count within it.")
    abuse_threshold: int = Field(
        2, ge=1, description="Abusive contacts in a shift before a break is suggested."
    )
    crisis_threshold: int = Field(
        1, ge=1, description="Crisis contacts in a shift before a debrief is suggested."
    )
    debrief: list[str] = Field(
        default_factory=list, description="The short debrief checklist offered to agent and supervisor."
    )


class Condition(_Strict):
    """A comparison on one state field; lists compare by their length."""

    eq: Scalar | None = None
    ne: Scalar | None = None
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> Condition:
        if all(v is None for v in self.model_dump().values()):
            raise ValueError("give at least one of eq, ne, gte, gt, lte, lt")
        return self


class TurnCondition(_Strict):
    """Conditions on one turn's signals."""

    role: Role | None = None
    signal: list[str] = Field(default_factory=list, description="All of these signals.")
    any_signal: list[str] = Field(default_factory=list, description="At least one of these.")
    with_any_signal: list[str] = Field(
        default_factory=list,
        description="And at least one of these as well, at 0.5 (a feeling with something to be upset about).",
    )
    no_signal: list[str] = Field(default_factory=list, description="None of these.")
    min_score: float = Field(0.5, ge=0.0, le=1.0)


class When(TurnCondition):
    """When a rule fires: conditions on this turn, the previous turn of a role, the state and context."""

    previous: TurnCondition | None = Field(
        None, description="The most recent earlier turn of previous.role must match."
    )
    state: dict[str, Condition] = Field(default_factory=dict)
    after_hours: bool | None = None
    channel: Channel | None = None


class GuidanceAction(_Strict):
    practice: PracticeId
    message: str
    again: list[str] = Field(
        default_factory=list,
        description="Other words for the same advice, used in turn when the need comes back later in the "
        "conversation (the same card twice reads as noise).",
    )
    suggestions: list[str] = Field(default_factory=list)
    priority: int = Field(2, ge=1, le=3)


class AlertAction(_Strict):
    kind: AlertKind
    severity: Severity
    practice: PracticeId
    audience: list[Audience] = Field(min_length=1)
    message: str
    procedure: Literal["crisis", "abuse", "emergency", "escalation"] | None = None


class Rule(_Strict):
    """If ``when`` holds after a turn, give the guidance and/or raise the alert."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    enabled: bool = True
    when: When
    guidance: GuidanceAction | None = None
    alert: AlertAction | None = None
    once: bool = Field(False, description="Fire at most once per conversation.")
    cooldown: int = Field(0, ge=0, description="Turns to wait before firing again.")

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.guidance is None and self.alert is None:
            raise ValueError("a rule needs guidance, an alert, or both")
        return self


DERIVED_STATE = frozenset(
    {"unanswered_grievances", "addressed_grievances", "emergency_missing", "emergency_active"}
)
DYNAMIC_WORDING = frozenset({"emergency_questions"})
"""Wording names the engine fills in itself (the questions of missing emergency checklist items)."""
"""State values rules may test besides CustomerState's own fields (computed by the engine)."""


def _state_names() -> frozenset[str]:
    return (
        frozenset(CustomerState.model_fields) | frozenset(CustomerState.model_computed_fields) | DERIVED_STATE
    )


class Playbook(_Strict):
    """A company's playbook; ``default.yaml`` in this package is the catalogue's own."""

    name: str = "default"
    version: str = "1"
    practices: dict[PracticeId, Practice]
    detectors: list[DetectorSpec] = Field(min_length=1)
    escalation: EscalationModel = Field(default_factory=EscalationModel)
    abuse_policy: AbusePolicy
    crisis: CrisisProcedure
    emergency: EmergencyProcedure
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    escalation_contacts: list[Contact] = Field(default_factory=list)
    authority: Authority = Field(default_factory=Authority)
    wellbeing: Wellbeing = Field(default_factory=Wellbeing)
    wording: dict[str, list[str]] = Field(
        default_factory=dict, description="Named wording variants the coach and rules draw on."
    )
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules_name_known_practices(self) -> Playbook:
        for rule in self.rules:
            for action in (rule.guidance, rule.alert):
                if action is not None and action.practice not in self.practices:
                    raise ValueError(
                        f"rule {rule.id!r} names practice {action.practice} that the playbook does not define"
                    )
        known = _state_names()
        kinds = set(CUSTOMER_SIGNALS) | set(AGENT_SIGNALS)
        for rule in self.rules:
            conditions = [rule.when, *([rule.when.previous] if rule.when.previous else [])]
            named = {k for c in conditions for k in (*c.signal, *c.any_signal, *c.no_signal)}
            if named - kinds:
                raise ValueError(
                    f"rule {rule.id!r} names unknown signal(s) {', '.join(sorted(named - kinds))}; "
                    "`calmline playbook show --section detectors` and docs list the signal kinds"
                )
            wording = [
                t[1:] for t in (rule.guidance.suggestions if rule.guidance else []) if t.startswith("@")
            ]
            missing = [w for w in wording if w not in self.wording and w not in DYNAMIC_WORDING]
            if missing:
                raise ValueError(
                    f"rule {rule.id!r} refers to wording {', '.join('@' + w for w in missing)} "
                    "that the playbook's wording section does not define"
                )
            unknown = sorted(set(rule.when.state) - known)
            if unknown:
                raise ValueError(
                    f"rule {rule.id!r} tests unknown state field(s) {', '.join(unknown)}; "
                    f"known: {', '.join(sorted(known))}"
                )
        ids = [rule.id for rule in self.rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(dupes)}")
        return self

    def practice_name(self, practice: str) -> str:
        found = self.practices.get(practice)
        return found.name if found else practice
