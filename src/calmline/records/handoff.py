"""The hand-off note: who, what is wrong, what was tried and promised, how the customer is, what not to ask again.

Written for a supervisor or the next agent to read in twenty seconds: six short lines, facts
only, at most ``MAX_NOTE`` characters. Over that, the note gives up its least needed words first,
one step at a time, and each line says how many of its parts it left out; quotes are shortened at
a word boundary, never mid-word. The steps, first taken first:

    other complaints raised · earlier steps tried · dates and contact details given · the latest
    step · promises after the second · the reason and the promises quoted shorter · identifiers,
    name and date of birth given · alerts · mood now · the first promises · the reason shorter still

so who the customer is and what is wrong always stay, then what was promised and when, the mood
now and the alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

from calmline.model import ConversationAnalysis
from calmline.records._text import shorten, third_person
from calmline.records.facts import FactKind, facts_given
from calmline.records.model import Commitment, CommitmentStatus, Record

MAX_NOTE = 600
REASON_QUOTES = (120, 80, 40)
"""The reason quoted at these lengths in turn as the note needs room."""
PROMISE_QUOTES = (80, 50)
STEP_QUOTE = 70
MAX_STEPS = 3
KEPT_PROMISES = 2
"""The first promises outrank the mood; later ones give way before the facts that identify the customer."""
OWNER_LEADS = ("", "the", "our", "your", "my", "a", "an")
STEP_VERBS = {
    "action": "did",
    "options": "offered",
    "apology": "apologised",
    "supervisor": "brought in a supervisor",
    "transfer": "transferred",
    "boundary": "set a boundary",
    "emergency_fact": "noted",
}


class Give(IntEnum):
    """What the note gives up when too long, the highest first."""

    REASON_SHORTEST = 1
    FIRST_PROMISE = 2
    MOOD = 3
    ALERTS = 4
    KEY_FACT = 5
    PROMISE_SHORTER = 6
    REASON_SHORTER = 7
    LATER_PROMISE = 8
    LATEST_STEP = 9
    OTHER_FACT = 10
    EARLIER_STEP = 11
    ALSO_RAISED = 12


FACT_GIVES = {
    FactKind.name: Give.KEY_FACT,
    FactKind.identifier: Give.KEY_FACT,
    FactKind.date_of_birth: Give.KEY_FACT,
    FactKind.contact: Give.OTHER_FACT,
    FactKind.dates: Give.OTHER_FACT,
}


@dataclass
class Part:
    """A piece of a line, in fuller and shorter forms; ``gives[i]`` is when it moves past ``forms[i]``.

    With as many ``gives`` as ``forms`` the part can be left out altogether; with one fewer it stays.
    """

    forms: tuple[str, ...]
    gives: tuple[Give, ...]
    order: int = 0  # among parts giving the same, the highest order gives first
    level: int = 0

    @property
    def text(self) -> str | None:
        return self.forms[self.level] if self.level < len(self.forms) else None

    @property
    def next_give(self) -> Give | None:
        return self.gives[self.level] if self.level < len(self.gives) else None


@dataclass
class Line:
    """One line of the note: a head, its main part, then its listed parts after ``lead``."""

    head: str
    parts: list[Part] = field(default_factory=list)
    main: Part | None = None
    empty: str = "none."
    lead: str = ""
    tail: str = "."

    def all_parts(self) -> list[Part]:
        return [self.main, *self.parts] if self.main else self.parts

    def render(self) -> str:
        start = self.head + (self.main.text or "") if self.main else self.head
        kept = [p.text for p in self.parts if p.text is not None]
        left_out = len(self.parts) - len(kept)
        if kept:
            more = f" (+{left_out} more)" if left_out else ""
            return f"{start}{self.lead}{'; '.join(kept)}{more}{self.tail}"
        if left_out:
            return f"{start}{self.lead}{left_out} on record{self.tail}"
        return f"{start}{self.empty}"


def handoff_note(record: Record, analysis: ConversationAnalysis, budget: int = MAX_NOTE) -> str:
    """The note, within ``budget`` characters unless who the customer is and why they called exceed it."""
    lines = [
        Line(_who(record), empty=""),
        _what(record),
        _tried(record),
        _promised(record),
        _state(record),
        _do_not_ask(record, analysis),
    ]
    return _fit(lines, budget)


def _fit(lines: list[Line], budget: int) -> str:
    """The lines joined, giving up the least needed words one step at a time until the note fits."""
    parts = [p for line in lines for p in line.all_parts()]
    note = _render(lines)
    while len(note) > budget:
        movable = [p for p in parts if p.next_give is not None]
        if not movable:
            break
        part = max(movable, key=lambda p: (p.next_give, p.order))
        part.level += 1
        note = _render(lines)
    return note


def _render(lines: list[Line]) -> str:
    return "\n".join(line.render() for line in lines)


def shown_time(moment: datetime | None) -> str:
    return moment.strftime("%a %d %b %Y %H:%M %Z").strip() if moment else "no time given"


def _who(record: Record) -> str:
    team = f", {record.team}" if record.team else ""
    hours = ", after hours" if record.after_hours else ""
    when = f" on {shown_time(record.started_at)}" if record.started_at else ""
    outcome = record.outcome.value.replace("_", " ")
    return f"Who: {record.customer or 'the customer'} ({record.channel.value} with {record.agent}{team}{hours}){when}; {outcome}."


def _what(record: Record) -> Line:
    reason = Part(
        tuple(f'"{shorten(record.reason, limit)}"' for limit in REASON_QUOTES),
        (Give.REASON_SHORTER, Give.REASON_SHORTEST),
    )
    also = [third_person(g.label or g.topic) for g in record.grievances[1:]]
    return Line(
        "What happened: ",
        [Part((label,), (Give.ALSO_RAISED,), i) for i, label in enumerate(also)],
        main=reason,
        empty="",
        lead=" Also raised: ",
    )


def _tried(record: Record) -> Line:
    steps = [s for s in record.steps if s.kind != "boundary"] or record.steps
    latest = len(steps) - 1
    parts = [
        Part(
            (_step(s.kind, s.what),),
            (Give.LATEST_STEP if i == latest else Give.EARLIER_STEP,),
            latest - i,  # the oldest step goes first: the latest says where things stand
            level=0 if i > latest - MAX_STEPS else 1,
        )
        for i, s in enumerate(steps)
    ]
    return Line("Tried: ", parts, empty="nothing on record.")


def _step(kind: str, what: str) -> str:
    if kind == "emergency_fact":
        return f"{STEP_VERBS[kind]}: {what}"
    return f'{STEP_VERBS[kind]}: "{shorten(what, STEP_QUOTE)}"'


def _promised(record: Record) -> Line:
    open_ones = [c for c in record.commitments if c.status is not CommitmentStatus.done]
    parts = [
        Part(
            tuple(_promise(c, limit) for limit in PROMISE_QUOTES),
            (Give.PROMISE_SHORTER, Give.FIRST_PROMISE if i < KEPT_PROMISES else Give.LATER_PROMISE),
            i,
        )
        for i, c in enumerate(open_ones)
    ]
    return Line("Promised: ", parts, empty="nothing still open.")


def _promise(commitment: Commitment, limit: int) -> str:
    if commitment.due is not None:
        when = f"due {shown_time(commitment.due)}"
    elif commitment.due_text and commitment.due_text.lower() not in commitment.what.lower():
        when = f"due {commitment.due_text}, no date known"
    elif commitment.due_text:
        when = "no date known"  # the quote says when; without the conversation's time it has no date
    else:
        when = "no time given"
    quote = f'"{shorten(commitment.what, limit)}" ({when})'
    return quote if _names_owner(commitment) else f"{commitment.owner} — {quote}"


def _names_owner(commitment: Commitment) -> bool:
    """The promise starts with who owns it ("Our billing team will…"): the note need not say it twice."""
    what, owner = commitment.what.lower(), commitment.owner.lower()
    return owner in what and what.split(owner, 1)[0].strip() in OWNER_LEADS


def _state(record: Record) -> Line:
    mood = record.mood
    kinds: dict[str, int] = {}
    for alert in record.alerts:
        kinds.setdefault(alert.kind.value, alert.turn)
    alerts = ", ".join(f"{kind} (turn {turn})" for kind, turn in kinds.items()) or "none"
    parts = [
        Part((f"{mood.end_label} (started {mood.start_label}, lowest {mood.lowest:+.1f})",), (Give.MOOD,)),
        Part((f"alerts: {alerts}",), (Give.ALERTS,)),
    ]
    return Line("Customer now: ", parts)


def _do_not_ask(record: Record, analysis: ConversationAnalysis) -> Line:
    facts = facts_given(analysis, record.customer)
    # Among facts giving way together, the last listed (the least useful) goes first.
    parts = [Part((fact.shown(),), (FACT_GIVES[fact.kind],), i) for i, fact in enumerate(facts)]
    return Line("Don't ask again: ", parts, empty="nothing recorded.")
