"""Wiring of the outbound side: which channel delivers, the sender's consumer, the announcer of
delivery states, the dev outbox route.

Twilio delivers when an account SID and auth token are configured; otherwise (the embedded run, a
developer's machine) the development channel records messages in ``dev_outbox``. In the embedded
mode with that channel, ``GET /dev/outbox`` lists them, newest first, without phone numbers
(``?reference=XXXXX-XXXXX`` narrows to one case, ``?limit=`` up to 500).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from services.intake import store
from services.intake.announcer import Announcer, announcing
from services.intake.channels.delivery import OutboundChannel
from services.intake.channels.dev import DevChannel
from services.intake.channels.twilio_api import TwilioApi
from services.intake.sender import QUEUE, Sender
from shared.runtime import RUNTIME, Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import Problem, json_response

SENDER = web.AppKey("sender", Sender)
ANNOUNCER = web.AppKey("announcer", Announcer)
_REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


def twilio_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def choose_channel(settings: Settings, runtime: Runtime, session: aiohttp.ClientSession) -> OutboundChannel:
    if twilio_configured(settings) and settings.twilio_auth_token is not None:
        return TwilioApi(
            session,
            api_base=settings.twilio_api_base,
            account_sid=str(settings.twilio_account_sid),
            auth_token=settings.twilio_auth_token.get_secret_value(),
            status_callback=f"{settings.public_base_url.rstrip('/')}/webhooks/twilio/status",
        )
    return DevChannel(runtime.db, runtime.clock)


def install_outbound(app: web.Application, settings: Settings) -> None:
    async def sender(app: web.Application) -> AsyncIterator[None]:
        runtime = app[RUNTIME]
        await ensure_indexes(runtime.db, store.INDEXES)
        async with aiohttp.ClientSession(timeout=SEND_TIMEOUT) as session:
            channel = choose_channel(settings, runtime, session)
            default_from = settings.twilio_from or (
                channel.sender if isinstance(channel, DevChannel) else None
            )
            announcer = app[ANNOUNCER] = Announcer(runtime.db, runtime.bus)
            app[SENDER] = Sender(runtime, channel, default_from, announcer.wake)
            async with announcing(announcer):
                await runtime.bus.consume(QUEUE, app[SENDER].handle)
                yield

    app.cleanup_ctx.append(sender)
    if settings.embedded and not twilio_configured(settings):
        app.router.add_get("/dev/outbox", dev_outbox)


async def dev_outbox(request: web.Request) -> web.Response:
    reference = request.query.get("reference")
    if reference is not None and not _REFERENCE.match(reference):
        raise Problem(422, "Unprocessable Content", "reference is not a case reference")
    limit_text = request.query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 500:
        raise Problem(422, "Unprocessable Content", "limit must be 1..500")
    messages = await store.dev_outbox(request.app[RUNTIME].db, int(limit_text), reference)
    return json_response({"messages": messages})
