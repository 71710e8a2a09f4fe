"""What every service needs from the event bus, independent of RabbitMQ or the in-memory bus.

The topology (design section 5) lives here once. Each service declares all of it at start-up: the
declarations are idempotent, and a publisher with ``mandatory`` then never races a consumer that has
not started yet. The delivery rule (:func:`deliver`) is shared by both buses so that the in-memory
bus acks, dead-letters and retries exactly as the broker path does.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Protocol

import structlog

from shared.contracts import (
    CaseAssigned,
    CaseEscalated,
    CaseUpdated,
    Event,
    GrievanceReceived,
    InvalidEvent,
    MessageDeliveryChanged,
    MessageOutbound,
    parse_event,
)
from shared.metrics import count_handled
from shared.settings import Settings

log = structlog.get_logger(__name__)

EXCHANGE = "grievances"
DEAD_LETTER_EXCHANGE = "grievances.dlx"
DEAD_SUFFIX = ".dead"

# Logical queue name -> routing keys bound to it.
QUEUES: dict[str, tuple[str, ...]] = {
    "router.grievances": (GrievanceReceived.routing_key(),),
    "escalation.cases": (CaseAssigned.routing_key(), CaseUpdated.routing_key()),
    "intake.outbound": (MessageOutbound.routing_key(),),
    # Intake's sender tells the router where each message to a worker stands.
    "router.deliveries": (MessageDeliveryChanged.routing_key(),),
    # Nobody in this codebase consumes escalation notices yet; the queue keeps them (for a week) for
    # an NGO's mail or chat bridge, and gives `mandatory` publishes of case.escalated somewhere to go.
    "notifications.escalations": (CaseEscalated.routing_key(),),
}
NOTIFICATION_TTL_MS = 7 * 24 * 3600 * 1000

Handler = Callable[[Event], Awaitable[None]]
Outcome = Literal["ack", "reject", "requeue"]


class PublishError(RuntimeError):
    """The broker did not confirm the event: not connected, timed out, nacked or unroutable."""


class Unroutable(PublishError):
    """No queue is bound for the event's routing key (a `mandatory` publish came back)."""


class Bus(Protocol):
    """The event bus as the services see it."""

    async def start(self) -> None:
        """Connect (or begin connecting) and declare the topology."""

    async def close(self) -> None:
        """Stop consuming, let handlers in flight finish, disconnect."""

    def is_ready(self) -> bool:
        """True while events can be published."""

    async def publish(self, event: Event) -> None:
        """Return only once the broker has confirmed the event; raise :class:`PublishError` otherwise."""

    async def consume(self, queue: str, handler: Handler) -> None:
        """Deliver the queue's events to ``handler`` until :meth:`close`."""

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        """Events the queue gave up on, oldest first, left in place."""

    async def replay(self, queue: str, limit: int | None = None) -> int:
        """Move dead letters back onto their queue; return how many moved."""


@dataclass(frozen=True)
class DeadLetter:
    """A dead-lettered event, described without its body (which may hold a worker's text)."""

    message_id: str | None
    type: str | None
    size: int
    reason: str | None


class Rejected(Exception):
    """Raised by a handler for an event that no retry can fix; it goes to the dead-letter queue."""


