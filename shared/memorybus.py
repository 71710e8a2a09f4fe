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
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from shared import deadletters
from shared.contracts import Event
from shared.messaging import (
    DEAD_SUFFIX,
    QUEUES,
    DeadLetter,
    Handler,
    PublishError,
    Refusal,
    Replayed,
    Retry,
    Settlement,
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
    correlation_id: str | None = None
    deliveries: int = 0
    # Set when the message goes to the twin: what a RabbitMQ dead letter's headers would say.
    letter: DeadLetter | None = None


@dataclass
class _Queue:
    name: str
    bindings: tuple[str, ...]
    ready: deque[_Message] = field(default_factory=deque)
    dead: deque[_Message] = field(default_factory=deque)
    in_flight: int = 0
    consumed: bool = False
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
            queue.ready.append(_Message(body, event.type, str(event.id), key, str(event.correlation_id)))
            queue.wakeup.set()
        self.published.append(event)
        if len(self.published) > 2 * self._keep_published:  # trimmed in halves: amortised O(1)
            del self.published[: len(self.published) - self._keep_published]
        count_published(event.type)

    async def consume(self, queue: str, handler: Handler) -> None:
        self._queues[queue].consumed = True
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
            settled = await deliver(message.body, message.type, handler, self._retry, self._stopping)
            if settled.outcome == "reject":
                self._dead_letter(queue, message, settled)
            elif settled.outcome == "requeue":
                if message.deliveries >= self._delivery_limit:
                    self._dead_letter(queue, message, Settlement("requeue"))
                else:
                    queue.ready.append(message)
                    queue.wakeup.set()
        finally:
            queue.in_flight -= 1
            slots.release()

    def _dead_letter(self, queue: _Queue, message: _Message, settled: Settlement) -> None:
        """To the twin, with what the broker path records: the consumer's reason, or the limit's."""
        message.letter = DeadLetter(
            id=deadletters.letter_id(settled.dead_letter_id, message.message_id or None, message.body),
            message_id=message.message_id or None,
            type=message.type or None,
            size=len(message.body),
            reason=settled.reason or "delivery_limit",
            error=settled.error,
            correlation_id=message.correlation_id,
            dead_lettered_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        queue.dead.append(message)

    def _twin(self, queue: str) -> _Queue:
        return self._queues[queue.removesuffix(DEAD_SUFFIX)]

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        return [m.letter for m in list(self._twin(queue).dead)[:limit] if m.letter is not None]

    async def dead_letter(self, queue: str, letter_id: str) -> tuple[DeadLetter, bytes] | None:
        for message in self._twin(queue).dead:
            if message.letter is not None and message.letter.id == letter_id:
                return message.letter, message.body
        return None

    async def replay(self, queue: str, limit: int | None = None, *, force: bool = False) -> Replayed:
        q = self._twin(queue)
        moved, refused, kept = 0, [], deque[_Message]()
        while q.dead and (limit is None or moved < limit):
            message = q.dead.popleft()
            why = deadletters.refusal(q.name, message.body, message.type)
            if why is not None and not force:
                assert message.letter is not None  # every message in a twin has one
                refused.append(Refusal(message.letter.id, why))
                kept.append(message)
                continue
            message.deliveries, message.letter = 0, None
            q.ready.append(message)
            moved += 1
        q.dead.extendleft(reversed(kept))  # what stays keeps its place, ahead of the rest
        q.wakeup.set()
        return Replayed(moved, refused)

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        q = self._twin(queue)
        wanted = None if letter_ids is None else set(letter_ids)
        kept = deque(
            m for m in q.dead if wanted is not None and m.letter is not None and m.letter.id not in wanted
        )
        gone = len(q.dead) - len(kept)
        q.dead = kept
        return gone

    def inject(self, queue: str, body: bytes, type_name: str = "") -> None:
        """Put raw bytes on a queue, as a misbehaving producer would (tests, fuzzing)."""
        q = self._queues[queue]
        q.ready.append(_Message(body, type_name, "", ""))
        q.wakeup.set()

    async def drain(self) -> None:
        """Wait until every consumed queue is empty and no handler runs (tests and the demo use it).

        A queue nobody consumes (the router's deliveries in a test of intake alone) keeps what it
        holds, as the broker would, and is not waited for. Idleness spans every queue and handler
        at once, so a short poll is simpler than events.
        """
        while any(q.consumed and (q.ready or q.in_flight) for q in self._queues.values()) or self._handlers:  # noqa: ASYNC110 - see above
            await asyncio.sleep(0.005)
