"""Playbook rules at work: matches each rule's conditions and builds its guidance and alerts."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from calmline.engine.context import Context
from calmline.engine.state import FIRES, Scores
from calmline.model import (
    Alert,
    CustomerState,
    Evidence,
    GrievanceStatus,
    Guidance,
    Procedure,
    Role,
    Signal,
    Turn,
)
from calmline.playbook.schema import AbuseStep, AlertAction, Condition, Playbook, Rule, Scalar, TurnCondition

MAX_SUGGESTIONS = 2
MAX_CARDS = 2
"""Cards shown after one turn, most urgent first: a third card is one the agent will not read."""
EMERGENCY_QUESTIONS = "@emergency_questions"
MAX_EVIDENCE = 6
STRONGER = 0.25
"""An alert held back by its rule's cooldown or ``once`` is raised again when the signal behind it is at
least this much stronger than when it last fired: "I don't even care anymore" may raise a tentative
crisis alert, and "I want to die" two turns later must still reach the supervisor as an alert."""


@dataclass
class Firings:
    """Per rule: the turns it fired on, and how strong the signal behind its last alert was."""

    turns: dict[str, list[int]] = field(default_factory=dict)
    alert_strength: dict[str, float] = field(default_factory=dict)
    showing: set[str] = field(default_factory=set)
    """Guidance-only rules whose card was shown and whose condition has held on every turn since: the
    need is the same one, so the card is not shown again until the condition lapses and comes back."""


class RuleBook:
    """The playbook's enabled rules, applied in order after each turn."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self.rules = [rule for rule in playbook.rules if rule.enabled]
        self.weights = {pid: practice.weight for pid, practice in playbook.practices.items()}
        self.advice_only = frozenset(rule.id for rule in self.rules if rule.alert is None)

    def apply(
        self,
        turn: Turn,
        signals: list[Signal],
        state: CustomerState,
        context: Context,
        fired: Firings,
    ) -> tuple[list[Guidance], list[Alert]]:
        """Guidance and alerts for this turn; ``fired`` is updated."""
        scores = Scores.of(signals)
        guidance: list[Guidance] = []
        alerts: list[Alert] = []
        for rule in self.rules:
            if rule.when.role is not None and rule.when.role is not turn.role:
                continue
            holds = self._holds(rule, turn, scores, state, context)
            if not holds:
                fired.showing.discard(rule.id)
                continue
            if rule.id in self.advice_only and rule.id in fired.showing:
                continue
            strength = _alert_strength(rule, scores)
            ready = self._ready(rule, fired.turns.get(rule.id, []), context.index)
            if not ready and strength < fired.alert_strength.get(rule.id, 1.0) + STRONGER:
                continue
            times = len(fired.turns.setdefault(rule.id, []))
            fired.turns[rule.id].append(context.index)
            proof = _evidence(rule, signals)
            if rule.guidance is not None:
                guidance.append(self._guidance(rule, state, context, proof, times))
            if rule.alert is not None:
                fired.alert_strength[rule.id] = strength
                alerts.append(self._alert(rule.id, rule.alert, state, proof))
        guidance.sort(key=lambda card: (card.priority, -self.weights.get(card.practice, 0.0)))
        shown = guidance[:MAX_CARDS]
        fired.showing.update(card.rule for card in shown)
        for card in guidance[MAX_CARDS:]:  # not shown: advice may still come while the need persists
            if card.rule in self.advice_only:
                fired.turns[card.rule].remove(context.index)
        return shown, alerts

    # --- matching ------------------------------------------------------------------------

    @staticmethod
    def _ready(rule: Rule, fired_at: list[int], index: int) -> bool:
        if not fired_at:
            return True
        if rule.once:
            return False
        return index - fired_at[-1] > rule.cooldown

    def _holds(self, rule: Rule, turn: Turn, scores: Scores, state: CustomerState, context: Context) -> bool:
        when = rule.when
        if not _turn_matches(when, turn.role, scores):
            return False
        if when.after_hours is not None and when.after_hours != context.conversation.after_hours:
            return False
        if when.channel is not None and when.channel != context.conversation.channel:
            return False
        if when.previous is not None:
            earlier = context.last(when.previous.role or Role.customer)
            if earlier is None or not _turn_matches(when.previous, earlier.role, Scores.of(earlier.signals)):
                return False
        return all(_compare(_state_value(state, name), cond) for name, cond in when.state.items())

    # --- building ------------------------------------------------------------------------

    def _guidance(
        self, rule: Rule, state: CustomerState, context: Context, proof: list[Evidence], times: int
    ) -> Guidance:
        action = rule.guidance
        assert action is not None
        variants = self._expand(action.suggestions, state)
        if rule.alert is not None and rule.alert.procedure == "abuse":
            variants = self._abuse_step(state).wording
        seed = zlib.crc32(f"{context.conversation.id}:{rule.id}".encode()) + times
        picked = _rotate(variants, seed)[:MAX_SUGGESTIONS]
        messages = [action.message, *action.again]
        return Guidance(
            practice=action.practice,
            message=_fill(messages[times % len(messages)], state),
            suggestions=[_fill(text, state) for text in picked],
            priority=action.priority,
            evidence=proof,
            rule=rule.id,
            trigger=_trigger(rule, proof, context.index),
        )

    def _alert(self, rule_id: str, action: AlertAction, state: CustomerState, proof: list[Evidence]) -> Alert:
        return Alert(
            kind=action.kind,
            severity=action.severity,
            practice=action.practice,
            audience=list(action.audience),
            message=_fill(action.message, state),
            evidence=proof,
            procedure=self._procedure(action.procedure, state),
            rule=rule_id,
        )

    def _procedure(self, name: str | None, state: CustomerState) -> Procedure | None:
        book = self.playbook
        if name == "crisis":
            return Procedure(
                name="crisis",
                step="follow the crisis procedure; do not end the conversation",
                instructions="\n".join(f"{n}. {step}" for n, step in enumerate(book.crisis.steps, 1)),
                resources=list(book.crisis.resources),
                notify=list(book.crisis.notify),
            )
        if name == "abuse":
            step = self._abuse_step(state)
            return Procedure(
                name="abuse",
                step=step.name,
                instructions=step.instructions,
                wording=list(step.wording),
                notify=list(book.abuse_policy.notify),
            )
        if name == "emergency" and state.emergency is not None:
            missing = _missing(state)
            return Procedure(
                name="emergency",
                step="capture " + ", ".join(missing) if missing else "route urgently",
                instructions=book.emergency.instructions,
                checklist=list(state.emergency.checklist),
                notify=list(book.emergency.notify),
            )
        if name == "escalation":
            contacts = [f"{c.role}: {c.name} {c.reach}".strip() for c in book.escalation_contacts]
            return Procedure(
                name="escalation",
                step="involve a supervisor now, with a hand-off note",
                instructions="Brief the supervisor with what happened, what was tried and what was promised, "
                "so the customer does not have to repeat the story.",
                resources=contacts,
            )
        return None

    def _abuse_step(self, state: CustomerState) -> AbuseStep:
        steps = self.playbook.abuse_policy.steps
        return steps[min(max(state.abuse_incidents, 1), len(steps)) - 1]

    def _expand(self, suggestions: Sequence[str], state: CustomerState) -> list[str]:
        """``@name`` in a rule's suggestions stands for the playbook's wording variants of that name.

        ``@emergency_questions`` stands for the questions of the emergency checklist items still missing.
        """
        expanded: list[str] = []
        for text in suggestions:
            if text == EMERGENCY_QUESTIONS:
                missing = set(_missing(state))
                expanded.extend(i.ask for i in self.playbook.emergency.checklist if i.label in missing)
            elif text.startswith("@"):
                expanded.extend(self.playbook.wording.get(text[1:], []))
            else:
                expanded.append(text)
        return expanded


