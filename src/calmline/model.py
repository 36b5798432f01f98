"""The domain model: conversations, turns and every judgement the engine makes about them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

PracticeId = Annotated[str, StringConstraints(pattern=r"^P(0[1-9]|1[0-9]|2[0-4])$")]
"""A practice of the catalogue, ``P01`` … ``P24`` (see PRODUCT.md)."""

Score = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)

    # pydantic keeps, per instance, the set of fields given explicitly (for ``exclude_unset``, which
    # calmline never uses): up to 2 KB each, a third of what a live conversation holds in memory. Every
    # instance shares its class's set of all fields instead; adding a field name to it changes nothing.
    def model_post_init(self, context: Any, /) -> None:
        object.__setattr__(self, "__pydantic_fields_set__", _all_fields(type(self)))

    def __copy__(self) -> Self:
        copied = super().__copy__()
        object.__setattr__(copied, "__pydantic_fields_set__", _all_fields(type(self)))
        return copied


@cache
def _all_fields(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


class Channel(StrEnum):
    chat = "chat"
    email = "email"
    voice = "voice"


class Role(StrEnum):
    customer = "customer"
    agent = "agent"
    supervisor = "supervisor"
    system = "system"


class AbuseLevel(StrEnum):
    """How hostile a customer turn is, and at whom (P11)."""

    none = "none"
    venting = "venting"
    abuse_at_agent = "abuse_at_agent"
    threat = "threat"


class CrisisType(StrEnum):
    self_harm = "self_harm"
    violence_threat = "violence_threat"


class Phase(StrEnum):
    """The C.P.R. phase of the conversation (P16): comprehend, give options, react."""

    comprehend = "comprehend"
    purpose = "purpose"
    react = "react"


class AlertKind(StrEnum):
    crisis = "crisis"
    abuse = "abuse"
    escalation_risk = "escalation_risk"
    manager_request = "manager_request"
    emergency = "emergency"
    commitment_overdue = "commitment_overdue"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    high = "high"
    critical = "critical"


class Audience(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    hr = "hr"


class GrievanceStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    addressed = "addressed"


# --- input ---------------------------------------------------------------------------


class Turn(_Model):
    """One utterance: a chat message, an email, or a stretch of a voice transcript."""

    id: str | None = None
    speaker: str = Field(description="The speaker's name as the transcript gives it.")
    role: Role
    text: str
    timestamp: datetime | None = None
    start: float | None = Field(default=None, description="Voice: seconds from call start.")
    end: float | None = Field(default=None, description="Voice: seconds from call start.")


class Conversation(_Model):
    id: str = "conversation"
    channel: Channel = Channel.chat
    started_at: datetime | None = None
    after_hours: bool | None = Field(
        None, description="Unset: decided from started_at and the playbook's business hours."
    )
    customer_name: str | None = None
    agent_name: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    turns: list[Turn] = Field(default_factory=list)


# --- judgements ------------------------------------------------------------------------


class Evidence(_Model):
    """The words that triggered a judgement: a character span of one turn's (redacted) text."""

    turn: int = Field(description="Index of the turn in the conversation.")
    span: tuple[int, int]
    quote: str


class Signal(_Model):
    """One detector's observation about one turn."""

    kind: str
    score: Score
    evidence: list[Evidence] = Field(default_factory=list)
    practice: PracticeId | None = None
    detector: str = Field(description="Registered, versioned detector name, e.g. calmline.anger.v1.")
    data: dict[str, Any] = Field(default_factory=dict)


class Grievance(_Model):
    """A distinct complaint the customer raised (P04); none may be forgotten."""

    id: int
    topic: str
    label: str = Field("", description="How to name it to the customer, e.g. 'the charge on your bill'.")
    quote: str
    evidence: list[Evidence]
    times_raised: int = 1
    status: GrievanceStatus = GrievanceStatus.open


class Promise(_Model):
    """Something the agent committed to (P09, P18, P19)."""

    turn: int
    text: str
    evidence: list[Evidence]
    beyond_authority: bool = False


class ChecklistItem(_Model):
    field: str
    label: str
    done: bool = False
    evidence: list[Evidence] = Field(default_factory=list)


class EmergencyState(_Model):
    """An urgent call (P13): what kind, and which facts have been captured so far."""

    kind: str
    checklist: list[ChecklistItem]