@dataclass(frozen=True)
class Retry:
    """Backoff for handlers failing on infrastructure (store or broker down): retry, never hot-loop.

    A :class:`PublishError` has a smaller budget, spaced wider (``publish_attempts`` attempts from
    ``publish_base``): the bus has already waited a publish timeout for the broker, or knows it is
    not confirming and failed at once (``shared.amqp``), so retrying soon only adds load. After a
    reconnect a prefetch's worth of redeliveries fails together; the jitter spreads their retries.
    """

    attempts: int = 6
    base: float = 0.2
    cap: float = 15.0
    publish_attempts: int = 3
    publish_base: float = 1.0

    def delay(self, attempt: int, *, publishing: bool = False) -> float:
        base = self.publish_base if publishing else self.base
        ceiling: float = min(self.cap, base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy

    def budget(self, *, publishing: bool = False) -> int:
        """How many attempts in all before the message is requeued."""
        return min(self.attempts, self.publish_attempts) if publishing else self.attempts


# Set while a handler runs, so the bus can tell a consumer's publishes from a request's.
_delivering: ContextVar[bool] = ContextVar("delivering", default=False)


def in_delivery() -> bool:
    """True inside a handler that :func:`deliver` runs (and in tasks it starts)."""
    return _delivering.get()


def physical(namespace: str, name: str) -> str:
    return f"{namespace}{name}"


@contextmanager
def _bound_event(event: Event) -> Iterator[None]:
    with structlog.contextvars.bound_contextvars(
        event_id=str(event.id), event_type=event.type, correlation_id=str(event.correlation_id)
    ):
        yield


async def deliver(
    body: bytes, type_name: str | None, handler: Handler, retry: Retry, stopping: asyncio.Event | None = None
) -> Outcome:
    """Run one delivery through ``handler`` and say what to do with the message.

    Invalid payloads are rejected at once; a handler's :class:`Rejected` or :class:`InvalidEvent`
    too. Any other exception is taken for an infrastructure fault: the handler is retried in place
    with backoff (the message stays unacked, so nothing is lost), and after the last attempt the
    message is requeued, which counts towards the queue's delivery limit. Once ``stopping`` is set
    (the bus is closing) a backoff ends at once and the message is requeued: a shutdown does not
    wait out retries, and the next consumer gets the message.
    """
    try:
        event = parse_event(body, type_name)
    except InvalidEvent as exc:
        log.warning("event_rejected", reason=str(exc), size=len(body))
        count_handled("invalid", "reject")
        return "reject"
    outcome = await _handle(event, handler, retry, stopping)
    count_handled(event.type, outcome)
    return outcome


async def _handle(event: Event, handler: Handler, retry: Retry, stopping: asyncio.Event | None) -> Outcome:
    with _bound_event(event):
        attempt = 0
        while True:
            token = _delivering.set(True)
            try:
                await handler(event)
            except (Rejected, InvalidEvent) as exc:
                log.warning("event_rejected", reason=str(exc))
                return "reject"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                publishing = isinstance(exc, PublishError)
                attempt += 1
                log.warning("handler_failed", attempt=attempt, error=exc.__class__.__name__)
                if attempt >= retry.budget(publishing=publishing):
                    log.error("handler_gave_up", attempts=attempt)
                    return "requeue"
                if await _stopped_during(retry.delay(attempt - 1, publishing=publishing), stopping):
                    log.info("handler_retry_stopped", attempts=attempt)
                    return "requeue"
            else:
                return "ack"
            finally:
                _delivering.reset(token)


async def _stopped_during(delay: float, stopping: asyncio.Event | None) -> bool:
    """Sleep ``delay`` seconds; True at once when ``stopping`` is set before that."""
    if stopping is None:
        await asyncio.sleep(delay)
        return False
    try:
        async with asyncio.timeout(delay):
            await stopping.wait()
    except TimeoutError:
        return False
    return True


def open_bus(settings: Settings, retry: Retry | None = None) -> Bus:
    """The bus the settings name: ``memory://`` or an ``amqp://`` broker."""
    retry = retry or Retry()
    if settings.amqp_url == "memory://":
        from shared.memorybus import MemoryBus

        return MemoryBus(
            namespace=settings.amqp_namespace,
            prefetch=settings.amqp_prefetch,
            delivery_limit=settings.amqp_delivery_limit,
            retry=retry,
        )
    if settings.amqp_url.startswith(("amqp://", "amqps://")):
        from shared.amqp import AmqpBus

        return AmqpBus(
            settings.amqp_url,
            namespace=settings.amqp_namespace,
            publish_timeout=settings.amqp_publish_timeout,
            prefetch=settings.amqp_prefetch,
            delivery_limit=settings.amqp_delivery_limit,
            retry=retry,
        )
    raise ValueError("GRIEVANCE_AMQP_URL must be memory:// or amqp(s)://")
