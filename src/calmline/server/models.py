"""Response bodies the server sends: one model per shape, so /openapi.json documents every body.

The server's own shapes (a board entry, a webhook, a role-play session, ...) are models here. The
engine's and the records' payloads inside them (a turn's state, guidance and alerts, a record, a
scorecard, ...) go out exactly as they were produced or stored: re-validating them would refuse rows
stored before a field was added and would reformat their times. Their schema is their domain model's
(``SchemaOf``), so the specification still says what is in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from calmline.model import Alert, CoachReport, CustomerState, Evidence, Guidance, Signal
from calmline.playbook import Playbook
from calmline.playbook.schema import Wellbeing as WellbeingPolicy
from calmline.records.model import Aggregate, Commitment, Mood, Record, RecordResult, Scorecard
from calmline.records.wellbeing import ShiftExposure, Suggestion
from calmline.roleplay import RoleplayResult, RoleplayTurn


@dataclass(frozen=True)
class SchemaOf:
    """Annotates a JSON object passed through unchanged with the schema of the model that produced it."""

    model: type[BaseModel]

    def __get_pydantic_json_schema__(self, _: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        # Given as a definition and a reference to it, the model's schema is listed once, under its own name.
        model: Any = self.model.__pydantic_core_schema__
        definitions = []
        if model["type"] == "definitions":  # the model's own nested definitions come with it
            model, definitions = model["schema"], model["definitions"]
        reference = core_schema.definition_reference_schema(model["ref"])
        return handler(core_schema.definitions_schema(reference, [model, *definitions]))


class TurnAlert(Alert):
    """An alert as a turn raised it, with the id that acknowledges it (documentation only)."""

    id: str


class StoredAlert(Alert):
    """An alert as stored: an overdue commitment's alert also names the commitment and its owner."""

    commitment_id: str | None = None
    owner: str | None = None


class FinishedRoleplay(RoleplayResult):
    """A finished role-play's result with the session's id (documentation only)."""

    id: str


JsonObject = dict[str, Any]
StateBody = Annotated[JsonObject, SchemaOf(CustomerState)]
GuidanceBody = Annotated[JsonObject, SchemaOf(Guidance)]
SignalBody = Annotated[JsonObject, SchemaOf(Signal)]
EvidenceBody = Annotated[JsonObject, SchemaOf(Evidence)]
TurnAlertBody = Annotated[JsonObject, SchemaOf(TurnAlert)]
StoredAlertBody = Annotated[JsonObject, SchemaOf(StoredAlert)]
CoachReportBody = Annotated[JsonObject, SchemaOf(CoachReport)]
PlaybookBody = Annotated[JsonObject, SchemaOf(Playbook)]
RecordBody = Annotated[JsonObject, SchemaOf(Record)]
RecordResultBody = Annotated[JsonObject, SchemaOf(RecordResult)]
CommitmentBody = Annotated[JsonObject, SchemaOf(Commitment)]
ScorecardBody = Annotated[JsonObject, SchemaOf(Scorecard)]
AggregateBody = Annotated[JsonObject, SchemaOf(Aggregate)]
MoodBody = Annotated[JsonObject, SchemaOf(Mood)]
WellbeingPolicyBody = Annotated[JsonObject, SchemaOf(WellbeingPolicy)]
ShiftBody = Annotated[JsonObject, SchemaOf(ShiftExposure)]
SuggestionBody = Annotated[JsonObject, SchemaOf(Suggestion)]
RoleplayTurnBody = Annotated[JsonObject, SchemaOf(RoleplayTurn)]
FinishedRoleplayBody = Annotated[JsonObject, SchemaOf(FinishedRoleplay)]

# Times go out as the server wrote them (``isoformat``): a datetime field would rewrite "+00:00" as "Z".
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


class _Public(BaseModel):
    # A key a handler returns that its model does not name fails loudly (a 500 every test sees) instead of
    # being dropped from the body without a word.
    model_config = ConfigDict(extra="forbid")


# --- errors ---------------------------------------------------------------------------------


class Problem(_Public):
    field: str = Field(description="Where in the request, e.g. 'text' or 'query.limit'.")
    problem: str


class ErrorBody(_Public):
    """Every error answer: what went wrong; a request the server cannot read also lists its problems."""

    detail: str
    problems: list[Problem] | None = Field(
        None, description="Only when the request's shape is wrong: up to ten (the input is never echoed)."
    )


# --- operations -----------------------------------------------------------------------------


class Health(_Public):
    status: str = Field(description="Always 'ok': the process answers.")
    worker: int = Field(description="The answering worker's process id.")


class Readiness(_Public):
    ready: bool
    checks: dict[str, bool] = Field(description="'database', and 'redis' when configured: each answers.")


# --- conversations --------------------------------------------------------------------------


class Created(_Public):
    id: str


class BoardEntry(_Public):
    """A conversation as the supervisors' board shows it."""

    id: str
    status: str = Field(description="'active' or 'closed'.")
    channel: str
    customer_name: str | None
    agent_name: str | None
    team: str | None
    escalation_risk: float
    mood: float
    turn_count: int
    created_at: Instant
    updated_at: Instant
    closed_at: Instant | None


