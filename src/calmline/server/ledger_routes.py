"""Routes for records, QA overrides and aggregates, commitments, well-being and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Query
from fastapi.responses import HTMLResponse, Response

from calmline.records.model import Override
from calmline.server.inputs import DoneIn, OverrideIn
from calmline.server.ledger import RecordFilter
from calmline.server.security import require
from calmline.server.service import Actor

READER = require("agent", "supervisor", "qa")
SUPERVISOR_OR_QA = require("supervisor", "qa")
QA = require("qa")
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def add_ledger_routes(app: FastAPI, aware: Any) -> None:
    ledger = app.state.ledger

    @app.get("/v1/records", tags=["records"])
    def list_records(
        actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)],
        agent: str | None = None,
        team: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        alert: str | None = Query(None, description="Only conversations that raised this alert kind."),
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> list[dict[str, Any]]:
        """Closed conversations, newest first: outcome, mood at start and end, score, alerts, commitments."""
        return ledger.records(actor, RecordFilter(agent, team, aware(since), aware(until), alert, limit))

    @app.get("/v1/records/{conversation_id}", tags=["records"])
    def get_record(conversation_id: str, actor: Annotated[Actor, Depends(READER)]) -> dict[str, Any]:
        """The record, commitments, scorecard (QA overrides applied) and hand-off note."""
        return ledger.record(actor, conversation_id)

    @app.get("/v1/records/{conversation_id}/report.html", tags=["records"], response_class=HTMLResponse)
    def record_report(
        conversation_id: str, actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)]
    ) -> HTMLResponse:
        """A printable report of one conversation (audited as an export)."""
        return HTMLResponse(ledger.report_html(actor, conversation_id))

    @app.post("/v1/records/{conversation_id}/overrides", tags=["records"])
    def override_item(
        conversation_id: str, body: OverrideIn, actor: Annotated[Actor, Depends(QA)]
    ) -> dict[str, Any]:
        """A QA reviewer sets one scorecard item (reason required; audited); returns the new scorecard."""
        override = Override(practice=body.practice, status=body.status, reason=body.reason)
        return ledger.override(actor, conversation_id, override)

    @app.get("/v1/scorecards/aggregate", tags=["records"])
    def scorecard_aggregate(
        actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)],
        by: Literal["agent", "team"] = "agent",
        since: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """Mean score and adherence per practice for each agent or team, QA overrides included."""
        return ledger.aggregates(actor, by, aware(since))

    @app.get("/v1/commitments", tags=["commitments"])
    def list_commitments(
        actor: Annotated[Actor, Depends(READER)],
        status: Literal["open", "done", "overdue"] | None = None,
        owner: str | None = None,
    ) -> list[dict[str, Any]]:
        """The commitment ledger, soonest due first; times in the tenant's zone."""
        return ledger.commitments(actor, status, owner)

    @app.post("/v1/commitments/{commitment_id}/done", tags=["commitments"])
    def commitment_done(
        commitment_id: str, body: DoneIn, actor: Annotated[Actor, Depends(READER)]
    ) -> dict[str, Any]:
        """Mark a commitment kept, with a note of what was done (audited)."""
        return ledger.commitment_done(actor, commitment_id, body.note)

    @app.get("/v1/wellbeing", tags=["wellbeing"])
    def wellbeing(
        actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)], since: datetime | None = None
    ) -> dict[str, Any]:
        """Abuse and crisis exposures per agent per shift, and the break/debrief suggestions reached (P22)."""
        return ledger.wellbeing(actor, aware(since))

    @app.get("/v1/exports/{what}.{form}", tags=["records"])
    def export(
        what: Literal["records", "commitments", "scorecards"],
        form: Literal["csv", "json"],
        actor: Annotated[Actor, Depends(SUPERVISOR_OR_QA)],
    ) -> Response:
        """Records, commitments or scorecards as CSV or JSON (audited)."""
        body = ledger.export(actor, what, form)
        headers = {"Content-Disposition": f'attachment; filename="calmline-{what}.{form}"'}
        return Response(body, media_type=EXPORT_TYPES[form], headers=headers)
