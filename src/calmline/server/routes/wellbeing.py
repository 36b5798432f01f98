"""Routes of agents' well-being: exposures per shift and the break/debrief suggestions reached."""

from __future__ import annotations

from fastapi import APIRouter

from calmline.server.deps import LedgerDep, QueryTime, ReviewerActor
from calmline.server.models import JsonObject, WellbeingReport

router = APIRouter(prefix="/v1/wellbeing", tags=["wellbeing"])


@router.get("", response_model=WellbeingReport)
def wellbeing(actor: ReviewerActor, ledger: LedgerDep, since: QueryTime | None = None) -> JsonObject:
    """Abuse and crisis exposures per agent per shift, and the break/debrief suggestions reached (P22)."""
    return ledger.wellbeing(actor, since)
