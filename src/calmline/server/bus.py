"""Fan-out of stored events to this worker's WebSocket clients, in-process or through Redis pub/sub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis as AsyncRedis

from calmline.storage.events import Message

log = logging.getLogger("calmline.server")

Publish = Callable[[str, Message], None]  # hands one of a tenant's events to the bus
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
        self.url = url
        # Turns are answered on the event loop, so publishing must never wait there for Redis: events
        # queue here and one task sends them, in order, on an asyncio connection.
        self._outbox: asyncio.Queue[tuple[str, Message]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await super().start()
        self._tasks = [asyncio.create_task(self._send_forever()), asyncio.create_task(self._listen())]

    async def stop(self) -> None:
        # Events still queued are stored: clients read them back when they reconnect.
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await super().stop()

    def publish(self, tenant_id: str, message: Message) -> None:
        """Queue ``message`` for Redis; returns at once, from any thread."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._outbox.put_nowait, (tenant_id, message))

    async def _send_forever(self) -> None:
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url, socket_timeout=PUBLISH_TIMEOUT)
        try:
            while True:
                batch = [await self._outbox.get()]
                while not self._outbox.empty():
                    batch.append(self._outbox.get_nowait())
                await self._send(client, batch)
        finally:
            await client.aclose()

    async def _send(self, client: AsyncRedis, batch: list[tuple[str, Message]]) -> None:
        try:
            async with client.pipeline(transaction=False) as pipe:
                for tenant_id, message in batch:
                    pipe.publish(CHANNEL + tenant_id, json.dumps(message))
                await pipe.execute()
        except Exception as exc:  # Redis down or stuck: the events are stored; clients catch up on reconnect
            log.warning("redis publish failed (%s); delivering in this worker only", type(exc).__name__)
            for tenant_id, message in batch:
                self._deliver(tenant_id, message)

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
