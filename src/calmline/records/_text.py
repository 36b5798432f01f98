"""Text helpers of records: sentences that survive "$84.99", evidence for a sentence or a turn."""

from __future__ import annotations

import re

from calmline.model import Evidence

SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n+")
MAX_QUOTE = 200


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans, without surrounding white space; a full stop inside "84.99" ends nothing."""
    spans, start = [], 0
    for end_mark in SENTENCE_END.finditer(text):
        spans.append((start, end_mark.end()))
        start = end_mark.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        stripped = text[s:e]
        lead = len(stripped) - len(stripped.lstrip())
        s, e = s + lead, s + len(stripped.rstrip())
        if e > s:
            out.append((s, e))
    return out


def sentence_around(text: str, position: int) -> tuple[int, int]:
    for start, end in sentence_spans(text):
        if start <= position < end:
            return start, end
    return 0, len(text)


def span_evidence(turn: int, text: str, start: int, end: int) -> Evidence:
    end = min(end, start + MAX_QUOTE)
    return Evidence(turn=turn, span=(start, end), quote=text[start:end])


def sentence_evidence(turn: int, text: str, evidence: Evidence) -> Evidence:
    """The whole sentence that holds ``evidence``."""
    start, end = sentence_around(text, evidence.span[0])
    return span_evidence(turn, text, start, end)


THIRD_PERSON = (
    (re.compile(r"\byour\b"), "their"),
    (re.compile(r"\byou were\b"), "they were"),
    (re.compile(r"\byou\b"), "them"),
)


def third_person(label: str) -> str:
    """A label addressed to the customer ("your delivery") as said about them ("their delivery")."""
    for pattern, replacement in THIRD_PERSON:
        label = pattern.sub(replacement, label)
    return label
