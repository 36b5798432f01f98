"""Small text helpers shared by detectors: phrase patterns to evidence, words, sentences."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache

# The standard library's regex parser: which characters begin a phrase. Private, so typeshed has no stubs.
from re import _constants, _parser  # type: ignore[attr-defined]
from typing import Any

from calmline.model import Evidence

WORD = re.compile(r"[A-Za-z][A-Za-z']*")
SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "about",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "i",
        "me",
        "my",
        "mine",
        "you",
        "your",
        "yours",
        "we",
        "our",
        "us",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "have",
        "has",
        "had",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "can",
        "could",
        "will",
        "would",
        "should",
        "shall",
        "may",
        "might",
        "must",
        "just",
        "very",
        "really",
        "too",
        "also",
        "then",
        "than",
        "now",
        "what",
        "which",
        "who",
        "whom",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "some",
        "he",
        "she",
        "they",
        "them",
        "his",
        "her",
        "their",
        "get",
        "got",
        "im",
        "ive",
        "dont",
        "cant",
        "wont",
    ]
)


def phrases(words: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive pattern matching any of ``words`` on word boundaries.

    Entries are regular expressions, so a lexicon can say ``calm(?:ing)? down``.
    Longer entries are tried first so the evidence quotes the fullest phrase.
    """
    ordered = sorted(set(words), key=len, reverse=True)
    # The regex engine tries a phrase at every position; where every phrase begins with a letter, a digit,
    # space or sign is turned away at once (a pasted column of numbers reads 2-4x faster).
    letter_first = r"(?=[^\W\d_])" if all(_starts_with_letter(_parser.parse(w)) for w in ordered) else ""
    return re.compile(r"(?<![\w'])" + letter_first + "(?:" + "|".join(ordered) + r")(?![\w'])", re.IGNORECASE)


_ZERO_WIDTH = {_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT}
_REPEATS = {_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT}


def _starts_with_letter(items: Sequence[tuple[Any, Any]]) -> bool:
    """Whether every match of a parsed pattern (``re._parser`` items) begins with a letter."""
    if not items:
        return False
    op, arg = items[0]
    rest = list(items[1:])
    if op in _ZERO_WIDTH:
        return _starts_with_letter(rest)
    if op is _constants.LITERAL:
        return chr(arg).isalpha()
    if op is _constants.IN:
        return all(kind is _constants.LITERAL and chr(value).isalpha() for kind, value in arg)
    if op is _constants.SUBPATTERN:
        return _starts_with_letter(list(arg[3]) + rest)
    if op is _constants.BRANCH:
        return all(_starts_with_letter(list(branch) + rest) for branch in arg[1])
    if op in _REPEATS:
        low, _, body = arg
        return _starts_with_letter(list(body)) and (low > 0 or _starts_with_letter(rest))
    return False


def evidence(turn: int, text: str, start: int, end: int) -> Evidence:
    return Evidence(turn=turn, span=(start, end), quote=text[start:end])


def find(pattern: re.Pattern[str], text: str, turn: int) -> list[Evidence]:
    """Evidence for every match of ``pattern`` in ``text``."""
    return [evidence(turn, text, m.start(), m.end()) for m in pattern.finditer(text)]


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """Lower-cased words that carry meaning (no stopwords, no very short words); cached per text.

    A customer turn is compared with each of the previous ones, so the same texts come back turn after turn.
    """
    return frozenset(
        {
            w
            for w in (m.group().lower().strip("'") for m in WORD.finditer(text))
            if len(w) > 2 and w not in STOPWORDS
        }
    )


Span = tuple[int, int]


class Spans:
    """Ordered, disjoint spans of one text, found by position in logarithmic time."""

    __slots__ = ("length", "spans", "starts")

    def __init__(self, spans: Iterable[Span], length: int) -> None:
        self.spans = tuple(spans)
        self.starts = [start for start, _ in self.spans]
        self.length = length

    def at(self, position: int) -> Span:
        """The span that contains ``position``, else the whole text."""
        index = bisect_right(self.starts, position) - 1
        if index >= 0 and position < self.spans[index][1]:
            return self.spans[index]
        return 0, self.length

    def from_(self, position: int) -> tuple[Span, ...]:
        """The spans that start at or after ``position``."""
        return self.spans[bisect_left(self.starts, position) :]


@lru_cache(maxsize=64)
def sentence_index(text: str) -> Spans:
    """The sentences of ``text`` (see ``sentences``), split once per text.

    Detectors and the coach ask again for each phrase they found, so a turn of thousands of
    phrases was split thousands of times (quadratic).
    """
    spans = []
    for m in SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return Spans(spans, len(text))


def sentences(text: str) -> tuple[Span, ...]:
    """Spans of the sentences of ``text``, stripped of surrounding spaces, in order."""
    return sentence_index(text).spans


def sentence_at(text: str, position: int) -> Span:
    """The span of the sentence of ``text`` that contains ``position`` (the whole text if none does)."""
    return sentence_index(text).at(position)


MAX_CLAUSE = 300
"""How far a promise's clause is read: by then it has said what it promises. Unbounded, each of the
thousands of promises in one unpunctuated paste re-read the rest of it (quadratic)."""


def trim_end(text: str, end: int, marks: str = " .!?,") -> int:
    """``end`` moved back over any ``marks`` just before it (without copying the text up to it)."""
    while end > 0 and text[end - 1] in marks:
        end -= 1
    return end


def last_visible(text: str, end: int, start: int = 0) -> str | None:
    """The last character of ``text[start:end]`` that is not white space, if any.

    Walks back over the white space only: stripping a copy of the text up to ``end`` cost its length.
    """
    while end > start and text[end - 1].isspace():
        end -= 1
    return text[end - 1] if end > start else None
