"""What the repositories share: the session type, named here so their callers need not import SQLAlchemy,
and the lookup by id that keeps a tenant to its own rows."""

from __future__ import annotations

from typing import Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

# Aliases rather than wrappers: the repositories and GroupCommit hand the SQLAlchemy objects straight through.
DbSession = Session
DuplicateRowError = (
    IntegrityError  # a unique key was taken meanwhile (e.g. a turn id stored by another worker)
)


class _Owned(Protocol):
    @property
    def tenant_id(self) -> str: ...


Row = TypeVar("Row", bound=_Owned)


def tenant_row(db: DbSession, table: type[Row], tenant_id: str, row_id: str) -> Row | None:
    """The row of ``table`` with primary key ``row_id`` if it is ``tenant_id``'s; another tenant's is None,
    exactly as a missing one, so that a caller cannot tell whether another tenant's id exists."""
    row = db.get(table, row_id)
    return row if row is not None and row.tenant_id == tenant_id else None


__all__ = ["DbSession", "DuplicateRowError", "tenant_row"]
