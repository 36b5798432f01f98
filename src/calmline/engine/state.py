"""The state tracker: folds each turn's signals into the customer's state, including escalation risk."""

from __future__ import annotations

import math
from collections.abc import Iterable

from calmline.engine.context import Context
from calmline.model import (
    AbuseLevel,
    ChecklistItem,
    CrisisType,
    CustomerState,
    EmergencyState,
    Evidence,
    Grievance,
    GrievanceStatus,
    Phase,
    Promise,
    Role,
    Signal,
    Turn,
)
from calmline.playbook.schema import Playbook

FIRES = 0.5
"""A signal counts towards the state from this score on (rules may ask for more)."""

MAX_GRIEVANCE_EVIDENCE = 5
NEUTRAL_TURN_DECAY = 0.85
EMERGENCY_STRAIN = 0.6
AGENT_MISSTEPS = ("hostile_tone", "shouting", "lecture", "negative_phrasing", "canned_repeat", "overpromise")

DEFAULT_WEIGHTS = {
    "negativity": 2.2,
    "falling_trend": 1.2,
    "intensity": 1.3,
    "repetitions": 1.8,
    "open_grievances": 1.0,
    "transfers": 1.2,
    "agent_missteps": 1.5,
    "manager_request": 3.0,
    "abuse": 1.5,
}


class Scores(dict[str, float]):
    """The highest score per signal kind on one turn."""

    @classmethod
    def of(cls, signals: Iterable[Signal]) -> Scores:
        scores = cls()
        for signal in signals:
            if signal.score > scores.get(signal.kind, 0.0):
                scores[signal.kind] = signal.score
        return scores

    def fires(self, kind: str) -> bool:
        return self.get(kind, 0.0) >= FIRES


