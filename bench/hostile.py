"""Benchmark: adversarial turns a customer could paste, through redaction alone and the whole engine.

Each generator builds text of one hostile shape (number runs with every separator, repeated short tokens,
punctuation runs, long words, mixed scripts, emoji, nested brackets, and one shape per pattern family of
the redactor and the detectors) at 1,000, 5,000 and 20,000 characters. Every text goes through
``redact()`` alone and through ``Engine.default().session().add()`` as a customer turn and as an agent
turn, plus draft coaching and the conversation record. Prints, per generator, the worst time at each
length, the ratio of the 20,000-character case to the 1,000-character one (linear growth: <= 25x),
and the ratio to an ordinary 200-character turn; then the worst case of all against the targets
(redaction <= 50 ms, engine <= 100 ms at 20,000 characters) and peak memory.

    python bench/hostile.py [--lengths 1000,5000,20000] [--repeat 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from itertools import count, cycle

from calmline.coach import coach_draft
from calmline.engine.pipeline import Engine
from calmline.engine.redact import redact
from calmline.model import Role, Turn
from calmline.records import build_record

ORDINARY = (
    "I've been waiting three weeks for the refund you promised on order 4471, and every time I call "
    "someone tells me something different. Can you please just tell me when it will actually arrive?"
)
SEPARATORS = (" ", "-", ".", ",", "/", ":", "  ", "\n", ", ", " - ", "(", ")", "", "+", "*", "#")


def _fill(tokens: Iterator[str], length: int) -> str:
    """Tokens joined until ``length`` characters, cut there."""
    parts: list[str] = []
    size = 0
    for token in tokens:
        parts.append(token)
        size += len(token)
        if size >= length:
            break
    return "".join(parts)[:length]


def _joined(make: Callable[[int], str], separator: str) -> Callable[[int], str]:
    return lambda length: _fill((make(i) + separator for i in count()), length)


def _repeated(*tokens: str) -> Callable[[int], str]:
    return lambda length: _fill(cycle(tokens), length)


def generators() -> dict[str, Callable[[int], str]]:
    """Name -> function of the length giving one hostile text of that shape."""
    shapes: dict[str, Callable[[int], str]] = {}
    for i, sep in enumerate(SEPARATORS):
        # From 1000 on, so the numbers have four digits at every length (the shape does not change with it).
        shapes[f"counting numbers, separator {sep!r}"] = _joined(lambda n: str(1000 + n), sep)
        shapes[f"zeros '00', separator {sep!r}"] = _joined(lambda _: "00", sep)
        shapes[f"single digits, separator {sep!r}"] = _joined(lambda n: str(n % 10), sep)
        if i < 8:
            shapes[f"dashed SSN-like, separator {sep!r}"] = _joined(
                lambda n: f"{123 + n % 800:03d}-{45 + n % 50:02d}-{6789 + n % 3000:04d}", sep
            )
            shapes[f"phone-like, separator {sep!r}"] = _joined(lambda n: f"({n % 900 + 100}) 555-{n % 10000:04d}", sep)
            shapes[f"card-like groups, separator {sep!r}"] = _joined(lambda n: "4111 1111 1111 1111", sep)
            shapes[f"4-digit groups, separator {sep!r}"] = _joined(lambda n: f"{(n * 7919) % 9000 + 1000}", sep)
    shapes |= {
        "international prefixes": _repeated("+44 ", "(0)", "20 ", "0044 "),
        "plus digits": _repeated("+1"),
        "parenthesised digits": _repeated("(1)"),
        "IBAN-like": _repeated("GB82 WEST 1234 5698 7654 32 "),
        "IBAN starts": _repeated("GB00"),
        "e-mail list": _joined(lambda n: f"user{n}@example{n % 7}.com", ", "),
        "at-signs and dots": _repeated("a.", "@", "b-"),
        "long e-mail local part": lambda length: "a." * (length // 2 - 10) + "@x.com",
        "long dotted domain": lambda length: "a@" + "b." * (length // 2 - 2) + "c",
        "security-code cues": _repeated("cvv 123 ", "security code 4 5 6 ", "on the back "),
        "code words": _repeated("four five six ", "oh "),
        "street addresses": _joined(lambda n: f"{n} Main Street", ", "),
        "address near-misses": _repeated("12 Aaa ", "Bbb ", "Ccc ", "Ddd "),
        "order references": _repeated("order # ", "123456789 "),
        "reference keywords": _repeated("order ", "id ", "no. ", "number "),
        "repeated word 'no'": _repeated("no "),
        "repeated 'I'": _repeated("I "),
        "repeated 'you idiot'": _repeated("you idiot "),
        "repeated threat words": _repeated("I will kill ", "hurt ", "you "),
        "repeated crisis words": _repeated("I want to ", "end it ", "all "),
        "repeated manager words": _repeated("let me speak to ", "your manager ", "supervisor "),
        "repeated negations": _repeated("not ", "never ", "don't "),
        "all-caps words": _repeated("ANGRY "),
        "exclamation marks": _repeated("!"),
        "question and exclamation": _repeated("?!"),
        "ellipses": _repeated("..."),
        "dashes": _repeated("-"),
        "stars": _repeated("*"),
        "one long word": _repeated("a"),
        "one long word with digits": _repeated("a1"),
        "long URL": lambda length: "https://example.com/" + "a/" * (length // 2),
        "mixed scripts": _repeated("Привет ", "Γειά ", "你好", "مرحبا ", "שלום "),
        "combining marks": _repeated("a\u0301\u0302\u0303 "),
        "emoji": _repeated("😡"),
        "emoji sequences": _repeated("👨‍👩‍👧‍👦", "🏳️‍🌈 "),
        "nested brackets": lambda length: "(" * (length // 2) + ")" * (length // 2),
        "nested square brackets": lambda length: "[" * (length // 2) + "]" * (length // 2),
        "newlines": _repeated("\n"),
        "sentences without spaces": _repeated("Why.Why?Why!"),
        "repeated apology": _repeated("sorry ", "I apologise "),
        "repeated 'I'm so sorry'": _repeated("I'm so sorry "),
        "repeated 'not good'": _repeated("not good "),
        "repeated 'they will call you'": _repeated("our team will review it, they will call you "),
        "refund then a number list": lambda length: "I will refund you " + _joined(str, ",")(length - 18),
        "repeated '100%'": _repeated("100% "),
        "repeated 'I'm'": _repeated("I'm "),
        "repeated promises": _repeated("I will call you back tomorrow by 5pm ", "guaranteed "),
        "dates and times": _repeated("12/12/2026 ", "10:30 ", "tomorrow ", "next Monday "),
    }
    return shapes


def _time_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return min(times)


def stages(engine: Engine) -> dict[str, Callable[[str], object]]:
    """The work calmline does with one text, each timed alone."""

    def as_turn(role: Role) -> Callable[[str], object]:
        def run(text: str) -> object:
            session = engine.session()
            session.add(Turn(speaker="Agent", role=Role.agent, text="How can I help?"))
            return session.add(Turn(speaker="X", role=role, text=text))

        return run

    def record(text: str) -> object:
        session = engine.session()
        session.add(Turn(speaker="Customer", role=Role.customer, text=text))
        session.add(Turn(speaker="Agent", role=Role.agent, text=text))
        return build_record(session.result(), engine.playbook)

    return {
        "redact": redact,
        "engine (customer turn)": as_turn(Role.customer),
        "engine (agent turn)": as_turn(Role.agent),
        "coach (draft)": lambda text: coach_draft(text),
        "record (2 turns)": record,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", default="1000,5000,20000", help="text lengths in characters")
    parser.add_argument("--repeat", type=int, default=3, help="runs per text; the fastest is kept")
    parser.add_argument("--only", help="run only the generators whose name contains this")
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    engine = Engine.default()
    work = stages(engine)
    shapes = {n: g for n, g in generators().items() if not args.only or args.only in n}
    ordinary = {stage: statistics.median(_time_ms(lambda r=run: r(ORDINARY[:200]), 1) for _ in range(20))
                for stage, run in work.items()}  # fmt: skip
    print(f"{len(shapes)} generators x {lengths} characters, fastest of {args.repeat} runs each\n")
    print("ordinary 200-character turn: " + ", ".join(f"{s} {ms:.2f} ms" for s, ms in ordinary.items()) + "\n")
    worst: dict[str, dict[int, tuple[float, str]]] = {stage: {} for stage in work}
    growth: dict[str, tuple[float, str]] = {}
    header = f"{'generator':44s} {'stage':24s}" + "".join(f"{n:>10,d}" for n in lengths) + "  growth  x ordinary"
    print(header)
    for name, make in shapes.items():
        texts = {n: make(n) for n in lengths}
        for stage, run in work.items():
            times = {n: _time_ms(lambda r=run, t=text: r(t), args.repeat) for n, text in texts.items()}
            ratio = times[lengths[-1]] / max(times[lengths[0]], 1e-3)
            row = "".join(f"{ms:10.2f}" for ms in times.values())
            print(f"{name[:44]:44s} {stage:24s}{row}  {ratio:6.1f}  {times[lengths[-1]] / ordinary[stage]:9.0f}")
            for n, ms in times.items():
                if ms > worst[stage].get(n, (0.0, ""))[0]:
                    worst[stage][n] = (ms, name)
            if ratio > growth.get(stage, (0.0, ""))[0]:
                growth[stage] = (ratio, name)
        sys.stdout.flush()
    longest = lengths[-1]
    targets = {"redact": 50.0, "engine (customer turn)": 100.0, "engine (agent turn)": 100.0}
    print(f"\nworst case per stage (ms; growth = {longest:,} vs {lengths[0]:,} characters, linear <= 25x):")
    for stage in work:
        ms, name = worst[stage][longest]
        target = targets.get(stage)
        verdict = f"target <= {target:.0f} ms: {'met' if ms <= target else 'MISSED'}" if target else ""
        print(f"  {stage:24s} {ms:8.2f} ms at {longest:,} ({name}); growth {growth[stage][0]:.1f}x "
              f"({growth[stage][1]}) {verdict}")  # fmt: skip
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
