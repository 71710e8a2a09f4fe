"""What intake's handlers share, built once per application from its runtime."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from services.intake.channels.wechat_inbound import WeChatInbound
from services.intake.factories import FactoryCodes
from services.intake.publishing import Publisher
from services.intake.spool import Spool
from services.intake.wechat_store import ServiceWindows, VoiceNotes
from shared.privacy import Keys
from shared.ratestore import Limit, RateStore
from shared.runtime import Clock, Runtime
from shared.settings import Settings
from shared.store import Database

# The web form's limits, counted in the store so every replica counts into the same number.
RATE_COUNTERS = "intake_rate"


@dataclass(frozen=True)
class IntakeState:
    # The parts of the runtime the handlers use (they publish through the publisher only).
    db: Database
    keys: Keys
    clock: Clock
    publisher: Publisher
    # Where events go that the broker did not confirm; None keeps no spool (the embedded run).
    spool: Spool | None
    # Settings read once instead of per request: the public URL Twilio signs, and its token.
    settings: Settings
    public_base_url: str
    twilio_token: str | None
    status_base_url: str
    # The web form's guards: the registry's factory codes, and the limits per client and contact.
    factories: FactoryCodes
    rates: RateStore
    client_limit: Limit
    contact_limit: Limit
    # The WeChat Official Account's inbound side; None without GRIEVANCE_WECHAT_TOKEN (503).
    wechat: WeChatInbound | None
    voice_notes: VoiceNotes
    # When each WeChat user last wrote: the customer-service window the sender checks.
    windows: ServiceWindows

    @classmethod
    def build(cls, settings: Settings, runtime: Runtime, spool: Spool | None = None) -> IntakeState:
        """Intake's own settings come from ``create_app``; the adapters from the (maybe shared) runtime."""
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
        return cls(
            db=runtime.db,
            keys=runtime.keys,
            clock=runtime.clock,
            settings=settings,
            publisher=Publisher(runtime.bus, runtime.clock, spool),
            spool=spool,
            public_base_url=settings.public_base_url.rstrip("/"),
            twilio_token=token or None,
            status_base_url=settings.public_status_url.rstrip("/"),
            factories=FactoryCodes(runtime.db),
            rates=RateStore(runtime.db, RATE_COUNTERS, runtime.keys, runtime.clock),
            client_limit=Limit("webform-client", settings.webform_client_limit, timedelta(hours=1)),
            contact_limit=Limit("webform-contact", settings.webform_contact_limit, timedelta(days=1)),
            wechat=WeChatInbound.configured(
                settings.wechat_token,
                settings.wechat_appid,
                settings.wechat_aes_key,
                settings.wechat_aes_key_previous,
            ),
            voice_notes=VoiceNotes(runtime.db),
            windows=ServiceWindows(runtime.db),
        )


INTAKE = web.AppKey("intake", IntakeState)
