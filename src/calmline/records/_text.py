"""Text helpers of records: sentences that survive "$84.99", evidence for a sentence or a turn."""

from __future__ import annotations

import re
from functools import lru_cache

from calmline.engine.text import Span, Spans
from calmline.model import Evidence

# A run of marks is tried from its start only: tried from inside a long run of "!?" not followed by
# a space, it re-read the rest of the run each time (quadratic), and a match never starts there.
SENTENCE_END = re.compile(r"(?<![.!?])[.!?]++(?=\s|$)|\n+")
MAX_QUOTE = 200


def sentence_spans(text: str) -> tuple[Span, ...]:
    """Sentence spans, without surrounding white space; a full stop inside "84.99" ends nothing."""
    return sentence_index(text).spans


def sentence_around(text: str, position: int) -> Span:
    """The sentence that holds ``position``, else the whole text."""
    return sentence_index(text).at(position)


def sentences_from(text: str, position: int) -> tuple[Span, ...]:
    """The sentences that start at or after ``position``."""
    return sentence_index(text).from_(position)


@lru_cache(maxsize=64)
def sentence_index(text: str) -> Spans:
    """The sentences of ``text``, split once: records ask for the sentence of each promise and step."""
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
    return Spans(out, len(text))


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
