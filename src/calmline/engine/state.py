"""The state tracker: folds each turn's signals into the customer's state, including escalation risk."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

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
    TurnAnalysis,
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
    # Cues from the customer's last FORECAST_WINDOW turns (``window_features``). Hand-set, not
    # fitted: the conversation data that could fit them may not be used for shipped weights.
    # Blame aimed at the agent is the clearest sign a conversation is turning personal; one
    # blaming turn adds 0.8 to the logit and two add 1.6 (three repeated complaints add 1.8).
    "blame": 1.6,
    # Talking about "you" rather than the problem is a weak sign alone, so it weighs little.
    "second_person": 0.8,
    # Mood already remembers negativity; this adds that it keeps coming, turn after turn.
    "sustained_negativity": 0.8,
    # Questions asked in anger or blame: the customer feels they are not being answered.
    "pressing_questions": 0.6,
    # Heat from a recent turn (profanity, venting, shouting); intensity already counts this turn's.
    "heat": 0.4,
    # Quiet discontent the mood misses: a threat to leave (cancel, close the account, switch provider)
    # adds as much as two repeated complaints.
    "discontent": 1.2,
}
"""Hand-set weights of the escalation forecast (the playbook's ``escalation.weights`` override them)."""

WINDOW_FEATURES = (
    "blame",
    "heat",
    "sustained_negativity",
    "pressing_questions",
    "second_person",
    "discontent",
)
"""The features read from the customer's recent turns (``window_features``); the rest come from the state."""

FORECAST_WINDOW = 4
"""How many of the customer's most recent turns (this one included) the forecast cues look back over."""

MIN_TURNS_FOR_TREND = 2
"""A forecast reads where the conversation is heading: one customer turn has no direction yet (the
mood and intensity features already answer that turn), so the window cues wait for a second."""


PROBLEM_STATED = (
    "grievance",
    "request",
    "company_fault",
    "customer_error",
    "manager_request",
    "emergency",
    "churn_threat",
    "self_harm",
    "violence_threat",
)
"""Signals that show the customer has said what is wrong or what they want."""


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
        self.weights: dict[str, float] = DEFAULT_WEIGHTS | self.model.weights
        self.checklist = playbook.emergency.checklist

    def update(
        self, previous: CustomerState, turn: Turn, signals: list[Signal], context: Context
    ) -> CustomerState:
        state = _copy_for_update(previous)
        scores = Scores.of(signals)
        if turn.role is Role.customer:
            self._customer_turn(state, scores, signals, context)
        elif turn.role is Role.agent:
            self._agent_turn(state, scores, signals, context)
        self._capture_emergency_facts(state, signals)
        window = forecast_window(
            context.history, turn_cues(turn.text, scores) if turn.role is Role.customer else None
        )
        risk = self.escalation_risk(self.features(state, window), context.conversation.after_hours)
        state.escalation_risk = round(risk, 3)
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
        state.problem_stated = state.problem_stated or any(scores.fires(kind) for kind in PROBLEM_STATED)
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

    def features(self, state: CustomerState, window: Sequence[TurnCues] = ()) -> dict[str, float]:
        """What the escalation forecast looks at, each scaled to 0–1.

        ``window`` holds the cues of the customer's most recent turns, newest first (see
        ``forecast_window``); the state carries the rest of the conversation so far.
        """
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
            **window_features(window),
        }

    def escalation_risk(self, features: dict[str, float], after_hours: bool) -> float:
        """The logistic of the weighted features: the probability-like risk the P10 rules read."""
        logit = self.model.bias + sum(self.weights.get(name, 0.0) * value for name, value in features.items())
        if after_hours:
            logit += self.model.after_hours_boost
        return 1.0 / (1.0 + math.exp(-logit))


# --- escalation forecast cues ------------------------------------------------------------
#
# Conversations that end in an escalation or a personal attack tend to show it first in how
# the customer speaks *to* the other person: blame aimed at "you", negativity that persists
# turn after turn, heated words, and pointed questions that keep coming. The cues are read
# from the signal kinds the detectors produce (so trained and pattern detectors serve alike)
# plus who the words are aimed at, which no detector reports.

