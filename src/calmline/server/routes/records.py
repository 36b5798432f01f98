"""Routes of closed conversations' records: list and read them, QA overrides, score aggregates, reports and exports."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from calmline.records.model import Override
from calmline.server.deps import CurrentActor, LedgerDep, QaActor, QueryTime, ReviewerActor
from calmline.server.inputs import OverrideIn
from calmline.server.models import (
    AggregateBody,
    JsonObject,
    RecordPublic,
    RecordResultBody,
    RecordSummary,
    ScorecardBody,
)
from calmline.storage.records import RecordFilter

router = APIRouter(prefix="/v1", tags=["records"])
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@router.get("/records", response_model=list[RecordSummary])
def list_records(
    actor: ReviewerActor,
    ledger: LedgerDep,
    agent: str | None = None,
    team: str | None = None,
    since: QueryTime | None = None,
    until: QueryTime | None = None,
    alert: str | None = Query(None, description="Only conversations that raised this alert kind."),
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[JsonObject]:
    """Closed conversations, newest first: outcome, mood at start and end, score, alerts, commitments."""
    return ledger.records(actor, RecordFilter(agent, team, since, until, alert, limit))


@router.get("/records/{conversation_id}", response_model=RecordPublic)
def get_record(conversation_id: str, actor: CurrentActor, ledger: LedgerDep) -> JsonObject:
    """The record, commitments, scorecard (QA overrides applied) and hand-off note."""
    return ledger.record(actor, conversation_id)


@router.get("/records/{conversation_id}/report.html", response_class=HTMLResponse)
def record_report(conversation_id: str, actor: ReviewerActor, ledger: LedgerDep) -> HTMLResponse:
    """A printable report of one conversation (audited as an export)."""
    return HTMLResponse(ledger.report_html(actor, conversation_id))


@router.post("/records/{conversation_id}/overrides")
def override_item(conversation_id: str, body: OverrideIn, actor: QaActor, ledger: LedgerDep) -> ScorecardBody:
    """A QA reviewer sets one scorecard item (reason required; audited); returns the new scorecard."""
    override = Override(practice=body.practice, status=body.status, reason=body.reason)
    return ledger.override(actor, conversation_id, override)


@router.get("/scorecards/aggregate")
def scorecard_aggregate(
    actor: ReviewerActor,
    ledger: LedgerDep,
    by: Literal["agent", "team"] = "agent",
    since: QueryTime | None = None,
) -> list[AggregateBody]:
    """Mean score and adherence per practice for each agent or team, QA overrides included."""
    return ledger.aggregates(actor, by, since)


@router.get(
    "/exports/{what}.{form}",
    response_model=list[RecordResultBody],
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def export(
    what: Literal["records", "commitments", "scorecards"],
    form: Literal["csv", "json"],
    actor: ReviewerActor,
    ledger: LedgerDep,
) -> Response:
    """Records, commitments or scorecards as CSV or JSON (audited); as JSON, every one is the whole result."""
    body = ledger.export(actor, what, form)
    headers = {"Content-Disposition": f'attachment; filename="calmline-{what}.{form}"'}
    return Response(body, media_type=EXPORT_TYPES[form], headers=headers)
