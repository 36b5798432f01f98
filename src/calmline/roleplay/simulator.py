"""The simulated customer: one seeded role-play session whose mood the engine's reading of each reply moves."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from calmline.coach import coach_session
from calmline.engine.pipeline import Engine
from calmline.errors import InputError
from calmline.model import Conversation, Role, Turn, TurnAnalysis
from calmline.records import build_record
from calmline.records.generator import GeneratorConfig
from calmline.roleplay.catalogue import MoveBook, move_book
from calmline.roleplay.debrief import debrief
from calmline.roleplay.mood import Mood, MoodChange
from calmline.roleplay.moves import Observed, procedure_moves, read_reply
from calmline.roleplay.persona import Persona, Procedure
from calmline.roleplay.procedures import ProcedureTracker
from calmline.roleplay.rephrase import reword
from calmline.roleplay.result import RoleplayOutcome, RoleplayResult, RoleplayTurn
from calmline.roleplay.voice import Voice, asked_facts

MAX_REPLY_CHARS = 5_000


@dataclass
class CustomerReply:
    """What the customer answers to one trainee reply, and where the session stands."""

    text: str | None
    mood: float
    change: float
    moves: list[str]
    over: bool


@dataclass
class Exchange:
    """One trainee reply as the simulation read it (kept for the debrief)."""

    reply: int
    turn: int
    moves: list[Observed]
    change: MoodChange


@dataclass
class Simulation:
    """A role-play: the customer opens, each trainee reply moves the mood and gets an answer, until it ends.

    Everything the customer says is chosen with ``random.Random(seed)``, so the same persona, seed and
    replies give the same session (unless a generator rewords the lines).
    """

    persona: Persona
    seed: int = 0
    trainee: str = "trainee"
    engine: Engine = field(default_factory=Engine.default)
    generator: GeneratorConfig | None = None
    book: MoveBook = field(default_factory=move_book)
    turns: list[RoleplayTurn] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    told: list[str] = field(default_factory=list)
    walked_out: bool = False
    closed: bool = False

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.mood = Mood(self.persona, self.book)
        self.voice = Voice(self.persona, self.book, self.rng)
        self.procedure = ProcedureTracker(self.persona.procedure, self.engine.playbook)
        self.session = self.engine.session(
            Conversation(
                id=f"roleplay-{self.persona.id}-{self.seed}",
                channel=self.persona.channel,
                after_hours=self.persona.after_hours,
                customer_name=self.persona.customer_name,
                agent_name=self.trainee,
                metadata={"persona": self.persona.id, "roleplay": True},
            )
        )
        self._customer_says(self._with_disclosure([self.voice.opening()]))

    @property
    def replies(self) -> int:
        return len(self.exchanges)

    @property
    def over(self) -> bool:
        return self.walked_out or self.closed or self.procedure.ended_by_trainee

    def reply(self, text: str) -> CustomerReply:
        """Take the trainee's next reply; the customer answers unless the conversation is over."""
        text = text.strip()
        if not text:
            raise InputError("the reply is empty; write what you would say to the customer")
        if len(text) > MAX_REPLY_CHARS:
            raise InputError(f"the reply is longer than {MAX_REPLY_CHARS} characters")
        if self.over:
            raise InputError("this role-play has ended; finish it to see the scorecard")
        report = coach_session(text, self.session)
        analysis = self.session.add(Turn(speaker=self.trainee, role=Role.agent, text=text))
        steps = self.procedure.trainee_said(analysis, self.replies + 1)
        moves = read_reply(analysis, report, self.book, procedure_moves(steps))
        change = self.mood.take(moves)
        self.turns.append(RoleplayTurn(speaker="trainee", text=text, mood=self.mood.value))
        self.exchanges.append(Exchange(self.replies + 1, len(self.turns) - 1, moves, change))
        self.closed = not self.procedure.ended_by_trainee and _fired(analysis, "closing")
        answer = self._answer(analysis, moves, change)
        if answer is not None:
            self._customer_says(answer)
        return CustomerReply(
            text=self.turns[-1].text if answer is not None else None,
            mood=self.mood.value,
            change=change.delta,
            moves=[seen.name for seen in moves],
            over=self.over,
        )

    def _answer(self, analysis: TurnAnalysis, moves: list[Observed], change: MoodChange) -> list[str] | None:
        if self.procedure.ended_by_trainee:
            return None
        if self.mood.value <= self.persona.walk_out_at:
            self.walked_out = True
            return [self.voice.walk_out()]
        if self.closed:
            return [self.voice.mood_line(self.mood.band)]
        if self.persona.abuse_below is not None and self.mood.value <= self.persona.abuse_below:
            return [self.voice.abuse()]
        parts = [line for line in [self.voice.reaction(change.strongest())] if line]
        names = {seen.name for seen in moves}
        asking = "?" in analysis.text or "asked" in names
        facts = asked_facts(self.persona, analysis.text, self.told) if asking else []
        self.told += [fact.id for fact in facts]
        if "restated" in names:  # saying a fact back shows it was found; the customer need not repeat it
            facts = []
        parts += [self.voice.fill(fact.answer) for fact in facts]
        if not facts:
            parts.append(self.voice.mood_line(self.mood.band))
        return self._with_disclosure(parts)

    def _with_disclosure(self, parts: list[str]) -> list[str]:
        due = [d.text for d in self.persona.disclosures if d.after_replies == self.replies]
        # A disclosure replaces the small talk: it is what the trainee must hear.
        return [*(parts[:1] if due and self.replies else parts), *due] if due else parts

    def _customer_says(self, parts: list[str]) -> None:
        text = " ".join(parts)
        if self.generator is not None:
            reworded = reword(text, self.persona.backstory, self.generator)
            if reworded.warning and reworded.warning not in self.warnings:
                self.warnings.append(reworded.warning)
            text = reworded.text
        analysis = self.session.add(Turn(speaker=self.persona.customer_name, role=Role.customer, text=text))
        self.procedure.customer_said(analysis)
        self.turns.append(RoleplayTurn(speaker="customer", text=text, mood=self.mood.value))

    def outcome(self) -> RoleplayOutcome:
        if self.procedure.ended_by_trainee and self.persona.procedure is Procedure.abuse:
            return RoleplayOutcome.ended if self.procedure.passed else RoleplayOutcome.escalated
        if self.walked_out or not self.procedure.passed:
            return RoleplayOutcome.escalated
        return (
            RoleplayOutcome.de_escalated
            if self.mood.value >= self.persona.resolve_at
            else RoleplayOutcome.escalated
        )

    def finish(self) -> RoleplayResult:
        """The outcome, the QA scorecard of the whole conversation, and the debrief."""
        record = build_record(self.session.result(), self.engine.playbook)
        raised, lowered, coaching = debrief(self, record.scorecard)
        return RoleplayResult(
            persona=self.persona.id,
            trainee=self.trainee,
            seed=self.seed,
            turns=list(self.turns),
            final_mood=self.mood.value,
            outcome=self.outcome(),
            scorecard=record.scorecard,
            raised=raised,
            lowered=lowered,
            coaching=coaching,
            procedure=self.procedure.checks(),
            facts_found=[self.persona.fact(fact_id).label for fact_id in self.told],
            facts_missed=[fact.label for fact in self.persona.facts if fact.id not in self.told],
        )


def play(persona: Persona, replies: list[str], seed: int = 0, **options: object) -> RoleplayResult:
    """Play scripted trainee ``replies`` against ``persona``; replies after the conversation ends are ignored."""
    simulation = Simulation(persona, seed, **options)  # type: ignore[arg-type]
    for text in replies:
        if simulation.over:
            break
        simulation.reply(text)
    return simulation.finish()


def _fired(analysis: TurnAnalysis, kind: str) -> bool:
    return any(s.kind == kind and s.score >= 0.5 for s in analysis.signals)
