"""The draft coach: checks an agent's reply before it is sent and offers concrete rewrites."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from calmline.coach.checks import CHECKS, Draft, Problem
from calmline.coach.edits import OffsetMap, apply
from calmline.engine.context import Context
from calmline.engine.pipeline import check_deadline
from calmline.engine.redact import redact_mapped
from calmline.model import CoachReport, Conversation, Finding, Role, Signal, Turn
from calmline.playbook import Playbook

if TYPE_CHECKING:
    from calmline.engine.pipeline import Engine, Session

__all__ = ["coach", "coach_draft", "coach_session"]


def coach(draft: str, context: Context, signals: list[Signal], playbook: Playbook) -> CoachReport:
    """Findings about ``draft`` as the next agent turn of the conversation in ``context``.

    ``signals`` are the agent-role detectors' output for ``draft``; their evidence spans, and the
    findings' spans, refer to ``draft`` as given (the redacted text, when called from the engine).
    """
    return _render(_problems(draft, context, signals, playbook), draft, OffsetMap())


def coach_session(draft: str, session: Session, deadline: float | None = None) -> CoachReport:
    """Coach ``draft`` as the next agent turn of a live session; nothing is recorded.

    The draft is redacted for analysis like any turn, but spans, quotes and rewrites are given
    in the agent's own text, so a rewrite keeps the phone number they typed. Past ``deadline`` (a
    ``time.monotonic()`` instant) the work stops with ``BudgetExceededError``.
    """
    clean, redactions, sources = redact_mapped(draft)
    turn = Turn(speaker=session.info.agent_name or "agent", role=Role.agent, text=clean)
    signals = session.detect(turn, deadline)
    problems = _problems(clean, session.context(), signals, session.engine.playbook)
    check_deadline(deadline, "the draft checks")
    offsets = OffsetMap([(r.span, source) for r, source in zip(redactions, sources, strict=True)])
    return _render(problems, draft, offsets)


def coach_draft(
    draft: str, conversation: Conversation | None = None, engine: Engine | None = None
) -> CoachReport:
    """Coach ``draft`` as the agent's next reply in ``conversation`` (replayed through ``engine``)."""
    if engine is None:
        from calmline.engine.pipeline import Engine  # the engine is only needed on this path

        engine = Engine.default()
    return coach_session(draft, engine.session(conversation))


def _problems(draft: str, context: Context, signals: Sequence[Signal], playbook: Playbook) -> list[Problem]:
    if not draft.strip():
        return []
    checked = Draft(draft, context, signals, playbook)
    return [problem for check in CHECKS for problem in check(checked)]


def _render(problems: list[Problem], text: str, offsets: OffsetMap) -> CoachReport:
    """Findings on ``text`` (the agent's own draft), dropping rewrites that change nothing."""
    findings = []
    for problem in problems:
        rewrites: list[str] = []
        for rewrite in problem.rewrites:
            new = apply(text, [offsets.edit(edit) for edit in rewrite])
            if new and new != text.strip() and new not in rewrites:
                rewrites.append(new)
        if not rewrites:
            continue
        start, end = problem.span
        span = (offsets.start(start), offsets.end(end)) if end > start else (offsets.start(start),) * 2
        findings.append(
            Finding(
                practice=problem.practice,
                span=span,
                quote=text[span[0] : span[1]],
                message=problem.message,
                rewrites=rewrites,
            )
        )
    findings.sort(key=lambda f: (f.span[0], f.practice))
    return CoachReport(findings=findings)
