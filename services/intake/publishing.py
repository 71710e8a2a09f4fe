"""Publishing a grievance: once per grievance id, confirmed by the broker, or a 503.

Intake answers success only after the broker confirmed the ``grievance.received`` event. Every way
a publish can fail (not connected, no confirm in time, nacked, unroutable) becomes one 503 problem
with ``Retry-After``, within the publish timeout, so a gateway or browser retries instead of
believing a grievance was stored when it was not.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import structlog

from services.intake.singleflight import SingleFlight
from shared.contracts import GrievanceReceived
from shared.ids import reference_for
from shared.messaging import PublishError
from shared.runtime import Runtime
from shared.web import Problem

log = structlog.get_logger(__name__)
# Log lines name a grievance by its reference: unique, short, and what support staff are quoted.

RETRY_AFTER_SECONDS = 5
Build = Callable[[], GrievanceReceived]


class Publisher:
    """Publishes grievances through the runtime's bus, deduplicated by grievance id."""

    def __init__(self, runtime: Runtime, capacity: int = 10_000) -> None:
        self._runtime = runtime
        self._flights: SingleFlight[str] = SingleFlight(capacity)

    async def publish(self, grievance_id: uuid.UUID, build: Build) -> str:
        """Publish the event ``build()`` makes unless this grievance was already published; its reference.

        Raises :class:`Problem` 503 when the broker does not confirm.
        """
        try:
            return await self._flights.run(grievance_id, lambda: self._publish(build))
        except PublishError as exc:
            problem = Problem(
                503,
                "Service Unavailable",
                "the grievance could not be stored just now; please send it again",
            )
            problem.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            log.warning("grievance_publish_failed", reference=reference_for(grievance_id), error=str(exc))
            raise problem from None

    async def _publish(self, build: Build) -> str:
        event = build()
        started = time.perf_counter()
        # The bus bounds every publish by the publish timeout and raises PublishError (Bus contract).
        await self._runtime.bus.publish(event)
        # DEBUG: the access log already has one line per request; a second one halves throughput.
        log.debug(
            "grievance_published",
            reference=event.reference,
            channel=event.channel,
            publish_ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return event.reference
