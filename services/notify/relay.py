"""Telling recipients of one event exactly once per channel, for the consumers that handle events.

:func:`tell` is what a notification consumer calls with the notifications of one event: each
recipient's channels are claimed in the :class:`~services.notify.ledger.Ledger`, sent at once, and
the outcome recorded before it returns. A permanent failure is recorded (and logged with its safe
code by :mod:`services.notify.dispatch`) and acked; a transient one, or a channel another process is
sending on, raises :class:`NotificationsPending`, so the bus retries the delivery and only those
channels are tried again. Nothing here touches a case: a notification that cannot be delivered
holds up its own queue, never the case's handling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import structlog

from services.notify.config import Channel
from services.notify.dispatch import Notifier, deliver
from services.notify.errors import TransientNotifyError
from services.notify.ledger import Ledger
from services.notify.model import Notification

log = structlog.get_logger(__name__)


class NotificationsPending(RuntimeError):
    """Some channel of the event's notifications failed for now: the delivery is to be retried."""

    def __init__(self, channels: Sequence[str]) -> None:
        super().__init__("notifications pending on " + ",".join(channels))
        self.channels = tuple(channels)


async def tell(
    notifications: Sequence[Notification], *, key: str, notifiers: Mapping[Channel, Notifier], ledger: Ledger
) -> None:
    """Deliver each notification once per channel under ``key`` (the event's id); see the module."""
    pending = await asyncio.gather(*(_tell_one(n, key, notifiers, ledger) for n in notifications))
    left = [
        f"{n.recipient.kind}:{n.recipient.id}:{ch}"
        for n, chs in zip(notifications, pending, strict=True)
        for ch in chs
    ]
    if left:
        raise NotificationsPending(left)


async def _tell_one(
    notification: Notification, key: str, notifiers: Mapping[Channel, Notifier], ledger: Ledger
) -> list[Channel]:
    """Send on the channels this call claimed; the channels still to send on."""
    recipient = notification.recipient
    claims = {ch: await ledger.claim(key, recipient, ch) for ch in recipient.notify.channels()}
    busy = [ch for ch, claim in claims.items() if claim == "busy"]
    mine = [ch for ch, claim in claims.items() if claim == "mine"]
    if not mine:
        return busy
    try:
        delivery = await deliver(notification, notifiers, mine)
    except BaseException:
        # Cancelled or broken mid-send (a shutdown): the claims go back, and the redelivery tries again.
        for channel in mine:
            await ledger.release(key, recipient, channel)
        raise
    for channel in delivery.sent:
        await ledger.settle(key, recipient, channel, "sent", None)
    retry = set(delivery.to_retry())
    for channel, error in delivery.failed.items():
        if channel in retry:
            await ledger.release(key, recipient, channel)
        else:
            await ledger.settle(key, recipient, channel, "refused", error.code)
    waits = [
        e.retry_after
        for e in delivery.failed.values()
        if isinstance(e, TransientNotifyError) and e.retry_after
    ]
    if waits:
        log.info("notification_rate_limited", recipient_id=recipient.id, wait_seconds=round(max(waits)))
    return [*busy, *sorted(retry)]
