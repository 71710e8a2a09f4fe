"""Sending to workers by Alibaba Cloud or Tencent Cloud SMS: which provider, and one template per message.

**Which provider.** :class:`SmsRoutes` picks, per message, the provider that carries SMS to the
worker: a reply goes back through the provider the worker wrote through (the gateway number of a
Chinese uplink is ``aliyun:<dest_code>`` or ``tencent:<extend>``); otherwise the gateway number's
route in ``GRIEVANCE_SMS_ROUTES``; otherwise the default. Several providers can be active at once.

**One template, sent at most once.** A message is rendered by :mod:`services.intake.cn_sms_templates`
into one template send (never split into parts), with our outbound id as ``OutId`` (Alibaba) or
``SessionContext`` (Tencent). SendSms is not idempotent, so a send whose answer was lost (a
timeout, a dropped connection, a 5xx: :class:`AmbiguousDeliveryError`) is never sent again: the
message is recorded ``unconfirmed`` (the committee sees it ``sent`` with the code ``unconfirmed``)
and the delivery report, which carries our id, reconciles it (:mod:`services.intake.cn_sms_reports`).
Only a send that provably did not leave (no connection, or a refusal) gives the claim back for the
bus's retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from services.intake import store
from services.intake.channels.aliyun_sms import AliyunSms
from services.intake.channels.delivery import PermanentDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError
from services.intake.channels.tencent_sms import TencentSms
from services.intake.cn_sms_templates import NoTemplate, Template, Templates
from shared.contracts import MessageOutbound
from shared.privacy import normalise_e164
from shared.runtime import Clock
from shared.settings import SmsProvider
from shared.store import Database

log = structlog.get_logger(__name__)

CHINESE_PROVIDERS: tuple[SmsProvider, ...] = ("aliyun", "tencent")


class TemplateSmsChannel(Protocol):
    """A provider that sends approved templates only."""

    name: str
    templates: Templates

    async def send_template(self, contact: str, template: Template, *, out_id: str) -> str:
        """Send ``template`` to ``contact`` (E.164); the provider's id for the message."""


def _plain_number(contact: str) -> str:
    """An E.164 number, or a permanent error: a Chinese SMS goes to nothing else."""
    if not contact.startswith("+") or not contact[1:].isdigit():
        raise PermanentDeliveryError("unsupported_address")
    return contact


@dataclass(frozen=True)
class AliyunChannel:
    sms: AliyunSms
    templates: Templates
    name: str = "aliyun"

    async def send_template(self, contact: str, template: Template, *, out_id: str) -> str:
        number = _plain_number(contact)
        # Alibaba wants a mainland number without a prefix, any other with its country code.
        phone = number[3:] if number.startswith("+86") else number[1:]
        return await self.sms.send_template(phone, template.template_id, template.params, out_id=out_id)


@dataclass(frozen=True)
class TencentChannel:
    sms: TencentSms
    templates: Templates
    name: str = "tencent"

    async def send_template(self, contact: str, template: Template, *, out_id: str) -> str:
        params = [template.params["code"]] if "code" in template.params else []
        return await self.sms.send_template(
            _plain_number(contact), template.template_id, params, session_context=out_id
        )


# The channels that send templates only: what the sender hands to :func:`deliver_template`.
ChineseSms = AliyunChannel | TencentChannel
TEMPLATE_CHANNELS = (AliyunChannel, TencentChannel)


@dataclass(frozen=True)
class SmsRoutes:
    """Which provider carries each message's SMS; ``channels`` holds the configured Chinese ones."""

    channels: Mapping[str, ChineseSms]
    routes: Mapping[str, SmsProvider] = field(default_factory=dict)
    default: SmsProvider | None = None

    def provider_for(self, gateway_number: str | None) -> SmsProvider | None:
        if gateway_number:
            prefix, separator, _ = gateway_number.partition(":")
            if separator and prefix in CHINESE_PROVIDERS:
                return "aliyun" if prefix == "aliyun" else "tencent"
            route = self.routes.get(gateway_number)
            if route is None:
                number = normalise_e164(gateway_number)
                route = self.routes.get(number) if number else None
            if route is not None:
                return route
        return self.default

    def channel_for(self, gateway_number: str | None) -> ChineseSms | SmsProvider | None:
        """The Chinese channel to use, ``"twilio"`` for the ordinary SMS channel, None for none."""
        provider = self.provider_for(gateway_number)
        if provider in CHINESE_PROVIDERS:
            return self.channels.get(provider)
        return provider


def default_provider(
    chosen: SmsProvider | None, *, twilio: bool, chinese: tuple[str, ...]
) -> SmsProvider | None:
    """The provider of a message no route names: the setting, else Twilio, else the one Chinese one."""
    if chosen is not None:
        return chosen
    if twilio:
        return "twilio"
    if len(chinese) == 1:
        return "aliyun" if chinese[0] == "aliyun" else "tencent"
    return None


async def deliver_template(
    db: Database,
    clock: Clock,
    channel: ChineseSms,
    event: MessageOutbound,
    contact: str,
    sent_parts: Mapping[str, str],
) -> None:
    """Send a claimed message as one template; record what became of it (see the module's docstring)."""
    event_id = str(event.id)
    try:
        template = channel.templates.render(event)
    except NoTemplate as exc:
        await store.finish(db, event_id, "undeliverable", clock(), reason=exc.reason, provider=channel.name)
        log.info("outbound_undeliverable", reason=exc.reason, purpose=event.purpose, provider=channel.name)
        return
    if "0" not in sent_parts:
        try:
            sid = await channel.send_template(contact, template, out_id=event_id)
        except AmbiguousDeliveryError as exc:
            await store.unconfirmed(db, event_id, clock(), error=str(exc)[:64], provider=channel.name)
            log.warning(
                "outbound_unconfirmed", error=str(exc)[:64], purpose=event.purpose, provider=channel.name
            )
            return
        except PermanentDeliveryError as exc:
            await store.finish(db, event_id, "failed", clock(), error_code=exc.code, provider=channel.name)
            log.warning("outbound_failed", error_code=exc.code, purpose=event.purpose, provider=channel.name)
            return
        except BaseException as exc:
            await asyncio.shield(store.release(db, event_id, clock(), exc.__class__.__name__))
            raise
        await store.record_part(db, event_id, 0, sid, clock())
    await store.finish(db, event_id, "sent", clock(), parts=1, provider=channel.name, template=template.kind)
    log.info("outbound_sent", parts=1, purpose=event.purpose, provider=channel.name, template=template.kind)
