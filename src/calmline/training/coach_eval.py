"""The draft coach on the coach gold set: findings against what a QA lead expects, and what its rewrites keep.

The gold set (data/written/gold/coach.jsonl) is bad and good agent drafts, each after a short conversation, written
by someone who had not read the checks. Each record: ``id``, ``setting``, ``context`` ([{role, text}]), ``draft``,
``expected`` (practice ids a QA lead would raise), ``commitments`` (exact substrings every rewrite must keep),
``acknowledges_feeling`` and ``note``. It is a test set: the checks are not tuned on it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calmline.coach import coach_draft
from calmline.engine.pipeline import Engine
from calmline.model import Channel, CoachReport, Conversation, Role, Turn
from calmline.training.metrics import read_while_tuning

Log = Callable[[str], None]

TARGET_PRECISION = 0.80
TARGET_RECALL = 0.60
"""What a QA lead signs off (issue 20)."""


@dataclass(frozen=True, slots=True)
class GoldDraft:
    """One record of the gold set."""

    id: str
    conversation: Conversation
    draft: str
    expected: frozenset[str]
    commitments: tuple[str, ...]
    acknowledges_feeling: bool

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> GoldDraft:
        turns = [
            Turn(speaker=str(t["role"]), role=Role(str(t["role"])), text=str(t["text"]))
            for t in record.get("context", [])
        ]
        conversation = Conversation(
            id=str(record["id"]), channel=_channel(str(record.get("setting", ""))), turns=turns
        )
        return cls(
            id=str(record["id"]),
            conversation=conversation,
            draft=str(record["draft"]),
            expected=frozenset(record.get("expected", [])),
            commitments=tuple(record.get("commitments", [])),
            acknowledges_feeling=bool(record.get("acknowledges_feeling", False)),
        )


def _channel(setting: str) -> Channel:
    """The channel a free-text setting describes ("phone support", "email", "live chat")."""
    lowered = setting.lower()
    if any(word in lowered for word in ("phone", "call", "voice")):
        return Channel.voice
    return Channel.email if "email" in lowered or "e-mail" in lowered else Channel.chat


def read_gold(path: Path) -> list[GoldDraft]:
    with path.open(encoding="utf-8") as lines:
        return [GoldDraft.from_record(json.loads(line)) for line in lines if line.strip()]


@dataclass(slots=True)
class Tally:
    """Counts for one practice (or all): findings and how many were right; expected and how many were found."""

    findings: int = 0
    correct: int = 0
    expected: int = 0
    found: int = 0

    @property
    def precision(self) -> float | None:
        return self.correct / self.findings if self.findings else None

    @property
    def recall(self) -> float | None:
        return self.found / self.expected if self.expected else None


@dataclass(slots=True)
class CoachFigures:
    """The coach's figures on the gold set."""

    drafts: int = 0
    by_practice: dict[str, Tally] = field(default_factory=dict)
    overall: Tally = field(default_factory=Tally)
    halves: dict[bool, Tally] = field(default_factory=lambda: {True: Tally(), False: Tally()})
    """Overall figures on the odd ids (whose misses were read while the checks were changed) and the even ids."""
    first_rewrite_clean: Counter[bool] = field(default_factory=Counter)
    commitments_kept: Counter[bool] = field(default_factory=Counter)
    acknowledging_drafts: int = 0
    p02_on_acknowledging: int = 0
    misses: list[str] = field(default_factory=list)

    def tally(self, practice: str) -> Tally:
        return self.by_practice.setdefault(practice, Tally())

    @property
    def clean_share(self) -> float | None:
        return _share(self.first_rewrite_clean)

    @property
    def kept_share(self) -> float | None:
        return _share(self.commitments_kept)


def _share(counts: Counter[bool]) -> float | None:
    total = counts[True] + counts[False]
    return counts[True] / total if total else None


def figures(gold: Path, engine: Engine | None = None, log: Log = print) -> CoachFigures:
    """Coach every gold draft after its conversation, and re-check each finding's rewrites."""
    engine = engine or Engine.default()
    out = CoachFigures()
    records = read_gold(gold)
    for n, record in enumerate(records, 1):
        report = coach_draft(record.draft, record.conversation, engine)
        _score_findings(out, record, report)
        _score_rewrites(out, record, report, engine)
        if n % 20 == 0:
            log(f"  coach gold: {n}/{len(records)} drafts")
    out.drafts = len(records)
    return out


