"""The adapters a service runs on: settings, bus, store, keys and clock.

Which adapters those are is decided by :mod:`shared.bootstrap`, the only module that opens them. A
service started alone gets an opener and opens its runtime in a cleanup context; the embedded run
opens one and hands it to all three applications, so they share the in-memory bus and store. Tests
hand in a runtime built on fakes (a clock they move, a bus they inspect).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from shared.contracts import utcnow
from shared.messaging import Bus
from shared.ops import declare_health
from shared.privacy import Keys
from shared.settings import Settings
from shared.store import Database, ping

Clock = Callable[[], datetime]


@dataclass
class Runtime:
    settings: Settings
    bus: Bus
    db: Database
    keys: Keys
    clock: Clock = utcnow

    async def db_ready(self) -> bool:
        return await ping(self.db)

    async def bus_ready(self) -> bool:
        return self.bus.is_ready()


RUNTIME = web.AppKey("runtime", Runtime)
# A runtime the application shares, or how to open one of its own when it starts.
RuntimeOpener = Callable[[], AbstractAsyncContextManager[Runtime]]
RuntimeSource = Runtime | RuntimeOpener


def add_runtime_health(app: web.Application, *, bus_optional: bool = False) -> None:
    """The public ``/healthz``, and readiness (the bus and the store, which every service uses) for
    the operational listener's ``/readyz`` (:mod:`shared.ops`).

    ``bus_optional``: the service still does its work while the broker is away (intake with a spool
    makes grievances durable in the store), so only the store decides whether it is ready.
    """

    async def bus_ready() -> bool:
        return await app[RUNTIME].bus_ready()

    async def store_ready() -> bool:
        return await app[RUNTIME].db_ready()

    declare_health(
        app,
        [("bus", bus_ready), ("store", store_ready)],
        (lambda results: results["store"]) if bus_optional else lambda results: all(results.values()),
    )


def attach_runtime(app: web.Application, runtime: RuntimeSource) -> None:
    """Use the given runtime, or open one for the application's lifetime (first cleanup context)."""
    if isinstance(runtime, Runtime):
        app[RUNTIME] = runtime
        return
    opener = runtime

    async def own_runtime(app: web.Application) -> AsyncIterator[None]:
        async with opener() as opened:
            app[RUNTIME] = opened
            yield

    app.cleanup_ctx.append(own_runtime)
