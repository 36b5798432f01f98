"""The engine: one code path that takes a turn through redaction, detectors, state and rules."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator
from functools import cache
from typing import Any

from calmline.engine import registry
from calmline.engine.context import Context, Detector
from calmline.engine.redact import redact, redact_mapped
from calmline.engine.rules import Firings, RuleBook
from calmline.engine.state import StateTracker
from calmline.engine.summary import summarize
from calmline.errors import BudgetExceededError
from calmline.model import (
    Conversation,
    ConversationAnalysis,
    ConversationInfo,
    CustomerState,
    Redaction,
    Role,
    Signal,
    Turn,
    TurnAnalysis,
)
from calmline.playbook import Playbook, load_default


class Engine:
    """Detectors, state tracker and rules assembled from a playbook; safe to share between threads."""

    def __init__(self, playbook: Playbook) -> None:
        self.playbook = playbook
        self.detectors: list[Detector] = [
            registry.create(spec.name, _with_authority(spec.name, spec.config, playbook))
            for spec in playbook.detectors
        ]
        self.tracker = StateTracker(playbook)
        self.rules = RuleBook(playbook)

    @classmethod
    def default(cls) -> Engine:
        """The engine of the shipped default playbook (built once per process)."""
        return _default_engine()

    def session(
        self,
        conversation: Conversation | ConversationInfo | None = None,
        redaction_kinds: Collection[str] | None = None,
    ) -> Session:
        """Start following a live conversation; its turns, if any, are replayed first.

        ``redaction_kinds`` limits which personal data is redacted (a tenant's choice; default: all kinds).
        """
        info = self._info(conversation or Conversation())
        session = Session(self, info, redaction_kinds)
        if isinstance(conversation, Conversation):
            for turn in conversation.turns:
                session.add(turn)
        return session

    def _info(self, conversation: Conversation | ConversationInfo) -> ConversationInfo:
        if isinstance(conversation, ConversationInfo):
            return conversation
        info = conversation.model_dump(exclude={"turns"})
        if info["after_hours"] is None:
            started = conversation.started_at
            info["after_hours"] = started is not None and self.playbook.business_hours.closed_at(started)
        return ConversationInfo(**info)

    def analyze(self, conversation: Conversation) -> ConversationAnalysis:
        """Analyse a whole conversation, turn by turn, exactly as it would be analysed live."""
        return self.session(conversation).result()

    def prime(
        self, conversations: Iterable[Conversation], redaction_kinds: Collection[str] | None = None
    ) -> None:
        """Read the model parts of many conversations' turns now, batched, so that analysing them finds the
        readings waiting: the batch path (a batch of similar-length texts costs less per text than one)."""
        primers = [d for d in self.detectors if getattr(d, "prime", None) is not None]
        if not primers:
            return
        turns: list[Turn] = []
        for conversation in conversations:
            previous = None
            for turn in conversation.turns:
                previous = redact(turn.text, redaction_kinds, previous)[0]
                turns.append(turn.model_copy(update={"text": previous}))
        for detector in primers:
            detector.prime(turns)  # type: ignore[attr-defined]

    def pipe(self, conversations: Iterable[Conversation]) -> Iterator[ConversationAnalysis]:
        for conversation in conversations:
            yield self.analyze(conversation)


class Session:
    """One conversation as it unfolds: add turns, read the latest state."""

    def __init__(
        self, engine: Engine, info: ConversationInfo, redaction_kinds: Collection[str] | None = None
    ) -> None:
        self.engine = engine
        self.info = info
        self.redaction_kinds = redaction_kinds
        self.history: list[TurnAnalysis] = []
        self.state = CustomerState(customer_name=info.customer_name)
        self._fired = Firings()
        self._redacted: tuple[tuple[str, str | None], tuple[str, list[Redaction]]] | None = None

    def context(self) -> Context:
        return Context(self.info, self.history, self.state, len(self.history))

    def redact_next(self, text: str) -> tuple[str, list[Redaction], list[tuple[int, int]]]:
        """``text`` redacted as this conversation's next turn would be (the tenant's kinds, the previous turn
        as context), with the span each redaction replaced in ``text``: drafts and rewrites go through here,
        so a draft is never redacted by other rules than the turn it becomes."""
        previous = self.history[-1].text if self.history else None
        return redact_mapped(text, self.redaction_kinds, previous)

    def _redact(self, text: str) -> tuple[str, list[Redaction]]:
        """``text`` redacted as the next turn; ``prepare`` and ``add`` of one turn share the work (a hostile
        turn's redaction is a tenth of a second, and the server prepares in a thread, off its event loop)."""
        # The previous turn is the context: "what's the security code?" makes a bare "123" a code.
        previous = self.history[-1].text if self.history else None
        key = (text, previous)
        if self._redacted is None or self._redacted[0] != key:
            self._redacted = (key, redact(text, self.redaction_kinds, previous))
        clean, found = self._redacted[1]
        return clean, list(found)

    def detect(self, turn: Turn, deadline: float | None = None) -> list[Signal]:
        """Signals for ``turn`` (already redacted) as the next turn, without recording it.

        ``deadline`` (a ``time.monotonic()`` instant) stops the work between detectors once passed.
        """
        context = self.context()
        signals: list[Signal] = []
        for detector in self.engine.detectors:
            if turn.role in detector.roles:
                signals.extend(detector(turn, context))
                check_deadline(deadline, detector.name)
        # A detector may review the others' signals once all have run (the encoder sets aside a cue
        # phrase its reading of the whole turn contradicts: "this hold music is killing me").
        for detector in self.engine.detectors:
            review = getattr(detector, "review", None)
            if review is not None and turn.role in detector.roles:
                signals = review(turn, signals)
        return signals

    def prepare(self, turn: Turn) -> None:
        """Do the next turn's model reading ahead of ``add`` (which then finds it cached), without recording
        anything: a server calls this from a worker thread so that its event loop never runs the encoder."""
        clean = turn.model_copy(update={"text": self._redact(turn.text)[0]})
        for detector in self.engine.detectors:
            ahead = getattr(detector, "prepare", None)
            if ahead is not None and turn.role in detector.roles:
                ahead(clean)

    def add(self, turn: Turn, deadline: float | None = None) -> TurnAnalysis:
        """Analyse the next turn and record it.

        Past ``deadline`` (a ``time.monotonic()`` instant) the analysis stops with ``BudgetExceededError``
        and the session is left as it was: the turn is not recorded.
        """
        text, redactions = self._redact(turn.text)
        check_deadline(deadline, "redaction")
        clean = turn.model_copy(update={"text": text})
        signals = self.detect(clean, deadline)
        state = self.engine.tracker.update(self.state, clean, signals, self.context())
        guidance, alerts = self.engine.rules.apply(clean, signals, state, self.context(), self._fired)
        analysis = TurnAnalysis(
            index=len(self.history),
            speaker=turn.speaker,
            role=turn.role,
            text=text,
            timestamp=turn.timestamp,
            start=turn.start,
            end=turn.end,
            signals=signals,
            state=state,
            guidance=guidance,
            alerts=alerts,
            redactions=redactions,
        )
        self.history.append(analysis)
        self.state = state
        return analysis

    def result(self) -> ConversationAnalysis:
        return ConversationAnalysis(
            conversation=self.info, turns=list(self.history), summary=summarize(self.history)
        )

    @property
    def customer_turns(self) -> list[TurnAnalysis]:
        return [t for t in self.history if t.role is Role.customer]


def check_deadline(deadline: float | None, stage: str) -> None:
    """Raise ``BudgetExceededError`` when ``deadline`` (a ``time.monotonic()`` instant) has passed."""
    if deadline is not None and time.monotonic() > deadline:
        raise BudgetExceededError(
            f"analysis ran past its time budget (stopped after {stage}); nothing was recorded"
        )


def _with_authority(name: str, config: dict[str, Any], playbook: Playbook) -> dict[str, Any]:
    """Fill a detector's authority settings (max_refund, may_promise) from the playbook's ``authority``.

    The company sets its limits once; detectors that judge promises (P09) take them from there
    unless their own config says otherwise.
    """
    accepted = registry.parameters(name)
    authority = playbook.authority.model_dump()
    filled = {key: value for key, value in authority.items() if key in accepted and key not in config}
    return {**filled, **config}


@cache
def _default_engine() -> Engine:
    return Engine(load_default())