def _score_findings(out: CoachFigures, record: GoldDraft, report: CoachReport) -> None:
    raised = {finding.practice for finding in report.findings}
    half = out.halves[read_while_tuning(record.id)]
    for finding in report.findings:
        right = finding.practice in record.expected
        for tally in (out.tally(finding.practice), out.overall, half):
            tally.findings += 1
            tally.correct += right
        if not right:
            out.misses.append(f"{record.id}: {finding.practice} not expected ({finding.quote!r})")
    for practice in record.expected:
        for tally in (out.tally(practice), out.overall, half):
            tally.expected += 1
            tally.found += practice in raised
        if practice not in raised:
            out.misses.append(f"{record.id}: {practice} expected, not found")
    if record.acknowledges_feeling:
        out.acknowledging_drafts += 1
        out.p02_on_acknowledging += "P02" in raised


def _score_rewrites(out: CoachFigures, record: GoldDraft, report: CoachReport, engine: Engine) -> None:
    if not report.findings:
        return
    first = report.findings[0].rewrites[0]
    out.first_rewrite_clean[not coach_draft(first, record.conversation, engine).findings] += 1
    if record.commitments:
        for rewrite in _rewrites(report):
            out.commitments_kept[all(c.casefold() in rewrite.casefold() for c in record.commitments)] += 1


def _rewrites(report: CoachReport) -> Iterator[str]:
    for finding in report.findings:
        yield from finding.rewrites


# --- the markdown section ------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _row(name: str, tally: Tally) -> str:
    return (
        f"| {name} | {tally.findings} | {tally.correct} | {_fmt(tally.precision)} | {tally.expected} | "
        f"{tally.found} | {_fmt(tally.recall)} |"
    )


def markdown(result: CoachFigures, gold: Path) -> str:
    overall = result.overall
    precision_met = overall.precision is not None and overall.precision >= TARGET_PRECISION
    recall_met = overall.recall is not None and overall.recall >= TARGET_RECALL
    rows = [_row(p, result.by_practice[p]) for p in sorted(result.by_practice)]
    rewrites = [
        f"- first rewrite of a draft re-checks clean (the whole coach finds nothing in it): "
        f"{_fmt(result.clean_share)} of {sum(result.first_rewrite_clean.values())} drafts with findings",
        f"- rewrites that keep every listed commitment: {_fmt(result.kept_share)} of "
        f"{sum(result.commitments_kept.values())} rewrites of drafts that list commitments",
        f"- P02 findings on drafts that already acknowledge the feeling: {result.p02_on_acknowledging} of "
        f"{result.acknowledging_drafts} drafts",
    ]
    return (
        f"## The draft coach on the coach gold set ({result.drafts} drafts)\n\n"
        f"Each draft of `{gold.name}` coached after its conversation, through the default engine. A finding is "
        "correct if its practice is one the QA lead expected for the draft; recall counts the expected practices "
        "that got a finding. Targets: precision ≥ 0.80 "
        f"({'met' if precision_met else 'not met'}), recall ≥ 0.60 ({'met' if recall_met else 'not met'}). "
        "Written by `calmline eval`.\n\n"
        f"Odd ids, whose misses were read while the checks were changed: precision "
        f"{_fmt(result.halves[True].precision)}, recall {_fmt(result.halves[True].recall)}. Even ids, never read: "
        f"precision {_fmt(result.halves[False].precision)}, recall {_fmt(result.halves[False].recall)}.\n\n"
        "| practice | findings | correct | precision | expected | found | recall |\n"
        "|---|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join([*rows, _row("**all**", overall)])
        + "\n\n"
        + "\n".join(rewrites)
        + "\n"
    )


def section(gold: Path, log: Log = print) -> str:
    """The coach's part of docs/quality.md: its findings and rewrites on the gold set."""
    log(f"coach gold set: {gold}")
    return markdown(figures(gold, log=log), gold)
