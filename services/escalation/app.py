"""The escalation service's composition root: store upgrade and indexes, the case consumer, the sweeper,
the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.escalation import (
    api,
    console,
    consumer,
    dashboard,
    notices,
    openapi,
    reminders,
    store,
    sweeper,
    upgrade,
)
from services.notify import directory, ledger
from services.notify.bootstrap import build_notifiers
from services.notify.directory import Directory
from services.notify.ledger import Ledger
from services.notify.settings import NotifySettings
from shared import auth
from shared.edge import edge_middlewares
from shared.openapi import add_openapi
from shared.runtime import RUNTIME, RuntimeSource, add_runtime_health, attach_runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import new_app


def create_app(
    settings: Settings, runtime: RuntimeSource, *, notify: NotifySettings | None = None
) -> web.Application:
    notify_settings = notify or NotifySettings()
    # Behind the proxy, the console's sign-in limit and the bound of requests at once count the client
    # it names.
    app = new_app(
        "escalation",
        middlewares=edge_middlewares(settings.trusted_proxy_networks, settings.connections_per_client),
    )
    attach_runtime(app, runtime)

    async def indexes(app: web.Application) -> AsyncIterator[None]:
        # Before the indexes: creating them would start an empty case_records beside case_clocks.
        await upgrade.rename_former_records(app[RUNTIME].db)
        await ensure_indexes(
            app[RUNTIME].db,
            {**store.INDEXES, **auth.INDEXES, **directory.INDEXES, **ledger.INDEXES},
        )
        yield

    async def consume(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        await rt.bus.consume(consumer.QUEUE, consumer.handler_for(rt.db, rt.bus, rt.settings.sla, rt.clock))
        yield

    async def sweep(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        task = asyncio.create_task(
            sweeper.run(rt.db, rt.bus, rt.settings.sla, rt.clock, rt.settings.sweep_interval),
            name="escalation-sweeper",
        )
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def notifications(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        async with aiohttp.ClientSession() as session:
            told = notices.EscalationNotices(
                db=rt.db,
                directory=Directory(rt.db),
                ledger=Ledger(rt.db, rt.clock),
                notifiers=build_notifiers(notify_settings, session),
            )
            await rt.bus.consume(notices.QUEUE, notices.handlers(told))
            task = asyncio.create_task(
                reminders.run(
                    rt.db,
                    rt.bus,
                    rt.settings.sla,
                    rt.clock,
                    rt.settings.sweep_interval,
                    notify_settings.notify_remind_at,
                ),
                name="escalation-reminders",
            )
            yield
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.extend([indexes, consume, sweep, notifications])
    api.setup_routes(app)
    console.setup_console(app, settings)  # before the dashboard: the console sets up the page kit
    dashboard.setup_dashboard(app)
    add_openapi(app, openapi.document())

    add_runtime_health(app)
    return app
