"""Confidence intervals for the report: Wilson for a rate, Newcombe for a difference of rates, Welch for means.

All intervals are 95 % two-sided. Wilson's score interval stays inside [0, 1] and behaves with
small counts; Newcombe's hybrid score interval (method 10) builds the difference of two rates
from the two Wilson intervals; Welch's t interval does not assume the groups share a variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Estimate", "mean_ci", "mean_difference", "rate_ci", "rate_difference"]

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Estimate:
    """A value with its 95 % interval; ``n`` is how many observations it rests on."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def excludes_zero(self) -> bool:
        """The interval lies wholly on one side of zero (a difference that is unlikely to be chance)."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


def rate_ci(successes: int, n: int) -> Estimate:
    """The rate ``successes / n`` with Wilson's score interval."""
    if n == 0:
        return Estimate(None, None, None, 0)
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def rate_difference(successes_a: int, n_a: int, successes_b: int, n_b: int) -> Estimate:
    """Rate of A minus rate of B, with Newcombe's hybrid score interval."""
    a, b = rate_ci(successes_a, n_a), rate_ci(successes_b, n_b)
    if a.value is None or b.value is None:
        return Estimate(None, None, None, n_a + n_b)
    assert a.low is not None and a.high is not None and b.low is not None and b.high is not None
    difference = a.value - b.value
    low = difference - math.sqrt((a.value - a.low) ** 2 + (b.high - b.value) ** 2)
    high = difference + math.sqrt((a.high - a.value) ** 2 + (b.value - b.low) ** 2)
    return Estimate(difference, low, high, n_a + n_b)


def mean_ci(values: Sequence[float]) -> Estimate:
    """The mean with a Student t interval."""
    n = len(values)
    if n == 0:
        return Estimate(None, None, None, 0)
    mean = math.fsum(values) / n
    if n == 1:
        return Estimate(mean, None, None, 1)
    half = _t95(n - 1) * math.sqrt(_variance(values, mean) / n)
    return Estimate(mean, mean - half, mean + half, n)


def mean_difference(a: Sequence[float], b: Sequence[float]) -> Estimate:
    """Mean of A minus mean of B, with Welch's t interval (Welch–Satterthwaite degrees of freedom)."""
    n_a, n_b = len(a), len(b)
    if n_a < 2 or n_b < 2:
        mean_a = math.fsum(a) / n_a if n_a else None
        mean_b = math.fsum(b) / n_b if n_b else None
        value = mean_a - mean_b if mean_a is not None and mean_b is not None else None
        return Estimate(value, None, None, n_a + n_b)
    mean_a, mean_b = math.fsum(a) / n_a, math.fsum(b) / n_b
    share_a, share_b = _variance(a, mean_a) / n_a, _variance(b, mean_b) / n_b
    spread = share_a + share_b
    difference = mean_a - mean_b
    if spread == 0:
        return Estimate(difference, difference, difference, n_a + n_b)
    freedom = spread**2 / (share_a**2 / (n_a - 1) + share_b**2 / (n_b - 1))
    half = _t95(freedom) * math.sqrt(spread)
    return Estimate(difference, difference - half, difference + half, n_a + n_b)


def _variance(values: Sequence[float], mean: float) -> float:
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _t95(freedom: float) -> float:
    # scipy comes with scikit-learn (a calmline dependency); its t quantile is exact for any df.
    from scipy.stats import t

    return float(t.ppf(0.975, freedom))
