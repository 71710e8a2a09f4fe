"""An in-process event bus with the broker's semantics, for the embedded mode and fast tests.

Topic routing with ``*`` and ``#``, unroutable publishes raise, every delivery goes through the same
:func:`shared.messaging.deliver` rule as the broker path, rejected events land in the queue's ``.dead``
twin, and requeues count towards the delivery limit. Bodies are serialised and parsed again, so
nothing can pass here that would not pass through RabbitMQ. Closing is bounded as on the broker
path: retries end at once, and handlers still running after ``close_grace`` seconds are cancelled.
A publish here never waits for a broker, so there is no confirm breaker and no consumer share.

``published`` holds the most recent events published (``keep_published``, 1000 by default), for tests
that look at what a service published; older ones are dropped, so a long embedded run does not grow.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

import structlog

from shared.contracts import Event
from shared.messaging import (
    DEAD_SUFFIX,
    QUEUES,
    DeadLetter,
    Handler,
    PublishError,
    Retry,
    Unroutable,
    deliver,
)
from shared.metrics import count_published

log = structlog.get_logger(__name__)


@dataclass
class _Message:
    body: bytes
    type: str
    message_id: str
    routing_key: str
    deliveries: int = 0
    reason: str | None = None


@dataclass
class _Queue:
    name: str
    bindings: tuple[str, ...]
    ready: deque[_Message] = field(default_factory=deque)
    dead: deque[_Message] = field(default_factory=deque)
    in_flight: int = 0
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


def topic_matches(binding: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is exactly one word, ``#`` zero or more."""
    return _match(binding.split("."), key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _match(rest, words[1:])


class MemoryBus:
    """Implements :class:`shared.messaging.Bus` in memory."""

    def __init__(
        self,
        *,
        namespace: str = "",
        prefetch: int = 128,
        delivery_limit: int = 20,
        retry: Retry | None = None,
        close_grace: float = 5.0,
        keep_published: int = 1000,
    ) -> None:
        self._queues = {name: _Queue(name, keys) for name, keys in QUEUES.items()}
        self._prefetch = prefetch
        self._delivery_limit = delivery_limit
        self._retry = retry or Retry()
        self._tasks: list[asyncio.Task[None]] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._open = False
        self._stopping = asyncio.Event()
        self._close_grace = close_grace
        self.published: list[Event] = []
        self._keep_published = keep_published

    async def start(self) -> None:
        self._open = True
        self._stopping.clear()

    async def close(self) -> None:
        """Stop consuming, end retries, let handlers in flight finish (and publish) within the grace."""
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._handlers:
            _, late = await asyncio.wait(set(self._handlers), timeout=self._close_grace)
            for task in late:
                task.cancel()
            if late:
                log.warning("handlers_still_running_at_close", count=len(late))
                await asyncio.gather(*late, return_exceptions=True)
        self._open = False

    def is_ready(self) -> bool:
        return self._open

    async def publish(self, event: Event) -> None:
        if not self._open:
            raise PublishError("bus is closed")
        key = event.routing_key()
        targets = [q for q in self._queues.values() if any(topic_matches(b, key) for b in q.bindings)]
        if not targets:
            raise Unroutable(f"no queue bound for {key}")
        body = event.to_json()
        for queue in targets:
            queue.ready.append(_Message(body, event.type, str(event.id), key))
            queue.wakeup.set()
        self.published.append(event)
        if len(self.published) > 2 * self._keep_published:  # trimmed in halves: amortised O(1)
            del self.published[: len(self.published) - self._keep_published]
        count_published(event.type)

    async def consume(self, queue: str, handler: Handler) -> None:
        self._tasks.append(
            asyncio.create_task(self._pump(self._queues[queue], handler), name=f"consume:{queue}")
        )

    async def _pump(self, queue: _Queue, handler: Handler) -> None:
        slots = asyncio.Semaphore(self._prefetch)
        while True:
            while not queue.ready:
                queue.wakeup.clear()
                await queue.wakeup.wait()
            await slots.acquire()
            message = queue.ready.popleft()
            message.deliveries += 1
            queue.in_flight += 1
            task = asyncio.create_task(self._handle(queue, message, handler, slots))
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)

    async def _handle(
        self, queue: _Queue, message: _Message, handler: Handler, slots: asyncio.Semaphore
    ) -> None:
        try:
            outcome = await deliver(message.body, message.type, handler, self._retry, self._stopping)
            if outcome == "reject":
                message.reason = "rejected"
                queue.dead.append(message)
            elif outcome == "requeue":
                if message.deliveries >= self._delivery_limit:
                    message.reason = "delivery_limit"
                    queue.dead.append(message)
                else:
                    queue.ready.append(message)
                    queue.wakeup.set()
        finally:
            queue.in_flight -= 1
            slots.release()

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        return [
            DeadLetter(m.message_id, m.type, len(m.body), m.reason)
            for m in list(self._queues[queue.removesuffix(DEAD_SUFFIX)].dead)[:limit]
        ]

    async def replay(self, queue: str, limit: int | None = None) -> int:
        q = self._queues[queue.removesuffix(DEAD_SUFFIX)]
        moved = 0
        while q.dead and (limit is None or moved < limit):
            message = q.dead.popleft()
            message.deliveries, message.reason = 0, None
            q.ready.append(message)
            moved += 1
        q.wakeup.set()
        return moved

    def inject(self, queue: str, body: bytes, type_name: str = "") -> None:
        """Put raw bytes on a queue, as a misbehaving producer would (tests, fuzzing)."""
        q = self._queues[queue]
        q.ready.append(_Message(body, type_name, "", ""))
        q.wakeup.set()

    async def drain(self) -> None:
        """Wait until every queue is empty and no handler runs (tests and the demo use it).

        Idleness spans every queue and handler at once, so a short poll is simpler than events.
        """
        while any(q.ready or q.in_flight for q in self._queues.values()) or self._handlers:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
