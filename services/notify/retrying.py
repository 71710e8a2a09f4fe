"""One retry rule for every channel: a few tries in place for transient failures, then give up.

The tries are bounded (``NotifySettings.notify_attempts``) and spaced by capped, jittered
exponential backoff, so a provider that is down is not hammered and a caller is never held for
long. A failure that says how long to wait (a rate limit) is not retried in place: the wait is a
minute or more, and the caller's own redelivery is the place for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from services.notify.errors import TransientNotifyError
from shared.messaging import Retry

log = structlog.get_logger(__name__)


async def with_retries(attempt: Callable[[], Awaitable[None]], retry: Retry, *, channel: str) -> None:
    """Run ``attempt`` until it succeeds, raises a permanent error, or the tries run out."""
    for number in range(retry.attempts):
        try:
            await attempt()
            return
        except TransientNotifyError as exc:
            if exc.retry_after is not None or number + 1 >= retry.attempts:
                raise
            log.warning("notification_retry", channel=channel, attempt=number + 1, code=exc.code)
        await asyncio.sleep(retry.delay(number))
