"""The adapters a service runs on: settings, bus, store, keys and clock.

Which adapters those are is decided by :mod:`shared.bootstrap`, the only module that opens them. A
service started alone gets an opener and opens its runtime in a cleanup context; the embedded run
opens one and hands it to all three applications, so they share the in-memory bus and store. Tests
hand in a runtime built on fakes (a clock they move, a bus they inspect).
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from shared.contracts import utcnow
from shared.listen import LIMITS, ConnectionLimits, GuardedSite, limits_for, runner_options
from shared.log import configure_logging
from shared.messaging import Bus
from shared.ops import declare_health, start_ops
from shared.privacy import Keys
from shared.settings import Settings
from shared.store import Database, ping
from shared.web import RUNNER_OPTIONS, SERVICE

Clock = Callable[[], datetime]

# A request allocates a few hundred short-lived objects, which reference counting frees at once. At
# Python's default threshold (700) the cycle collector still runs every couple of requests and walks
# the survivors: about 8 % of intake's CPU under load, for cycles that are almost never there.
COLLECT_EVERY = 10_000  # allocations between collections of the youngest generation


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


def run_service(create_app: Callable[[Settings], web.Application], port: int, settings: Settings) -> None:
    """Serve one service until SIGINT/SIGTERM: logging configured once, then the guarded listeners
    (the public port, and the operational one of :mod:`shared.ops`)."""
    configure_logging(settings.log_level, settings.log_format)
    app = prepare_service(create_app, settings)
    limits = limits_for(settings.connections_per_client, settings.trusted_proxy_networks)
    ops = Ops(settings.ops_host, settings.ops_port)
    asyncio.run(serve_until_stopped(app, settings.host, port, limits=limits, ops=ops))


@dataclass(frozen=True)
class Ops:
    """Where the operational endpoints listen (``port`` None: nowhere)."""

    host: str
    port: int | None


def prepare_service(create_app: Callable[[Settings], web.Application], settings: Settings) -> web.Application:
    """The service's application, with the collector tuned once its cleanup contexts have run."""
    app = create_app(settings)
    app.on_startup.append(_tune_collector_once_started)  # after the cleanup contexts opened the runtime
    return app


async def serve_until_stopped(
    app: web.Application,
    host: str,
    port: int,
    *,
    limits: ConnectionLimits = LIMITS,
    stop: asyncio.Event | None = None,
    ops: Ops | None = None,
) -> None:
    """Serve ``app`` through :class:`shared.listen.GuardedSite` (head timeout, per-client bound) until
    SIGINT or SIGTERM (or ``stop``), then shut it down: what ``web.run_app`` does, with our site.
    ``ops``: its operational endpoints too, on their own listener, once the application started."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, **{**RUNNER_OPTIONS, **runner_options(limits)})
    ops_runner: web.AppRunner | None = None
    try:
        await runner.setup()
        if ops is not None:
            ops_runner = await start_ops({app.get(SERVICE, "service"): app}, ops.host, ops.port)
        await GuardedSite(runner, host, port, limits=limits).start()
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        if ops_runner is not None:
            await ops_runner.cleanup()
        await runner.cleanup()


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


def tune_collector() -> None:
    """Collect cycles less often, and stop re-examining what startup built: once everything started.

    Modules, settings, connections and the phone-number metadata live as long as the process;
    frozen, they are no longer walked by every full collection.
    """
    gc.set_threshold(COLLECT_EVERY, *gc.get_threshold()[1:])
    gc.collect()
    gc.freeze()


async def _tune_collector_once_started(_: web.Application) -> None:
    tune_collector()
