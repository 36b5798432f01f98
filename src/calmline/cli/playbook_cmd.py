"""``calmline playbook init|validate|show``: start, check and read a company playbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from calmline.errors import PlaybookError
from calmline.playbook import load_playbook

app = typer.Typer(
    help="Start, check and read a company playbook (YAML merged over the default).", no_args_is_help=True
)

STARTER = """\
# A company playbook for calmline. Only the sections you set here change the default;
# see the full default with:  calmline playbook show
# Rules merge by id: change one by giving its id, switch it off with `enabled: false`.
name: {name}
version: "1"

business_hours:
  timezone: America/New_York
  days: [mon, tue, wed, thu, fri]
  open: "08:00"
  close: "18:00"

escalation_contacts:
  - {{role: Team lead on duty, name: Your team lead, reach: "ext. 200"}}

authority:
  max_refund: 50

crisis:
  steps:
    - Stay with the customer and keep them talking to you; never end the conversation.
    - Ask directly whether they are safe right now.
    - Your supervisor has been alerted; follow their lead.
    - Offer the support resources below.
  resources:
    - "Emergency services: 911"
    - "988 Suicide & Crisis Lifeline: call or text 988"

rules:
  # Example: alert on escalation risk a little earlier than the default (0.6).
  - id: escalation-forecast
    when: {{state: {{escalation_risk: {{gte: 0.55}}}}}}
"""


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter playbook.")] = Path(
        "playbook.yaml"
    ),
    name: Annotated[str, typer.Option(help="The company or team name.")] = "my-company",
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a starter company playbook with the sections companies change most."""
    if path.exists() and not force:
        raise PlaybookError(f"{path} already exists; pass --force to overwrite it")
    text = STARTER.format(name=name)
    load_playbook_text_check(text, path)
    path.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {path}; check it with: calmline playbook validate {path}")


@app.command()
def validate(path: Annotated[Path, typer.Argument(help="The company playbook to check.")]) -> None:
    """Check a playbook; a problem is reported with its file, line and field."""
    playbook = load_playbook(path)
    enabled = sum(rule.enabled for rule in playbook.rules)
    typer.echo(
        f"{path}: valid ({len(playbook.practices)} practices, {enabled} rules enabled, "
        f"{len(playbook.detectors)} detectors)"
    )


@app.command()
def show(
    path: Annotated[
        Path | None, typer.Argument(help="A company playbook; default: the built-in one.")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", "-s", help="Only this section, e.g. rules.")
    ] = None,
) -> None:
    """Print the effective playbook (the default with the company file merged over it) as YAML."""
    data = load_playbook(path).model_dump(mode="json")
    if section is not None:
        if section not in data:
            raise PlaybookError(f"no section {section!r}; sections: {', '.join(data)}")
        data = {section: data[section]}
    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110).rstrip())


def load_playbook_text_check(text: str, path: Path) -> None:
    """Validate the starter text before writing it, so ``init`` never leaves a broken file."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        trial = Path(folder) / path.name
        trial.write_text(text, encoding="utf-8")
        load_playbook(trial)
