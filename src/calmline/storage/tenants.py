"""Tenants (found by name or id, their settings and playbook) and their API keys: keys are random, shown
once, and stored only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from calmline.errors import InputError
from calmline.storage.events import open_stream, tenant_stream
from calmline.storage.tables import ApiKey, StreamCounter, Tenant, utcnow

KEY_PREFIX = "cl_"
_TENANT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$")


class KeyRole(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    qa = "qa"
    admin = "admin"


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(key.encode()).hexdigest()


def create_tenant(session: Session, name: str) -> tuple[Tenant, str]:
    """A new tenant and its first admin key (the raw key is returned once and never stored)."""
    if not _TENANT_NAME.match(name):
        raise InputError(f"tenant name {name!r}: use 1-100 letters, digits, spaces, '.', '_' or '-'")
    if tenant_named(session, name) is not None:
        raise InputError(f"tenant {name!r} already exists")
    tenant = Tenant(id=str(uuid.uuid4()), name=name, settings={})
    session.add(tenant)
    session.flush()
    open_stream(session, tenant_stream(tenant.id))
    key = create_key(session, tenant, KeyRole.admin, label="first admin key")
    return tenant, key


def find_tenant(session: Session, name: str) -> Tenant:
    tenant = tenant_named(session, name)
    if tenant is None:
        raise InputError(f"no tenant named {name!r} (`calmline tenant create {name}` makes one)")
    return tenant


def create_key(session: Session, tenant: Tenant, role: KeyRole | str, label: str = "") -> str:
    try:
        role = KeyRole(role)
    except ValueError:
        raise InputError(f"unknown role {role!r}; roles: {', '.join(r.value for r in KeyRole)}") from None
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=str(uuid.uuid4()),
            tenant_id=tenant.id,
            role=role.value,
            prefix=raw[:10],
            key_hash=hash_key(raw),
            label=label,
        )
    )
    session.flush()
    return raw


def revoke_key(session: Session, tenant: Tenant, key_or_prefix: str) -> ApiKey:
    """Revoke a key given whole, or by the prefix `calmline key list` shows."""
    candidates = session.scalars(
        select(ApiKey).where(ApiKey.tenant_id == tenant.id, ApiKey.revoked_at.is_(None))
    ).all()
    matches = [k for k in candidates if k.key_hash == hash_key(key_or_prefix) or k.prefix == key_or_prefix]
    if not matches:
        raise InputError(f"tenant {tenant.name!r} has no active key {key_or_prefix[:10]!r}")
    if len(matches) > 1:
        raise InputError(f"prefix {key_or_prefix!r} names {len(matches)} keys; give the whole key")
    matches[0].revoked_at = utcnow()
    return matches[0]


def list_keys(session: Session, tenant: Tenant) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant.id).order_by(ApiKey.created_at))
    )


def authenticate(session: Session, raw: str) -> ApiKey | None:
    """The active key matching ``raw``, or None."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 100:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))
    if key is None or key.revoked_at is not None:
        return None
    return key


def tenant_by_id(session: Session, tenant_id: str) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def key_by_id(session: Session, key_id: str) -> ApiKey | None:
    """The key with this id, revoked or not (None once purged)."""
    return session.get(ApiKey, key_id)


def board_head(session: Session, tenant_id: str) -> int:
    """The latest sequence number on the tenant's stream (0 before its first event)."""
    stream = tenant_stream(tenant_id)
    return session.scalar(select(StreamCounter.seq).where(StreamCounter.stream == stream)) or 0


def tenant_named(session: Session, name: str) -> Tenant | None:
    """The tenant called ``name``, or None (``tenants.find_tenant`` refuses a missing one instead)."""
    return session.scalar(select(Tenant).where(Tenant.name == name))


def chosen_tenant(session: Session, name: str | None) -> Tenant:
    """The tenant called ``name``; without a name, the only tenant there is (a command's --tenant may be
    left out until a second tenant exists)."""
    if name is not None:
        return find_tenant(session, name)
    names = tenant_names(session, limit=2)
    if len(names) != 1:
        raise InputError(
            "no tenant yet: create one with calmline tenant create NAME"
            if not names
            else "there are several tenants: say which with --tenant"
        )
    return find_tenant(session, names[0])


def tenant_names(session: Session, limit: int) -> list[str]:
    """Up to ``limit`` tenants' names (two tell a command whether there is only one to choose)."""
    return list(session.scalars(select(Tenant.name).limit(limit)))


def all_tenants(session: Session) -> Sequence[Tenant]:
    """Every tenant, by name."""
    return session.scalars(select(Tenant).order_by(Tenant.name)).all()


def set_playbook(tenant: Tenant, playbook_yaml: str) -> int:
    """Store the tenant's new playbook; returns its version (one more than the last)."""
    tenant.playbook_yaml = playbook_yaml
    tenant.playbook_version += 1
    return tenant.playbook_version


def update_settings(tenant: Tenant, changes: dict[str, Any]) -> None:
    """Merge ``changes`` into the tenant's settings (a new dict, so the JSON column sees the change)."""
    tenant.settings = {**tenant.settings, **changes}
