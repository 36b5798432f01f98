"""What the simulated customer says: the persona's templates, reactions to moves and retrieved chat lines."""

from __future__ import annotations

import random
from collections.abc import Sequence

from calmline.roleplay.catalogue import MoveBook
from calmline.roleplay.corpus import retrieve
from calmline.roleplay.mood import Effect
from calmline.roleplay.persona import Band, Fact, Persona

REACTS_FROM = 0.5
"""A move must move the mood at least this much for the customer to answer it in words."""
MAX_FACTS_PER_REPLY = 2


class Voice:
    """Chooses the customer's words with the session's seeded random source, avoiding repeats."""

    def __init__(self, persona: Persona, book: MoveBook, rng: random.Random) -> None:
        self.persona = persona
        self.book = book
        self.rng = rng
        self.said: set[str] = set()

    def opening(self) -> str:
        return self._pick(self.persona.opening)

    def mood_line(self, band: Band) -> str:
        """A line for the band: retrieved from real chats for the persona's share, else a template."""
        if self.persona.retrieval and self.rng.random() < self.persona.retrieval:
            found = retrieve(band, self.persona.topics, self.rng, self.said)
            if found is not None:
                self.said.add(found)
                return found
        return self._pick(self.persona.replies[band])

    def reaction(self, effect: Effect | None) -> str | None:
        """What the customer says back to the move that did the most, if it did enough to be answered."""
        if effect is None or abs(effect.amount) < REACTS_FROM:
            return None
        lines = self.persona.reactions.get(effect.seen.name) or self.book.moves[effect.seen.name].reactions
        fresh = [line for line in lines if line not in self.said]
        return self._pick(fresh) if fresh else None

    def abuse(self) -> str:
        return self._pick(self.persona.abuse_lines)

    def walk_out(self) -> str:
        return self._pick(self.persona.walk_out)

    def _pick(self, lines: Sequence[str]) -> str:
        fresh = [line for line in lines if line not in self.said] or list(lines)
        chosen = self.rng.choice(fresh)
        self.said.add(chosen)
        return self.fill(chosen)

    def fill(self, text: str) -> str:
        first_name = self.persona.customer_name.split()[0]
        return text.replace("{company}", self.persona.company).replace("{name}", first_name)


def asked_facts(persona: Persona, reply: str, told: Sequence[str]) -> list[Fact]:
    """The facts the trainee's reply asks about (by their cue words) that the customer has not told yet."""
    words = reply.lower()
    asked = [
        fact
        for fact in persona.facts
        if fact.id not in told and any(cue.lower() in words for cue in fact.cues)
    ]
    return asked[:MAX_FACTS_PER_REPLY]
