"""Benchmark: PII redaction per turn over CuCom customer turns, against the previous regex-only redaction.

Turns come from the CuCom e-commerce complaint chats in ../shared/data (Apache-2.0), dev split first,
each redacted with the previous turn as context exactly as a live session would. Prints the median and
p95 time per turn for the current ``redact`` and for the redaction calmline had before (five regexes, no
Luhn, mod-97 or context; kept here only as the baseline), their ratio, and how many turns each changed.

    python bench/redact.py [--turns 10000] [--repeat 5] [--data ../shared/data/cucom_ecommerce]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from calmline.engine.redact import redact
from calmline.model import Role
from calmline.training.data import chat_turns

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cucom_ecommerce"

# The redaction before issue 5 (calmline.engine.redact as it was), verbatim: the baseline only.
_OLD_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("EMAIL", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("CARD", re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")),
    (
        "PHONE",
        re.compile(
            r"(?<![\w])(?:\+?\d{1,3}[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}(?!\d)"
            r"|(?<![\w-])\d{3}-\d{4}(?![\w-])"
        ),
    ),
    ("SSN", re.compile(r"(?<!\d)\d{3}-\d{2}-\d{4}(?!\d)")),
    (
        "ADDRESS",
        re.compile(
            r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}"
            r"(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|Blvd|Court|Ct|Way|Place|Pl"
            r"|Terrace|Crescent|Close|Parkway|Highway|Hwy)\b\.?"
        ),
    ),
]


def old_redact(text: str) -> str:
    """The baseline: same matching and overlap rule as the old module, placeholders only."""
    matches: list[tuple[int, int, str]] = []
    for kind, pattern in _OLD_PATTERNS:
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e, _ in matches):
                matches.append((m.start(), m.end(), kind))
    out, cursor = [], 0
    for start, end, kind in sorted(matches):
        out.append(text[cursor:start] + f"[{kind}]")
        cursor = end
    return "".join(out) + text[cursor:]


def load_turns(folder: Path, limit: int) -> list[tuple[str, str | None]]:
    """(customer turn, the turn before it) pairs, dev split first."""
    pairs: list[tuple[str, str | None]] = []
    for split in ("dev.jsonl", "train.jsonl"):
        with (folder / split).open(encoding="utf-8") as lines:
            for line in lines:
                previous: str | None = None
                for turn in chat_turns(json.loads(line)):
                    if turn.role is Role.customer:
                        pairs.append((turn.text, previous))
                        if len(pairs) >= limit:
                            return pairs
                    previous = turn.text
    return pairs


def time_per_turn(run: Callable[[str, str | None], object], pairs: list[tuple[str, str | None]]) -> list[int]:
    samples: list[int] = []
    for text, previous in pairs:
        t0 = time.perf_counter_ns()
        run(text, previous)
        samples.append(time.perf_counter_ns() - t0)
    return samples


def summary(samples: list[int]) -> tuple[float, float]:
    """Median and p95 in microseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) / 1e3, ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] / 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="passes over the turns; the best is reported")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    if not (args.data / "dev.jsonl").is_file():
        parser.error(f"no CuCom data at {args.data} (expected dev.jsonl and train.jsonl)")
    pairs = load_turns(args.data, args.turns)

    def current(text: str, previous: str | None) -> object:
        return redact(text, context=previous)

    def baseline(text: str, _previous: str | None) -> object:
        return old_redact(text)

    results: dict[str, tuple[float, float]] = {}
    for name, run in (("redact", current), ("baseline", baseline)):
        runs = [summary(time_per_turn(run, pairs)) for _ in range(args.repeat)]
        results[name] = min(runs)  # the least disturbed pass: the machine is shared
    changed_new = sum(redact(text, context=previous)[0] != text for text, previous in pairs)
    changed_old = sum(old_redact(text) != text for text, _ in pairs)
    with_digits = sum(any(c.isdigit() for c in text) for text, _ in pairs)

    print(f"{len(pairs)} CuCom customer turns ({with_digits} with digits), best of {args.repeat} passes")
    print(f"{'':10}{'median µs':>12}{'p95 µs':>10}{'turns changed':>16}")
    for name, changed in (("redact", changed_new), ("baseline", changed_old)):
        median, p95 = results[name]
        print(f"{name:10}{median:12.1f}{p95:10.1f}{changed:16}")
    (new_median, new_p95), (old_median, old_p95) = results["redact"], results["baseline"]
    print(f"ratio redact/baseline: median {new_median / old_median:.2f}x, p95 {new_p95 / old_p95:.2f}x")


if __name__ == "__main__":
    main()
