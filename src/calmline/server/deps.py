"""What routes depend on: the calling key's actor, admitted by role, and the server's parts on ``app.state``.

Each role check is written here once; the API's routes, its streams and the console's look-ups use
these. Admin keys pass every check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends
from pydantic import AfterValidator
from starlette.requests import HTTPConnection

from calmline.server.delivery import Deliverer
from calmline.server.ledger import Ledger
from calmline.server.roleplay_service import RoleplayService
from calmline.server.security import require
from calmline.server.service import Actor, LiveService
from calmline.server.settings import Settings
from calmline.storage.database import DbSession, transaction

ANY_ROLE = ("agent", "supervisor", "qa")
AGENTS = ("agent", "supervisor")
REVIEWERS = ("supervisor", "qa")

CurrentActor = Annotated[Actor, Depends(require(*ANY_ROLE))]
AgentActor = Annotated[Actor, Depends(require(*AGENTS))]
ReviewerActor = Annotated[Actor, Depends(require(*REVIEWERS))]
SupervisorActor = Annotated[Actor, Depends(require("supervisor"))]
QaActor = Annotated[Actor, Depends(require("qa"))]
AdminActor = Annotated[Actor, Depends(require())]


def _state(name: str) -> Callable[[HTTPConnection], Awaitable[Any]]:
    # Async: FastAPI runs a plain function dependency in a worker thread, and a turn on the event loop
    # must not pay a thread hop to look up an attribute.
    async def part(connection: HTTPConnection) -> Any:
        return getattr(connection.app.state, name)

    return part


SettingsDep = Annotated[Settings, Depends(_state("settings"))]
ServiceDep = Annotated[LiveService, Depends(_state("service"))]
LedgerDep = Annotated[Ledger, Depends(_state("ledger"))]
RoleplayDep = Annotated[RoleplayService, Depends(_state("roleplay"))]
DelivererDep = Annotated[Deliverer, Depends(_state("deliverer"))]
ServerKeyDep = Annotated[bytes, Depends(_state("server_key"))]


def _session(connection: HTTPConnection) -> Iterator[DbSession]:
    settings: Settings = connection.app.state.settings
    with transaction(settings.database_url) as db:
        yield db


# Scope "function": the transaction commits before the response goes out, so a failed commit is an error
# response, never a success for something not stored.
SessionDep = Annotated[DbSession, Depends(_session, scope="function")]


def _naive_is_utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


QueryTime = Annotated[datetime, AfterValidator(_naive_is_utc)]
"""A time in a query string: ISO 8601, UTC when it gives no offset."""
