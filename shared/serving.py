"""How a service is served alone: its guarded listeners, its operational listener, its signals.

A lone service (``python -m services.X``, ``grievance serve X``) runs :func:`run_service`; the
embedded run serves its three applications through :func:`serve_until_stopped` as well. Once the
application has started, the cycle collector is tuned (:func:`tune_collector`).
"""

from __future__ import annotations

import asyncio
import gc
import signal
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from shared.listen import LIMITS, ConnectionLimits, GuardedSite, limits_for, runner_options
from shared.log import configure_logging
from shared.ops import start_ops
from shared.settings import Settings
from shared.web import RUNNER_OPTIONS, SERVICE

# A request allocates a few hundred short-lived objects, which reference counting frees at once. At
# Python's default threshold (700) the cycle collector still runs every couple of requests and walks
# the survivors: about 8 % of intake's CPU under load, for cycles that are almost never there.
COLLECT_EVERY = 10_000  # allocations between collections of the youngest generation


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
