"""The router's transactional outbox: a change and its events are written together, published after.

:meth:`Outbox.apply` runs a case change through the store (state and events in one conditional
write) and then publishes what the case's outbox holds, pulling each event once the broker confirmed
it. A crash or a broker outage between the two leaves the events in the outbox: the retried request
or delivery publishes them (a repeated action changes nothing but still publishes what waits), and
the periodic task publishes whatever is left behind (:meth:`flush_stale`). Event ids are fixed when
the events are recorded, so a second publication is a duplicate downstream drops.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog

from services.router.case import Case, Outcome
from services.router.case_store import CaseStore, Pending, Saved
from shared.messaging import Bus

log = structlog.get_logger(__name__)


class Outbox:
    def __init__(self, cases: CaseStore, bus: Bus) -> None:
        self._cases, self._bus = cases, bus

    async def apply(
        self, case_id: str, change: Callable[[Case], Outcome], *, publish_waiting: bool = True
    ) -> Saved:
        """Change the case (see :meth:`CaseStore.mutate`) and publish its pending events.

        When the change turns out to be done already, what waits in the outbox is published too (a
        retried request completes what an interrupted one left), unless ``publish_waiting`` is
        False: a replica that lost the race to make the change then leaves the winner's events to
        the winner (or to :meth:`flush_stale`) instead of publishing them a second time.

        Raises the change's domain error, :class:`~services.router.errors.ChangedConcurrently`, or
        :class:`~shared.messaging.PublishError` (the change is durable then; its events wait).
        """
        saved = await self._cases.mutate(case_id, change)
        if saved.changed or publish_waiting:
            await self.publish(saved.pending)
        return saved

    async def publish(self, pending: Pending) -> None:
        """Publish a case's pending events in order; raises PublishError and leaves the rest pending."""
        for event in pending.events:
            await self._bus.publish(event)
            await self._cases.pull_outbox(pending.case_id, str(event.id))
            log.info("case_event_published", case_id=pending.case_id, event_type=event.type)

    async def flush_stale(self, before: datetime) -> int:
        """Publish events left in outboxes since ``before`` by requests that never came back; how many
        cases had some."""
        stale = await self._cases.stale_outboxes(before)
        for pending in stale:
            await self.publish(pending)
        return len(stale)
