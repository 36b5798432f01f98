"""``calmline serve``, ``calmline tenant …`` and ``calmline key …``: run the server and administer access."""

from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from calmline.storage.audit import audit
from calmline.storage.database import DATABASE_URL_ENV, database_url, migrate, transaction
from calmline.storage.tenants import (
    KeyRole,
    all_tenants,
    create_key,
    create_tenant,
    find_tenant,
    list_keys,
    revoke_key,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url", help=f"SQLAlchemy URL (default: ${DATABASE_URL_ENV}, else SQLite in the data dir)."
    ),
]

tenant_app = typer.Typer(
    help="Create and list tenants (each has its own keys, playbook and data).", no_args_is_help=True
)
key_app = typer.Typer(help="Create, list and revoke a tenant's API keys.", no_args_is_help=True)


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on; 0.0.0.0 for all.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database: DatabaseOption = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes; >1 wants --redis-url.")] = 1,
    redis_url: Annotated[
        str | None, typer.Option(help="Redis URL for event fan-out between workers (or $CALMLINE_REDIS_URL).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Seed a demo tenant (a key per role, printed on start) and play the example conversations "
            "live in the background. Uses its own SQLite file, emptied on start, unless --database-url is given.",
        ),
    ] = False,
) -> None:
    """Run the REST + WebSocket server and the web console (/console; OpenAPI at /docs, metrics at /metrics)."""
    import uvicorn

    from calmline.web.demo import demo_database_url

    url = database_url(database) if database or not demo else demo_database_url()
    migrate(url)  # once, before the workers start, so they do not race to create tables
    os.environ[DATABASE_URL_ENV] = url
    if redis_url:
        os.environ["CALMLINE_REDIS_URL"] = redis_url
    if workers > 1:
        if not os.environ.get("CALMLINE_REDIS_URL"):
            typer.echo(
                "warning: several workers without --redis-url: live events reach only the worker's own clients",
                err=True,
            )
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="calmline-metrics-"))
    if demo:
        _start_demo(url, host, port)
    uvicorn.run(
        "calmline.cli.server_cmd:app_with_console",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        proxy_headers=False,
        # Integrations keep connections open between turns; 5 s (the default) drops them mid-conversation.
        timeout_keep_alive=75,
        # Events are small JSON; compressing them saves little but costs each connection its own zlib
        # state (~300 KB: 1,000 open streams took 200 MB) and the event loop 6% of its time.
        ws_per_message_deflate=False,
    )


def _start_demo(url: str, host: str, port: int) -> None:
    """Seed the demo tenant, print where to sign in, and start playing the examples once the server is up."""
    from calmline.web.demo import DemoPlayer, banner, load_scripts, seed

    keys = seed(url)
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    base = f"http://{f'[{local}]' if ':' in local else local}:{port}"
    typer.echo(banner(base, keys, url))
    DemoPlayer(base, keys["agent"], load_scripts()).start()


@tenant_app.command("create")
def tenant_create(
    name: Annotated[str, typer.Argument(help="The tenant's name, e.g. acme.")],
    database: DatabaseOption = None,
) -> None:
    """Create a tenant; its admin API key is printed alone on the last line (shown once, stored hashed)."""
    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        tenant, key = create_tenant(db, name)
        audit(db, tenant.id, "cli", "tenant.create", name)
    typer.echo(f"tenant {name} created; its admin key (keep it safe, it is not shown again):", err=True)
    typer.echo(key)


@tenant_app.command("list")
def tenant_list(database: DatabaseOption = None) -> None:
    """The tenants in the database."""
    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        for tenant in all_tenants(db):
            typer.echo(f"{tenant.name}\t{tenant.created_at:%Y-%m-%d}")


@key_app.command("create")
def key_create(
    tenant: Annotated[str, typer.Option(help="Tenant name.")],
    role: Annotated[KeyRole, typer.Option(help="What the key may do.")],
    label: Annotated[
        str, typer.Option(help="A note to tell keys apart, e.g. the integration or person.")
    ] = "",
    database: DatabaseOption = None,
) -> None:
    """Create a key; it is printed alone on the last line (shown once, stored hashed)."""
    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        owner = find_tenant(db, tenant)
        key = create_key(db, owner, role, label)
        audit(db, owner.id, "cli", "key.create", key[:10], role=role.value, label=label)
    typer.echo(f"{role.value} key for {tenant} (keep it safe, it is not shown again):", err=True)
    typer.echo(key)


@key_app.command("revoke")
def key_revoke(
    key: Annotated[str, typer.Argument(help="The key, or its prefix as `calmline key list` shows it.")],
    tenant: Annotated[str, typer.Option(help="Tenant name.")],
    database: DatabaseOption = None,
) -> None:
    """Revoke a key at once (servers stop accepting it within 5 seconds)."""
    url = database_url(database)
    migrate(url)
    with transaction(url) as db:
        owner = find_tenant(db, tenant)
        revoked = revoke_key(db, owner, key)
        audit(db, owner.id, "cli", "key.revoke", revoked.prefix)
    typer.echo(f"revoked {revoked.prefix}… ({revoked.role})")


@key_app.command("list")
def key_list(
    tenant: Annotated[str, typer.Option(help="Tenant name.")], database: DatabaseOption = None
) -> None:
    """A tenant's keys by prefix, role and state (the keys themselves are not stored)."""
    url = database_url(database)
    migrate(url)
    table = Table("prefix", "role", "label", "created", "revoked")
    with transaction(url) as db:
        for row in list_keys(db, find_tenant(db, tenant)):
            revoked = f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else ""
            table.add_row(row.prefix, row.role, row.label, f"{row.created_at:%Y-%m-%d %H:%M}", revoked)
    Console().print(table)


def app_with_console() -> FastAPI:
    """The server with the browser console mounted: the factory each uvicorn worker calls."""
    from calmline import web
    from calmline.server.app import create_app

    return create_app(console=web.mount)
