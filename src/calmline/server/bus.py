"""Fan-out of stored events to this worker's WebSocket clients, in-process or through Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from queue import SimpleQueue
from typing import Any

log = logging.getLogger("calmline.server")

Message = dict[str, Any]
QUEUE_SIZE = 1000
CHANNEL = "calmline:events:"
PUBLISH_TIMEOUT = 5.0  # seconds a Redis call may take before its event is delivered in this worker only


class LocalBus:
    """Delivers within one process. ``publish`` may be called from any thread."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def stop(self) -> None:
        self._loop = None

    def publish(self, tenant_id: str, message: Message) -> None:
        self._deliver_threadsafe(tenant_id, message)

    def _deliver_threadsafe(self, tenant_id: str, message: Message) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._deliver, tenant_id, message)

    def _deliver(self, tenant_id: str, message: Message) -> None:
        # Keyed by stream: a turn wakes only its own conversation's clients, not every client of the tenant.
        for queue in list(self._subscribers.get(message.get("stream", ""), ())):
            with contextlib.suppress(asyncio.QueueFull):
                # A slow client misses live events; it sees the gap in sequence numbers and reads them back.
                queue.put_nowait(message)

    @contextlib.contextmanager
    def subscribe(self, stream: str) -> Iterator[asyncio.Queue[Message]]:
        """Live events of one stream (its name says its tenant or conversation)."""
        queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.setdefault(stream, set()).add(queue)
        try:
            yield queue
        finally:
            subscribers = self._subscribers.get(stream, set())
            subscribers.discard(queue)
            if not subscribers:
                self._subscribers.pop(stream, None)

    @property
    def client_count(self) -> int:
        return sum(len(queues) for queues in self._subscribers.values())


class RedisBus(LocalBus):
    """Every worker publishes to Redis and delivers what Redis sends back, so a client sees every worker's events."""

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        self._publisher = redis.Redis.from_url(url, socket_timeout=PUBLISH_TIMEOUT)
        self._task: asyncio.Task[None] | None = None
        # Turns are answered on the event loop: publishing there would stall every client while Redis is
        # slow. One thread publishes instead, in the order events were stored.
        self._outbox: SimpleQueue[tuple[str, Message] | None] = SimpleQueue()
        self._sender = threading.Thread(target=self._send_forever, name="redis-publisher", daemon=True)

    async def start(self) -> None:
        await super().start()
        self._sender.start()
        self._task = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._outbox.put(None)
        await asyncio.to_thread(self._sender.join, PUBLISH_TIMEOUT)
        self._publisher.close()
        await super().stop()

    def publish(self, tenant_id: str, message: Message) -> None:
        """Queue ``message`` for Redis; returns at once, from any thread."""
        self._outbox.put((tenant_id, message))

    def _send_forever(self) -> None:
        while (item := self._outbox.get()) is not None:
            tenant_id, message = item
            try:
                self._publisher.publish(CHANNEL + tenant_id, json.dumps(message))
            except Exception as exc:  # Redis down: the events are stored; clients catch up on reconnect
                log.warning("redis publish failed (%s); delivering in this worker only", type(exc).__name__)
                self._deliver_threadsafe(tenant_id, message)

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            try:
                client = aioredis.Redis.from_url(self.url)
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL + "*")
                    async for item in pubsub.listen():
                        if item["type"] == "pmessage":
                            tenant_id = item["channel"].decode()[len(CHANNEL) :]
                            self._deliver(tenant_id, json.loads(item["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("redis subscription lost (%s); retrying in 1 s", type(exc).__name__)
                await asyncio.sleep(1)


def make_bus(redis_url: str | None) -> LocalBus:
    return RedisBus(redis_url) if redis_url else LocalBus()
