"""VADER's polarity of a text, computed once per text however many detectors and features ask for it."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

_ANALYZER = SentimentIntensityAnalyzer()


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
