"""One retry rule for every channel: a few tries in place for transient failures, then give up.

The tries are bounded (``NotifySettings.notify_attempts``) and spaced by capped, jittered
exponential backoff, so a provider that is down is not hammered and a caller is never held for
long. A failure that says how long to wait (a rate limit) is not retried in place: the wait is a
minute or more, and the caller's own redelivery is the place for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from services.notify.errors import TransientNotifyError
from shared.messaging import Retry

log = structlog.get_logger(__name__)


def _worth_another_try(exc: BaseException) -> bool:
    return isinstance(exc, TransientNotifyError) and exc.retry_after is None


async def with_retries(attempt: Callable[[], Awaitable[None]], retry: Retry, *, channel: str) -> None:
    """Run ``attempt`` until it succeeds, raises a permanent error, or the tries run out."""

    def wait(state: RetryCallState) -> float:
        return retry.delay(state.attempt_number - 1)

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome is not None else None
        code = failure.code if isinstance(failure, TransientNotifyError) else None
        log.warning("notification_retry", channel=channel, attempt=state.attempt_number, code=code)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(retry.attempts),
        wait=wait,
        retry=retry_if_exception(_worth_another_try),
        before_sleep=before_sleep,
        reraise=True,
    )
    await retrying(attempt)
