"""The hand-off note: who, what happened, what was tried, what was promised, how the customer is, what not to ask again.

Written for a supervisor or the next agent to read in twenty seconds: six short lines, facts
only, in the order they will need them.
"""

from __future__ import annotations

from datetime import datetime

from calmline.model import ConversationAnalysis, Role
from calmline.records._text import third_person
from calmline.records.model import Record

MAX_QUOTE = 110
MAX_STEPS = 3
STEP_VERBS = {
    "action": "did",
    "options": "offered",
    "apology": "apologised",
    "supervisor": "brought in a supervisor",
    "transfer": "transferred",
    "boundary": "set a boundary",
    "emergency_fact": "noted",
}
GIVEN = {
    "phone": "their phone number",
    "email": "their email address",
    "address": "their address",
    "card": "their card number",
}


def handoff_note(record: Record, analysis: ConversationAnalysis) -> str:
    lines = [
        _who(record),
        _what(record),
        _tried(record),
        _promised(record),
        _state(record),
        _do_not_ask(record, analysis),
    ]
    return "\n".join(lines)


def shown_time(moment: datetime | None) -> str:
    return moment.strftime("%a %d %b %Y %H:%M %Z").strip() if moment else "no time given"


def short(text: str, limit: int = MAX_QUOTE) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _who(record: Record) -> str:
    team = f", {record.team}" if record.team else ""
    hours = ", after hours" if record.after_hours else ""
    when = f" on {shown_time(record.started_at)}" if record.started_at else ""
    outcome = record.outcome.value.replace("_", " ")
    return f"Who: {record.customer or 'the customer'} ({record.channel.value} with {record.agent}{team}{hours}){when}; {outcome}."


def _what(record: Record) -> str:
    also = [third_person(g.label or g.topic) for g in record.grievances[1:]]
    more = f" Also raised: {'; '.join(also)}." if also else ""
    return f'What happened: "{short(record.reason)}"{more}'


def _tried(record: Record) -> str:
    steps = [s for s in record.steps if s.kind != "boundary"] or record.steps
    if not steps:
        return "Tried: nothing on record."
    shown = [
        f"{STEP_VERBS[s.kind]}: {s.what}"
        if s.kind == "emergency_fact"
        else f'{STEP_VERBS[s.kind]}: "{short(s.what, 80)}"'
        for s in steps[-MAX_STEPS:]
    ]
    earlier = f" (+{len(steps) - MAX_STEPS} earlier)" if len(steps) > MAX_STEPS else ""
    return "Tried: " + "; ".join(shown) + earlier + "."


def _promised(record: Record) -> str:
    open_ones = [c for c in record.commitments if c.status.value != "done"]
    if not open_ones:
        return "Promised: nothing still open."
    shown = [
        f'{c.owner} — "{short(c.what, 80)}" (due {shown_time(c.due) if c.due else "no time given"})'
        for c in open_ones
    ]
    return "Promised: " + "; ".join(shown) + "."


def _state(record: Record) -> str:
    mood = record.mood
    kinds: dict[str, int] = {}
    for alert in record.alerts:
        kinds.setdefault(alert.kind.value, alert.turn)
    alerts = ", ".join(f"{kind} (turn {turn})" for kind, turn in kinds.items()) or "none"
    return f"Customer now: {mood.end_label} (started {mood.start_label}, lowest {mood.lowest:+.1f}); alerts: {alerts}."


def _do_not_ask(record: Record, analysis: ConversationAnalysis) -> str:
    given: list[str] = []
    if record.customer:
        given.append(f"their name ({record.customer})")
    for turn in analysis.turns:
        if turn.role is not Role.customer:
            continue
        for redaction in turn.redactions:
            label = GIVEN.get(redaction.kind)
            if label and not any(item.startswith(label) for item in given):
                given.append(f"{label} (turn {turn.index})")
        if any(s.kind == "location" and s.score >= 0.5 for s in turn.signals) and not any(
            item.startswith("their address") for item in given
        ):
            given.append(f"their address (turn {turn.index})")
    crisis = {a.turn for a in record.alerts if a.kind.value == "crisis"}
    for grievance in record.grievances:
        if grievance.evidence and all(e.turn in crisis for e in grievance.evidence):
            continue  # words said in a crisis are the crisis, not a complaint to take up
        times = f", told {grievance.times_raised} times" if grievance.times_raised > 1 else ""
        given.append(f"to explain {third_person(grievance.label or grievance.topic)} again{times}")
    return "Don't ask again: " + ("; ".join(given) if given else "nothing recorded") + "."
