"""The output contract of records: the record, commitments, the QA scorecard and the hand-off note."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from calmline.model import AlertKind, Channel, Evidence, GrievanceStatus, PracticeId, Severity


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CommitmentStatus(StrEnum):
    """``open`` until kept; ``done`` when the conversation itself shows it kept; ``overdue`` past its due."""

    open = "open"
    done = "done"
    overdue = "overdue"


class Commitment(_Model):
    """One promise made to the customer (P18, P19), as a follow-up task with an owner and a due time."""

    what: str = Field(description="The promise in the words it was made (personal data redacted).")
    owner: str = Field(description="Who must keep it: the agent's name, or the person or team named.")
    due: AwareDatetime | None = Field(
        None, description="ISO 8601 with the conversation's offset; null when no time was given."
    )
    due_text: str | None = Field(None, description="The words that set the due time, e.g. 'by Friday'.")
    status: CommitmentStatus = CommitmentStatus.open
    turn: int = Field(description="Index of the turn where it was first made.")
    evidence: list[Evidence] = Field(description="Where it was made (and restated).")
    done_evidence: list[Evidence] = Field(
        default_factory=list, description="Where the conversation shows it kept, if it does."
    )
    beyond_authority: bool = Field(False, description="More than the agent may promise alone (P09).")

    def status_at(self, now: datetime) -> CommitmentStatus:
        """The status at ``now`` (timezone-aware): an open commitment past its due is overdue."""
        if self.status is CommitmentStatus.open and self.due is not None and now > self.due:
            return CommitmentStatus.overdue
        return self.status


class ItemStatus(StrEnum):
    met = "met"
    missed = "missed"
    not_applicable = "n/a"


class AppliedOverride(_Model):
    """A QA reviewer's change to one scorecard item; the item keeps what the engine had said."""

    previous: ItemStatus
    reason: str
    reviewer: str | None = None


class ScoreItem(_Model):
    practice: PracticeId
    name: str
    weight: float
    status: ItemStatus
    evidence: list[Evidence] = Field(default_factory=list, description="The turns that show it.")
    note: str = Field("", description="Why this status, in one sentence.")
    override: AppliedOverride | None = None


class Scorecard(_Model):
    """Every practice P01–P24 met, missed or n/a, and the weighted score over the applicable ones."""

    conversation_id: str
    agent: str
    team: str | None = None
    score: float | None = Field(
        description="0–100: weight met / weight applicable; null when no practice applied."
    )
    items: list[ScoreItem]


class Override(_Model):
    """A QA reviewer's decision on one item; the reason is required and kept with the item."""

    practice: PracticeId
    status: ItemStatus
    reason: str = Field(min_length=1)
    reviewer: str | None = None


class Outcome(StrEnum):
    """How the conversation ended, read from its end (``records.outcome`` holds the rule).

    - ``resolved``: a calm ending with nothing left open; typically the customer thanked or said
      goodbye. A customer who ends angry, threatening or with a question unanswered is never resolved.
    - ``unresolved``: the customer left unhappy: their closing words were angry, abusive,
      threatening, a threat to leave or sarcastic, their mood ended upset and not recovering, their
      last question went unanswered, or complaints were still open and they left without thanks.
    - ``escalated``: a supervisor joined or was brought in, or the customer was passed on at the end.
    - ``follow_up_needed``: a calm ending with commitments still open (the ledger holds them).
    - ``abandoned``: ended before the problem could be worked: the customer never spoke or left
      while the agent was waiting on them, or the agent ended it under the abuse policy.
    """

    resolved = "resolved"
    unresolved = "unresolved"
    escalated = "escalated"
    follow_up_needed = "follow_up_needed"
    abandoned = "abandoned"


class GrievanceEntry(_Model):
    topic: str
    label: str
    quote: str
    status: GrievanceStatus
    times_raised: int
    evidence: list[Evidence]


class Step(_Model):
    """Something the agent (or a supervisor) did about the problem."""

    kind: str = Field(description="action, options, apology, supervisor, transfer, boundary, emergency_fact.")
    what: str
    evidence: list[Evidence]


class RaisedAlert(_Model):
    kind: AlertKind
    severity: Severity
    practice: PracticeId
    turn: int
    message: str


class Mood(_Model):
    start: float
    end: float
    lowest: float
    start_label: str
    end_label: str


class Record(_Model):
    """What happened in one conversation, as a supervisor or QA reviewer needs it on file (P18)."""

    conversation_id: str
    channel: Channel
    agent: str
    customer: str | None = None
    team: str | None = None
    timezone: str = Field(description="The zone times are shown in: an IANA name or a fixed UTC offset.")
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    after_hours: bool = False
    reason: str = Field(description="Why the customer got in touch, in their words.")
    grievances: list[GrievanceEntry]
    steps: list[Step]
    commitments: list[Commitment]
    outcome: Outcome
    mood: Mood
    alerts: list[RaisedAlert]


class RecordResult(_Model):
    """The output contract of ``calmline record --format json``."""

    record: Record
    commitments: list[Commitment]
    scorecard: Scorecard
    handoff_note: str


class PracticeTally(_Model):
    met: int = 0
    missed: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rate(self) -> float | None:
        judged = self.met + self.missed
        return round(self.met / judged, 3) if judged else None


class Aggregate(_Model):
    """Scorecards of one agent or one team taken together, QA overrides included."""

    by: str = Field(description="'agent' or 'team'.")
    group: str
    conversations: int
    score: float | None = Field(description="Mean of the conversations' scores (those with one).")
    overridden_items: int
    practices: dict[str, PracticeTally]
