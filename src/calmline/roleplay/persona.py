"""The persona schema: who the simulated customer is, what they want, and what moves their mood."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from calmline.model import Channel

Line = Annotated[str, StringConstraints(min_length=1, max_length=600, strip_whitespace=True)]
Lines = Annotated[list[Line], Field(min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{1,39}$")]


class Band(StrEnum):
    """How the customer feels, from the mood number (-5 … +5); the bands the replies are written for."""

    furious = "furious"
    upset = "upset"
    uneasy = "uneasy"
    calm = "calm"
    satisfied = "satisfied"


class Procedure(StrEnum):
    """The company procedure a persona tests; passing the role-play requires following it."""

    none = "none"
    abuse = "abuse"  # P11: boundary, warning, then ending
    crisis = "crisis"  # P12: stay, acknowledge, ask about safety, offer resources
    emergency = "emergency"  # P13: what, where and a callback number captured


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """Something the trainee has to find out by asking; the customer tells it when asked about it."""

    id: Slug
    label: str = Field(description="What it is, as the debrief names it: 'when the charges appeared'.")
    cues: Lines = Field(description="Words in a trainee's question that ask for this fact (lower case).")
    answer: Line = Field(description="What the customer says when asked.")


class Disclosure(_Strict):
    """A statement the customer makes at a set point whatever the trainee says (a crisis, an abuse outburst)."""

    after_replies: int = Field(ge=0, le=20, description="Said in the customer turn after this many replies.")
    text: Line


class Persona(_Strict):
    """One simulated difficult customer; shipped in roleplay/personas/ or added from a company folder."""

    id: Slug
    title: str = Field(
        min_length=3, max_length=80, description="What a trainer picks from: 'Overcharged customer'."
    )
    customer_name: str = Field(min_length=1, max_length=80)
    company: str = Field("our company", max_length=80)
    channel: Channel = Channel.chat
    after_hours: bool = False
    backstory: str = Field(min_length=10, max_length=2000, description="For the trainer and the debrief.")
    start_mood: float = Field(-2.5, ge=-5.0, le=5.0)
    resolve_at: float = Field(
        0.5, ge=-2.0, le=5.0, description="Mood at or above which the customer counts as de-escalated."
    )
    walk_out_at: float = Field(
        -4.6, ge=-5.0, le=-1.0, description="Mood at or below which the customer gives up on the trainee."
    )
    procedure: Procedure = Procedure.none
    topics: list[Slug] = Field(
        default_factory=list, description="Topics for lines retrieved from real chats."
    )
    retrieval: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description="Share of mood lines taken from retrieved chats instead of templates.",
    )
    facts: list[Fact] = Field(default_factory=list)
    grievances: Lines
    triggers: dict[str, float] = Field(
        default_factory=dict, description="Moves that anger this customer more (or less): move -> weight."
    )
    soothers: dict[str, float] = Field(
        default_factory=dict, description="Moves that calm this customer more (or less): move -> weight."
    )
    opening: Lines
    replies: dict[Band, Lines] = Field(
        description="What the customer says in each mood band; {name} etc. allowed."
    )
    reactions: dict[str, Lines] = Field(
        default_factory=dict, description="What the customer says to a move, over the shipped defaults."
    )
    disclosures: list[Disclosure] = Field(default_factory=list)
    abuse_below: float | None = Field(
        None,
        ge=-5.0,
        le=0.0,
        description="An abusive caller insults the trainee while the mood is at or below this.",
    )
    abuse_lines: list[Line] = Field(default_factory=list)
    walk_out: Lines = Field(
        default=["That's it. I want to speak to someone who can actually help me."],
        description="What the customer says when they give up.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Persona:
        missing = [band.value for band in Band if band not in self.replies]
        if missing:
            raise ValueError(f"replies needs lines for every mood band; missing: {', '.join(missing)}")
        if self.walk_out_at >= self.start_mood:
            raise ValueError(
                "walk_out_at must be below start_mood, or the customer leaves before a word is said"
            )
        if (self.abuse_below is None) != (not self.abuse_lines):
            raise ValueError("abuse_below and abuse_lines go together: give both or neither")
        ids = [fact.id for fact in self.facts]
        if len(set(ids)) != len(ids):
            raise ValueError("facts: two facts share an id")
        return self

    def fact(self, fact_id: str) -> Fact:
        return next(f for f in self.facts if f.id == fact_id)
