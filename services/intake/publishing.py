"""Making a grievance durable: once per grievance id, confirmed by the broker or kept in the spool.

Intake answers success only once the ``grievance.received`` event is durable. The broker's confirm
is the usual proof. When the broker does not confirm within the publish timeout (any
:class:`PublishError` of the bus: not connected, no confirm in time, nacked, unroutable), the event
goes to the spool, a collection in the store written with write concern majority, and the relay
publishes it later; the answer is the same as after a confirm. Only when neither confirms is the
grievance :class:`NotDurable`, which the views answer with 503.

That 503 does not mean "not stored": a confirm can come after its bound and a write can land after
its timeout, so the grievance may well arrive. Every id is deterministic (the provider's message id,
or the web form's idempotency key and content), so a resend is always safe.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import structlog

from services.intake.singleflight import SingleFlight
from services.intake.spool import Spool, SpoolUnavailable
from shared.contracts import Event, GrievanceReceived
from shared.messaging import Bus, PublishError
from shared.runtime import Clock

log = structlog.get_logger(__name__)
# Log lines name a grievance by its reference: unique, short, and what support staff are quoted.

RETRY_AFTER_SECONDS = 5
Build = Callable[[], GrievanceReceived]
BuildAny = Callable[[], Event]


class NotDurable(Exception):
    """Neither the broker nor the spool confirmed the grievance; it may still arrive."""


class Publisher:
    """Makes grievances durable through the bus, else the spool, deduplicated by grievance id.

    Without a spool (the embedded run, whose store is in memory and so no safer than the process)
    a publish the broker does not confirm is :class:`NotDurable` at once.
    """

    def __init__(self, bus: Bus, clock: Clock, spool: Spool | None = None, capacity: int = 10_000) -> None:
        self._bus, self._clock, self._spool = bus, clock, spool
        self._flights: SingleFlight[str] = SingleFlight(capacity)

    async def publish(self, grievance_id: uuid.UUID, build: Build, *, budget: float | None = None) -> str:
        """Make the event ``build()`` makes durable, unless this grievance already is; its reference.

        ``budget`` (seconds) bounds the wait for the broker's confirm below the bus's own timeout, for
        a provider that gives up sooner (Alibaba waits 700 ms): past it the event is spooled. A
        confirm that comes later makes a second copy, which the router drops by its id.
        Raises :class:`NotDurable` when neither the broker nor the spool confirms.
        """
        return await self._flights.run(grievance_id, lambda: self._publish(build, budget))

    async def publish_event(self, event_id: uuid.UUID, build: BuildAny) -> None:
        """The same for another event a worker's push causes (a withdrawn contact): durable, or NotDurable."""
        await self._flights.run(event_id, lambda: self._publish(build))

    async def _publish(self, build: BuildAny, budget: float | None = None) -> str:
        event = build()
        started = time.perf_counter()
        try:
            # The bus bounds every publish by the publish timeout and raises PublishError (Bus contract).
            async with asyncio.timeout(budget):
                await self._bus.publish(event)
        except PublishError as exc:
            await self._spool_instead(event, exc)
            return _reference(event)
        except TimeoutError:
            within = "in time" if budget is None else f"within {budget:g} s"
            await self._spool_instead(event, PublishError(f"no confirm {within}"))
            return _reference(event)
        # DEBUG: the access log already has one line per request; a second one halves throughput.
        log.debug(
            "grievance_published",
            reference=_reference(event),
            type=event.type,
            publish_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return _reference(event)

    async def _spool_instead(self, event: Event, error: PublishError) -> None:
        reference = _reference(event) or str(event.id)
        if self._spool is None:
            log.warning("grievance_publish_failed", reference=reference, error=str(error))
            raise NotDurable(str(error)) from None
        try:
            await self._spool.put(event, self._clock())
        except SpoolUnavailable as exc:
            log.error("grievance_not_durable", reference=reference, error=str(error), spool_error=str(exc))
            raise NotDurable(str(error)) from None
        # INFO: the bus warns once per incident; a warning per spooled request would bury that line.
        log.info("grievance_spooled", reference=reference, error=str(error))


def _reference(event: Event) -> str:
    """What log lines name the event by: a grievance's reference (other events name no case)."""
    return event.reference if isinstance(event, GrievanceReceived) else ""
