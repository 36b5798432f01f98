"""Building the record of one conversation: reason, grievances, steps, commitments, outcome, mood, alerts."""

from __future__ import annotations

from calmline.model import ConversationAnalysis, Evidence, Role, TurnAnalysis
from calmline.playbook.schema import Playbook
from calmline.records._text import sentence_evidence, sentence_spans, sentences_from, span_evidence
from calmline.records.clock import resolve_zone, turn_times, zone_label
from calmline.records.commitments import agent_name, find_commitments
from calmline.records.due import WorkWeek
from calmline.records.handoff import handoff_note
from calmline.records.model import (
    GrievanceEntry,
    Mood,
    RaisedAlert,
    Record,
    RecordResult,
    Step,
)
from calmline.records.outcome import outcome
from calmline.records.scorecard import score_conversation

FIRES = 0.5
MIN_REASON_WORDS = 4
SHORT_STEP_WORDS = 3
SPEAKERS = (Role.agent, Role.supervisor)
STEP_KINDS = {
    "action_taken": "action",
    "options_offered": "options",
    "apology": "apology",
    "supervisor_involved": "supervisor",
    "transfer": "transfer",
    "boundary_statement": "boundary",
}
MOOD_LABELS = ((-3.5, "furious"), (-1.5, "upset"), (-0.5, "uneasy"), (0.5, "neutral"), (2.5, "satisfied"))


def build_record(
    analysis: ConversationAnalysis, playbook: Playbook, timezone: str | None = None
) -> RecordResult:
    """The record, commitments, scorecard and hand-off note of an analysed conversation (deterministic).

    Times are read and shown in ``timezone`` (an IANA name), else the playbook's business-hours
    zone, else the offset of the conversation's start time; see ``records.due`` for how due
    times are read.
    """
    zone = resolve_zone(timezone, playbook.business_hours.timezone, analysis.conversation.started_at)
    times = turn_times(analysis, zone)
    agent = agent_name(analysis)
    commitments = find_commitments(analysis, times, WorkWeek.from_hours(playbook.business_hours), agent)
    record = Record(
        conversation_id=analysis.conversation.id,
        channel=analysis.conversation.channel,
        agent=agent,
        customer=_customer(analysis),
        team=scorecard_team(analysis),
        timezone=zone_label(zone),
        started_at=times[0] if times else None,
        ended_at=times[-1] if times else None,
        after_hours=analysis.conversation.after_hours,
        reason=reason_for_contact(analysis),
        grievances=_grievances(analysis),
        steps=steps_taken(analysis),
        commitments=commitments,
        outcome=outcome(analysis, commitments),
        mood=_mood(analysis),
        alerts=_alerts(analysis),
    )
    scorecard = score_conversation(analysis, playbook, commitments, agent)
    return RecordResult(
        record=record,
        commitments=commitments,
        scorecard=scorecard,
        handoff_note=handoff_note(record, analysis),
    )


def scorecard_team(analysis: ConversationAnalysis) -> str | None:
    team = analysis.conversation.metadata.get("team") or analysis.conversation.metadata.get("queue")
    return str(team) if team else None


def _customer(analysis: ConversationAnalysis) -> str | None:
    final = analysis.turns[-1].state if analysis.turns else None
    return analysis.conversation.customer_name or (final.customer_name if final else None)


def reason_for_contact(analysis: ConversationAnalysis) -> str:
    """The customer's own words for why they got in touch.

    The sentence that first raised an emergency or a grievance (outside a crisis statement, which
    the alerts report), else their first question, else their first sentence of some length.
    """
    customer = [t for t in analysis.turns if t.role is Role.customer]
    for turn in customer:
        if _fires(turn, "self_harm") or _fires(turn, "violence_threat"):
            continue
        for signal in turn.signals:
            if signal.kind in ("emergency", "grievance") and signal.score >= FIRES and signal.evidence:
                return sentence_evidence(turn.index, turn.text, signal.evidence[0]).quote
    sentences = [t.text[s:e] for t in customer for s, e in sentence_spans(t.text)]
    for sentence in sentences:
        if sentence.endswith("?"):
            return sentence
    for sentence in sentences:
        if len(sentence.split()) >= MIN_REASON_WORDS:
            return sentence
    return sentences[0] if sentences else "(the customer did not speak)"


def _grievances(analysis: ConversationAnalysis) -> list[GrievanceEntry]:
    if not analysis.turns:
        return []
    by_turn = {t.index: t for t in analysis.turns}
    entries = []
    for g in analysis.turns[-1].state.grievances:
        first = g.evidence[0] if g.evidence else None
        quote = sentence_evidence(first.turn, by_turn[first.turn].text, first).quote if first else g.quote
        entries.append(
            GrievanceEntry(
                topic=g.topic,
                label=g.label,
                quote=quote,
                status=g.status,
                times_raised=g.times_raised,
                evidence=g.evidence,
            )
        )
    return entries


def steps_taken(analysis: ConversationAnalysis) -> list[Step]:
    """What the agent or supervisor did, one step per sentence, in order; emergency facts captured too."""
    steps: list[Step] = []
    seen: set[tuple[int, tuple[int, int]]] = set()
    for turn in analysis.turns:
        if turn.role not in SPEAKERS:
            continue
        for signal in turn.signals:
            kind = STEP_KINDS.get(signal.kind)
            if kind is None or signal.score < FIRES or not signal.evidence:
                continue
            sentence = _step_sentence(turn, signal.evidence[0])
            if (turn.index, sentence.span) not in seen:
                seen.add((turn.index, sentence.span))
                steps.append(Step(kind=kind, what=sentence.quote, evidence=[sentence]))
    emergency = analysis.turns[-1].state.emergency if analysis.turns else None
    for item in emergency.checklist if emergency else []:
        if item.done and item.field != "nature":
            steps.append(Step(kind="emergency_fact", what=f"captured {item.label}", evidence=item.evidence))
    return sorted(
        steps,
        key=lambda step: (step.evidence[0].turn, step.evidence[0].span) if step.evidence else (0, (0, 0)),
    )


def _step_sentence(turn: TurnAnalysis, evidence: Evidence) -> Evidence:
    """The sentence of the step; a bare "Done." takes the sentence after it, which says what was done."""
    sentence = sentence_evidence(turn.index, turn.text, evidence)
    if len(sentence.quote.split()) < SHORT_STEP_WORDS:
        following = sentences_from(turn.text, sentence.span[1])
        if following:
            return span_evidence(turn.index, turn.text, sentence.span[0], following[0][1])
    return sentence


def _fires(turn: TurnAnalysis, kind: str) -> bool:
    return any(s.kind == kind and s.score >= FIRES for s in turn.signals)


def mood_label(mood: float) -> str:
    for ceiling, label in MOOD_LABELS:
        if mood <= ceiling:
            return label
    return "pleased"


def _mood(analysis: ConversationAnalysis) -> Mood:
    summary = analysis.summary
    return Mood(
        start=summary.mood_start,
        end=summary.mood_end,
        lowest=summary.mood_min,
        start_label=mood_label(summary.mood_start),
        end_label=mood_label(summary.mood_end),
    )


def _alerts(analysis: ConversationAnalysis) -> list[RaisedAlert]:
    return [
        RaisedAlert(kind=a.kind, severity=a.severity, practice=a.practice, turn=t.index, message=a.message)
        for t in analysis.turns
        for a in t.alerts
    ]
