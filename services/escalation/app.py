"""The escalation service's composition root: store indexes, the case consumer, the sweeper, the API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from services.escalation import api, console, consumer, openapi, store, sweeper
from shared import auth
from shared.openapi import add_openapi
from shared.runtime import RUNTIME, RuntimeSource, add_runtime_health, attach_runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import new_app


def create_app(settings: Settings, runtime: RuntimeSource) -> web.Application:
    app = new_app("escalation")
    attach_runtime(app, runtime)

    async def indexes(app: web.Application) -> AsyncIterator[None]:
        await ensure_indexes(app[RUNTIME].db, {**store.INDEXES, **auth.INDEXES})
        yield

    async def consume(app: web.Application) -> AsyncIterator[None]:
        rt = app[RUNTIME]
        await rt.bus.consume(consumer.QUEUE, consumer.handler_for(rt))
        yield

    async def sweep(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(sweeper.run(app[RUNTIME]), name="escalation-sweeper")
        yield
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    app.cleanup_ctx.extend([indexes, consume, sweep])
    api.setup_routes(app)
    console.setup_console(app, settings)
    add_openapi(app, openapi.document())

    add_runtime_health(app)
    return app
