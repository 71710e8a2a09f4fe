"""What every service needs from the event bus, independent of RabbitMQ or the in-memory bus.

The topology (design section 5) lives here once, with the service that consumes each queue. A
service's process declares the exchanges and its own queues only; the broker's definitions file
declares all of it before any service connects, so a publisher with ``mandatory`` never races a
consumer that has not started yet (``grievance broker-definitions``). The delivery rule (:func:`deliver`) is shared by both buses so that the in-memory
bus acks, dead-letters and retries exactly as the broker path does.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import structlog

from shared.contracts import (
    CaseAssigned,
    CaseCloseRequested,
    CaseDeadlineSoon,
    CaseEscalated,
    CaseMessageRequested,
    CaseTransferRequested,
    CaseUpdated,
    ContactWithdrawn,
    Event,
    GrievanceReceived,
    InvalidEvent,
    MessageDeliveryChanged,
    MessageOutbound,
    parse_event,
)
from shared.log import scrub
from shared.metrics import count_handled

log = structlog.get_logger(__name__)

EXCHANGE = "grievances"
DEAD_LETTER_EXCHANGE = "grievances.dlx"
DEAD_SUFFIX = ".dead"

# Logical queue name -> routing keys bound to it.
QUEUES: dict[str, tuple[str, ...]] = {
    # A withdrawn contact travels with the worker's messages, so it is folded in the order they came.
    "router.grievances": (GrievanceReceived.routing_key(), ContactWithdrawn.routing_key()),
    "escalation.cases": (CaseAssigned.routing_key(), CaseUpdated.routing_key()),
    "intake.outbound": (MessageOutbound.routing_key(),),
    # Intake's sender tells the router where each message to a worker stands.
    "router.deliveries": (MessageDeliveryChanged.routing_key(),),
    # Escalation tells the NGOs (and the committee) of escalations and committees of deadlines drawing
    # near, from queues of their own: a notification that cannot go out never holds up a case.
    "notifications.escalations": (CaseEscalated.routing_key(), CaseDeadlineSoon.routing_key()),
    # The router tells committees of new cases and workers' messages (services/router/notices.py).
    "notifications.cases": (CaseAssigned.routing_key(), CaseUpdated.routing_key()),
    # What the NGO asks of a case (escalation's API); the router owns cases and carries it out.
    "router.ngo": (
        CaseMessageRequested.routing_key(),
        CaseTransferRequested.routing_key(),
        CaseCloseRequested.routing_key(),
    ),
}
NOTIFICATION_TTL_MS = 7 * 24 * 3600 * 1000
# Which service consumes each queue. A service's process declares only these queues and their twins,
# and its broker user may touch no other queue (services/cli/broker.py): declaring a queue with a
# dead-letter exchange needs *read* on it, so declaring another service's queue would mean being
# able to consume it. The whole topology is declared by the broker's definitions file (or by a
# process that runs all three services).
CONSUMERS: dict[str, tuple[str, ...]] = {
    "intake": ("intake.outbound",),
    "router": ("router.grievances", "router.deliveries", "router.ngo", "notifications.cases"),
    "escalation": ("escalation.cases", "notifications.escalations"),
}

PROBE_KEY = "bus.probe"  # bound to no queue: the broker bus's probe is dropped, never delivered
DEAD_ARGUMENTS: dict[str, Any] = {"x-queue-type": "quorum"}


def queue_arguments(namespace: str, queue: str, delivery_limit: int) -> dict[str, Any]:
    """The arguments of a live queue, the same in the bus's declaration and the broker's definitions.

    RabbitMQ refuses to redeclare a queue with other arguments (``PRECONDITION_FAILED``), so these
    must not change for a queue that exists.
    """
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": namespace + DEAD_LETTER_EXCHANGE,
        # Dead letters keep to their own queue's twin even when a key is bound twice.
        "x-dead-letter-routing-key": namespace + queue,
        "x-delivery-limit": delivery_limit,
    }
    if queue.startswith("notifications."):
        arguments["x-message-ttl"] = NOTIFICATION_TTL_MS
    return arguments


Handler = Callable[[Event], Awaitable[None]]
Outcome = Literal["ack", "reject", "requeue"]


class PublishError(RuntimeError):
    """The broker did not confirm the event: not connected, timed out, nacked or unroutable."""


class Unroutable(PublishError):
    """No queue is bound for the event's routing key (a `mandatory` publish came back)."""


class Bus(Protocol):
    """The event bus as the services see it."""

    async def start(self) -> None:
        """Connect (or begin connecting) and declare this process's part of the topology."""

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

    async def dead_letter(self, queue: str, letter_id: str) -> tuple[DeadLetter, bytes] | None:
        """One dead letter and its body (for :func:`shared.deadletters.describe`), left in place."""

    async def replay(self, queue: str, limit: int | None = None, *, force: bool = False) -> Replayed:
        """Move dead letters back onto their queue; without ``force`` only those it would now accept."""

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        """Remove the dead letters with these ids (None: all of them); return how many went."""


