"""Generated documentation stays true: JSON Schemas and the CLI reference match the code."""

from __future__ import annotations

import pytest
import typer

from calmline.cli import app
from calmline.cli.reference import command_paths, render_reference
from calmline.schemas import SCHEMAS, render
from tests.conftest import ROOT


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_published_schemas_are_current(name: str) -> None:
    published = (ROOT / "docs" / "schema" / name).read_text(encoding="utf-8")
    assert published == render(SCHEMAS[name]), f"run: calmline schema --out docs/schema ({name} is stale)"


def test_cli_reference_is_current() -> None:
    published = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert published == render_reference(), "run: calmline reference > docs/cli.md"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [" ".join(path) for path in command_paths(typer.main.get_command(app)) if path]
    assert len(commands) > 10
    missing = [command for command in commands if f"calmline {command}" not in readme]
    assert not missing, f"the README does not show: {', '.join(missing)}"
