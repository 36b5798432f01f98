"""``calmline record``: the record, commitments, QA scorecard and hand-off note of one transcript."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from calmline.cli.options import AgentOption, CustomerOption, PlaybookOption
from calmline.errors import InputError
from calmline.records.clock import localize, zone_named
from calmline.records.handoff import shown_time
from calmline.records.model import ItemStatus, RecordResult

STATUS_STYLE = {ItemStatus.met: "green", ItemStatus.missed: "bold red", ItemStatus.not_applicable: "dim"}


class RecordFormat(StrEnum):
    text = "text"
    json = "json"
    html = "html"


def record(
    file: Annotated[
        Path, typer.Argument(help="Transcript: 'Name: text' lines, JSONL turns, or conversation JSON.")
    ],
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="When the conversation started, ISO 8601 (e.g. 2026-11-20T23:30:00-05:00); for a transcript "
            "without times, turns are then one minute apart. Overrides the transcript's started_at.",
            show_default=False,
        ),
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone to read and show times in, e.g. America/New_York (default: the playbook's, "
            "else the start time's offset).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        RecordFormat,
        typer.Option("--format", "-f", help="text (readable), json (the contract) or html (printable)."),
    ] = RecordFormat.text,
    playbook: PlaybookOption = None,
    agent: AgentOption = None,
    customer: CustomerOption = None,
    generator_url: Annotated[
        str | None,
        typer.Option(
            "--generator-url",
            help="An OpenAI-compatible endpoint that may reword the hand-off note (off by default).",
            show_default=False,
        ),
    ] = None,
    generator_model: Annotated[
        str | None,
        typer.Option("--generator-model", help="The model name for --generator-url.", show_default=False),
    ] = None,
) -> None:
    """After the conversation: the record, the commitments with due times, the QA scorecard and a hand-off note.

    Example: calmline record examples/billing_anger_deescalates.txt --timezone America/New_York --format json
    """
    from calmline.engine.pipeline import Engine
    from calmline.playbook import load_playbook
    from calmline.records import build_record
    from calmline.records.generator import GeneratorConfig, rewrite_note
    from calmline.transcripts import read_transcript

    if (generator_url is None) != (generator_model is None):
        raise InputError("--generator-url and --generator-model go together; give both or neither")
    started = _start_time(at, timezone)
    conversation = read_transcript(file, agent=agent, customer=customer)
    if started is not None:
        conversation = conversation.model_copy(update={"started_at": started, "after_hours": None})
    book = load_playbook(playbook)
    engine = Engine.default() if playbook is None else Engine(book)
    result = build_record(engine.analyze(conversation), book, timezone)
    if generator_url and generator_model:
        config = GeneratorConfig(url=generator_url, model=generator_model)
        keep = tuple(filter(None, [result.record.customer, *(c.owner for c in result.commitments)]))
        rewrite = rewrite_note(result.handoff_note, config, keep)
        if rewrite.warning:
            typer.echo(rewrite.warning, err=True)
        result = result.model_copy(update={"handoff_note": rewrite.text})
    if output_format is RecordFormat.json:
        _emit(result.model_dump_json(indent=2))
    elif output_format is RecordFormat.html:
        from calmline.records.export import report_html

        _emit(report_html(result))
    else:
        record_view(Console(), result)


def _start_time(at: str | None, timezone: str | None) -> datetime | None:
    zone = zone_named(timezone) if timezone else None
    if at is None:
        return None
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        raise InputError(f"--at {at!r} is not an ISO 8601 time; e.g. 2026-11-20T23:30:00-05:00") from None
    if moment.tzinfo is None:
        if zone is None:
            raise InputError(f"--at {at!r} has no UTC offset; add one (…-05:00) or give --timezone")
        return localize(moment, zone)
    return moment


def _emit(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def record_view(console: Console, result: RecordResult) -> None:
    """The record for a person at a terminal: the note first, then promises, then the scorecard."""
    record = result.record
    console.print(
        Panel(Text(result.handoff_note), title=f"hand-off · {record.conversation_id}", title_align="left")
    )
    if result.commitments:
        promises = Table("owner", "what", "due", "status", "turn", title="commitments", title_justify="left")
        for c in result.commitments:
            promises.add_row(c.owner, c.what, shown_time(c.due), c.status.value, str(c.turn))
        console.print(promises)
    scores = Table("practice", "status", "turns", "why", title="QA scorecard", title_justify="left")
    for item in result.scorecard.items:
        if item.status is ItemStatus.not_applicable:
            continue
        turns = ", ".join(str(t) for t in sorted({e.turn for e in item.evidence}))
        scores.add_row(
            f"{item.practice} {item.name}",
            Text(item.status.value, style=STATUS_STYLE[item.status]),
            turns,
            item.note,
        )
    score = "n/a" if result.scorecard.score is None else f"{result.scorecard.score:.1f}"
    console.print(Group(scores, Text(f"score {score} / 100 · outcome {record.outcome.value}", style="bold")))