class ConversationOnBoard(BoardEntry):
    open_alerts: list[str] = Field(description="Kinds of the conversation's unacknowledged alerts.")


class TurnEcho(_Public):
    """The turn as stored: its text redacted."""

    id: str
    index: int
    speaker: str
    text: str


class TurnResult(_Public):
    """What one turn changed: the customer's state, guidance for the agent, alerts and the signals read."""

    turn: TurnEcho
    state: StateBody
    guidance: list[GuidanceBody]
    alerts: list[TurnAlertBody]
    signals: list[SignalBody]


class StoredTurn(_Public):
    id: str
    index: int
    speaker: str
    text: str
    at: Instant
    guidance: list[GuidanceBody]
    alerts: list[TurnAlertBody]
    signals: list[SignalBody]


class AlertPublic(_Public):
    id: str
    conversation_id: str
    turn: int
    kind: str
    severity: str
    message: str | None
    alert: StoredAlertBody
    created_at: Instant
    acknowledged_at: Instant | None


class ConversationPublic(BoardEntry):
    """The conversation with its redacted turns, state, alerts and (once closed) record."""

    metadata: dict[str, Any]
    state: StateBody | None
    turns: list[StoredTurn]
    alerts: list[AlertPublic]
    record: RecordResultBody | None


class ConversationClosed(_Public):
    id: str
    record: RecordResultBody


class Handoff(_Public):
    conversation_id: str
    note: str = Field(description="The hand-off note for the supervisor, as things stand.")


class Purged(_Public):
    purged: int = Field(description="How many closed conversations were deleted.")


# --- tenant: playbook, settings, webhooks ---------------------------------------------------


class PlaybookPublic(_Public):
    version: int
    company: dict[str, Any] = Field(description="The company's own sections, as it last put them.")
    effective: PlaybookBody


class PlaybookVersion(_Public):
    version: int


class SettingsPublic(_Public):
    redact: list[str] = Field(description="Kinds of personal data redacted.")
    timezone: str | None = Field(description="IANA zone the tenant's times are shown in.")


class WebhookPublic(_Public):
    id: str
    url: str
    events: list[str]


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="Signs every delivery to this webhook; shown here only.")


# --- records, commitments, well-being -------------------------------------------------------


class RecordSummary(BoardEntry):
    agent: str
    outcome: str
    # The record's mood (start, end, lowest, in words) in place of the board's last reading.
    mood: MoodBody  # type: ignore[assignment]
    score: float | None
    alerts: list[str] = Field(description="Kinds of alert the conversation raised.")
    commitments: int
    reason: str


class RecordPublic(BoardEntry):
    """The record, commitments, scorecard (QA overrides applied) and hand-off note."""

    record: RecordBody
    commitments: list[CommitmentBody]
    scorecard: ScorecardBody
    handoff_note: str


class CommitmentPublic(_Public):
    """A commitment in the ledger; times in the tenant's zone."""

    id: str
    conversation_id: str
    what: str
    owner: str
    due: Instant | None
    due_text: str | None
    status: str = Field(description="'open', 'done' or 'overdue'.")
    evidence: list[EvidenceBody]
    done_at: Instant | None
    done_note: str | None


class WellbeingReport(_Public):
    policy: WellbeingPolicyBody
    shifts: list[ShiftBody]
    suggestions: list[SuggestionBody]


# --- role-play ------------------------------------------------------------------------------


class PersonaPublic(_Public):
    """How the console names a persona."""

    title: str
    customer_name: str
    procedure: str
    description: str = Field(description="The backstory's opening sentences.")


class _Identified(_Public):
    id: str


class PersonaListed(PersonaPublic, _Identified):
    """A persona to choose (the base classes' order puts ``id`` first)."""


class RoleplaySummary(_Public):
    id: str
    trainee: str
    persona: str
    seed: int
    # Null in the answer that starts a session: its row takes its status default only once stored.
    status: str | None = Field(description="'active' or 'finished'.")
    outcome: str | None
    final_mood: float
    score: float | None
    replies: int
    created_at: Instant
    finished_at: Instant | None


class RoleplayView(RoleplaySummary):
    turns: list[RoleplayTurnBody]


class RoleplayStarted(PersonaPublic, RoleplayView):
    """A new session, with the persona it plays (the base classes' order keeps the fields' order)."""


class RoleplaySession(RoleplayView):
    """One session; the persona's fields are absent once the persona no longer ships."""

    title: str | None = None
    customer_name: str | None = None
    procedure: str | None = None
    description: str | None = None
    result: FinishedRoleplayBody | None


class RoleplayAnswer(_Public):
    reply: str = Field(description="The trainee's reply as kept (redacted).")
    customer: str | None = Field(description="The customer's answer (null when they said nothing more).")
    mood: float
    change: float
    band: str
    moves: list[str]
    over: bool
