"""Wiring of the outbound side: which channel delivers, the sender's consumer, the announcer of
delivery states, the dev outbox route.

Twilio delivers when an account SID and auth token are configured. Without them the channel is
*unconfigured*: every ``message.outbound`` is recorded ``undeliverable`` (reason
``channel_unconfigured``), which is what the committee sees for its message, and a warning says which
settings are missing. Only when the bootstrap asks for it (the embedded run, a developer's machine)
does the development channel take the place of a provider: it records messages in ``dev_outbox``, and
``GET /dev/outbox`` lists them, newest first, without phone numbers (``?reference=XXXXX-XXXXX``
narrows to one case, ``?limit=`` up to 500). A deployment never falls back to it: a message recorded
there would look sent to the committee and reach nobody.

WeChat cases are answered through the Official Account's customer-service messages when
``GRIEVANCE_WECHAT_APPID`` and ``GRIEVANCE_WECHAT_APPSECRET`` are set (:mod:`services.intake.wechat_outbound`),
whatever carries SMS; without them a WeChat case's messages are recorded ``channel_unconfigured``.

Outside the 48 h window a template or subscription notice goes instead, or the message waits for the
worker's next message, which the webhook hands to :data:`~services.intake.wechat_waiting.WAITING`.

Alibaba Cloud and Tencent Cloud SMS carry the SMS of the gateway numbers routed to them, and the
replies to workers who wrote through them, once configured (:mod:`services.intake.cn_sms_outbound`);
several SMS providers can be active at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Literal

import aiohttp
import structlog
from aiohttp import web
from pydantic import BaseModel, Field

from services.intake import store
from services.intake.announcer import Announcer, announcing
from services.intake.channels.aliyun_sms import AliyunSms
from services.intake.channels.delivery import OutboundChannel
from services.intake.channels.dev import DevChannel
from services.intake.channels.tencent_sms import TencentSms
from services.intake.channels.twilio_api import TwilioApi
from services.intake.channels.wechat_api import WeChatApi
from services.intake.channels.wechat_token import SharedTokenSource
from services.intake.cn_sms_outbound import AliyunChannel, SmsRoutes, TencentChannel, default_provider
from services.intake.cn_sms_templates import Templates
from services.intake.sender import QUEUE, Sender, handlers
from services.intake.wechat_consents import Consents
from services.intake.wechat_fallback import OutsideWindow
from services.intake.wechat_notice import NoticePolicy
from services.intake.wechat_outbound import WeChatChannel
from services.intake.wechat_store import INDEXES as WECHAT_INDEXES
from services.intake.wechat_store import ServiceWindows, TokenCache
from services.intake.wechat_waiting import WAITING, WaitingMessages
from shared.bodies import validate
from shared.contracts import MessageOutbound, Reference
from shared.privacy import Keys
from shared.runtime import RUNTIME, Clock
from shared.settings import Settings
from shared.store import Database, ensure_indexes
from shared.web import json_response

log = structlog.get_logger(__name__)

# How texts leave: a provider, the development channel (the embedded run only), or not at all.
Delivery = Literal["twilio", "dev", "unconfigured"]
UNCONFIGURED = "channel_unconfigured"
SENDER = web.AppKey("sender", Sender)
ANNOUNCER = web.AppKey("announcer", Announcer)
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15, connect=5)


def twilio_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def choose_delivery(settings: Settings, *, development_channel: bool) -> Delivery:
    """The configured provider; without one the development channel if allowed, else none."""
    if twilio_configured(settings):
        return "twilio"
    return "dev" if development_channel else "unconfigured"


def twilio_channel(settings: Settings, session: aiohttp.ClientSession) -> TwilioApi:
    assert settings.twilio_auth_token is not None and settings.twilio_account_sid is not None
    return TwilioApi(
        session,
        api_base=settings.twilio_api_base,
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value(),
        status_callback=f"{settings.public_base_url.rstrip('/')}/webhooks/twilio/status",
    )


def wechat_configured(settings: Settings) -> bool:
    return bool(settings.wechat_appid and settings.wechat_appsecret)


def wechat_channel(
    settings: Settings, db: Database, keys: Keys, clock: Clock, session: aiohttp.ClientSession
) -> WeChatChannel:
    assert settings.wechat_appid is not None and settings.wechat_appsecret is not None
    tokens = SharedTokenSource(
        session,
        TokenCache(db),
        keys,
        app_id=settings.wechat_appid,
        secret=settings.wechat_appsecret.get_secret_value(),
        api_base=settings.wechat_api_base,
        clock=clock,
    )
    api = WeChatApi(session, tokens, api_base=settings.wechat_api_base)
    policy = NoticePolicy.of(settings)
    outside = OutsideWindow(db, keys, clock, api, policy, Consents(db))
    return WeChatChannel(
        api,
        ServiceWindows(db),
        keys,
        settings.wechat_appid,
        outside,
        quota=policy.window_quota,
    )


def cn_sms_routes(
    settings: Settings, clock: Clock, session: aiohttp.ClientSession, *, default_channel: bool
) -> SmsRoutes | None:
    """The Chinese SMS providers configured, and which one carries what; None without any."""
    channels: dict[str, AliyunChannel | TencentChannel] = {}
    wording, page = settings.sms_template_wording, settings.worker_page_url
    if settings.aliyun_configured:
        assert (
            settings.aliyun_access_key_id and settings.aliyun_access_key_secret and settings.aliyun_sign_name
        )
        channels["aliyun"] = AliyunChannel(
            AliyunSms(
                session,
                access_key_id=settings.aliyun_access_key_id,
                access_key_secret=settings.aliyun_access_key_secret.get_secret_value(),
                sign_name=settings.aliyun_sign_name,
                endpoint=settings.aliyun_api_base,
                clock=clock,
            ),
            Templates(settings.aliyun_templates, page, wording),
        )
    if settings.tencent_configured:
        assert settings.tencent_secret_id and settings.tencent_secret_key
        assert settings.tencent_sms_app_id and settings.tencent_sign_name
        channels["tencent"] = TencentChannel(
            TencentSms(
                session,
                secret_id=settings.tencent_secret_id,
                secret_key=settings.tencent_secret_key.get_secret_value(),
                sdk_app_id=settings.tencent_sms_app_id,
                sign_name=settings.tencent_sign_name,
                region=settings.tencent_region,
                endpoint=settings.tencent_api_base,
                clock=clock,
            ),
            Templates(settings.tencent_templates, page, wording),
        )
    if not channels and not (settings.aliyun_callback_secret or settings.tencent_callback_secret):
        return None  # no Chinese SMS at all (with only a callback secret, replies are unconfigured)
    default = default_provider(settings.sms_default_provider, twilio=default_channel, chinese=tuple(channels))
    return SmsRoutes(channels, settings.sms_routes, default)


def unconfigured(
    db: Database, clock: Clock, wake: Callable[[], None]
) -> Callable[[MessageOutbound], Awaitable[None]]:
    """The consumer of ``intake.outbound`` while no channel can deliver: each message is recorded
    ``undeliverable`` (idempotent), so the committee sees it was not sent instead of waiting; the
    announcer tells the router so."""

    async def handle(event: MessageOutbound) -> None:
        await store.undeliverable(db, event, UNCONFIGURED, clock())
        wake()
        log.warning(
            "outbound_undeliverable",
            reason=UNCONFIGURED,
            purpose=event.purpose,
            missing=(
                "GRIEVANCE_WECHAT_APPID and GRIEVANCE_WECHAT_APPSECRET"
                if event.channel == "wechat"
                else "GRIEVANCE_TWILIO_ACCOUNT_SID and GRIEVANCE_TWILIO_AUTH_TOKEN"
            ),
        )

    return handle


def install_outbound(app: web.Application, settings: Settings, delivery: Delivery) -> None:
    async def sender(app: web.Application) -> AsyncIterator[None]:
        runtime = app[RUNTIME]
        await ensure_indexes(runtime.db, store.INDEXES)
        wechat = wechat_configured(settings)
        if wechat:
            await ensure_indexes(runtime.db, WECHAT_INDEXES)
        chinese = settings.aliyun_configured or settings.tencent_configured
        if delivery == "unconfigured" and not wechat and not chinese:
            log.warning("outbound_channel_unconfigured", channel="sms", consequence="undeliverable")
            announcer = app[ANNOUNCER] = Announcer(runtime.db, runtime.bus)
            async with announcing(announcer):
                handle = unconfigured(runtime.db, runtime.clock, announcer.wake)
                await runtime.bus.consume(QUEUE, handlers(handle))
                yield
            return
        async with aiohttp.ClientSession(timeout=SEND_TIMEOUT) as session:
            channel: OutboundChannel | None
            if delivery == "twilio":
                channel, default_from = twilio_channel(settings, session), settings.twilio_from
            elif delivery == "dev":
                dev = DevChannel(runtime.db, runtime.clock)
                channel, default_from = dev, settings.twilio_from or dev.sender
            elif not chinese:
                log.warning("outbound_channel_unconfigured", channel="sms", consequence="undeliverable")
                channel, default_from = None, None
            else:
                channel, default_from = None, None
            announcer = app[ANNOUNCER] = Announcer(runtime.db, runtime.bus)
            app[SENDER] = Sender(
                runtime.db,
                runtime.keys,
                runtime.clock,
                channel,
                default_from,
                announcer.wake,
                wechat=wechat_channel(settings, runtime.db, runtime.keys, runtime.clock, session)
                if wechat
                else None,
                cn_sms=cn_sms_routes(settings, runtime.clock, session, default_channel=channel is not None),
            )
            if wechat:
                app[WAITING] = WaitingMessages(
                    runtime.db, runtime.keys, runtime.clock, app[SENDER].handle, announcer.wake
                )
            async with announcing(announcer):
                await runtime.bus.consume(QUEUE, handlers(app[SENDER].handle))
                try:
                    yield
                finally:
                    if wechat:
                        await app[WAITING].close()

    app.cleanup_ctx.append(sender)
    if delivery == "dev":
        app.router.add_get("/dev/outbox", dev_outbox)


class OutboxQuery(BaseModel):
    """The development outbox's filters: one case's messages, the latest ``limit``."""

    reference: Reference | None = None
    limit: int = Field(default=100, ge=1, le=500)


class OutboxAnswer(BaseModel):
    messages: list[dict[str, Any]]


async def dev_outbox(request: web.Request) -> web.Response:
    query = validate(OutboxQuery, dict(request.query))
    messages = await store.dev_outbox(request.app[RUNTIME].db, query.limit, query.reference)
    return json_response(OutboxAnswer(messages=messages).model_dump())
