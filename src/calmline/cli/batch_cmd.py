"""``calmline batch analyze`` and ``calmline report``: thin commands over ``calmline.batch``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from calmline.batch.options import BatchOptions, BatchSummary, EngineKind
from calmline.playbook import load_playbook
from calmline.transcripts import DEFAULT_MAX_BYTES, DEFAULT_MAX_TURN_CHARS

app = typer.Typer(
    help="Score transcript archives with the engine: Parquet of every turn and conversation, and themes.",
    no_args_is_help=True,
)

EXIT_FAILED_INPUTS = 1
FAILURES_SHOWN = 20


@app.command()
def analyze(
    source: Annotated[
        Path,
        typer.Argument(
            help="A folder (searched recursively) or one file: .txt, .json (conversation or Contact Lens), "
            ".jsonl, .csv or .parquet transcripts."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created; a rerun resumes in it).")],
    engine: Annotated[
        EngineKind,
        typer.Option(
            "--engine", help="local: worker processes here; ray: Ray tasks (a local Ray, or --ray-address)."
        ),
    ] = EngineKind.local,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="An existing Ray cluster: HOST:PORT of its head (the port of 'ray start --head'), "
            "ray://HOST:10001 or auto; default: start a local Ray. A cluster with token authentication "
            "also needs RAY_AUTH_MODE=token and RAY_AUTH_TOKEN in the environment.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "-w", min=1, help="Worker processes (default: every CPU).", show_default=False
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with code 1 when any input could not be read or analysed.")
    ] = False,
    chunk_size: Annotated[
        int,
        typer.Option(
            "--chunk-size", min=1, help="Conversations per chunk (one Parquet part; unit of resume)."
        ),
    ] = 100,
    restart: Annotated[
        bool, typer.Option("--restart", help="Discard what a previous run left in --out and start over.")
    ] = False,
    themes: Annotated[
        bool, typer.Option("--themes/--no-themes", help="Cluster complaints into themes.")
    ] = True,
    playbook: Annotated[
        Path | None,
        typer.Option(
            "--playbook", "-p", help="A company playbook (YAML) merged over the default.", show_default=False
        ),
    ] = None,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", min=1, help="Skip single-transcript files larger than this.")
    ] = DEFAULT_MAX_BYTES,
    max_turn_chars: Annotated[
        int, typer.Option("--max-turn-chars", min=1, help="Skip conversations with a longer turn.")
    ] = DEFAULT_MAX_TURN_CHARS,
) -> None:
    """Analyse every conversation of an archive into DIR/turns.parquet and DIR/conversations.parquet.

    Both are Parquet dataset folders (one part per chunk). Unreadable inputs are listed with the
    reason and skipped. Interrupted? Run the same command again: finished chunks are not redone.

    Example: calmline batch analyze archive/ --out results/ --engine ray
    """
    options = BatchOptions(
        engine=engine,
        workers=workers,
        ray_address=ray_address,
        chunk_size=chunk_size,
        playbook=load_playbook(playbook) if playbook is not None else None,
        restart=restart,
        themes=themes,
        max_bytes=max_bytes,
        max_turn_chars=max_turn_chars,
    )
    from calmline.batch.job import analyze_archive  # pyarrow and the runners: not for every calmline command

    console = Console(stderr=True, soft_wrap=True)  # paths and reasons stay on one line each
    with _progress(console) as progress:
        task = progress.add_task("analysing", total=None, done=0, failed=0)

        def advance(analysed: int, failed: int) -> None:
            done = progress.tasks[task].fields["done"] + analysed
            progress.update(task, done=done, failed=progress.tasks[task].fields["failed"] + failed)

        summary = analyze_archive(source, out, options, on_chunk=advance)
    _print_summary(console, summary)
    if strict and summary.failures:
        raise typer.Exit(EXIT_FAILED_INPUTS)


def report(
    folder: Annotated[Path, typer.Argument(help="The --out folder of 'calmline batch analyze'.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path("report.html"),
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Compare two groups, FIELD=A,B: a column (team, group, agent, channel) or a metadata key, "
            "e.g. group=inhouse,outsourced.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML report: mood, escalation, adherence, themes, after hours, comparisons.

    Example: calmline report results/ --out report.html --compare group=inhouse,outsourced
    """
    from calmline.batch.report import parse_compare, write_report  # pandas and the plots, only here

    comparison = parse_compare(compare) if compare is not None else None
    written = write_report(folder, out, comparison)
    typer.echo(str(written))


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn(
            "{task.description}: {task.fields[done]} conversations, {task.fields[failed]} inputs failed"
        ),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def _print_summary(console: Console, summary: BatchSummary) -> None:
    resumed = f", {summary.resumed_chunks} finished chunks kept from before" if summary.resumed_chunks else ""
    console.print(
        f"{summary.conversations} conversations in {summary.out} ({summary.analysed_now} analysed now{resumed}) "
        f"in {summary.seconds:.1f} s",
        highlight=False,
    )
    if summary.themes is not None:
        console.print(f"{summary.themes} complaint themes in {summary.out / 'themes.json'}", highlight=False)
    if summary.failures:
        console.print(f"{len(summary.failures)} inputs skipped:", highlight=False)
        for origin, reason in summary.failures[:FAILURES_SHOWN]:
            console.print(f"  {origin}: {reason}", highlight=False, markup=False)
        if len(summary.failures) > FAILURES_SHOWN:
            console.print(f"  … the rest are in {summary.out / 'summary.json'}", highlight=False)
