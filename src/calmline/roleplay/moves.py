"""Reading a trainee's reply: the moves it made, from the engine's signals and the coach's findings."""

from __future__ import annotations

from dataclasses import dataclass

from calmline.model import CoachReport, TurnAnalysis
from calmline.roleplay.catalogue import Move, MoveBook

FIRES = 0.5


@dataclass(frozen=True)
class Observed:
    """One move seen in one reply, with the trainee's words that show it."""

    name: str
    move: Move
    quote: str


# Steps of a procedure the simulation tracks itself (no engine signal shows them) and their moves.
PROCEDURE_MOVES = {
    "acknowledge": "acknowledged",
    "ask about safety": "asked_safety",
    "offer resources": "offered_resources",
}


def procedure_moves(steps: list[str]) -> set[str]:
    return {PROCEDURE_MOVES[step] for step in steps if step in PROCEDURE_MOVES}


def read_reply(
    analysis: TurnAnalysis, report: CoachReport, book: MoveBook, also: set[str] | None = None
) -> list[Observed]:
    """The moves of ``analysis`` (the reply as the engine took it), in the move book's order.

    ``also``: moves the caller saw itself (procedure steps), quoted with the whole reply.
    """
    quotes = _signal_quotes(analysis)
    found: dict[str, Observed] = {}
    for name, move in book.moves.items():
        quote = next((quotes[kind] for kind in move.signals if kind in quotes), None)
        if quote is None and name in (also or ()):
            quote = analysis.text
        if quote is None:
            quote = next(
                (f.quote or analysis.text for f in report.findings if f.practice in move.findings), None
            )
        if quote is not None:
            found[name] = Observed(name, move, quote.strip())
    return [seen for name, seen in found.items() if not any(other in found for other in seen.move.unless)]


def _signal_quotes(analysis: TurnAnalysis) -> dict[str, str]:
    """The words behind each signal that fired on the reply (the whole reply when none are given)."""
    quotes: dict[str, str] = {}
    for signal in analysis.signals:
        if signal.score >= FIRES and signal.kind not in quotes:
            quotes[signal.kind] = signal.evidence[0].quote if signal.evidence else analysis.text
    return quotes
