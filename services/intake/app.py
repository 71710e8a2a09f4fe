"""Intake's composition root: the public edge where SMS gateways and the web form deliver grievances."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.intake.delivery_reports import twilio_status
from services.intake.outbound import install_outbound
from services.intake.state import INTAKE, Intake
from services.intake.webform import submit_grievance
from services.intake.webhooks import twilio_sms
from shared.runtime import RUNTIME, Runtime, add_runtime_health, attach_runtime
from shared.settings import Settings
from shared.web import new_app


def create_app(settings: Settings, runtime: Runtime | None = None) -> web.Application:
    app = new_app("intake")
    attach_runtime(app, settings, runtime)

    async def intake_state(app: web.Application) -> AsyncIterator[None]:
        app[INTAKE] = Intake.build(settings, app[RUNTIME])
        yield

    app.cleanup_ctx.append(intake_state)
    install_outbound(app, settings)
    app.router.add_post("/webhooks/twilio/sms", twilio_sms)
    app.router.add_post("/webhooks/twilio/status", twilio_status)
    app.router.add_post("/api/v1/grievances", submit_grievance)

    add_runtime_health(app)
    return app
