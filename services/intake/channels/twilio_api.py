"""Sending SMS through Twilio's Messages API.

``POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json`` with basic auth (account SID, auth token)
and the form fields ``From``, ``To``, ``Body`` and ``StatusCallback``. Rate limits (429) and server
errors (5xx), timeouts and connection failures are retried with backoff, honouring ``Retry-After``;
so are 401/403, because bad credentials are an operator's problem to fix, not a reason to drop a
worker's message. Any other 4xx is permanent (e.g. 21610 the recipient opted out, 21211 invalid
number) and is not retried. Twilio's error ``message`` often quotes the phone number, so only the
numeric ``code`` is ever kept.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from shared.contracts import MessageOutbound

log = structlog.get_logger(__name__)

_SID = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")
_TRANSIENT_STATUSES = {401, 403, 408, 409, 425, 429}


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries in all, the waits between them capped, jittered and exponential."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 20.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(self.cap, retry_after)
        ceiling: float = min(self.cap, self.base * 2**attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not secrecy

    def wait(self, state: RetryCallState) -> float:
        """tenacity's wait: the delay after attempt ``state.attempt_number`` (from 1), Retry-After first."""
        failure = state.outcome.exception() if state.outcome is not None else None
        retry_after = failure.retry_after if isinstance(failure, _Again) else None
        return self.delay(state.attempt_number - 1, retry_after)


class TwilioApi:
    """A Twilio account's Messages endpoint on one shared ``aiohttp.ClientSession``."""

    name = "twilio"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        account_sid: str,
        auth_token: str,
        status_callback: str | None,
        backoff: Backoff = Backoff(),
    ) -> None:
        self._session = session
        self._url = f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        credentials = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode("ascii")
        self._headers = {"Authorization": f"Basic {credentials}"}
        self._status_callback = status_callback
        self._backoff = backoff

    async def send(
        self, to: str, sender: str, body: str, *, event: MessageOutbound, part: int, parts: int
    ) -> str:
        """Send one message; its Twilio SID. Raises Permanent- or TransientDeliveryError."""
        form = {"To": to, "From": sender, "Body": body}
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._backoff.attempts),
            wait=self._backoff.wait,
            retry=retry_if_exception_type(_Again),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            return await retrying(self._attempt, form)
        except _Again as exc:
            raise TransientDeliveryError(exc.error) from None

    async def _attempt(self, form: dict[str, str]) -> str:
        try:
            async with self._session.post(self._url, data=form, headers=self._headers) as response:
                payload = await _json(response)
                if response.status in (200, 201):
                    sid = payload.get("sid")
                    if isinstance(sid, str) and _SID.match(sid):
                        return sid
                    raise TransientDeliveryError("twilio answered without a message sid")
                code = str(payload.get("code") or response.status)
                if response.status < 500 and response.status not in _TRANSIENT_STATUSES:
                    raise PermanentDeliveryError(code)
                raise _Again(f"http_{response.status}", _retry_after(response))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Again(exc.__class__.__name__) from None


class _Again(Exception):
    """A failure worth another try: what went wrong (for the log), and the wait Twilio asked for."""

    def __init__(self, error: str, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error, self.retry_after = error, retry_after


def _log_retry(state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome is not None else None
    error = failure.error if isinstance(failure, _Again) else "unknown"
    log.warning("twilio_send_retry", attempt=state.attempt_number, error=error)


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        payload = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _retry_after(response: aiohttp.ClientResponse) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
