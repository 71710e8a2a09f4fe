"""The worker wrote again: the WeChat messages waiting for them go now, in order, once each.

A message outside the window with no notice to send waits (``waiting`` in ``outbound_messages``,
the event kept in the record, its contact sealed; :mod:`services.intake.wechat_fallback`). A message of the worker
reopens the window; once the webhook has made that push durable it wakes this flusher for the
worker's reporter key, and the flusher hands each waiting event, oldest first, to the sender as if
the bus had redelivered it. The sender's claim admits one delivery per event: a push WeChat sends
twice, two replicas waking together, or the bus redelivering the original all end in one send. The
quota holds as for any message: past it, the rest go back to waiting, in the same order, for the
next message of the worker.

A sign-in code that waited longer than its life (:data:`~shared.contracts.SIGN_IN_CODE_LIFETIME`)
would open nothing: it is not sent but recorded undeliverable, ``expired``.

The flush runs beside the webhook's answer (WeChat waits 5 s for it), one at a time per worker in a
process. A flush that fails for now (a token, a network error) leaves the message waiting again, as
does a process that dies under it (its claim expires, and the next message of the worker takes it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog
from aiohttp import web

from services.intake import store
from shared.contracts import SIGN_IN_CODE_LIFETIME, MessageOutbound
from shared.privacy import Keys
from shared.runtime import Clock
from shared.store import Database, PyMongoError

log = structlog.get_logger(__name__)

# Why a message that waited for a worker who then unfollowed is undeliverable.
CONTACT_WITHDRAWN = "contact_withdrawn"
# Why a sign-in code that waited past its life is undeliverable.
EXPIRED = "expired"


def expired(event: MessageOutbound, now: datetime) -> bool:
    """Whether a waiting message is of no use any more: a sign-in code older than its life (pure)."""
    return event.purpose == "sign_in_code" and now - event.occurred_at >= SIGN_IN_CODE_LIFETIME


class WaitingMessages:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        clock: Clock,
        deliver: Callable[[MessageOutbound], Awaitable[None]],
        announce: Callable[[], None] = lambda: None,
    ) -> None:
        self._db, self._keys, self._clock = db, keys, clock
        self._deliver, self._announce = deliver, announce
        # One flush at a time per worker; the lock, and how many flushes hold or await it.
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._tasks: set[asyncio.Task[int]] = set()

    def wake(self, reporter_key: str) -> None:
        """The worker wrote: flush their waiting messages soon (the caller does not wait)."""
        task = asyncio.create_task(self.flush(reporter_key), name="wechat-waiting-flush")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def withdrawn(self, reporter_key: str) -> int:
        """The worker unfollowed: what waited for them is undeliverable (``contact_withdrawn``)."""
        stopped = await store.stop_waiting(self._db, reporter_key, self._clock(), CONTACT_WITHDRAWN)
        if stopped:
            self._announce()
        return stopped

    async def flush(self, reporter_key: str) -> int:
        """Hand the worker's waiting messages to the sender, oldest first; how many were handed."""
        lock, users = self._locks.get(reporter_key, (asyncio.Lock(), 0))
        self._locks[reporter_key] = (lock, users + 1)
        try:
            async with lock:
                return await self._flush(reporter_key)
        except PyMongoError as exc:
            log.warning("wechat_waiting_unreadable", error=exc.__class__.__name__)
            return 0
        finally:
            lock, users = self._locks[reporter_key]
            if users == 1:
                del self._locks[reporter_key]
            else:
                self._locks[reporter_key] = (lock, users - 1)

    async def _flush(self, reporter_key: str) -> int:
        handed = 0
        for event_id, body in await store.waiting_for(self._db, reporter_key):
            try:
                event = MessageOutbound.model_validate_json(body)
            except ValueError:
                log.warning("wechat_waiting_unreadable", error="invalid_event")
                continue
            if expired(event, self._clock()):
                if await store.expire_waiting(self._db, event_id, self._clock(), EXPIRED):
                    self._announce()
                    log.info("outbound_undeliverable", reason=EXPIRED, purpose=event.purpose)
                continue
            try:
                await self._deliver(event)
            except Exception as exc:  # any failure: it waits for the next message
                await store.wait_again(self._db, event_id, self._clock())
                self._announce()
                log.warning("wechat_waiting_not_sent", error=exc.__class__.__name__)
                return handed  # the later ones stay behind it, in order
            handed += 1
        return handed

    async def idle(self) -> None:
        """Until every flush under way has ended (tests, and the shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.idle()


WAITING = web.AppKey("wechat_waiting", WaitingMessages)
