"""Rewrites that fix the whole draft: a finding's own edit, then whatever a re-check still finds, until clean.

A finding's edit fixes its own problem; the draft may have others ("Calm down" and no name used), and the
edit may make one (a sentence dropped leaves an upset customer unacknowledged). So each candidate is read
again by the whole coach and every problem still found is mended (each by its first rewrite that keeps the
draft's commitments), until nothing is found. A candidate that does not get there in ``MAX_ROUNDS``, or
that loses one of the draft's commitments on the way, is not offered.

Re-reading costs a pass of the detectors over the candidate, so a draft's candidates share one budget of
characters read (``READ_BUDGET``): a reply of a few sentences is never short of it, and a pasted wall of
text is read once or twice rather than hundreds of times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from calmline.coach.checks import Problem
from calmline.coach.edits import Edit, OffsetMap, Rewrite, apply
from calmline.coach.keep import Commitments
from calmline.model import Signal

MAX_ROUNDS = 4
"""Readings of one candidate: its own edit's result, then each round of mending what is still found."""

MAX_REWRITES = 2
"""Rewrites offered per finding (the checks list more options than that, best first)."""

MAX_FINDINGS = 10
"""Findings shown per draft, in reading order: beyond that the agent needs to start again, not a list."""

READ_BUDGET = 16_000
"""Characters of candidate rewrites read per draft, beyond the draft itself: some 50 readings of a chat
reply, five of a long email; a pasted wall of text beyond it gets no rewrite, so no finding."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A text as the coach read it: the agent's own words, the (redacted) text the checks saw, the
    signals and problems found there, and the map from that text back to the agent's words."""

    text: str
    clean: str
    signals: Sequence[Signal]
    problems: Sequence[Problem]
    offsets: OffsetMap

    def edits(self, problem: Problem) -> list[Rewrite]:
        """``problem``'s rewrites as edits of the agent's own text."""
        return [tuple(self.offsets.edit(edit) for edit in rewrite) for rewrite in problem.rewrites]

    def options(self, problem: Problem) -> list[str]:
        """``problem``'s rewrites applied to the agent's own text; ones that change nothing are left out."""
        out: list[str] = []
        for rewrite in self.edits(problem):
            new = apply(self.text, rewrite)
            if new and new != self.text.strip() and new not in out:
                out.append(new)
        return out

    def mend_all(self, keep: Commitments, lead: tuple[Problem, Rewrite] | None = None) -> str | None:
        """The text with every problem mended at once: ``lead``'s problem by its given rewrite, each other
        by its first rewrite that keeps ``keep`` (overlapping edits: the earlier wins, and the next
        reading finds what is left)."""
        chosen: list[Edit] = list(lead[1]) if lead else []
        for problem in self.problems:
            if lead is not None and problem is lead[0]:
                continue
            rewrite = next((r for r in self.edits(problem) if keep.kept_after(self.text, r)), None)
            if rewrite is None:
                return None
            chosen += rewrite
        new = apply(self.text, chosen)
        return new if new and new != self.text.strip() else None

    def span(self, problem: Problem) -> tuple[int, int]:
        """``problem``'s span in the agent's own text."""
        start, end = problem.span
        if end > start:
            return self.offsets.start(start), self.offsets.end(end)
        return (self.offsets.start(start),) * 2


Read = Callable[[str], Reading]
"""Reads a text as the agent's next turn: redaction, the detectors the checks need, the checks."""


class Reader:
    """Reads a draft, then its candidate rewrites: each text once, within ``READ_BUDGET`` characters."""

    def __init__(self, read: Read, draft: str, budget: int = READ_BUDGET) -> None:
        self._read = read
        self.draft = read(draft)
        self.left = budget
        self._seen = {draft: self.draft}

    def affords(self, length: int) -> bool:
        """Whether a text of ``length`` characters can still be read (asked before a candidate is made)."""
        return length <= self.left

    def __call__(self, text: str) -> Reading | None:
        """``text`` read, or None once the budget is spent."""
        if text in self._seen:
            return self._seen[text]
        if not self.affords(len(text)):
            return None
        self.left -= len(text)
        self._seen[text] = self._read(text)
        return self._seen[text]


def settle(text: str | None, reader: Reader, keep: Commitments) -> str | None:
    """``text`` mended until the coach finds nothing in it; None if that takes more than ``MAX_ROUNDS``
    readings, loses a commitment or runs out of budget."""
    for _ in range(MAX_ROUNDS):
        reading = reader(text) if text is not None and keep.kept_in(text) else None
        if reading is None:
            return None
        if not reading.problems:
            return reading.text
        if not reader.affords(len(reading.text)):
            return None  # mending a long text costs as much as reading it
        text = reading.mend_all(keep)
    return None


def rewrites(reader: Reader, problem: Problem, keep: Commitments) -> list[str]:
    """Up to ``MAX_REWRITES`` rewrites for ``problem`` that fix the whole draft and keep ``keep``: each of
    the problem's own rewrites, with every other problem mended at the same time, then re-read."""
    draft = reader.draft
    out: list[str] = []
    if not reader.affords(len(draft.text)):
        return out
    for rewrite in draft.edits(problem):
        if not keep.kept_after(draft.text, rewrite):
            continue
        fixed = settle(draft.mend_all(keep, lead=(problem, rewrite)), reader, keep)
        if fixed is not None and fixed != draft.text.strip() and fixed not in out:
            out.append(fixed)
            if len(out) == MAX_REWRITES:
                break
    return out