# Second-person words, once courtesy forms ("thank you", "could you …", "if you …") are removed.
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves|ya|u|youre|y'all)\b")
_COURTESY = re.compile(
    r"\b(?:thank\s+you|thanks\s+to\s+you|(?:can|could|would|will|may|might)\s+you(?:\s+please)?|"
    r"do\s+you\s+(?:have|know|offer|sell|ship|take|accept|do|mind)|are\s+you\s+able|if\s+you|"
    r"you\s+(?:can|could|may|might)|you(?:'re|\s+are)\s+welcome|see\s+you|(?:meet|tell|let|help|"
    r"assist|ask|thank)\s+you|you\s+too|bless\s+you|as\s+you\s+(?:know|can\s+see|asked|requested)|"
    r"have\s+you\s+got|you\s+(?:guys\s+)?(?:have|do)\s+(?:a|an)\s+(?:great|good|nice|lovely)|"
    r"you(?:'ve|\s+have|'re|\s+are)\s+(?:been\s+)?(?:so\s+|very\s+|really\s+|such\s+)?(?:great|helpful|kind|"
    r"amazing|wonderful|brilliant|fantastic|lovely|patient|a\s+star|a\s+lifesaver|a\s+legend|the\s+best))\b"
)
_YOU_SUBJECT = r"\b(?:you|u|you\s+(?:people|guys|lot|all)|y'all)(?:'ve|'re|'d)?\s+"
_ADVERBS = (
    r"(?:(?:just|even|still|clearly|obviously|already|actually|really|simply|all|again|now|then)\s+){0,2}"
)
# Blame that stands on its own: "you never …", "why didn't you …", "are you even listening", "your fault".
_BLAME = re.compile(
    rf"{_YOU_SUBJECT}{_ADVERBS}(?:never|always|keep|kept|refuse[sd]?|won't|wouldn't|didn't|don't\s+(?:care|"
    r"listen|understand|get\s+it|even)|haven't|can't\s+even|failed|lied|lie|ignored?|ignoring|messed|"
    r"screwed|lost|wasted|misread|twist(?:ed|ing)?|pretend(?:ed|ing)?|obviously|are\s+(?:wrong|lying|not\s+"
    r"(?:listening|reading|helping|hearing|understanding))|not\s+(?:listening|reading|helping|hearing|"
    r"understanding))\b|"
    r"\bwhy\s+(?:on\s+earth\s+|the\s+hell\s+)?(?:did|didn't|do|don't|does|doesn't|won't|can't|are|aren't|"
    r"would|wouldn't|have|haven't|is|isn't|was|wasn't|should|must)\s+(?:you|your|nobody|no\s+one)\b|"
    r"\bare\s+you\s+(?:even|serious|kidding|joking|listening|reading|deaf|blind|for\s+real)\b|"
    r"\b(?:your|you\s+people's)\s+(?:fault|mistake|error|screw[\s-]?up|incompetence|lies|bias|agenda|"
    r"attitude)\b|"
    r"\bhow\s+many\s+(?:more\s+)?times\s+(?:do|have|must|will|am|did)\s+i\b|"
    r"\b(?:it'?s|that'?s|this\s+is)\s+(?:on\s+you|your\s+(?:fault|problem|mistake))\b"
)
# Second-person claims that are blame only when said in anger: "you said …", "you charged me …".
_BLAME_IN_ANGER = re.compile(
    rf"{_YOU_SUBJECT}{_ADVERBS}(?:said|told\s+(?:me|us)|promised|claimed|charged|overcharged|cancell?ed|"
    r"cut\s+(?:me|us|off)|hung\s+up|broke|took|sent|should\s+have|should've|need\s+to|have\s+to|"
    r"had\s+better|better|must|owe|don't|can't|couldn't|insist|accuse[sd]?|accusing)\b"
)
_QUESTION = re.compile(r"\?|^\s*(?:why|how\s+come|what|when|where|who|how)\b")

NEGATIVE_KINDS = ("anger", "negative")
HEAT_KINDS = {
    "abuse_at_agent": 1.0,
    "violence_threat": 1.0,
    "offensive": 0.8,
    "venting": 0.7,
    "shouting": 0.6,
}
"""Signal kinds that show heat in a turn, with how much of their score counts."""


