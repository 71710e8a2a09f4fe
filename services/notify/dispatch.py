"""Every channel a recipient configured, each told once, each outcome kept apart.

A recipient may have a WeCom robot, a DingTalk robot and a mailing list. They are separate
deliveries: when WeCom took the notification and mail is down, a retry must go to mail only, or
the group hears everything twice. So :func:`deliver` reports per channel, and takes the channels
to (re)try, and the caller records what was sent before it acks or retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from services.notify.config import Channel
from services.notify.errors import NotifyError, PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification

log = structlog.get_logger(__name__)


class Notifier(Protocol):
    """One channel. ``send`` returns once the provider took the notification, or raises
    :class:`PermanentNotifyError` / :class:`TransientNotifyError`."""

    channel: Channel

    async def send(self, notification: Notification) -> None: ...


@dataclass(frozen=True)
class Delivery:
    sent: tuple[Channel, ...] = ()
    failed: Mapping[Channel, NotifyError] = field(default_factory=dict)

    def to_retry(self) -> tuple[Channel, ...]:
        """The channels whose failure may heal: pass them as ``channels`` next time."""
        return tuple(ch for ch, error in self.failed.items() if isinstance(error, TransientNotifyError))


async def deliver(
    notification: Notification,
    notifiers: Mapping[Channel, Notifier],
    channels: Iterable[Channel] | None = None,
) -> Delivery:
    """Send through each configured channel (or those of ``channels`` that are configured) at once.

    A configured channel without a notifier (mail configured, no SMTP server set) fails
    permanently with ``{channel}_unavailable``.
    """
    configured = notification.recipient.notify.channels()
    chosen = None if channels is None else set(channels)
    wanted = [ch for ch in configured if chosen is None or ch in chosen]
    results = await asyncio.gather(*(_one(notification, notifiers.get(ch), ch) for ch in wanted))
    sent = tuple(ch for ch, error in zip(wanted, results, strict=True) if error is None)
    failed = {ch: error for ch, error in zip(wanted, results, strict=True) if error is not None}
    return Delivery(sent=sent, failed=failed)


async def _one(notification: Notification, notifier: Notifier | None, channel: Channel) -> NotifyError | None:
    context = {
        "channel": channel,
        "kind": notification.kind,
        "reference": notification.reference,
        "recipient_id": notification.recipient.id,
    }
    try:
        if notifier is None:
            raise PermanentNotifyError(f"{channel}_unavailable")
        await notifier.send(notification)
    except NotifyError as exc:
        permanent = isinstance(exc, PermanentNotifyError)
        log.warning("notification_failed", **context, code=exc.code, permanent=permanent)
        return exc
    log.info("notification_sent", **context)
    return None
