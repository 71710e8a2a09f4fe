"""Intake's composition root: the public edge where SMS gateways and the web form deliver grievances.

What it runs on comes in as parameters, chosen by :mod:`shared.bootstrap`: ``spool`` when the store
outlives the process (the in-memory store of the embedded run dies with it, so there a grievance the
broker did not confirm is answered 503, as nothing durable holds it), and ``development_channel``
when messages may go to the development channel for want of a provider (the embedded run only).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from services.intake import openapi
from services.intake.cn_sms_routes import install_cn_sms
from services.intake.delivery_reports import twilio_status
from services.intake.form_page import setup_form
from services.intake.outbound import choose_delivery, install_outbound
from services.intake.relay import Relay, RelayPolicy
from services.intake.spool import Spool
from services.intake.state import INTAKE, RATE_COUNTERS, IntakeState
from services.intake.webform import submit_grievance
from services.intake.webhooks import twilio_sms
from services.intake.wechat import wechat_push, wechat_verify
from services.intake.wechat_store import INDEXES as WECHAT_INDEXES
from services.intake.wechat_subscribe import wechat_subscribe, wechat_subscribed
from shared.edge import edge_middlewares
from shared.metrics import METRICS
from shared.openapi import add_openapi
from shared.ratestore import indexes as rate_indexes
from shared.runtime import RUNTIME, RuntimeSource, add_runtime_health, attach_runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import new_app

LABELS = (("service", "intake"),)


def create_app(
    settings: Settings,
    runtime: RuntimeSource,
    *,
    spool: bool = False,
    development_channel: bool = False,
    relay: RelayPolicy | None = None,
) -> web.Application:
    """Intake on ``runtime``; a spool only when asked, the development channel only when allowed."""
    # Behind the proxy, the web form's per-client limit and the bound of requests at once count the
    # client it names.
    app = new_app(
        "intake",
        middlewares=edge_middlewares(settings.trusted_proxy_networks, settings.connections_per_client),
    )
    attach_runtime(app, runtime)

    async def intake_state(app: web.Application) -> AsyncIterator[None]:
        runtime = app[RUNTIME]
        kept = Spool(runtime.db) if spool else None
        if kept is not None:
            await kept.ensure_indexes()
        app[INTAKE] = IntakeState.build(settings, runtime, kept)
        await ensure_indexes(runtime.db, rate_indexes(RATE_COUNTERS))
        if app[INTAKE].wechat is not None:
            await ensure_indexes(runtime.db, WECHAT_INDEXES)
        if kept is None:
            yield
            return
        async with relaying(Relay(kept, runtime.bus, runtime.clock, relay)):
            yield

    app.cleanup_ctx.append(intake_state)
    delivery = choose_delivery(settings, development_channel=development_channel)
    install_outbound(app, settings, delivery)
    app.router.add_post("/webhooks/twilio/sms", twilio_sms)
    app.router.add_post("/webhooks/twilio/status", twilio_status)
    install_cn_sms(app, settings)
    app.router.add_get("/webhooks/wechat", wechat_verify, allow_head=False)
    app.router.add_post("/webhooks/wechat", wechat_push)
    app.router.add_get("/wechat/subscribe", wechat_subscribe, allow_head=False)
    app.router.add_get("/wechat/subscribed", wechat_subscribed, allow_head=False)
    app.router.add_post("/api/v1/grievances", submit_grievance)
    setup_form(app)  # the same filing for people, as an HTML page at /
    add_openapi(app, openapi.document(development=delivery == "dev"))

    # With a spool, a grievance is made durable while the broker is away: a load balancer routing on
    # /readyz must keep sending workers here exactly then.
    add_runtime_health(app, bus_optional=spool)
    return app


@contextlib.asynccontextmanager
async def relaying(relay: Relay) -> AsyncIterator[None]:
    """The relay's task, and the spool's gauges on ``/metrics``, for the application's lifetime."""
    gauges = [
        METRICS.gauge("grievance_intake_spool_depth", LABELS, lambda: relay.depth.entries),
        METRICS.gauge("grievance_intake_spool_oldest_age_seconds", LABELS, relay.oldest_age_seconds),
    ]
    task = asyncio.create_task(relay.run(), name="intake-spool-relay")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for remove in gauges:
            remove()