@dataclass(frozen=True, slots=True)
class TurnCues:
    """What one customer turn contributes to the escalation forecast."""

    negative: bool  # an anger or negative signal fires
    blame: bool  # blame aimed at the other person (said in anger, or outright), or abuse
    heat: float  # the strongest heated signal (abuse, threat, offensive, venting, shouting), 0–1
    question: bool  # the turn asks something
    second_person: int  # references to the other person outside courtesy phrases
    discontent: bool = False  # a threat to leave


def turn_cues(text: str, scores: Scores) -> TurnCues:
    """The forecast cues of a customer turn from its (redacted) text and its signals."""
    blamed, blamed_in_anger, addressed, asked = _text_cues(text)
    negative = any(scores.fires(kind) for kind in NEGATIVE_KINDS)
    aimed = blamed or (negative and blamed_in_anger) or scores.fires("abuse_at_agent")
    heat = max(share * scores.get(kind, 0.0) for kind, share in HEAT_KINDS.items())
    # Sarcasm is not read here: its head fires on plain friendly replies too often (ROC-AUC about 0.6 on
    # iSarcasmEval dev) to move the forecast; it stays a signal the agent sees.
    discontent = scores.fires("churn_threat")
    return TurnCues(
        negative=negative,
        blame=aimed,
        heat=heat,
        question=asked,
        second_person=addressed,
        discontent=discontent,
    )


@lru_cache(maxsize=4096)
def _text_cues(text: str) -> tuple[bool, bool, int, bool]:
    # Cached: each turn is read again while it stays in the window of the turns after it.
    low = text.lower().replace("’", "'")
    polite = _COURTESY.sub(" ", low)
    return (
        bool(_BLAME.search(low)),
        bool(_BLAME_IN_ANGER.search(low)),
        len(_SECOND_PERSON.findall(polite)),
        bool(_QUESTION.search(low)),
    )


def forecast_window(history: Sequence[TurnAnalysis], current: TurnCues | None) -> list[TurnCues]:
    """The cues of the customer's last ``FORECAST_WINDOW`` turns, newest first.

    ``current`` is this turn's cues when it is a customer turn; ``history`` the turns before it.
    Only earlier turns are read, so the forecast never looks ahead.
    """
    window = [current] if current is not None else []
    for analysed in reversed(history):
        if len(window) == FORECAST_WINDOW:
            break
        if analysed.role is Role.customer:
            window.append(turn_cues(analysed.text, Scores.of(analysed.signals)))
    return window


def window_features(window: Sequence[TurnCues]) -> dict[str, float]:
    """The forecast features read from the customer's recent turns, each 0–1."""
    if len(window) < MIN_TURNS_FOR_TREND:
        return dict.fromkeys(WINDOW_FEATURES, 0.0)
    window = window[:FORECAST_WINDOW]
    return {
        # Two turns of blame in the window is as strong as this cue gets.
        "blame": min(sum(c.blame for c in window), 2) / 2.0,
        "heat": max((c.heat for c in window), default=0.0),
        # Out of the full window, so one bad turn early in a call is not "sustained".
        "sustained_negativity": sum(c.negative for c in window) / FORECAST_WINDOW,
        # A question asked in anger or blame, again and again, is one the customer feels is unanswered.
        "pressing_questions": min(sum(c.question and (c.negative or c.blame) for c in window), 2) / 2.0,
        "second_person": min(sum(c.second_person for c in window), 6) / 6.0,
        "discontent": float(any(c.discontent for c in window)),
    }


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


def _copy_for_update(state: CustomerState) -> CustomerState:
    """A copy of ``state`` that this module may change without touching the original.

    Only what the tracker changes in place is copied (the lists it appends to, grievances and checklist
    items whose fields it sets); evidence is never changed, so it is shared. A deep copy cost more than
    the rest of the state update.
    """
    emergency = state.emergency
    if emergency is not None:
        emergency = emergency.model_copy(
            update={"checklist": [item.model_copy() for item in emergency.checklist]}
        )
    return state.model_copy(
        update={
            "grievances": [grievance.model_copy() for grievance in state.grievances],
            "promises": list(state.promises),
            "emergency": emergency,
        }
    )


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
