"""The CLI reference (docs/cli.md), generated from every command's --help."""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.testing import CliRunner


def command_paths(command: Any, path: tuple[str, ...] = ()) -> list[list[str]]:
    """Every visible command and subcommand, in the order they were registered (so none is forgotten)."""
    paths = [list(path)]
    for name, sub in getattr(command, "commands", {}).items():
        if not sub.hidden:
            paths += command_paths(sub, (*path, name))
    return paths


def render_reference() -> str:
    from calmline.cli import app

    # A fixed width and no colour, so the text is the same on every machine.
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        runner = CliRunner()
        parts = ["# calmline command reference", "", "Generated from `--help` by `calmline reference`; do not edit.", ""]
        for command in command_paths(typer.main.get_command(app)):
            result = runner.invoke(app, [*command, "--help"], prog_name="calmline")
            text = "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())
            parts += [f"## calmline {' '.join(command)}".rstrip(), "", "```", text, "```", ""]
        return "\n".join(parts)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