def _turn_matches(cond: TurnCondition, role: Role, scores: Scores) -> bool:
    if cond.role is not None and cond.role is not role:
        return False
    if not all(scores.get(kind, 0.0) >= cond.min_score for kind in cond.signal):
        return False
    if cond.any_signal and not any(scores.get(kind, 0.0) >= cond.min_score for kind in cond.any_signal):
        return False
    if cond.with_any_signal and not any(scores.get(kind, 0.0) >= FIRES for kind in cond.with_any_signal):
        return False
    return not any(scores.get(kind, 0.0) >= FIRES for kind in cond.no_signal)


def _alert_strength(rule: Rule, scores: Scores) -> float:
    """How strong the signals a rule's alert rests on are on this turn (0 for rules without an alert or
    without signals of their own: those never fire again early)."""
    kinds = [*rule.when.signal, *rule.when.any_signal]
    if rule.alert is None or not kinds:
        return 0.0
    return max(scores.get(kind, 0.0) for kind in kinds)


def _unanswered(state: CustomerState) -> int:
    return sum(g.status is GrievanceStatus.open for g in state.grievances)


def _addressed(state: CustomerState) -> int:
    return sum(g.status is GrievanceStatus.addressed for g in state.grievances)


def _missing(state: CustomerState) -> list[str]:
    if state.emergency is None:
        return []
    return [item.label for item in state.emergency.checklist if not item.done]


