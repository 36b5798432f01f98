"""Rows a tenant owns, found by id: another tenant's row reads as missing."""

from __future__ import annotations

from typing import Protocol, TypeVar

from calmline.storage.database import DbSession


class _Owned(Protocol):
    @property
    def tenant_id(self) -> str: ...


Row = TypeVar("Row", bound=_Owned)


def tenant_row(db: DbSession, table: type[Row], tenant_id: str, row_id: str) -> Row | None:
    """The row of ``table`` with primary key ``row_id`` if it is ``tenant_id``'s; another tenant's is None,
    exactly as a missing one, so that a caller cannot tell whether another tenant's id exists."""
    row = db.get(table, row_id)
    return row if row is not None and row.tenant_id == tenant_id else None
