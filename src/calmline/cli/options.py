"""Options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PlaybookOption = Annotated[
    Path | None,
    typer.Option(
        "--playbook", "-p", help="A company playbook (YAML) merged over the default.", show_default=False
    ),
]
AgentOption = Annotated[
    str | None,
    typer.Option(
        "--agent",
        help="Which speaker is the agent (default: guessed from names like Agent, Rep).",
        show_default=False,
    ),
]
CustomerOption = Annotated[
    str | None,
    typer.Option(
        "--customer",
        help="Which speaker is the customer (default: guessed, e.g. Customer, Caller).",
        show_default=False,
    ),
]