class CustomerState(_Model):
    """The customer's state after a turn, as the agent and the supervisor see it."""

    mood: float = Field(0.0, ge=-5.0, le=5.0, description="-5 furious … +5 delighted.")
    mood_trend: float = Field(0.0, description="Change in mood per customer turn, recent turns.")
    intensity: Score = 0.0
    escalation_risk: Score = 0.0
    abuse_level: AbuseLevel = AbuseLevel.none
    abuse_incidents: int = 0
    crisis: bool = False
    crisis_type: CrisisType | None = None
    emergency: EmergencyState | None = None
    manager_requested: bool = False
    company_fault: bool = False
    problem_stated: bool = Field(
        False, description="The customer has said what is wrong or what they want (no need to ask, P03)."
    )
    grievances: list[Grievance] = Field(default_factory=list)
    repetitions: int = 0
    phase: Phase = Phase.comprehend
    customer_name: str | None = None
    name_used: bool = False
    transfer_count: int = 0
    promises: list[Promise] = Field(default_factory=list)
    help_offered: bool = Field(False, description="The agent has offered further help (P20).")
    agent_missteps: int = Field(0, description="Agent turns that lectured, snapped, refused or transferred.")
    customer_turns: int = 0
    agent_turns: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name_known(self) -> bool:
        return self.customer_name is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def open_grievances(self) -> list[int]:
        return [g.id for g in self.grievances if g.status is not GrievanceStatus.addressed]


class Guidance(_Model):
    """What the agent should do next, why, and words to do it with."""

    practice: PracticeId
    message: str
    suggestions: list[str] = Field(default_factory=list)
    priority: int = Field(2, ge=1, le=3, description="1 urgent, 2 recommended, 3 a reminder.")
    evidence: list[Evidence] = Field(default_factory=list)
    rule: str = Field(description="Id of the playbook rule that produced it.")
    trigger: str = Field(
        "", description="What set it off: the customer's or agent's words, or the rule's condition in words."
    )


class Procedure(_Model):
    """The company procedure an alert calls for, and the step to take now."""

    name: str
    step: str
    instructions: str
    checklist: list[ChecklistItem] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    wording: list[str] = Field(default_factory=list, description="Words the agent can use for this step.")
    notify: list[Audience] = Field(default_factory=list)


class Alert(_Model):
    kind: AlertKind
    severity: Severity
    practice: PracticeId
    audience: list[Audience]
    message: str
    evidence: list[Evidence] = Field(default_factory=list)
    procedure: Procedure | None = None
    rule: str


class Redaction(_Model):
    """A piece of personal data replaced before analysis and storage."""

    kind: str
    span: tuple[int, int] = Field(description="Span of the placeholder in the redacted text.")


# --- results ---------------------------------------------------------------------------


class TurnAnalysis(_Model):
    index: int
    speaker: str
    role: Role
    text: str = Field(description="The turn's text with personal data redacted.")
    timestamp: datetime | None = None
    start: float | None = Field(default=None, description="Voice: seconds from call start.")
    end: float | None = Field(default=None, description="Voice: seconds from call start.")
    signals: list[Signal]
    state: CustomerState
    guidance: list[Guidance]
    alerts: list[Alert]
    redactions: list[Redaction] = Field(default_factory=list)


class ConversationInfo(_Model):
    """A conversation's identity and context, without its turns."""

    id: str
    channel: Channel
    started_at: datetime | None = None
    after_hours: bool = False
    customer_name: str | None = None
    agent_name: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Summary(_Model):
    turns: int
    customer_turns: int
    agent_turns: int
    mood_start: float
    mood_end: float
    mood_min: float
    max_escalation_risk: float
    alerts: dict[str, int]
    first_alert_turn: dict[str, int]
    practices_flagged: dict[str, int]
    grievances: list[Grievance]
    promises: list[Promise]
    transfers: int
    crisis: bool
    manager_requested: bool


class ConversationAnalysis(_Model):
    """The output contract of ``calmline analyze --format json``."""

    conversation: ConversationInfo
    turns: list[TurnAnalysis]
    summary: Summary


class Finding(_Model):
    """One problem the coach found in an agent's draft, with ways to say it better."""

    practice: PracticeId
    span: tuple[int, int]
    quote: str
    message: str
    rewrites: list[str] = Field(min_length=1)


class CoachReport(_Model):
    """The output contract of ``calmline coach --format json``."""

    findings: list[Finding]
