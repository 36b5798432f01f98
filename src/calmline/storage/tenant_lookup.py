"""Tenants found by name or listed, and the settings and playbook a tenant changes (beside tenants.py, which
creates tenants and keys and finds them by id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from calmline.storage.database import DbSession
from calmline.storage.tables import Tenant


def tenant_named(db: DbSession, name: str) -> Tenant | None:
    """The tenant called ``name``, or None (``tenants.find_tenant`` refuses a missing one instead)."""
    return db.scalar(select(Tenant).where(Tenant.name == name))


def tenant_names(db: DbSession, limit: int) -> list[str]:
    """Up to ``limit`` tenants' names (two tell a command whether there is only one to choose)."""
    return list(db.scalars(select(Tenant.name).limit(limit)))


def all_tenants(db: DbSession) -> Sequence[Tenant]:
    """Every tenant, by name."""
    return db.scalars(select(Tenant).order_by(Tenant.name)).all()


def set_playbook(tenant: Tenant, playbook_yaml: str) -> int:
    """Store the tenant's new playbook; returns its version (one more than the last)."""
    tenant.playbook_yaml = playbook_yaml
    tenant.playbook_version += 1
    return tenant.playbook_version


def update_settings(tenant: Tenant, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into the tenant's settings (a new dict, so the JSON column sees the change)."""
    tenant.settings = {**tenant.settings, **changes}
