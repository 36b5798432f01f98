"""Redaction (and a draft's coaching, which maps findings back through it) in linear time on text a customer or
an agent could paste: long, repetitive, made of the redactor's own shapes.

The budget is generous (the benchmark, bench/hostile.py, gives the real figures): it fails on a quadratic
or exponential blow-up, which on 20,000 characters costs seconds to minutes, not on a slow machine.
"""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calmline.coach import coach_draft
from calmline.engine.redact import redact

LENGTH = 20_000
BUDGET_S = 1.0  # the target is 50 ms; 20x margin

SEPARATORS = [" ", "-", ".", ",", "/", ":", "(", ")", "+", "*", "#", "\n", "  ", ", ", ""]
# Pieces of every pattern family the redactor has: phones, SSNs, cards, IBANs, emails, codes, addresses.
FAMILY_TOKENS = [
    "+44 ", "(0)", "0044", "+1", "(555) 555-0000", "555-0000", "123-45-6789", "123 45 6789", "4111 1111 1111 1111",
    "GB82 WEST 1234 5698 7654 32", "GB00", "a.", "@", "x@y.com", "cvv ", "security code ", "on the back ",
    "four five six ", "oh ", "12 Main Street ", "Aaa ", "order #", "ssn ", "id ", "no. ", "[CVV] ", "0",
]  # fmt: skip

number_runs = st.builds(
    lambda width, separator, tail: (
        separator.join(str(n)[-width:] for n in range(LENGTH // (width + len(separator) or 1))) + tail
    ),
    st.integers(1, 6),
    st.sampled_from(SEPARATORS),
    st.sampled_from(["", "a", "*", "-1", " x"]),
)
motif_runs = st.builds(
    lambda motif, tail: (motif * (LENGTH // len(motif) + 1))[:LENGTH] + tail,
    st.lists(st.sampled_from(FAMILY_TOKENS + SEPARATORS[:-1]), min_size=1, max_size=5).map("".join),
    st.sampled_from(["", "a", "1", " cvv"]),
)


def elapsed(text: str, context: str | None = None) -> float:
    start = time.perf_counter()
    redact(text, context=context)
    return time.perf_counter() - start


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(number_runs)
def test_long_number_runs_redact_in_linear_time(text: str) -> None:
    assert elapsed(text) < BUDGET_S


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(motif_runs, st.sampled_from([None, "What's the CVV?"]))
def test_repeated_pattern_pieces_redact_in_linear_time(text: str, context: str | None) -> None:
    assert elapsed(text, context) < BUDGET_S


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(number_runs, motif_runs))
def test_a_pasted_draft_full_of_personal_data_is_coached_in_linear_time(text: str) -> None:
    # The coach maps each finding back from the redacted draft to the agent's own text.
    coach_draft("x")  # the engine is built once, outside the timing
    start = time.perf_counter()
    coach_draft(text)
    assert time.perf_counter() - start < 3 * BUDGET_S
