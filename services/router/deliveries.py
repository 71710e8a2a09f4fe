"""The consumer of ``message.delivery`` (queue ``router.deliveries``): where the committees' messages stand.

Intake announces each state a message to a worker reaches (sending, sent, delivered, undelivered,
failed, undeliverable); the router keeps the latest in its own ``message_deliveries``
(:meth:`WorkerStore.fold_delivery`), which the committee's case view reads. Announcements may come
twice or out of order: a later state never gives way to an earlier one, so any order and any number
of redeliveries end in the same record. The delivery is acknowledged once the write is.
"""

from __future__ import annotations

import structlog

from services.router.worker_store import WorkerStore
from shared.contracts import MessageDeliveryChanged
from shared.handlers import Handlers
from shared.runtime import Clock

log = structlog.get_logger(__name__)

QUEUE = "router.deliveries"


class DeliveryConsumer:
    """Folds one ``MessageDeliveryChanged`` at a time into the router's delivery records."""

    def __init__(self, *, workers: WorkerStore, clock: Clock) -> None:
        self._workers, self._clock = workers, clock

    async def __call__(self, event: MessageDeliveryChanged) -> None:
        taken = await self._workers.fold_delivery(event, self._clock())
        log.debug("delivery_folded", outbound_id=str(event.outbound_id), state=event.state, taken=taken)


def handlers(consumer: DeliveryConsumer) -> Handlers:
    """What the router consumes from its queue of delivery states."""
    return Handlers(QUEUE).on(MessageDeliveryChanged, consumer)
