"""The draft coach: checks an agent's reply before it is sent and offers rewrites that fix it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from calmline.coach.checks import CHECKS, READS, Draft, Problem
from calmline.coach.edits import OffsetMap
from calmline.coach.keep import Commitments
from calmline.coach.repair import MAX_FINDINGS, Read, Reader, Reading, rewrites
from calmline.engine import registry
from calmline.engine.context import Context, Detector
from calmline.engine.pipeline import _with_authority as with_authority
from calmline.engine.pipeline import check_deadline
from calmline.model import CoachReport, Conversation, Finding, Role, Signal, Turn
from calmline.playbook import Playbook

if TYPE_CHECKING:
    from calmline.engine.pipeline import Engine, Session

__all__ = ["Detect", "coach", "coach_draft", "coach_session"]

Detect = Callable[[str], Sequence[Signal]]
"""The agent-role detectors' signals for a text read as the next agent turn."""


def coach(
    draft: str,
    context: Context,
    signals: Sequence[Signal],
    playbook: Playbook,
    detect: Detect | None = None,
) -> CoachReport:
    """Findings about ``draft`` as the next agent turn of the conversation in ``context``.

    ``signals`` are the agent-role detectors' output for ``draft``; spans refer to ``draft`` as given.
    ``detect`` reads each candidate rewrite the same way, since a rewrite is offered only if the whole
    coach finds nothing in it (by default: the playbook's detectors of the kinds the checks read).
    """
    reread = detect or _playbook_detect(playbook, context)

    def read(text: str) -> Reading:
        found = signals if text == draft else reread(text)
        return Reading(text, text, found, _problems(text, context, found, playbook), OffsetMap())

    return _report(draft, read)


def coach_session(draft: str, session: Session, deadline: float | None = None) -> CoachReport:
    """Coach ``draft`` as the next agent turn of a live session; nothing is recorded.

    The draft (and each candidate rewrite) is redacted for analysis as the session's next turn, but spans, quotes
    and rewrites are given in the agent's own text, so a rewrite keeps the phone number they typed.
    Past ``deadline`` (a ``time.monotonic()`` instant) the work stops with ``BudgetExceededError``.
    """
    detectors = coach_detectors(session.engine.detectors)
    context = session.context()
    playbook = session.engine.playbook
    speaker = session.info.agent_name or "agent"

    def read(text: str) -> Reading:
        check_deadline(deadline, "the draft checks")
        clean, redactions, sources = session.redact_next(text)
        turn = Turn(speaker=speaker, role=Role.agent, text=clean)
        signals = [signal for detector in detectors for signal in detector(turn, context)]
        offsets = OffsetMap([(r.span, source) for r, source in zip(redactions, sources, strict=True)])
        return Reading(text, clean, signals, _problems(clean, context, signals, playbook), offsets)

    return _report(draft, read)


def coach_draft(
    draft: str, conversation: Conversation | None = None, engine: Engine | None = None
) -> CoachReport:
    """Coach ``draft`` as the agent's next reply in ``conversation`` (replayed through ``engine``)."""
    if engine is None:
        from calmline.engine.pipeline import Engine  # the engine is only needed on this path

        engine = Engine.default()
    return coach_session(draft, engine.session(conversation))


def coach_detectors(detectors: Sequence[Detector]) -> list[Detector]:
    """The engine's agent detectors that set a kind the checks read (by what each declares it assigns):
    a candidate rewrite is re-read by these alone, so the models the coach does not use stay idle."""
    return [d for d in detectors if Role.agent in d.roles and registry.assigns(d.name) & READS]


_BUILT: dict[int, tuple[Playbook, list[Detector]]] = {}
"""Detectors built for ``coach`` per playbook (keyed by identity; the playbook is kept to check it)."""
MAX_BUILT = 8


def _playbook_detect(playbook: Playbook, context: Context) -> Detect:
    """Reads a text with ``playbook``'s detectors of the kinds the checks read (built once per playbook)."""
    built = _BUILT.get(id(playbook))
    if built is None or built[0] is not playbook:
        specs = [spec for spec in playbook.detectors if registry.assigns(spec.name) & READS]
        # The playbook's authority (max_refund, may_promise) configures the promise detectors, as in the engine.
        made = [
            registry.create(spec.name, with_authority(spec.name, spec.config, playbook)) for spec in specs
        ]
        if len(_BUILT) >= MAX_BUILT:
            _BUILT.clear()  # a process that makes playbook after playbook does not keep them all
        built = _BUILT[id(playbook)] = (playbook, coach_detectors(made))
    detectors = built[1]

    def detect(text: str) -> list[Signal]:
        turn = Turn(speaker="agent", role=Role.agent, text=text)
        return [signal for detector in detectors for signal in detector(turn, context)]

    return detect


def _problems(draft: str, context: Context, signals: Sequence[Signal], playbook: Playbook) -> list[Problem]:
    if not draft.strip():
        return []
    checked = Draft(draft, context, signals, playbook)
    return [problem for check in CHECKS for problem in check(checked)]


def _report(draft: str, read: Read) -> CoachReport:
    """The draft's findings, each with rewrites that fix the whole draft and keep its commitments."""
    reader = Reader(read, draft)
    reading = reader.draft
    keep = Commitments.of(reading.clean, reading.signals)
    findings = []
    for problem in sorted(reading.problems, key=lambda p: p.span)[:MAX_FINDINGS]:
        fixes = rewrites(reader, problem, keep)
        if not fixes:
            continue  # nothing that re-checks clean to offer (the contract: at least one rewrite each)
        span = reading.span(problem)
        findings.append(
            Finding(
                practice=problem.practice,
                span=span,
                quote=draft[span[0] : span[1]],
                message=problem.message,
                rewrites=fixes,
            )
        )
    findings.sort(key=lambda f: (f.span[0], f.practice))
    return CoachReport(findings=findings)
