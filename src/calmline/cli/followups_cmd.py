"""``calmline followups``: the commitment ledger from the command line (list, overdue, mark done)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from calmline.cli.server_cmd import DatabaseOption
from calmline.errors import InputError
from calmline.storage.audit import audit
from calmline.storage.commitments import commitment_view, find_commitments, mark_done, tenant_zone
from calmline.storage.database import database_url, migrate, transaction
from calmline.storage.tables import CommitmentRow, Tenant
from calmline.storage.tenants import chosen_tenant, find_tenant


def followups(
    tenant: Annotated[str | None, typer.Option(help="Tenant name (needed when there are several).")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only commitments past their due time.")] = False,
    owner: Annotated[
        str | None, typer.Option(help="Only this owner's (agent, person or team as recorded).")
    ] = None,
    done: Annotated[
        str | None, typer.Option(help="Mark the commitment with this id done (needs --note).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="What was done, for --done.")] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    database: DatabaseOption = None,
) -> None:
    """List the promises agents made in closed conversations, soonest due first; or mark one done."""
    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        tenant = chosen_tenant(db, tenant).name
    if done is not None:
        _mark_done(url, tenant, done, note)
        return
    with transaction(url) as db:
        owner_tenant = find_tenant(db, tenant)
        zone = tenant_zone(owner_tenant)
        rows = find_commitments(db, owner_tenant.id, "overdue" if overdue else None, owner)
        views = [commitment_view(row, zone) for row in rows]
    if output not in ("table", "json"):
        raise InputError(f"--format must be table or json, not {output!r}")
    if output == "json":
        typer.echo(json.dumps(views, indent=2, ensure_ascii=False))
        return
    table = Table("id", "owner", "what", "due", "status")
    for view in views:
        table.add_row(
            view["id"][:8], view["owner"], view["what"], view["due"] or "(no time given)", view["status"]
        )
    Console().print(table)


def _mark_done(url: str, tenant: str, commitment_id: str, note: str | None) -> None:
    if not note or not note.strip():
        raise InputError("--done needs --note saying what was done")
    with transaction(url) as db:
        owner_tenant: Tenant = find_tenant(db, tenant)
        matches = [
            row
            for row in find_commitments(db, owner_tenant.id)
            if row.id == commitment_id or row.id.startswith(commitment_id)
        ]
        if len(matches) != 1:
            raise InputError(
                f"{'no' if not matches else 'more than one'} commitment matches {commitment_id!r}"
            )
        row: CommitmentRow = matches[0]
        if row.status != "done":
            mark_done(db, row, note.strip(), "cli")
            audit(db, owner_tenant.id, "cli", "commitment.done", row.id, note=note.strip())
    typer.echo(f"done: {row.what} ({row.owner})")
