"""Who may call: API keys from the Authorization header, roles per route, and a rate limit per key."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio
from fastapi import HTTPException, Request

from calmline.server.service import Actor
from calmline.storage.database import transaction
from calmline.storage.tables import ApiKey
from calmline.storage.tenants import authenticate, hash_key

AUTH_CACHE_SECONDS = 5.0  # a revoked key stops working within this long
KEY_PARAMETERS = ("key", "api_key", "apikey", "token", "access_token")


@dataclass
class _Cached:
    actor: Actor | None
    until: float


class KeyCheck:
    """Resolves a bearer key to an Actor, caching briefly so each turn does not cost a key lookup."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def remembered(self, raw: str) -> _Cached | None:
        """The answer for ``raw`` if one was looked up recently (its actor is None for a refused key)."""
        return self._remembered(hash_key(raw))

    def _remembered(self, digest: str) -> _Cached | None:
        with self._lock:
            cached = self._cache.get(digest)
        return cached if cached is not None and cached.until > time.monotonic() else None

    def actor(self, raw: str) -> Actor | None:
        digest = hash_key(raw)
        cached = self._remembered(digest)
        if cached is not None:
            return cached.actor
        now = time.monotonic()
        with transaction(self.database_url) as db:
            key: ApiKey | None = authenticate(db, raw)
            actor = Actor(tenant_id=key.tenant_id, key_id=key.id, role=key.role) if key else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = _Cached(actor, now + AUTH_CACHE_SECONDS)
        return actor


class RateLimit:
    """A token bucket per key: ``rate`` requests a second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key_id: str) -> float:
        """0 if the request may go ahead now, else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / self.rate


def bearer_key(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def require(*roles: str) -> Callable[[Request], Awaitable[Actor]]:
    """A dependency admitting keys of ``roles`` (admin is always admitted)."""
    allowed = {*roles, "admin"}

    async def dependency(request: Request) -> Actor:
        if any(name in request.query_params for name in KEY_PARAMETERS):
            raise HTTPException(400, "API keys are accepted only in the Authorization header")
        raw = bearer_key(request.headers.get("authorization"))
        state = request.app.state
        keys: KeyCheck = state.keys
        # Async, so a route on the event loop pays no thread hop: only a key not looked up lately reads the database.
        cached = keys.remembered(raw) if raw else None
        actor: Actor | None
        if cached is not None:
            actor = cached.actor
        else:
            actor = await anyio.to_thread.run_sync(keys.actor, raw) if raw else None
        if actor is None:
            raise HTTPException(401, "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})
        wait = state.rate_limit.retry_after(actor.key_id)
        if wait > 0:
            raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": str(max(1, round(wait)))})
        if actor.role not in allowed:
            raise HTTPException(403, f"a {actor.role} key may not do this")
        return actor

    return dependency
