"""``calmline themes``: give every record of a JSONL file its complaint theme, with the batch report's code."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from calmline.batch.themes import MAX_THEMES, ThemedTexts, theme_texts
from calmline.errors import InputError

STDIO = "-"


@dataclass(slots=True)
class Records:
    """The readable records of a JSONL file (each parsed object and its text) and the lines that were not."""

    objects: list[dict[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lines: int = 0


def themes(
    input_path: Annotated[
        Path,
        typer.Option("--input", "-i", help="JSONL: one {\"text\": …} record a line; '-' is stdin."),
    ],
    output_path: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Where to write the records with their theme (JSONL); '-' is stdout."
        ),
    ],
    text_field: Annotated[
        str, typer.Option("--text-field", help="The field of each record that holds its text.")
    ] = "text",
    count: Annotated[
        int | None,
        typer.Option(
            "--themes",
            "-k",
            min=1,
            max=MAX_THEMES,
            help="How many themes to find (default: chosen from the data by silhouette).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampling and clustering.")] = 13,
) -> None:
    """Group texts by what they are about: every record gets "theme" (an id, 1 the largest) and "theme_label".

    The themes are learnt from the texts themselves (a sample of 10,000 when there are more), with the same code as the batch report's complaint themes: sentence embeddings of the shipped embedder, k-means, each theme named by its most distinctive phrases ("card expires", "refund, return").

    Texts in no theme of at least three texts, empty texts, and every text of a file with fewer than 12 different ones get theme 0, "other".

    Lines that are not a JSON object with a string text field are reported with their line number and skipped. The output file is written whole or not at all, in input order. The themes, largest first, are listed on stderr.

    Example: calmline themes --input complaints.jsonl --output themed.jsonl

    Example: calmline themes -i tickets.jsonl -o - --text-field body --themes 12
    """
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    records = _read(input_path, text_field)
    for problem in records.problems:
        console.print(problem, markup=False)
    themed = _theme(console, records, count, seed)
    where = "standard output" if str(output_path) == STDIO else str(output_path)
    try:
        _write(output_path, records, themed)
    except BrokenPipeError:  # `… --output - | head`: the reader has all it wanted
        raise
    except OSError as exc:
        raise InputError(f"cannot write {where}: {exc.strerror or exc}; no output written") from None
    console.print(_summary(records, themed, where), markup=False)


def _read(input_path: Path, text_field: str) -> Records:
    records = Records()
    with _opened(input_path) as lines:
        for number, line in enumerate(lines, start=1):
            records.lines = number
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                records.problems.append(
                    f"line {number}: not valid JSON ({exc.args[0].split(':')[0]}); skipped"
                )
                continue
            if not isinstance(value, dict):
                records.problems.append(f"line {number}: not a JSON object; skipped")
            elif not isinstance(value.get(text_field), str):
                why = "no" if text_field not in value else "a non-text"
                records.problems.append(f'line {number}: {why} "{text_field}" field; skipped')
            else:
                records.objects.append(value)
                records.texts.append(value[text_field])
    return records


@contextmanager
def _opened(input_path: Path) -> Iterator[IO[str]]:
    if str(input_path) == STDIO:
        yield sys.stdin
        return
    try:
        handle = input_path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {input_path}: {exc.strerror or exc}") from None
    with handle:
        yield handle


def _theme(console: Console, records: Records, count: int | None, seed: int) -> ThemedTexts:
    with Progress(
        TextColumn("reading texts"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,  # a log file gets the problems and the summary, not bar frames
        transient=True,
    ) as progress:
        task = progress.add_task("reading", total=len(records.texts))
        return theme_texts(records.texts, count, seed, on_progress=lambda n: progress.advance(task, n))


def _write(output_path: Path, records: Records, themed: ThemedTexts) -> None:
    lines = (
        json.dumps({**record, "theme": theme, "theme_label": themed.label(theme)}, ensure_ascii=False) + "\n"
        for record, theme in zip(records.objects, themed.ids, strict=True)
    )
    if str(output_path) == STDIO:
        sys.stdout.writelines(lines)
        sys.stdout.flush()
        return
    # Written beside the destination and renamed into place: never a half-written file.
    temporary = output_path.with_name(f".{output_path.name}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
        os.replace(temporary, output_path)
    finally:
        temporary.unlink(missing_ok=True)


def _summary(records: Records, themed: ThemedTexts, where: str) -> str:
    found = themed.themes
    done = f"{len(found.themes)} themes in {len(records.texts):,} records of {records.lines:,} lines, written to {where}"
    if found.chosen_by == "silhouette" and found.clusters:
        done += f" (number of themes chosen from the data: {found.clusters} clusters)"
    if records.problems:
        done += f"; skipped {len(records.problems):,} lines (listed above)"
    listing = [f"  {t.id:>3}  {t.count:>6,}  {t.label}" for t in found.themes]
    if found.other:
        listing.append(f"  {0:>3}  {found.other:>6,}  other")
    return "\n".join([done, *listing])
