"""The relay: publishes spooled events, oldest first, once the broker confirms again.

One relay runs in each intake process. Every replica relays from the same spool: an entry is taken
with a lease (:meth:`Spool.claim`), so two relays never publish one entry at the same time, and an
entry whose relay died is free again when its lease ends. An entry is deleted only after the broker
confirmed it. Publishing it a second time (a relay that died between the confirm and the delete, a
lease that ran out mid-publish, a late confirm of the request's own publish) is harmless: it is the
same event with the same id, and the router's case upsert is keyed by the grievance id.

While the broker or the store is down, attempts back off exponentially with jitter, so the relay
never hot-loops. Between attempts it still reads the spool's depth every poll interval, which the
``/metrics`` gauges show. It publishes one event at a time and yields between them, so a backlog
never crowds out the publishes of requests that arrive meanwhile. Cancelling :meth:`Relay.run`
stops it at once; an entry it held is free again when its lease ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

import structlog

from services.intake.spool import Depth, Entry, Spool, SpoolUnavailable
from shared.contracts import InvalidEvent, parse_event
from shared.messaging import Bus, PublishError, Retry
from shared.runtime import Clock
from shared.store import PyMongoError

log = structlog.get_logger(__name__)

T = TypeVar("T")
_INFRASTRUCTURE = (PublishError, PyMongoError, SpoolUnavailable, TimeoutError)


@dataclass(frozen=True)
class RelayPolicy:
    """How the relay paces itself."""

    # Longer than any publish can take (the bus bounds each by its publish timeout), so a live
    # relay's claim does not lapse mid-publish; a dead relay's entries wait at most this long.
    lease: timedelta = timedelta(seconds=60)
    # How often the spool is read when there is nothing to do (other replicas spool too).
    poll: float = 2.0
    # Entries published in one pass before the depth is read again.
    batch: int = 100
    # Waits between failed attempts: capped, jittered, exponential.
    backoff: Retry = field(default_factory=lambda: Retry(base=0.5, cap=15.0))
    # Bound on each store call, which would otherwise wait for the driver's own timeouts.
    store_timeout: float = 5.0


class Relay:
    """Publishes the spool's entries through ``bus``; ``depth`` is its latest reading of the spool."""

    def __init__(self, spool: Spool, bus: Bus, clock: Clock, policy: RelayPolicy | None = None) -> None:
        self._spool, self._bus, self._clock = spool, bus, clock
        self._policy = policy or RelayPolicy()
        self.holder = uuid.uuid4().hex  # names this relay's claims
        self.depth = Depth(0, None)
        self._failures = 0
        self._store_reachable = True

    def oldest_age_seconds(self) -> float:
        """Seconds the oldest spooled event has waited, as of now (0 when the spool is empty)."""
        if self.depth.oldest is None or self.depth.entries == 0:
            return 0.0
        return max(0.0, (self._clock() - self.depth.oldest).total_seconds())

    async def run(self) -> None:
        """Relay until cancelled."""
        loop = asyncio.get_running_loop()
        next_attempt = loop.time()
        while True:
            await self._read_depth()
            full_batch = False
            if self.depth.entries and loop.time() >= next_attempt:
                try:
                    full_batch = await self._relay_batch()
                except _INFRASTRUCTURE as exc:
                    next_attempt = loop.time() + self._back_off(exc)
                except Exception:
                    log.exception("spool_relay_failed")
                    next_attempt = loop.time() + self._back_off(None)
                else:
                    self._failures = 0
            if full_batch:
                await asyncio.sleep(0)  # more is waiting: go on, after whatever else is ready to run
                continue
            pause = self._policy.poll * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy
            backing_off = next_attempt - loop.time()
            if self.depth.entries and backing_off > 0:
                pause = min(pause, backing_off)  # look at the spool again while waiting out a failure
            await asyncio.sleep(pause)

    async def _relay_batch(self) -> bool:
        """Publish up to one batch of entries, oldest first; True when the batch was full.

        Raises the first infrastructure error (the entry it was publishing is released first).
        """
        published = 0
        free = await self._bounded(self._spool.free(self._clock(), self._policy.batch))
        try:
            for event_id in free:
                claim = self._spool.claim(event_id, self.holder, self._clock(), self._policy.lease)
                entry = await self._bounded(claim)
                if entry is not None and await self._publish(entry):
                    published += 1
                await asyncio.sleep(0)  # one publish at a time, and never without yielding
        finally:
            if published:
                log.info("spool_relayed", published=published)
        return len(free) == self._policy.batch

    async def _publish(self, entry: Entry) -> bool:
        try:
            event = parse_event(entry.body, entry.type)
        except InvalidEvent as exc:
            # Not this version's event (a newer schema written during a rolling upgrade?). It stays,
            # claimed until its lease ends, for a relay that can read it; nothing is dropped.
            log.error("spooled_event_unreadable", event_id=entry.event_id, reason=str(exc))
            return False
        try:
            await self._bus.publish(event)
        except PublishError:
            with contextlib.suppress(PyMongoError, TimeoutError):  # else the claim lapses with its lease
                await self._bounded(self._spool.release(entry, self.holder, self._clock()))
            raise
        await self._bounded(self._spool.remove(entry))
        log.debug("spooled_event_published", reference=entry.reference, attempts=entry.attempts)
        return True

    async def _read_depth(self) -> None:
        try:
            self.depth = await self._bounded(self._spool.depth())
        except (PyMongoError, TimeoutError) as exc:
            if self._store_reachable:
                log.warning("spool_unreadable", error=exc.__class__.__name__)
            self._store_reachable = False
            return
        if not self._store_reachable:
            log.info("spool_readable", entries=self.depth.entries)
        self._store_reachable = True

    def _back_off(self, error: BaseException | None) -> float:
        delay = self._policy.backoff.delay(min(self._failures, 16))
        self._failures += 1
        log.warning(
            "spool_relay_waiting",
            error=error.__class__.__name__ if error is not None else "unexpected",
            retry_in_s=round(delay, 2),
            entries=self.depth.entries,
        )
        return delay

    async def _bounded(self, call: Awaitable[T]) -> T:
        async with asyncio.timeout(self._policy.store_timeout):
            return await call
