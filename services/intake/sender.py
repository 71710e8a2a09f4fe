"""Delivering ``message.outbound`` events to workers (queue ``intake.outbound``).

Only here is a contact unsealed. Each event is delivered at most once as far as intake can tell:
``store.claim`` admits one sender per event, parts already sent are skipped on a retry, and the
final state is recorded. Transient failures give the claim back and raise, so the bus retries with
backoff (and finally dead-letters); permanent ones are recorded and acked.

The committee learns where its message stands from ``message.delivery`` events, which the sender
never publishes itself: each write that moves the state marks the record in the same write, and
``announce`` (the announcer's wake-up, :mod:`services.intake.announcer`) only says "look soon". A
send is never slowed or failed by the bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from services.intake import store
from services.intake.channels.delivery import OutboundChannel, PermanentDeliveryError
from services.intake.channels.wechat_api import CustomerServiceWindowClosed
from services.intake.cn_sms_outbound import TEMPLATE_CHANNELS, ChineseSms, SmsRoutes, deliver_template
from services.intake.segments import SMS_BODY_LIMIT, split_message
from services.intake.wechat_outbound import WeChatChannel, refusal_reason
from shared.contracts import MessageOutbound
from shared.handlers import Handlers
from shared.privacy import Keys, UnsealError, unseal
from shared.runtime import Clock
from shared.store import Database

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=2)
QUEUE = "intake.outbound"


# Channels intake can answer on once their provider is configured; without it, a message for one of
# them is recorded ``channel_unconfigured`` (any other channel: ``unsupported_channel``).
_CONFIGURABLE = frozenset({"sms", "web", "wechat"})
UNCONFIGURED = "channel_unconfigured"


def handlers(handle: Callable[[MessageOutbound], Awaitable[None]]) -> Handlers:
    """What intake consumes from its outbound queue: ``handle`` is a sender's, or the recorder of
    undeliverable messages while no channel is configured."""
    return Handlers(QUEUE).on(MessageOutbound, handle)


class ClaimBusy(RuntimeError):
    """Another delivery of the same event holds the claim; retry later (after its lease at worst)."""


class Sender:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        clock: Clock,
        channel: OutboundChannel | None,
        default_from: str | None,
        announce: Callable[[], None] = lambda: None,
        *,
        wechat: WeChatChannel | None = None,
        cn_sms: SmsRoutes | None = None,
    ) -> None:
        """``channel`` carries SMS (and web-form replies by SMS), ``wechat`` the WeChat cases; either
        may be missing, and its messages are then recorded ``channel_unconfigured``. ``cn_sms``
        chooses, per gateway number, the SMS that Alibaba or Tencent carries instead. The delivery
        states go to ``db`` at ``clock``'s time; ``keys`` unseal the worker's contact."""
        self._db, self._keys, self._clock = db, keys, clock
        self._channel = channel
        self._default_from = default_from
        self._announce = announce
        self._wechat = wechat
        self._cn_sms = cn_sms

    @property
    def channel(self) -> OutboundChannel | None:
        return self._channel

    @property
    def wechat(self) -> WeChatChannel | None:
        return self._wechat

    def _route(self, event: MessageOutbound) -> OutboundChannel | ChineseSms | None:
        if event.channel == "wechat":
            return self._wechat
        if event.channel not in ("sms", "web"):
            return None
        if self._cn_sms is None:
            return self._channel
        chosen = self._cn_sms.channel_for(event.gateway_number)
        return self._channel if chosen == "twilio" else None if isinstance(chosen, str) else chosen

    async def handle(self, event: MessageOutbound) -> None:
        try:
            await self._deliver(event)
        finally:
            self._announce()  # whatever was recorded, the announcer looks

    async def _deliver(self, event: MessageOutbound) -> None:
        db, clock = self._db, self._clock
        event_id = str(event.id)
        channel = self._route(event)
        if event.sealed_contact is None or channel is None:
            reason = (
                "no_contact"
                if event.sealed_contact is None
                else UNCONFIGURED
                if event.channel in _CONFIGURABLE
                else "unsupported_channel"
            )
            await store.undeliverable(db, event, reason, clock())
            log.info("outbound_undeliverable", reason=reason, purpose=event.purpose)
            return
        claim = await store.claim(db, event, clock(), LEASE)
        if claim.outcome == "done":
            log.info("outbound_duplicate_skipped")
            return
        if claim.outcome == "busy":
            raise ClaimBusy("another delivery of this event is in progress")
        try:
            contact = unseal(self._keys, event.sealed_contact)
        except UnsealError:
            await store.finish(db, event_id, "failed", clock(), error="unseal_failed", provider=channel.name)
            log.warning("outbound_failed", error="unseal_failed")
            return
        if isinstance(channel, TEMPLATE_CHANNELS):  # Alibaba or Tencent: one template
            await deliver_template(db, clock, channel, event, contact, claim.sent_parts)
            return
        sender: str | None
        if isinstance(channel, WeChatChannel):
            unsent = len(split_message(event.text, channel.text_limit)) - len(claim.sent_parts)
            closed = await channel.closed(contact, clock(), unsent)
            if closed is not None:
                await self._outside_window(channel, event, contact, closed)
                return
            sender, limit = channel.app_id, channel.text_limit
        else:
            sender, limit = self._sender_for(contact, event.gateway_number), SMS_BODY_LIMIT
        if sender is None:
            await store.finish(
                db, event_id, "failed", clock(), error="no_sender_number", provider=channel.name
            )
            log.warning("outbound_failed", error="no_sender_number")
            return
        parts = split_message(event.text, limit)
        try:
            for index, body in enumerate(parts):
                if str(index) in claim.sent_parts:
                    continue
                sid = await channel.send(contact, sender, body, event=event, part=index + 1, parts=len(parts))
                await store.record_part(db, event_id, index, sid, clock())
        except CustomerServiceWindowClosed as exc:
            assert isinstance(channel, WeChatChannel)
            await self._outside_window(channel, event, contact, refusal_reason(exc))
            return
        except PermanentDeliveryError as exc:
            await store.finish(db, event_id, "failed", clock(), error_code=exc.code, provider=channel.name)
            log.warning("outbound_failed", error_code=exc.code, purpose=event.purpose)
            return
        except BaseException as exc:
            # Cancelled too (the channel closed under the delivery, or shutdown): give the claim back
            # at once, shielded from the cancellation, so the redelivery sends instead of finding the
            # claim busy for its whole lease and running down the queue's delivery limit meanwhile.
            await asyncio.shield(store.release(db, event_id, clock(), exc.__class__.__name__))
            raise
        await store.finish(db, event_id, "sent", clock(), parts=len(parts), provider=channel.name)
        log.info("outbound_sent", parts=len(parts), purpose=event.purpose, provider=channel.name)

    async def _outside_window(
        self, channel: WeChatChannel, event: MessageOutbound, contact: str, reason: str
    ) -> None:
        """WeChat's window is closed: the channel sends a notice or leaves the message waiting, and
        records which; its delivery errors are handled as a text's would be."""
        db, clock, event_id = self._db, self._clock, str(event.id)
        try:
            await channel.outside_window(event, contact, reason)
        except PermanentDeliveryError as exc:
            await store.finish(db, event_id, "failed", clock(), error_code=exc.code, provider=channel.name)
            log.warning("outbound_failed", error_code=exc.code, purpose=event.purpose)
        except BaseException as exc:
            await asyncio.shield(store.release(db, event_id, clock(), exc.__class__.__name__))
            raise

    def _sender_for(self, contact: str, gateway_number: str | None) -> str | None:
        """Reply from the number the worker wrote to; a channel prefix (``whatsapp:``) must match."""
        sender = gateway_number or self._default_from
        if sender is None:
            return None
        prefix, separator, _ = contact.partition(":")
        if separator and not sender.startswith(prefix + ":"):
            return f"{prefix}:{sender}"
        return sender
