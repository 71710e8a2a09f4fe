"""The announcer: tells the router where each message to a worker stands (``message.delivery``).

The sender and the delivery-report webhook never publish themselves. Each of their writes to a
message's record that can move its delivery state also marks the record (``announce``), in the same
write (:mod:`services.intake.store`), and wakes the announcer; the announcer publishes the state the
record now shows (:func:`services.intake.delivery_state.delivery_of`) and clears the mark after the
broker confirmed it, unless the record changed meanwhile. So a send is never slowed or failed by
the bus, a publish the broker did not confirm is retried on the next pass (the mark stays), and a
crash between the write and the publish loses nothing: the next pass, of any replica, finds the mark.

Why the record and not a spool or an outbox of its own: the state already lives in the record, and
the mark is written by the same single-document update as the change, which is atomic in MongoDB
without a transaction. Announcing the record's current state rather than each change also collapses
a burst (sending, sent, delivered within a second) into what is true when the bus takes it.

Every replica runs one announcer over the same collection. Two may publish the same state at the
same time: the event id is derived from the message and the state, and the router keeps the highest
state it has seen, so a duplicate changes nothing. Between passes it waits for a wake-up or the poll
interval, whichever comes first (another replica's records are found by polling); after a failure
it backs off with jitter, as the spool's relay does, and never hot-loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import structlog

from services.intake import store
from services.intake.delivery_state import announcement, delivery_of
from shared.messaging import Bus, PublishError, Retry
from shared.store import Database, PyMongoError

log = structlog.get_logger(__name__)

_INFRASTRUCTURE = (PublishError, PyMongoError, TimeoutError)


@dataclass(frozen=True)
class AnnouncerPolicy:
    poll: float = 2.0  # seconds between passes when nobody wakes the announcer
    batch: int = 100  # records per pass before it looks again
    backoff: Retry = field(default_factory=lambda: Retry(base=0.5, cap=15.0))
    store_timeout: float = 5.0  # bound on each store call


class Announcer:
    def __init__(self, db: Database, bus: Bus, policy: AnnouncerPolicy | None = None) -> None:
        self._db, self._bus = db, bus
        self._policy = policy or AnnouncerPolicy()
        self._wakeup = asyncio.Event()
        self._failures = 0

    def wake(self) -> None:
        """A record was marked: look soon. Never blocks and never fails."""
        self._wakeup.set()

    async def run(self) -> None:
        """Announce until cancelled."""
        while True:
            self._wakeup.clear()
            try:
                full = await self.announce_once()
            except _INFRASTRUCTURE as exc:
                await asyncio.sleep(self._back_off(exc))
                continue
            except Exception:
                log.exception("delivery_announce_failed")
                await asyncio.sleep(self._back_off(None))
                continue
            self._failures = 0
            if full:
                await asyncio.sleep(0)
                continue
            pause = self._policy.poll * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(pause):
                    await self._wakeup.wait()

    async def announce_once(self) -> bool:
        """One pass over the marked records; True when the batch was full (more may wait).

        Raises the first infrastructure error; the records not yet announced keep their mark.
        """
        records = await self._bounded(store.to_announce(self._db, self._policy.batch))
        announced = 0
        for record in records:
            announced += await self._announce(record)
            await asyncio.sleep(0)  # a backlog never crowds out the requests that arrive meanwhile
        if announced:
            log.debug("deliveries_announced", count=announced)
        return len(records) == self._policy.batch

    async def _announce(self, record: dict[str, Any]) -> int:
        delivery = delivery_of(record)
        state = delivery.state if delivery is not None else record.get("announced_state")
        published = 0
        if delivery is not None and state != record.get("announced_state"):
            event = announcement(record, delivery)
            await self._bus.publish(event)
            published = 1
            log.debug("delivery_announced", outbound_id=record["event_id"], state=state)
        cleared = store.announced(self._db, record["event_id"], int(record.get("changes") or 0), state)
        await self._bounded(cleared)
        return published

    def _back_off(self, error: BaseException | None) -> float:
        delay = self._policy.backoff.delay(min(self._failures, 16))
        self._failures += 1
        log.warning(
            "delivery_announce_waiting",
            error=error.__class__.__name__ if error is not None else "unexpected",
            retry_in_s=round(delay, 2),
        )
        return delay

    async def _bounded(self, call: Any) -> Any:
        async with asyncio.timeout(self._policy.store_timeout):
            return await call


@contextlib.asynccontextmanager
async def announcing(announcer: Announcer) -> AsyncIterator[None]:
    """The announcer's task for the application's lifetime."""
    task = asyncio.create_task(announcer.run(), name="intake-delivery-announcer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
