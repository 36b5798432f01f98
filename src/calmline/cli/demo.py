"""``calmline demo``: replays the example conversations turn by turn, as an agent would see them live."""

from __future__ import annotations

import time

from rich.console import Console
from rich.rule import Rule

from calmline.cli.render import summary_view, turn_view
from calmline.demo import example_files, examples_folder
from calmline.engine.pipeline import Engine
from calmline.errors import InputError
from calmline.transcripts import read_transcript


def run_demo(console: Console, *, example: str | None, delay: float) -> None:
    files = example_files()
    if example is not None:
        files = [f for f in files if f.stem == example]
        if not files:
            names = ", ".join(f.stem for f in example_files()) or "none found"
            raise InputError(f"no example named {example!r}; examples: {names}")
    if not files:
        raise InputError(f"no example conversations found in {examples_folder()}")
    engine = Engine.default()
    for path in files:
        conversation = read_transcript(path)
        console.print(
            Rule(
                f"[bold]{path.stem}[/] · {conversation.channel.value}"
                + (" · after hours" if conversation.after_hours else "")
            )
        )
        session = engine.session(conversation.model_copy(update={"turns": []}))
        for turn in conversation.turns:
            console.print(turn_view(session.add(turn)))
            time.sleep(delay)
        summary_view(console, session.result())