class StateTracker:
    """Pure: ``update`` returns a new state and never changes the one it was given."""

    def __init__(self, playbook: Playbook) -> None:
        self.model = playbook.escalation
        self.weights = {**DEFAULT_WEIGHTS, **self.model.weights}
        self.checklist = playbook.emergency.checklist

    def update(
        self, previous: CustomerState, turn: Turn, signals: list[Signal], context: Context
    ) -> CustomerState:
        state = previous.model_copy(deep=True)
        scores = Scores.of(signals)
        if turn.role is Role.customer:
            self._customer_turn(state, scores, signals, context)
        elif turn.role is Role.agent:
            self._agent_turn(state, scores, signals, context)
        self._capture_emergency_facts(state, signals)
        state.escalation_risk = round(self.escalation_risk(state, context.conversation.after_hours), 3)
        return state

    # --- customer ------------------------------------------------------------------------

    def _customer_turn(
        self, state: CustomerState, scores: Scores, signals: list[Signal], context: Context
    ) -> None:
        state.customer_turns += 1
        # Someone reporting an emergency is under strain even when their words are calm.
        feeling = max(
            scores.get("anger", 0.0),
            scores.get("distress", 0.0),
            scores.get("negative", 0.0),
            EMERGENCY_STRAIN * scores.get("emergency", 0.0),
            scores.get("self_harm", 0.0),
        )
        hostility = max(scores.get("abuse_at_agent", 0.0), scores.get("violence_threat", 0.0))
        turn_mood = (
            -5.0 * feeling
            - 1.0 * scores.get("shouting", 0.0)
            - 1.5 * hostility
            - 0.5 * scores.get("venting", 0.0)
            + 4.0 * scores.get("positive", 0.0) * (1.0 - feeling)
        )
        alpha = self.model.mood_smoothing
        if turn_mood == 0.0:
            # A turn with no feeling in it ("my account number is 1234") says little about the mood:
            # let it fade slowly rather than jump back to neutral.
            state.mood = round(state.mood * NEUTRAL_TURN_DECAY, 2)
        else:
            state.mood = round(_clamp((1 - alpha) * state.mood + alpha * turn_mood, -5.0, 5.0), 2)
        state.mood_trend = self._trend(state.mood, context)
        state.intensity = round(max(feeling, scores.get("shouting", 0.0), hostility), 3)
        state.abuse_level = _abuse_level(scores)
        if state.abuse_level in (AbuseLevel.abuse_at_agent, AbuseLevel.threat):
            state.abuse_incidents += 1
        self._crisis(state, scores)
        state.manager_requested = state.manager_requested or scores.fires("manager_request")
        state.company_fault = state.company_fault or scores.fires("company_fault")
        if scores.fires("repetition"):
            state.repetitions += 1
        for signal in signals:
            if signal.kind == "grievance" and signal.score >= FIRES:
                _add_grievance(state, signal)
            elif signal.kind == "customer_name" and signal.score >= FIRES:
                state.customer_name = str(signal.data["name"])
            elif signal.kind == "emergency" and signal.score >= FIRES and state.emergency is None:
                state.emergency = self._new_emergency(signal, context)

    def _trend(self, mood: float, context: Context) -> float:
        window = self.model.trend_window
        earlier = [t.state.mood for t in context.recent(Role.customer, window - 1)]
        if not earlier:
            return 0.0
        oldest = earlier[-1]
        return round((mood - oldest) / len(earlier), 2)

    @staticmethod
    def _crisis(state: CustomerState, scores: Scores) -> None:
        if scores.fires("self_harm"):
            state.crisis, state.crisis_type = True, CrisisType.self_harm
        elif scores.fires("violence_threat") and state.crisis_type is None:
            state.crisis, state.crisis_type = True, CrisisType.violence_threat

    def _new_emergency(self, signal: Signal, context: Context) -> EmergencyState:
        checklist = [ChecklistItem(field=item.field, label=item.label) for item in self.checklist]
        emergency = EmergencyState(kind=str(signal.data.get("kind", "urgent")), checklist=checklist)
        _tick(emergency, "nature", signal.evidence)
        # Facts given before the caller named the emergency still count as captured.
        for earlier in context.history:
            for fact in earlier.signals:
                if fact.kind in ("callback_number", "location") and fact.score >= FIRES:
                    _tick(emergency, fact.kind, fact.evidence)
        return emergency

    @staticmethod
    def _capture_emergency_facts(state: CustomerState, signals: list[Signal]) -> None:
        if state.emergency is None:
            return
        for signal in signals:
            if signal.kind in ("callback_number", "location") and signal.score >= FIRES:
                _tick(state.emergency, signal.kind, signal.evidence)

    # --- agent ---------------------------------------------------------------------------

    def _agent_turn(
        self, state: CustomerState, scores: Scores, signals: list[Signal], context: Context
    ) -> None:
        state.agent_turns += 1
        if any(scores.fires(kind) for kind in AGENT_MISSTEPS) or scores.fires("transfer"):
            state.agent_missteps += 1
        if scores.fires("transfer"):
            state.transfer_count += 1
        if scores.fires("name_used"):
            state.name_used = True
        if scores.fires("further_help_offer"):
            state.help_offered = True
        if scores.fires("acknowledgement") or scores.fires("restatement") or scores.fires("apology"):
            _move_grievances(state, GrievanceStatus.open, GrievanceStatus.acknowledged)
        acted = scores.fires("action_taken") or scores.fires("promise")
        if acted:
            _move_grievances(state, GrievanceStatus.open, GrievanceStatus.addressed)
            _move_grievances(state, GrievanceStatus.acknowledged, GrievanceStatus.addressed)
        if scores.fires("options_offered") and state.phase is Phase.comprehend:
            state.phase = Phase.purpose
        if scores.fires("action_taken") or (acted and state.phase is Phase.purpose):
            state.phase = Phase.react
        for signal in signals:
            if signal.kind == "promise" and signal.score >= FIRES:
                state.promises.append(
                    Promise(
                        turn=context.index,
                        text=str(
                            signal.data.get("text") or (signal.evidence[0].quote if signal.evidence else "")
                        ),
                        evidence=signal.evidence,
                        beyond_authority=bool(signal.data.get("beyond_authority"))
                        or scores.fires("overpromise"),
                    )
                )

    # --- risk ----------------------------------------------------------------------------

    def features(self, state: CustomerState) -> dict[str, float]:
        """What the escalation forecast looks at, each scaled to 0–1."""
        unanswered = sum(g.status is GrievanceStatus.open for g in state.grievances)
        return {
            "negativity": max(0.0, -state.mood) / 5.0,
            "falling_trend": min(1.0, max(0.0, -state.mood_trend) / 2.0),
            "intensity": state.intensity,
            "repetitions": min(state.repetitions, 3) / 3.0,
            "open_grievances": min(unanswered, 4) / 4.0,
            "transfers": min(state.transfer_count, 3) / 3.0,
            "agent_missteps": min(state.agent_missteps, 3) / 3.0,
            "manager_request": float(state.manager_requested),
            "abuse": float(state.abuse_incidents > 0),
        }

    def escalation_risk(self, state: CustomerState, after_hours: bool) -> float:
        logit = self.model.bias + sum(
            self.weights[name] * value for name, value in self.features(state).items()
        )
        if after_hours:
            logit += self.model.after_hours_boost
        return 1.0 / (1.0 + math.exp(-logit))


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _abuse_level(scores: Scores) -> AbuseLevel:
    if scores.fires("violence_threat"):
        return AbuseLevel.threat
    if scores.fires("abuse_at_agent"):
        return AbuseLevel.abuse_at_agent
    if scores.fires("venting"):
        return AbuseLevel.venting
    return AbuseLevel.none


def _add_grievance(state: CustomerState, signal: Signal) -> None:
    topic = str(signal.data.get("topic", "other"))
    for grievance in state.grievances:
        if grievance.topic == topic:
            grievance.times_raised += 1
            # Keep the first mentions: enough to show the grievance, bounded on a very long call.
            grievance.evidence = (grievance.evidence + signal.evidence)[:MAX_GRIEVANCE_EVIDENCE]
            grievance.status = GrievanceStatus.open
            return
    quote = signal.evidence[0].quote if signal.evidence else ""
    state.grievances.append(
        Grievance(
            id=len(state.grievances) + 1,
            topic=topic,
            label=str(signal.data.get("label", topic)),
            quote=quote,
            evidence=list(signal.evidence),
        )
    )


def _move_grievances(state: CustomerState, source: GrievanceStatus, target: GrievanceStatus) -> None:
    for grievance in state.grievances:
        if grievance.status is source:
            grievance.status = target


def _tick(emergency: EmergencyState, field: str, evidence: list[Evidence]) -> None:
    for item in emergency.checklist:
        if item.field == field and not item.done:
            item.done = True
            item.evidence = list(evidence)