DERIVED: dict[str, Callable[[CustomerState], int | bool]] = {
    "unanswered_grievances": _unanswered,
    "addressed_grievances": _addressed,
    "emergency_missing": lambda state: len(_missing(state)),
    "emergency_active": lambda state: state.emergency is not None,
}


def _state_value(state: CustomerState, name: str) -> object:
    if name in DERIVED:
        return DERIVED[name](state)
    value = getattr(state, name)
    if isinstance(value, list):
        return len(value)
    if hasattr(value, "value"):
        return value.value
    return value


def _compare(value: object, cond: Condition) -> bool:
    # Any: a condition compares whatever the state holds with the playbook's value, as Python would.
    checks: tuple[tuple[Scalar | None, Callable[[Any, Any], bool]], ...] = (
        (cond.eq, lambda v, c: v == c),
        (cond.ne, lambda v, c: v != c),
        (cond.gte, lambda v, c: v is not None and v >= c),
        (cond.gt, lambda v, c: v is not None and v > c),
        (cond.lte, lambda v, c: v is not None and v <= c),
        (cond.lt, lambda v, c: v is not None and v < c),
    )
    return all(check(value, target) for target, check in checks if target is not None)


def _evidence(rule: Rule, signals: list[Signal]) -> list[Evidence]:
    """The words behind a rule: its own signals' evidence, else this turn's strongest signals'."""
    named = set(rule.when.signal) | set(rule.when.any_signal)
    chosen = [s for s in signals if s.kind in named and s.score >= rule.when.min_score]
    if not chosen:
        chosen = sorted((s for s in signals if s.score >= FIRES and s.evidence), key=lambda s: -s.score)
    seen: set[tuple[int, int, int]] = set()
    proof: list[Evidence] = []
    for signal in chosen:
        for item in signal.evidence:
            key = (item.turn, *item.span)
            if key not in seen:
                seen.add(key)
                proof.append(item)
    return proof[:MAX_EVIDENCE]


def _trigger(rule: Rule, proof: list[Evidence], index: int) -> str:
    """The words on this turn behind a card, quoted; for a card that rests on the conversation so far
    rather than on words (a problem still unstated, an after-hours call), the rule's own description."""
    named = bool(rule.when.signal or rule.when.any_signal or rule.when.previous)
    quotes = [f'"{item.quote}"' for item in proof if item.turn == index or rule.when.previous]
    if named and quotes:
        return ", ".join(dict.fromkeys(quotes))
    return rule.description


def _rotate(variants: list[str], seed: int) -> list[str]:
    """The variants starting at a position that moves each time a rule fires, so advice varies."""
    if not variants:
        return []
    start = seed % len(variants)
    return variants[start:] + variants[:start]


def _address(name: str) -> str:
    """How to address the customer: "Ms. Ortiz" stays whole, "Dana Ruiz" becomes "Dana"."""
    first = name.split()[0]
    return name if first.rstrip(".") in ("Mr", "Mrs", "Ms", "Miss", "Dr") else first


def _fill(text: str, state: CustomerState) -> str:
    """Fill ``{name}``, ``{topic}`` and ``{grievances}``; drop the name cleanly when it is unknown."""
    open_topics = [g.label or g.topic for g in state.grievances if g.status is not GrievanceStatus.addressed]
    missing = _missing(state)
    values = {
        "topic": open_topics[-1] if open_topics else "the problem",
        "grievances": ", ".join(open_topics) or "none",
        "missing": ", ".join(missing) if missing else "nothing: all captured",
        "transfers": str(state.transfer_count),
        "risk": f"{state.escalation_risk:.0%}",
        "abuse_incidents": str(state.abuse_incidents),
    }
    if state.customer_name:
        values["name"] = _address(state.customer_name)
    else:
        for pattern in (", {name}", " {name},", "{name}, ", " {name}", "{name}"):
            text = text.replace(pattern, "")
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text[:1].upper() + text[1:] if text else text
