"""Routes of the commitment ledger: the promises made to customers, and marking one kept."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from calmline.server.deps import CurrentActor, LedgerDep
from calmline.server.inputs import DoneIn
from calmline.server.models import CommitmentPublic, JsonObject

router = APIRouter(prefix="/v1/commitments", tags=["commitments"])


@router.get("", response_model=list[CommitmentPublic])
def list_commitments(
    actor: CurrentActor,
    ledger: LedgerDep,
    status: Literal["open", "done", "overdue"] | None = None,
    owner: str | None = None,
) -> list[JsonObject]:
    """The commitment ledger, soonest due first; times in the tenant's zone."""
    return ledger.commitments(actor, status, owner)


@router.post("/{commitment_id}/done", response_model=CommitmentPublic)
def commitment_done(commitment_id: str, body: DoneIn, actor: CurrentActor, ledger: LedgerDep) -> JsonObject:
    """Mark a commitment kept, with a note of what was done (audited)."""
    return ledger.commitment_done(actor, commitment_id, body.note)