@dataclass(frozen=True)
class DeadLetter:
    """A dead-lettered event, described without its body (which may hold a worker's text).

    ``id`` names it for ``grievance dlq show|discard`` and in the log: the id the ``event_rejected``
    line carries when a consumer rejected it, else (the delivery limit, dead-lettered by RabbitMQ)
    the message id, which the ``handler_failed`` lines carry as ``event_id``. ``reason`` is
    ``invalid`` (the payload does not parse), ``rejected`` (the handler refused it) or what the
    broker says (``delivery_limit``, ``expired``); ``error`` is the parse error or the handler's.
    """

    id: str
    message_id: str | None
    type: str | None
    size: int
    reason: str | None
    error: str | None = None
    correlation_id: str | None = None
    dead_lettered_at: str | None = None


@dataclass(frozen=True)
class Refusal:
    """A dead letter replay left where it was, and why it would only come back."""

    id: str
    reason: str


@dataclass(frozen=True)
class Replayed:
    replayed: int
    refused: list[Refusal] = field(default_factory=list)


@dataclass(frozen=True)
class Settlement:
    """What :func:`deliver` decided, and for a rejection why, under the id the log line carries."""

    outcome: Outcome
    reason: Literal["invalid", "rejected"] | None = None
    error: str | None = None
    dead_letter_id: str | None = None


class Rejected(Exception):
    """Raised by a handler for an event that no retry can fix; it goes to the dead-letter queue."""


@dataclass(frozen=True)
class Retry:
    """Backoff for handlers failing on infrastructure (store or broker down): retry, never hot-loop.

    A :class:`PublishError` has a smaller budget, spaced wider (``publish_attempts`` attempts from
    ``publish_base``): the bus has already waited a publish timeout for the broker, or knows it is
    not confirming and failed at once (``shared.amqp``), so retrying soon only adds load. After a
    reconnect a prefetch's worth of redeliveries fails together; the jitter spreads their retries.

    Provider sends and the broker's connection loop retry through tenacity; this dataclass stays
    the rule where the loop is not a plain call to repeat: :func:`deliver` ends a backoff the moment
    the bus closes and settles the message instead, with two budgets chosen by the failure, and
    intake's relay and announcer never stop retrying while they read the spool between attempts.
    There it is a delay and a budget, and the loop stays in sight. ``services.notify.retrying`` and
    its callers take their bounds from it too, so one setting means one thing.
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
) -> Settlement:
    """Run one delivery through ``handler`` and say what to do with the message.

    Invalid payloads are rejected at once; a handler's :class:`Rejected` or :class:`InvalidEvent`
    too. A rejection carries its reason and error and a fresh dead-letter id, which the
    ``event_rejected`` log line carries as well, so the bus can record them with the dead letter.
    Any other exception is taken for an infrastructure fault: the handler is retried in place
    with backoff (the message stays unacked, so nothing is lost), and after the last attempt the
    message is requeued, which counts towards the queue's delivery limit. Once ``stopping`` is set
    (the bus is closing) a backoff ends at once and the message is requeued: a shutdown does not
    wait out retries, and the next consumer gets the message.
    """
    try:
        event = parse_event(body, type_name)
    except InvalidEvent as exc:
        settled = _rejection("invalid", exc)
        log.warning(
            "event_rejected", reason=settled.error, size=len(body), dead_letter_id=settled.dead_letter_id
        )
        count_handled("invalid", "reject")
        return settled
    settled = await _handle(event, handler, retry, stopping)
    count_handled(event.type, settled.outcome)
    return settled


def _rejection(reason: Literal["invalid", "rejected"], error: Exception) -> Settlement:
    # The error is the parse error (field names, never values) or the handler's own words; scrubbed
    # all the same, as a log line would be, and bounded: it travels with the message.
    text = scrub(str(error) or error.__class__.__name__)[:300]
    return Settlement("reject", reason, text, uuid.uuid4().hex[:12])


async def _handle(event: Event, handler: Handler, retry: Retry, stopping: asyncio.Event | None) -> Settlement:
    with _bound_event(event):
        attempt = 0
        while True:
            token = _delivering.set(True)
            try:
                await handler(event)
            except (Rejected, InvalidEvent) as exc:
                settled = _rejection("rejected", exc)
                log.warning("event_rejected", reason=settled.error, dead_letter_id=settled.dead_letter_id)
                return settled
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                publishing = isinstance(exc, PublishError)
                attempt += 1
                log.warning("handler_failed", attempt=attempt, error=exc.__class__.__name__)
                if attempt >= retry.budget(publishing=publishing):
                    log.error("handler_gave_up", attempts=attempt)
                    return Settlement("requeue")
                if await _stopped_during(retry.delay(attempt - 1, publishing=publishing), stopping):
                    log.info("handler_retry_stopped", attempts=attempt)
                    return Settlement("requeue")
            else:
                return Settlement("ack")
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
