"""VADER's polarity of a text, computed once per text however many detectors and features ask for it."""

from __future__ import annotations

import heapq
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class _LinearAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
    """VADER with its scores unchanged, in time linear in the text.

    vaderSentiment 3.3.2 lower-cases every word of the text once per sentiment word (negation and idiom
    checks) and looks each sentiment up with ``list.index`` after a "but": quadratic, seconds on a
    20,000-character paste. The checks only read three words either side, so they are given that window.
    """

    @staticmethod
    def _negation_check(valence: float, words_and_emoticons: list[str], start_i: int, i: int) -> float:
        # Called only when i > start_i, so the three words before i are all it reads.
        first = max(0, i - 3)
        checked: float = SentimentIntensityAnalyzer._negation_check(
            valence, words_and_emoticons[first : i + 1], start_i, i - first
        )
        return checked

    @staticmethod
    def _special_idioms_check(valence: float, words_and_emoticons: list[str], i: int) -> float:
        # Called only when i > 2; it reads words i-3 … i+2.
        checked: float = SentimentIntensityAnalyzer._special_idioms_check(
            valence, words_and_emoticons[i - 3 : i + 3], 3
        )
        return checked

    @staticmethod
    def _but_check(words_and_emoticons: list[str], sentiments: list[float]) -> list[float]:
        lowered = [w.lower() for w in words_and_emoticons]
        if "but" in lowered:
            _scale_around(sentiments, lowered.index("but"))
        return sentiments


def _scale_around(sentiments: list[float], but: int) -> None:
    """VADER's "but" rule exactly as it behaves, with a heap per value instead of ``list.index``.

    VADER walks the list and, for each value, scales the *first* position holding an equal value
    (x0.5 before the "but", x1.5 after it); keeping that quirk keeps every score as it was.
    """
    where: dict[float, list[int]] = {}
    for position, value in enumerate(sentiments):
        where.setdefault(value, []).append(position)  # already in order: a valid heap
    for k in range(len(sentiments)):
        value = sentiments[k]
        heap = where[value]
        while sentiments[heap[0]] != value:  # positions whose value has since changed
            heapq.heappop(heap)
        first = heap[0]
        if first == but:
            continue
        scaled = value * (0.5 if first < but else 1.5)
        if scaled == value:
            continue
        heapq.heappop(heap)
        sentiments[first] = scaled
        heapq.heappush(where.setdefault(scaled, []), first)


_ANALYZER = _LinearAnalyzer()


@lru_cache(maxsize=4096)
def _scores(text: str) -> tuple[tuple[str, float], ...]:
    return tuple(_ANALYZER.polarity_scores(text).items())


def polarity(text: str) -> dict[str, float]:
    """VADER's ``neg``, ``neu``, ``pos`` and ``compound`` for ``text`` (a fresh dict each call)."""
    # The emotion lexicon and the trained models' dense features both read it for the same turn.
    return dict(_scores(text))


def compound(text: str) -> float:
    """VADER's compound score, -1 (most negative) … +1."""
    return polarity(text)["compound"]
