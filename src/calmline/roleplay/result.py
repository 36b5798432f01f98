"""The output of a role-play: the turns with the customer's mood, the outcome, the scorecard and the debrief."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from calmline.model import PracticeId
from calmline.records.model import Scorecard
from calmline.roleplay.procedures import ProcedureCheck

CONTRACT_KEYS = ("persona", "turns", "final_mood", "outcome", "scorecard")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoleplayOutcome(StrEnum):
    """How a role-play ended for the trainee (the ``outcome`` field of its result)."""

    de_escalated = "de-escalated"
    escalated = "escalated"
    ended = "ended"


class RoleplayTurn(_Model):
    speaker: Literal["customer", "trainee"]
    text: str
    mood: float = Field(description="The customer's mood (-5 … +5) once this turn was said.")


class Moment(_Model):
    """A reply that moved the customer's mood, and what in it did so."""

    reply: int = Field(description="Which trainee reply (1-based).")
    turn: int = Field(description="Index of that reply in the turns.")
    change: float
    mood: float
    moves: list[str]
    practice: PracticeId | None = None
    quote: str
    why: str


class RoleplayResult(_Model):
    """Everything about one finished role-play; ``contract()`` is what ``--format json`` prints."""

    persona: str
    trainee: str
    seed: int
    turns: list[RoleplayTurn]
    final_mood: float
    outcome: RoleplayOutcome
    scorecard: Scorecard
    raised: list[Moment] = Field(description="The replies that calmed the customer most, in order.")
    lowered: list[Moment] = Field(description="The replies that angered the customer most, in order.")
    coaching: list[str]
    procedure: list[ProcedureCheck] = Field(default_factory=list)
    facts_found: list[str] = Field(default_factory=list)
    facts_missed: list[str] = Field(default_factory=list)

    def contract(self) -> dict[str, Any]:
        """The non-interactive output contract: exactly persona, turns, final_mood, outcome, scorecard."""
        data = self.model_dump(mode="json", include=set(CONTRACT_KEYS))
        return {key: data[key] for key in CONTRACT_KEYS}
