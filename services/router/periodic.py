"""The router's periodic work: close unanswered resolutions, publish events stranded in outboxes.

Safe with several replicas: every change is a conditional update, and a stranded event published
twice keeps its id, so downstream drops the copy. :func:`tick` is one pass; tests call it directly
with a fake clock, the running service calls it every ``sweep_interval``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog

from services.router.dialogue import close_unanswered
from services.router.outbox import flush_stale
from shared.messaging import PublishError
from shared.runtime import Runtime
from shared.store import PyMongoError

log = structlog.get_logger(__name__)


async def tick(runtime: Runtime) -> dict[str, int]:
    """One pass of the periodic work; returns what it did."""
    return {
        "resolutions_closed": await close_unanswered(runtime),
        "outboxes_flushed": await flush_stale(runtime),
    }


@contextlib.asynccontextmanager
async def run_periodic(runtime: Runtime) -> AsyncIterator[None]:
    async def loop() -> None:
        interval = max(1.0, runtime.settings.sweep_interval.total_seconds())
        while True:
            await asyncio.sleep(interval)
            try:
                done = await tick(runtime)
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
