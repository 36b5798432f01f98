"""What a rewrite must keep of the draft: its concrete commitments (times, dates, amounts, actions)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from calmline.coach.edits import Rewrite, apply, clauses
from calmline.engine.detectors.agent_commitments import AMOUNT, COMMITMENT, DUE
from calmline.engine.text import sentence_at
from calmline.model import Signal

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"
WHEN = re.compile(
    r"\b(?:\d{1,2}(?::\d{2})?\s?(?:am|pm)|\d{1,2}:\d{2}|noon|midday|midnight"  # a time
    rf"|{ORDINAL}(?: of)? {MONTH}|{MONTH} {ORDINAL}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"  # a date
    r"|\d+(?:\.\d+)? ?%)(?![\w'])",  # a share
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Commitments:
    """The exact phrases of a draft that every rewrite of it must still contain (compared case-blind)."""

    phrases: tuple[str, ...]

    @classmethod
    def of(cls, text: str, signals: Sequence[Signal]) -> Commitments:
        """The draft's commitments: the actions it promises or reports and its times, dates and amounts.

        Not commitments: a promise beyond the agent's authority (the coach asks for it to be replaced; its
        deadline stays, as the P09 rewrite keeps the "when"), and a figure inside the words the coach
        objects to ("it's only £40", "our terms say within 30 days"), which go with those words.
        """
        beyond = _beyond_authority(text, signals)
        objected = _objected_clauses(text, signals)
        figures = [m for pattern in (WHEN, DUE, AMOUNT) for m in pattern.finditer(text)]
        found = [
            m.group().rstrip(",.")  # "£40," is the amount £40
            for m in figures
            if not _within(m.start(), objected)
            and not (m.re is AMOUNT and sentence_at(text, m.start()) in beyond)
        ]
        found += _actions(text, signals, beyond)
        # A redacted value ("[PHONE]") is compared in the agent's own text by the offsets, not here.
        kept = (phrase.strip() for phrase in found if "[" not in phrase)
        return cls(tuple(dict.fromkeys(phrase for phrase in kept if phrase)))

    def kept_in(self, text: str) -> bool:
        return _all_in(self.phrases, text)

    def kept_after(self, text: str, rewrite: Rewrite) -> bool:
        """Whether ``text`` with ``rewrite`` applied still holds every phrase (nothing to apply if none).

        A phrase found in ``text`` clear of the rewrite's span is kept; only the others are looked for in
        the rewritten neighbourhood. Rewriting and searching the whole draft once per problem was
        quadratic ("100% !" repeated: 20 s for 5,000 characters)."""
        if not self.phrases:
            return True
        if not rewrite:
            return self.kept_in(apply(text, rewrite))
        low, high = min(e.start for e in rewrite), max(e.end for e in rewrite)
        found = _occurrences(text, self.phrases)
        pending = [p for p in self.phrases if not _clear_of(found[p], low, high)]
        if not pending:
            return True
        margin = max(len(p) for p in pending) + 2
        start, end = max(0, low - margin), min(len(text), high + margin)
        local = apply(
            text[start:end], [replace(e, start=e.start - start, end=e.end - start) for e in rewrite]
        )
        return _all_in(pending, local)


def _all_in(phrases: Iterable[str], text: str) -> bool:
    folded = text.casefold()
    return all(phrase.casefold() in folded for phrase in phrases)


Found = tuple[int, int] | None
"""Where a phrase's first occurrence ends and its last begins; None when the text lacks it."""


@lru_cache(maxsize=32)
def _occurrences(text: str, phrases: tuple[str, ...]) -> dict[str, Found]:
    found: dict[str, Found] = {}
    for phrase in phrases:
        spans = [m.span() for m in re.finditer(re.escape(phrase), text, re.IGNORECASE)]
        found[phrase] = (spans[0][1], spans[-1][0]) if spans else None
    return found


def _clear_of(found: Found, low: int, high: int) -> bool:
    """Whether an occurrence lies wholly before ``low`` or wholly from ``high`` on (untouched by edits there)."""
    return found is not None and (found[0] <= low or found[1] >= high)


def _beyond_authority(text: str, signals: Iterable[Signal]) -> set[tuple[int, int]]:
    """The sentences holding a guarantee or a promise beyond the agent's authority."""
    flagged = [
        e.span[0]
        for s in signals
        if s.kind == "overpromise" or (s.kind == "promise" and s.data.get("beyond_authority"))
        for e in s.evidence
    ]
    return {sentence_at(text, position) for position in flagged}


OBJECTED = frozenset({"hostile_tone", "minimising", "lecture", "negative_phrasing"})
"""Signals whose words a rewrite takes out with their clause."""


def _objected_clauses(text: str, signals: Iterable[Signal]) -> list[tuple[int, int]]:
    """The clauses (in ``text``) holding words of an ``OBJECTED`` signal."""
    spans = []
    for item in (e for s in signals if s.kind in OBJECTED for e in s.evidence):
        start, end = sentence_at(text, item.span[0])
        for clause_start, clause_end in clauses(text[start:end]):
            if clause_start < item.span[1] - start and item.span[0] - start < clause_end:
                spans.append((start + clause_start, start + clause_end))
    return spans


def _within(position: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def _actions(text: str, signals: Iterable[Signal], beyond: set[tuple[int, int]]) -> list[str]:
    """The head of each promise ("I'll call", "we will refund") and each action reported done."""
    heads = []
    for signal in signals:
        if signal.kind not in {"promise", "action_taken"}:
            continue
        for item in signal.evidence:
            if sentence_at(text, item.span[0]) in beyond:
                continue
            head = COMMITMENT.match(text, item.span[0]) if signal.kind == "promise" else None
            heads.append(head.group() if head else item.quote)
    return heads
