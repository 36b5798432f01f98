"""What a detector is, and the read-only view of the conversation so far that it receives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from calmline.model import ConversationInfo, CustomerState, Role, Signal, Turn, TurnAnalysis


@dataclass(frozen=True, slots=True)
class Context:
    """The conversation before the turn being analysed; detectors must not change it."""

    conversation: ConversationInfo
    history: Sequence[TurnAnalysis]
    state: CustomerState
    index: int

    def last(self, role: Role) -> TurnAnalysis | None:
        """The most recent earlier turn by ``role``, if any."""
        for analysed in reversed(self.history):
            if analysed.role is role:
                return analysed
        return None

    def turns_by(self, role: Role) -> list[TurnAnalysis]:
        return [analysed for analysed in self.history if analysed.role is role]

    def recent(self, role: Role, limit: int) -> list[TurnAnalysis]:
        """Up to ``limit`` most recent earlier turns by ``role``, newest first.

        Detectors look back through this rather than the whole history so that a very long
        transcript costs linear, not quadratic, time.
        """
        found: list[TurnAnalysis] = []
        for analysed in reversed(self.history):
            if analysed.role is role:
                found.append(analysed)
                if len(found) == limit:
                    break
        return found


class Detector(Protocol):
    """A pure function of (turn, conversation so far) to signals about that turn.

    ``roles`` says which speakers' turns it reads; the pipeline skips the others.
    ``turn.text`` is already redacted; evidence spans refer to it.
    """

    name: str
    roles: frozenset[Role]

    def __call__(self, turn: Turn, context: Context) -> list[Signal]: ...
