"""``calmline roleplay``: practise against a simulated difficult customer, in the terminal or from a script."""

from __future__ import annotations

import json
import secrets
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from calmline.cli.options import PlaybookOption
from calmline.cli.server_cmd import DatabaseOption
from calmline.errors import InputError
from calmline.records.model import ItemStatus
from calmline.roleplay import Persona, RoleplayResult, Simulation, find_persona, load_personas, read_script
from calmline.roleplay.mood import band_of

STATUS_STYLE = {ItemStatus.met: "green", ItemStatus.missed: "bold red", ItemStatus.not_applicable: "dim"}
BAND_STYLE = {
    "furious": "bold red",
    "upset": "red",
    "uneasy": "yellow",
    "calm": "green",
    "satisfied": "bold green",
}
OUTCOME_STYLE = {"de-escalated": "bold green", "escalated": "bold red", "ended": "bold yellow"}
END_COMMANDS = ("/end", "/quit", "/exit")


class RoleplayFormat(StrEnum):
    text = "text"
    json = "json"


def roleplay(
    persona: Annotated[
        str | None,
        typer.Argument(help="The persona's id (see --list); asked for when left out.", show_default=False),
    ] = None,
    list_personas: Annotated[bool, typer.Option("--list", help="Name the personas and stop.")] = False,
    script: Annotated[
        Path | None,
        typer.Option(
            "--script",
            help="Play the trainee's replies from this file (one per line; '#' lines skipped) instead of asking.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed",
            min=0,
            help="Same seed, same replies -> the same session (default: 0 with --script, else random).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        RoleplayFormat,
        typer.Option(
            "--format", "-f", help="text (readable) or json (the contract; needs --script, or --list)."
        ),
    ] = RoleplayFormat.text,
    personas: Annotated[
        Path | None,
        typer.Option(
            "--personas",
            help="A folder of company persona files (*.yaml) added to the shipped ones.",
            show_default=False,
        ),
    ] = None,
    playbook: PlaybookOption = None,
    trainee: Annotated[
        str | None,
        typer.Option(
            "--trainee",
            help="Store the session under this trainee's name (needs a tenant).",
            show_default=False,
        ),
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Tenant to store under (needed when there are several).")
    ] = None,
    database: DatabaseOption = None,
    generator_url: Annotated[
        str | None,
        typer.Option(
            "--generator-url",
            help="An OpenAI-compatible endpoint that may reword the customer's lines "
            "(off by default; runs are then no longer reproducible).",
            show_default=False,
        ),
    ] = None,
    generator_model: Annotated[
        str | None,
        typer.Option("--generator-model", help="The model name for --generator-url.", show_default=False),
    ] = None,
) -> None:
    """Role-play against a simulated difficult customer whose mood reacts to what you write.

    At the end: the QA scorecard, the moments that moved the mood, and coaching notes.

    Examples: calmline roleplay overcharged · calmline roleplay --list ·
    calmline roleplay abusive-caller --script replies.txt --seed 7 --format json
    """
    known = load_personas(personas)
    if list_personas:
        _list(known, output_format)
        return
    if (generator_url is None) != (generator_model is None):
        raise InputError("--generator-url and --generator-model go together; give both or neither")
    if output_format is RoleplayFormat.json and script is None:
        raise InputError("--format json needs --script FILE (the interactive session is for a person)")
    if script is not None and persona is None:
        raise InputError("name the persona to play against with --script; see calmline roleplay --list")
    replies = read_script(script) if script is not None else None
    console = Console()
    chosen = find_persona(known, persona) if persona is not None else _choose(console, known)
    simulation = _simulation(chosen, seed, replies is None, trainee, playbook, generator_url, generator_model)
    if replies is None:
        _interactive(console, simulation)
    else:
        for text in replies:
            if simulation.over:
                break
            simulation.reply(text)
    for warning in simulation.warnings:
        typer.echo(warning, err=True)
    result = simulation.finish()
    if trainee:
        where = _store(result, tenant, database)
        typer.echo(f"stored as session {where}", err=True)
    if output_format is RoleplayFormat.json:
        _emit(json.dumps(result.contract(), indent=2, ensure_ascii=False))
        return
    if replies is not None:
        _transcript(console, simulation)
    debrief_view(console, result)


def _simulation(
    persona: Persona,
    seed: int | None,
    interactive: bool,
    trainee: str | None,
    playbook: Path | None,
    generator_url: str | None,
    generator_model: str | None,
) -> Simulation:
    from calmline.engine.pipeline import Engine
    from calmline.playbook import load_playbook
    from calmline.records.generator import GeneratorConfig

    if seed is None:
        seed = secrets.randbelow(1_000_000) if interactive else 0
    engine = Engine.default() if playbook is None else Engine(load_playbook(playbook))
    config = (
        GeneratorConfig(url=generator_url, model=generator_model)
        if generator_url and generator_model
        else None
    )
    return Simulation(persona, seed, trainee=trainee or "trainee", engine=engine, generator=config)


def _list(known: dict[str, Persona], output_format: RoleplayFormat) -> None:
    if output_format is RoleplayFormat.json:
        views = [{"id": p.id, "title": p.title, "procedure": p.procedure.value} for p in known.values()]
        _emit(json.dumps(sorted(views, key=lambda v: v["id"]), indent=2, ensure_ascii=False))
        return
    for persona_id in sorted(known):
        typer.echo(f"{persona_id:<20} {known[persona_id].title}")


def _choose(console: Console, known: dict[str, Persona]) -> Persona:
    ids = sorted(known)
    for number, persona_id in enumerate(ids, start=1):
        console.print(f"{number:>2}. [bold]{persona_id}[/bold]  {known[persona_id].title}")
    answer = console.input("Which customer? (number or id) ").strip()
    if answer.isdigit() and 1 <= int(answer) <= len(ids):
        return known[ids[int(answer) - 1]]
    return find_persona(known, answer)


def _interactive(console: Console, simulation: Simulation) -> None:
    persona = simulation.persona
    console.print(
        Panel(
            Text(persona.backstory),
            title=f"{persona.title} · {persona.customer_name} · {persona.company} · seed {simulation.seed}",
            title_align="left",
            subtitle="type your reply; /hint for the copilot's suggestion, /end to finish",
        )
    )
    _say(console, simulation, 0, simulation.turns[0].text)
    while not simulation.over:
        try:
            text = console.input("[bold cyan]you>[/bold cyan] ").strip()
        except EOFError:
            break
        if text in END_COMMANDS:
            break
        if text == "/hint":
            _hint(console, simulation)
            continue
        if not text:
            continue
        before = simulation.mood.value
        answer = simulation.reply(text)
        console.print(_mood_line(before, answer.mood, answer.moves))
        if answer.text is not None:
            _say(console, simulation, answer.mood, answer.text)
    console.print()


def _say(console: Console, simulation: Simulation, mood: float, text: str) -> None:
    band = band_of(simulation.mood.value).value
    console.print(Text.assemble((f"{simulation.persona.customer_name}: ", "bold"), (text, BAND_STYLE[band])))


def _mood_line(before: float, after: float, moves: list[str]) -> Text:
    change = after - before
    arrow = "▲" if change > 0 else "▼" if change < 0 else "■"
    style = "green" if change > 0 else "red" if change < 0 else "dim"
    band = band_of(after).value
    gauge = "█" * round((after + 5) * 2) + "░" * (20 - round((after + 5) * 2))
    return Text.assemble(
        (f"  mood {arrow} {after:+.1f} ", style),
        (gauge, BAND_STYLE[band]),
        (f" {band}", BAND_STYLE[band]),
        (f"  ({', '.join(moves)})" if moves else "", "dim"),
    )


def _hint(console: Console, simulation: Simulation) -> None:
    last = next((t for t in reversed(simulation.session.history) if t.role.value == "customer"), None)
    guidance = sorted(last.guidance, key=lambda g: g.priority) if last else []
    if not guidance:
        console.print("  [dim]no suggestion: acknowledge, ask, restate, then offer options[/dim]")
    for item in guidance[:2]:
        tip = f"  {item.practice}: {item.message}"
        console.print(
            Text(tip + (f"  e.g. “{item.suggestions[0]}”" if item.suggestions else ""), style="cyan")
        )


def _transcript(console: Console, simulation: Simulation) -> None:
    for turn in simulation.turns:
        who = simulation.persona.customer_name if turn.speaker == "customer" else simulation.trainee
        band = band_of(turn.mood).value
        console.print(
            Text.assemble((f"{turn.mood:+5.1f} ", BAND_STYLE[band]), (f"{who}: ", "bold"), turn.text)
        )


def debrief_view(console: Console, result: RoleplayResult) -> None:
    """The end of a session: outcome, procedure, the scorecard, the moments and the coaching notes."""
    score = "n/a" if result.scorecard.score is None else f"{result.scorecard.score:.1f}"
    console.print(
        Text.assemble(
            ("outcome ", "bold"),
            (result.outcome.value, OUTCOME_STYLE[result.outcome.value]),
            f" · final mood {result.final_mood:+.1f} · score {score} / 100 · persona {result.persona}"
            f" · seed {result.seed}",
        )
    )
    if result.procedure:
        steps = Table("procedure step", "done", "reply", title="procedure", title_justify="left")
        for check in result.procedure:
            steps.add_row(
                check.step,
                Text("yes" if check.done else "no", "green" if check.done else "bold red"),
                str(check.reply or ""),
            )
        console.print(steps)
    scores = Table("practice", "status", "why", title="QA scorecard", title_justify="left")
    for item in result.scorecard.items:
        if item.status is not ItemStatus.not_applicable:
            scores.add_row(
                f"{item.practice} {item.name}", Text(item.status.value, STATUS_STYLE[item.status]), item.note
            )
    console.print(scores)
    moments = Table("reply", "mood", "what you did", "your words", title="moments", title_justify="left")
    for moment in sorted(result.raised + result.lowered, key=lambda m: m.reply):
        style = "green" if moment.change > 0 else "red"
        moments.add_row(
            str(moment.reply),
            Text(f"{moment.change:+.1f} (to {moment.mood:+.1f})", style),
            moment.why,
            moment.quote,
        )
    if moments.rows:
        console.print(moments)
    if result.coaching:
        console.print(
            Panel("\n".join(f"• {note}" for note in result.coaching), title="coaching", title_align="left")
        )


def _store(result: RoleplayResult, tenant: str | None, database: str | None) -> str:
    from calmline.storage.database import database_url, migrate, transaction
    from calmline.storage.roleplay import store_finished
    from calmline.storage.tenants import chosen_tenant

    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        row = store_finished(db, chosen_tenant(db, tenant).id, result.model_dump(mode="json"), "cli")
        return row.id


def _emit(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
