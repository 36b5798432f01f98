"""The ``calmline`` command line: thin Typer commands over the library; errors become one line here."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from calmline.cli import followups_cmd, playbook_cmd, quality_cmd, server_cmd, themes_cmd
from calmline.cli.batch_cmd import app as batch_app
from calmline.cli.batch_cmd import report as report_command
from calmline.cli.demo import run_demo
from calmline.cli.detect_cmd import detect as detect_command
from calmline.cli.options import AgentOption, CustomerOption, PlaybookOption
from calmline.cli.record_cmd import record as record_command
from calmline.cli.render import analysis_view, coach_view
from calmline.cli.roleplay_cmd import roleplay as roleplay_command
from calmline.engine.pipeline import Engine
from calmline.errors import CalmlineError, InputError, RecordScoringError
from calmline.model import Conversation
from calmline.playbook import load_playbook

app = typer.Typer(
    name="calmline",
    help="A de-escalation copilot: reads a conversation turn by turn, says what the customer's state is "
    "and what to do next, checks draft replies, and raises alerts on crisis, abuse and escalation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(playbook_cmd.app, name="playbook")
app.command(name="detect")(detect_command)
app.command(name="themes")(themes_cmd.themes)
app.command(name="train")(quality_cmd.train)
app.command(name="eval")(quality_cmd.eval_command)
app.command(name="record")(record_command)
app.command(name="serve")(server_cmd.serve)
app.add_typer(server_cmd.tenant_app, name="tenant")
app.add_typer(server_cmd.key_app, name="key")
app.command(name="followups")(followups_cmd.followups)
app.command(name="roleplay")(roleplay_command)
app.add_typer(batch_app, name="batch")
app.command(name="report")(report_command)

EXIT_INPUT = 2
EXIT_INTERNAL = 70


class AnalyzeFormat(StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"


class CoachFormat(StrEnum):
    text = "text"
    json = "json"


MaxBytesOption = Annotated[
    int, typer.Option("--max-bytes", min=1, help="Refuse transcripts larger than this many bytes.")
]
MaxTurnOption = Annotated[
    int,
    typer.Option("--max-turn-chars", min=1, help="Refuse a single turn longer than this many characters."),
]


@app.command()
def analyze(
    file: Annotated[
        Path, typer.Argument(help="Transcript: 'Name: text' lines, JSONL turns, or conversation JSON.")
    ],
    output_format: Annotated[
        AnalyzeFormat,
        typer.Option(
            "--format", "-f", help="table (readable), json (one object), jsonl (one turn per line)."
        ),
    ] = AnalyzeFormat.table,
    agent: AgentOption = None,
    customer: CustomerOption = None,
    playbook: PlaybookOption = None,
    max_bytes: MaxBytesOption = 5_000_000,
    max_turn_chars: MaxTurnOption = 20_000,
) -> None:
    """Analyse a transcript turn by turn: signals, customer state, guidance and alerts.

    Example: calmline analyze examples/billing_anger_deescalates.txt --format json
    """
    conversation = _read(file, agent, customer, max_bytes, max_turn_chars)
    analysis = _engine(playbook).analyze(conversation)
    if output_format is AnalyzeFormat.json:
        _emit(analysis.model_dump_json(indent=2))
    elif output_format is AnalyzeFormat.jsonl:
        _emit("\n".join(turn.model_dump_json() for turn in analysis.turns))
    else:
        analysis_view(Console(), analysis)


@app.command()
def coach(
    draft: Annotated[
        str, typer.Argument(help="The agent's draft reply, in quotes; '-' reads it from standard input.")
    ],
    context: Annotated[
        Path | None,
        typer.Option(
            "--context", "-c", help="The conversation so far (any transcript format).", show_default=False
        ),
    ] = None,
    output_format: Annotated[
        CoachFormat, typer.Option("--format", "-f", help="text or json.")
    ] = CoachFormat.text,
    agent: AgentOption = None,
    customer: CustomerOption = None,
    playbook: PlaybookOption = None,
) -> None:
    """Check an agent's draft reply before it is sent: findings with the practice, the words and rewrites.

    Example: calmline coach "Calm down, we don't do refunds." --context examples/billing_anger_deescalates.txt
    """
    from calmline.coach import coach_draft

    text = sys.stdin.read() if draft == "-" else draft
    if not text.strip():
        raise InputError("the draft is empty; pass the reply text in quotes (or '-' to read standard input)")
    conversation = _read(context, agent, customer, 5_000_000, 20_000) if context else Conversation()
    report = coach_draft(text, conversation, _engine(playbook))
    if output_format is CoachFormat.json:
        _emit(report.model_dump_json(indent=2))
    else:
        coach_view(Console(), text, report)


@app.command()
def demo(
    example: Annotated[
        str | None,
        typer.Option(
            "--example", "-e", help="Play one example (name without extension).", show_default=False
        ),
    ] = None,
    delay: Annotated[float, typer.Option("--delay", min=0.0, help="Seconds between turns.")] = 0.8,
) -> None:
    """Replay the example conversations turn by turn, as the agent would see them live."""
    run_demo(Console(), example=example, delay=delay)


@app.command()
def detectors() -> None:
    """List the registered detectors that a playbook's pipeline can name."""
    from calmline.engine import registry

    for name in registry.names():
        typer.echo(name)


@app.command()
def schema(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the JSON Schemas into.")] = Path(
        "docs/schema"
    ),
) -> None:
    """Write the JSON Schemas of the output contracts and the playbook (what docs/schema holds)."""
    from calmline.schemas import write_schemas

    for path in write_schemas(out):
        typer.echo(str(path))


@app.command(hidden=True)
def reference() -> None:
    """Print the CLI reference in Markdown (what docs/cli.md holds)."""
    from calmline.cli.reference import render_reference

    _emit(render_reference().rstrip("\n"))


def _read(
    path: Path | None, agent: str | None, customer: str | None, max_bytes: int, max_turn_chars: int
) -> Conversation:
    from calmline.transcripts import read_transcript

    assert path is not None
    return read_transcript(
        path, agent=agent, customer=customer, max_bytes=max_bytes, max_turn_chars=max_turn_chars
    )


def _engine(playbook: Path | None) -> Engine:
    return Engine.default() if playbook is None else Engine(load_playbook(playbook))


def _emit(text: str) -> None:
    # One write of the finished text: a failure earlier leaves nothing half-printed.
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main() -> None:
    """Entry point: run the app; a calmline error becomes one line on stderr and exit code 2.

    Usage errors are Typer's own (exit code 2 with the usage line); anything unexpected is
    reported in one line too (exit code 70), never as a traceback.
    """
    try:
        app()
    except RecordScoringError as exc:  # a calmline error, but a bug rather than bad input
        _internal_error(exc)
    except CalmlineError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(EXIT_INPUT) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except BrokenPipeError:
        raise SystemExit(0) from None
    except Exception as exc:
        _internal_error(exc)


def _internal_error(exc: Exception) -> NoReturn:
    typer.echo(f"error: internal error ({type(exc).__name__}: {exc}); please report it", err=True)
    raise SystemExit(EXIT_INTERNAL) from None
