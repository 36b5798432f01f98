"""The CLI reference (docs/cli.md), generated from every command's --help."""

from __future__ import annotations

import os

from typer.testing import CliRunner

COMMANDS = [
    [],
    ["analyze"],
    ["coach"],
    ["demo"],
    ["detect"],
    ["detectors"],
    ["train"],
    ["eval"],
    ["schema"],
    ["playbook"],
    ["playbook", "init"],
    ["playbook", "validate"],
    ["playbook", "show"],
]


def render_reference() -> str:
    from calmline.cli import app

    # A fixed width and no colour, so the text is the same on every machine.
    env = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb", "_TYPER_FORCE_DISABLE_TERMINAL": "1"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        runner = CliRunner()
        parts = ["# calmline command reference", "", "Generated from `--help` by `calmline reference`; do not edit.", ""]
        for command in COMMANDS:
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
