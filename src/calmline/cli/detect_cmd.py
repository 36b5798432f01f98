"""``calmline detect``: score a JSONL file of texts or conversations, with a progress bar on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from calmline.batch.detect import (
    KNOWN_SIGNALS,
    STDIO,
    DetectOptions,
    DetectReport,
    Problem,
    detect_file,
    input_size,
    parse_signals,
)
from calmline.errors import InputError, StrictModeError

EXIT_INTERRUPTED = 130


def detect(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            help='JSONL: one record a line, {"text": …} or {"turns": [{"speaker", "text"}…]}; \'-\' is stdin.',
        ),
    ],
    output_path: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the scored records (JSONL); '-' is stdout."),
    ],
    signals: Annotated[
        str | None,
        typer.Option(
            "--signals",
            help=f"Comma-separated signals to score (default: all of {', '.join(KNOWN_SIGNALS)}).",
            show_default=False,
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Stop with exit code 2 at the first line that cannot be scored.")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Processes scoring in parallel.")
    ] = 1,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Skip (and report) a line longer than this many bytes.")
    ] = 5_000_000,
    max_turn_chars: Annotated[
        int,
        typer.Option(
            "--max-turn-chars",
            min=1,
            help="A text or turn longer than this is scored in windows of this many characters (the highest counts).",
        ),
    ] = 20_000,
) -> None:
    """Score many records at once: each signal's probability, and per turn the escalation risk.

    A {"text"} record gets "scores" {signal: probability} and "labels" {signal: true/false} at the shipped thresholds.

    A {"turns"} record gets "scores" in each turn, with "escalation_risk", and a "derail_forecast": the highest risk before the last turn.

    A turn's role is its "role", else what the speaker's name says (Agent, Caller …), else the role that speaker already had, else customer and agent alternate, customer first.

    Lines that cannot be scored are reported with their line number and skipped. The output file is written whole or not at all, in input order.

    Example: calmline detect --input chats.jsonl --output scored.jsonl --signals anger,abuse_at_agent
    """
    options = DetectOptions(parse_signals(signals), max_record_bytes=max_bytes, max_turn_chars=max_turn_chars)
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    where = "standard output" if str(output_path) == STDIO else str(output_path)
    try:
        report = _run(console, input_path, output_path, options, workers, strict)
    except StrictModeError as stop:
        raise InputError(f"stopped at line {stop.line} (--strict); {_nothing_written(output_path)}") from None
    except KeyboardInterrupt:
        console.print(f"interrupted; {_nothing_written(output_path)}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:  # `… --output - | head`: the reader has all it wanted
        raise
    except OSError as exc:  # e.g. the disk filled up while writing
        raise InputError(
            f"cannot write {where}: {exc.strerror or exc}; {_nothing_written(output_path)}"
        ) from None
    console.print(_summary(report, where))


def _run(
    console: Console, input_path: Path, output_path: Path, options: DetectOptions, workers: int, strict: bool
) -> DetectReport:
    # No auto-refresh: that would start a thread, and worker processes must not be forked from a
    # threaded parent. The bar is redrawn after every chunk instead (a few times a second).
    with Progress(
        TextColumn("scoring"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,  # a log file gets the problems and the summary, not bar frames
        auto_refresh=False,
        transient=True,
    ) as progress:
        task = progress.add_task("scoring", total=input_size(input_path))

        def show_problem(problem: Problem) -> None:
            progress.console.print(str(problem), markup=False)

        def advance(size: int) -> None:
            progress.update(task, advance=size, refresh=True)

        return detect_file(
            input_path,
            output_path,
            options,
            workers=workers,
            strict=strict,
            on_problem=show_problem,
            on_progress=advance,
        )


def _nothing_written(output_path: Path) -> str:
    if str(output_path) == STDIO:
        return "the records before it were already written to standard output"
    # The output is only ever renamed into place complete, so a file found there is the old one.
    left = f" ({output_path} is as it was)" if output_path.exists() else ""
    return f"no output written{left}"


def _summary(report: DetectReport, where: str) -> str:
    done = f"scored {report.written:,} of {report.lines:,} lines into {where}"
    if not report.skipped:
        return done
    kinds = ", ".join(f"{count:,} {kind}" for kind, count in report.skipped.most_common())
    return f"{done}; skipped {report.skipped_total:,} (listed above): {kinds}"
