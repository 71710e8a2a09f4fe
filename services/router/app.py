"""The router's composition root: store indexes, the grievance consumer, the periodic task, routes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.router import api, store
from services.router.admin import serve_admin
from services.router.consumer import QUEUE, GrievanceConsumer
from services.router.periodic import run_periodic
from services.router.ratelimit import RateLimiter
from shared import auth
from shared.runtime import RUNTIME, Runtime, add_runtime_health, attach_runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import new_app


def create_app(settings: Settings, runtime: Runtime | None = None) -> web.Application:
    app = new_app("router")
    attach_runtime(app, settings, runtime)

    async def indexes(app: web.Application) -> AsyncIterator[None]:
        await ensure_indexes(app[RUNTIME].db, {**store.INDEXES, **auth.INDEXES})
        yield

    async def consumer(app: web.Application) -> AsyncIterator[None]:
        await app[RUNTIME].bus.consume(QUEUE, GrievanceConsumer(app[RUNTIME]))
        yield

    async def periodic(app: web.Application) -> AsyncIterator[None]:
        async with run_periodic(app[RUNTIME]):
            yield

    app.cleanup_ctx.extend(
        [
            indexes,
            consumer,
            periodic,
            serve_admin(settings.admin_host, settings.admin_port, lambda a: a[RUNTIME]),
        ]
    )
    app[api.STATUS_LIMITER] = RateLimiter(settings.status_rate_limit, lambda: app[RUNTIME].clock())
    api.add_routes(app)

    add_runtime_health(app)
    return app
