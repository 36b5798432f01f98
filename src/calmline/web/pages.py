"""The console's routes: one HTML page per task, its static assets, and the two small look-ups the pages need."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from calmline.server.deps import CurrentActor, ReviewerActor, SessionDep
from calmline.storage.tenants import board_head, tenant_by_id

HERE = Path(__file__).parent
PREFIX = "/console"
HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    title: str
    roles: tuple[str, ...]  # the server checks every API call anyway; this decides what the console shows


PAGES = (
    Page("agent", f"{PREFIX}/agent", "Agent panel", ("agent", "supervisor", "admin")),
    Page("board", f"{PREFIX}/board", "Live board", ("supervisor", "admin")),
    Page("records", f"{PREFIX}/records", "Records and QA", ("supervisor", "qa", "admin")),
    Page("playbook", f"{PREFIX}/playbook", "Playbook", ("supervisor", "qa", "admin")),
    Page("training", f"{PREFIX}/training", "Training", ("agent", "supervisor", "qa", "admin")),
)
HOME = {"agent": "agent", "supervisor": "board", "qa": "records", "admin": "board"}


def add_pages(app: FastAPI) -> None:
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
    )
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")

    def render(request: Request, template: str, page: Page | None, **context: Any) -> HTMLResponse:
        body = templates.get_template(template).render(
            page=page,
            pages=PAGES,
            pages_json=json.dumps({p.name: {"path": p.path, "roles": p.roles} for p in PAGES}),
            home_json=json.dumps(HOME),
            prefix=PREFIX,
            **context,
        )
        return HTMLResponse(body, headers=_security_headers(request))

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/login")

    @app.get(PREFIX, include_in_schema=False)
    @app.get(f"{PREFIX}/", include_in_schema=False)
    def console_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/login")

    @app.get(f"{PREFIX}/login", include_in_schema=False)
    def login(request: Request) -> HTMLResponse:
        return render(request, "login.html.j2", None)

    by_name = {p.name: p for p in PAGES}

    @app.get(f"{PREFIX}/agent", include_in_schema=False)
    def agent_start(request: Request) -> HTMLResponse:
        return render(request, "agent_start.html.j2", by_name["agent"])

    @app.get(f"{PREFIX}/agent/{{conversation_id}}", include_in_schema=False)
    def agent_panel(request: Request, conversation_id: str) -> HTMLResponse:
        return render(request, "agent.html.j2", by_name["agent"], conversation_id=conversation_id)

    for name in ("board", "records", "playbook", "training"):
        _page_route(app, by_name[name], render)

    @app.get(f"{PREFIX}/whoami", include_in_schema=False)
    def whoami(actor: CurrentActor, db: SessionDep) -> dict[str, Any]:
        """The key's role and tenant, so the console shows that role's pages."""
        tenant = tenant_by_id(db, actor.tenant_id)
        name = tenant.name if tenant else ""
        return {"role": actor.role, "tenant": name, "home": by_name[HOME[actor.role]].path}

    @app.get(f"{PREFIX}/board-head", include_in_schema=False)
    def board_stream_head(actor: ReviewerActor, db: SessionDep) -> dict[str, int]:
        """The supervisor stream's latest sequence number: the board lists, then follows from here."""
        return {"seq": board_head(db, actor.tenant_id)}


def _page_route(app: FastAPI, page: Page, render: Callable[..., HTMLResponse]) -> None:
    template = f"{page.name}.html.j2"

    @app.get(page.path, include_in_schema=False, name=f"console-{page.name}")
    def show(request: Request) -> HTMLResponse:
        return render(request, template, page)


def _security_headers(request: Request) -> dict[str, str]:
    # Everything the console loads comes from this server: the policy makes a stray external asset fail loudly.
    host = request.headers.get("host", "")
    sockets = f" ws://{host} wss://{host}" if HOST.fullmatch(host) else ""
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self'"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
