"""The debrief: the replies that raised or lowered the customer's mood, and concrete coaching notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calmline.records.model import ItemStatus, Scorecard
from calmline.roleplay.catalogue import MoveKind
from calmline.roleplay.result import Moment

if TYPE_CHECKING:
    from calmline.roleplay.simulator import Exchange, Simulation

MOMENTS_EACH_WAY = 3
NOTABLE = 0.3
MAX_NOTES = 6
# The playbook wording that shows how to do a missed practice (P11–P13 use their procedures).
WORDING_FOR = {
    "P01": "keep_calm",
    "P02": "acknowledge_feeling",
    "P03": "restate",
    "P05": "commit_to_help",
    "P07": "give_options",
    "P08": "commit_to_help",
    "P09": "commit_to_help",
    "P10": "bring_in_supervisor",
    "P12": "crisis_response",
    "P14": "apologise_for_error",
    "P16": "give_options",
    "P20": "close_well",
    "P24": "after_hours_opening",
}


def debrief(simulation: Simulation, scorecard: Scorecard) -> tuple[list[Moment], list[Moment], list[str]]:
    """(moments that raised the mood, moments that lowered it, coaching notes)."""
    moments = [m for m in (_moment(exchange) for exchange in simulation.exchanges) if m is not None]
    raised = _strongest([m for m in moments if m.change > 0])
    lowered = _strongest([m for m in moments if m.change < 0])
    return raised, lowered, coaching_notes(simulation, scorecard)


def _strongest(moments: list[Moment]) -> list[Moment]:
    top = sorted(moments, key=lambda m: (-abs(m.change), m.reply))[:MOMENTS_EACH_WAY]
    return sorted(top, key=lambda m: m.reply)


def _moment(exchange: Exchange) -> Moment | None:
    change = exchange.change
    if abs(change.delta) < NOTABLE:
        return None
    lowering = change.delta < 0
    effects = [e for e in change.effects if (e.amount < 0) == lowering]
    if not effects:  # patience running out: no move at all
        return Moment(
            reply=exchange.reply,
            turn=exchange.turn,
            change=change.delta,
            mood=change.after,
            moves=[],
            quote="",
            why="the reply did nothing for the customer, and their patience ran down",
        )
    main = max(effects, key=lambda e: abs(e.amount))
    return Moment(
        reply=exchange.reply,
        turn=exchange.turn,
        change=change.delta,
        mood=change.after,
        moves=[e.seen.name for e in effects],
        practice=main.seen.move.practice,
        quote=main.seen.quote,
        why=", ".join(dict.fromkeys(e.seen.move.said for e in effects)),
    )


def coaching_notes(simulation: Simulation, scorecard: Scorecard) -> list[str]:
    """Concrete notes: the procedure steps missed, the practices missed (with words to try), facts not found."""
    notes = []
    if simulation.walked_out:
        notes.append(f"The customer gave up on the conversation after reply {simulation.replies}.")
    checks = simulation.procedure.checks()
    notes += [f"Procedure step not taken: {check.step}." for check in checks if not check.done]
    for item in scorecard.items:
        if item.status is not ItemStatus.missed:
            continue
        note = f"{item.practice} {item.name}: {item.note}."
        example = _example(simulation, item.practice)
        notes.append(f"{note} Try: “{example}”" if example else note)
    for exchange in simulation.exchanges:
        for seen in exchange.moves:
            if seen.move.kind is MoveKind.trigger:
                notes.append(f"Reply {exchange.reply}: you {seen.move.said} (“{seen.quote}”).")
    missed_facts = [f.label for f in simulation.persona.facts if f.id not in simulation.told]
    if missed_facts:
        notes.append(f"Ask more: you never found out {', '.join(missed_facts)}.")
    if not notes:
        notes.append("Well handled: keep acknowledging first, then asking, then offering options.")
    return list(dict.fromkeys(notes))[:MAX_NOTES]


def _example(simulation: Simulation, practice: str) -> str | None:
    playbook = simulation.engine.playbook
    if practice == "P11":
        steps = playbook.abuse_policy.steps
        return steps[0].wording[0] if steps and steps[0].wording else None
    if practice == "P13" and playbook.emergency.checklist:
        return playbook.emergency.checklist[0].ask
    variants = playbook.wording.get(WORDING_FOR.get(practice, ""), [])
    if not variants:
        return None
    persona = simulation.persona
    topic = persona.grievances[0]
    return variants[0].replace("{name}", persona.customer_name.split()[0]).replace("{topic}", topic)
