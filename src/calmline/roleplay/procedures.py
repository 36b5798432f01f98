"""Following the company procedure a persona tests: abuse (boundary, warning, end), crisis, emergency."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from calmline.model import TurnAnalysis
from calmline.playbook.schema import Playbook
from calmline.roleplay.persona import Procedure

FIRES = 0.5
WARNING = re.compile(
    r"\bif\b[^.?!]*\b(?:continu|carr(?:y|ies) on|goes on|keep|again|happens)"
    r"|\bwarning\b|(?:will|'ll|going to) have to (?:end|close|disconnect|stop)",
    re.IGNORECASE,
)
ENDING_NOW = re.compile(
    r"\b(?:I(?:'m| am)|we(?:'re| are)) (?:now )?(?:ending|closing|disconnecting|going to (?:end|close))\b",
    re.IGNORECASE,
)
ENDING = re.compile(
    r"\b(?:ending|closing|disconnecting|terminating|end|close) (?:this|the|our) (?:call|chat|conversation)"
    r"(?: now)?\b|\bgoodbye\b",
    re.IGNORECASE,
)
SAFETY = re.compile(
    r"\b(?:are|do) you (?:feel )?safe|\bsafe right now|\b(?:in|any) (?:immediate )?danger"
    r"|\b(?:hurt|harm|kill)(?:ing)? yourself|\bending your life|\bthoughts of (?:suicide|ending)",
    re.IGNORECASE,
)
GENERIC_RESOURCES = re.compile(
    r"\b(?:crisis (?:line|lifeline|team)|helpline|hotline|lifeline|samaritans|emergency services"
    r"|911|999|112|988)\b",
    re.IGNORECASE,
)
THANKS_FOR_TELLING = re.compile(
    r"\bthank you for (?:telling|sharing|trusting)|\bglad you (?:told|said|shared)", re.IGNORECASE
)
RESOURCE_NUMBER = re.compile(r"\b\d{3}(?: \d{3})?\b")


class ProcedureCheck(BaseModel):
    """One step of the procedure, and the trainee's reply (1-based) that took it, if any."""

    model_config = ConfigDict(extra="forbid")

    step: str
    done: bool
    reply: int | None = None


@dataclass
class ProcedureTracker:
    """What the trainee has done of the persona's procedure so far."""

    procedure: Procedure
    playbook: Playbook
    done: dict[str, int] = field(default_factory=dict)
    abusive_turns: int = 0
    abuse_unanswered: int = 0
    disclosed: bool = False
    left_in_crisis: bool = False
    emergency_missing: list[str] = field(default_factory=list)
    emergency_seen: bool = False

    def steps(self) -> tuple[str, ...]:
        if self.procedure is Procedure.abuse:
            return tuple(step.name for step in self.playbook.abuse_policy.steps) or (
                "boundary",
                "warning",
                "end",
            )
        if self.procedure is Procedure.crisis:
            return ("stay", "acknowledge", "ask about safety", "offer resources")
        if self.procedure is Procedure.emergency:
            return tuple(item.label for item in self.playbook.emergency.checklist)
        return ()

    def customer_said(self, analysis: TurnAnalysis) -> None:
        if _fired(analysis, "abuse_at_agent"):
            self.abusive_turns += 1
            self.abuse_unanswered += 1
        if _fired(analysis, "self_harm", "violence_threat"):
            self.disclosed = True
        self._emergency(analysis)

    def trainee_said(self, analysis: TurnAnalysis, reply: int) -> list[str]:
        """Record the steps this reply took (boundary, warning, end; or the crisis steps) and return them."""
        self._emergency(analysis)
        before = set(self.done)
        if self.procedure is Procedure.crisis and self.disclosed:
            self._crisis(analysis, reply)
        if self.procedure is Procedure.abuse and (step := abuse_step(analysis)) is not None:
            self.abuse_unanswered = 0
            self.done.setdefault(step, reply)
        return [step for step in self.done if step not in before]

    def _crisis(self, analysis: TurnAnalysis, reply: int) -> None:
        if _fired(analysis, "closing", "transfer") and not self.passed:
            self.left_in_crisis = True
        if _fired(analysis, "acknowledgement", "apology") or THANKS_FOR_TELLING.search(analysis.text):
            self.done.setdefault("acknowledge", reply)
        if SAFETY.search(analysis.text):
            self.done.setdefault("ask about safety", reply)
        if self._offers_resources(analysis.text):
            self.done.setdefault("offer resources", reply)

    def _offers_resources(self, text: str) -> bool:
        if GENERIC_RESOURCES.search(text):
            return True
        named = [
            number
            for resource in self.playbook.crisis.resources
            for number in RESOURCE_NUMBER.findall(resource)
        ]
        return any(number in text for number in named)

    def _emergency(self, analysis: TurnAnalysis) -> None:
        emergency = analysis.state.emergency
        if self.procedure is Procedure.emergency and emergency is not None:
            self.emergency_seen = True
            self.emergency_missing = [item.label for item in emergency.checklist if not item.done]

    @property
    def ended_by_trainee(self) -> bool:
        return "end" in self.done

    @property
    def passed(self) -> bool:
        """Whether the procedure has been followed so far (a persona without one always passes)."""
        if self.procedure is Procedure.abuse:
            return self.abuse_unanswered == 0 and (
                not self.ended_by_trainee or ("boundary" in self.done and "warning" in self.done)
            )
        if self.procedure is Procedure.crisis:
            steps = ("acknowledge", "ask about safety", "offer resources")
            return self.disclosed and not self.left_in_crisis and all(step in self.done for step in steps)
        if self.procedure is Procedure.emergency:
            return self.emergency_seen and not self.emergency_missing
        return True

    def checks(self) -> list[ProcedureCheck]:
        """Each step the procedure called for in this conversation, and whether the trainee took it."""
        if self.procedure is Procedure.emergency:
            return [
                ProcedureCheck(step=label, done=label not in self.emergency_missing) for label in self.steps()
            ]
        steps = self.steps()
        if self.procedure is Procedure.abuse:
            # One step per abusive turn: a customer who stops after the boundary needs no warning.
            steps = steps[: min(len(steps), self.abusive_turns)]
        if self.procedure is Procedure.crisis and not self.disclosed:
            return []  # the customer never got as far as saying it
        checks = []
        for step in steps:
            if step == "stay":
                checks.append(ProcedureCheck(step=step, done=self.disclosed and not self.left_in_crisis))
            else:
                checks.append(ProcedureCheck(step=step, done=step in self.done, reply=self.done.get(step)))
        return checks


def abuse_step(analysis: TurnAnalysis) -> str | None:
    """Which step of the abuse policy a reply takes: a warning, the ending, or a plain boundary."""
    text = analysis.text
    if not _fired(analysis, "boundary_statement") and not ENDING.search(text):
        return None
    if ENDING_NOW.search(text):
        return "end"
    if WARNING.search(text):
        return "warning"
    if ENDING.search(text) or _fired(analysis, "closing"):
        return "end"
    return "boundary"


def _fired(analysis: TurnAnalysis, *kinds: str) -> bool:
    return any(s.kind in kinds and s.score >= FIRES for s in analysis.signals)
