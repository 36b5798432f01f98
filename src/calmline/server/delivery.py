"""Webhook delivery: sends the outbox with an HMAC-SHA256 signature, retrying with backoff until delivered."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.concurrency import run_in_threadpool

from calmline.engine.redact import redact_json
from calmline.errors import InputError
from calmline.storage.database import transaction
from calmline.storage.webhooks import claim_due, mark_delivered, mark_failed_attempt

log = logging.getLogger("calmline.server")

SIGNATURE_HEADER = "X-Calmline-Signature"


def webhook_secret(server_key: bytes, webhook_id: str) -> str:
    """The signing secret of one webhook, derived from the server key (never stored)."""
    return hmac.new(server_key, f"webhook:{webhook_id}".encode(), hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp.body``, so a receiver can refuse replays of old deliveries."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def check_url(url: str, allow_private: bool) -> str:
    """Refuse webhook URLs that are not http(s) or that point into the server's own network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("a webhook URL must be http:// or https:// with a host")
    if allow_private:
        return url
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except socket.gaierror:
        raise InputError(f"webhook host {parts.hostname!r} does not resolve") from None
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            raise InputError("webhook URLs may not point at private or loopback addresses")
    return url


class Deliverer:
    """A background loop in each worker; the outbox's leases keep two workers from sending one event twice."""

    def __init__(self, database_url: str, server_key: bytes, poll_seconds: float = 1.0) -> None:
        self.database_url = database_url
        self.server_key = server_key
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Send what is due now rather than at the next poll; callable from any thread."""
        if self._loop is not None:  # before it runs, its first pass sends everything due anyway
            # An asyncio.Event is not thread-safe: it is set by its own loop, whoever asks.
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(timeout=10.0, follow_redirects=False) as client:
            while True:
                try:
                    sent = await self.deliver_due(client)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database may be away for a moment; try again later
                    log.warning("webhook delivery pass failed: %s", type(exc).__name__)
                    sent = 0
                if not sent:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        def claim() -> list[tuple[int, int, str, str, str, dict[str, Any], str]]:
            with transaction(self.database_url) as db:
                return [
                    (row.id, row.attempts, row.webhook_id, row.event_key, row.event_type, row.payload, url)
                    for row, url in claim_due(db)
                ]

        batch = await run_in_threadpool(claim)
        await asyncio.gather(*(self._send(client, *item) for item in batch))
        return len(batch)

    async def _send(
        self,
        client: httpx.AsyncClient,
        outbox_id: int,
        attempts: int,
        webhook_id: str,
        key: str,
        kind: str,
        payload: dict[str, Any],
        url: str,
    ) -> None:
        body = json.dumps({"type": kind, "id": key, "data": redact_json(payload)}).encode()
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": key,
            "X-Calmline-Event": kind,
            "X-Calmline-Timestamp": stamp,
            SIGNATURE_HEADER: sign(webhook_secret(self.server_key, webhook_id), stamp, body),
        }
        try:
            response = await client.post(url, content=body, headers=headers)
            error = None if response.is_success else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        await run_in_threadpool(self._settle, outbox_id, attempts, error)

    def _settle(self, outbox_id: int, attempts: int, error: str | None) -> None:
        with transaction(self.database_url) as db:
            if error is None:
                mark_delivered(db, outbox_id)
            else:
                mark_failed_attempt(db, outbox_id, attempts, error)
