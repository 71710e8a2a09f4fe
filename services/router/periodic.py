"""The router's periodic work: close unanswered resolutions, publish events stranded in outboxes.

Safe with several replicas: every change is a write at the version read, and a stranded event
published twice keeps its id, so downstream drops the copy. :func:`tick` is one pass; the
composition root binds its dependencies and runs it every ``sweep_interval``; tests call the bound
pass directly with a fake clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial

import structlog

from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.errors import ChangedConcurrently
from services.router.outbox import Outbox
from shared.messaging import PublishError
from shared.runtime import Clock
from shared.store import PyMongoError, to_ms

log = structlog.get_logger(__name__)

# An outbox older than this was left behind by a request or delivery that never came back.
STALE_AFTER = timedelta(seconds=60)
Tick = Callable[[], Awaitable[dict[str, int]]]


async def close_unanswered(cases: CaseStore, outbox: Outbox, clock: Clock, window: timedelta) -> int:
    """Close resolutions the worker left unanswered for ``window`` (``resolved_unconfirmed``).

    Several replicas may run this at once: each closure is a write at the version read, and its
    action id is derived from the moment of the resolution, so exactly one of them closes each case.
    """
    at = clock()
    cutoff, now = at - window, to_ms(at)
    close = partial(Case.close_unconfirmed, resolved_before=cutoff, now=now)
    closed = 0
    for case_id in await cases.unanswered_resolutions(cutoff):
        try:
            closed += (await outbox.apply(case_id, close, publish_waiting=False)).changed
        except ChangedConcurrently:
            log.info("resolution_close_deferred", case_id=case_id)  # the next pass tries again
    return closed


async def tick(
    *, cases: CaseStore, outbox: Outbox, clock: Clock, confirmation_window: timedelta
) -> dict[str, int]:
    """One pass of the periodic work; returns what it did."""
    return {
        "resolutions_closed": await close_unanswered(cases, outbox, clock, confirmation_window),
        "outboxes_flushed": await outbox.flush_stale(clock() - STALE_AFTER),
    }


@contextlib.asynccontextmanager
async def run_periodic(interval: timedelta, one_pass: Tick) -> AsyncIterator[None]:
    """Run ``one_pass`` every ``interval`` (at least a second) while the context is open."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(max(1.0, interval.total_seconds()))
            try:
                done = await one_pass()
                if any(done.values()):
                    log.info("router_periodic", **done)
            except (PublishError, PyMongoError) as exc:
                log.warning("router_periodic_failed", error=exc.__class__.__name__)

    task = asyncio.create_task(loop(), name="router-periodic")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
