"""One HTTP exchange with a provider's send API, and what a failure says about delivery.

The Chinese send APIs (WeChat custom/send, Aliyun and Tencent SendSms) are not idempotent: a request
that reached the provider may have delivered the message even when no answer came back. So a
failure is sorted by what it proves. A connection that was never made proves nothing was sent
(:class:`~services.intake.channels.delivery.TransientDeliveryError`, safe to retry). A timeout, a
dropped connection or a 5xx after the request left proves nothing either way
(:class:`AmbiguousDeliveryError`): the caller reconciles against delivery reports before sending
again instead of retrying blindly. The helper never retries on its own and never logs the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from services.intake.channels.delivery import TransientDeliveryError

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=3)


class AmbiguousDeliveryError(TransientDeliveryError):
    """The request may have reached the provider: the message may or may not have been delivered."""


@dataclass(frozen=True)
class ProviderRequest:
    """A fully built request: method, absolute URL (already percent-encoded), headers, exact body bytes."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class ProviderAnswer:
    status: int
    payload: dict[str, Any]


async def exchange(
    session: aiohttp.ClientSession,
    request: ProviderRequest,
    *,
    limits: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
) -> ProviderAnswer:
    """Send ``request`` once; the status and JSON object answered (``{}`` when the body is not one).

    Raises TransientDeliveryError when no connection could be made, AmbiguousDeliveryError when the
    request may have been received but no usable answer came back (timeouts, resets, 5xx).
    """
    try:
        async with session.request(
            request.method,
            # The URL is sent exactly as built: its query is part of what was signed.
            URL(request.url, encoded=True),
            headers=dict(request.headers),
            data=request.body or None,
            timeout=limits,
        ) as response:
            payload = await _json(response)
            status = response.status
    except aiohttp.ClientConnectorError as exc:
        raise TransientDeliveryError(f"connect_{exc.__class__.__name__}") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise AmbiguousDeliveryError(exc.__class__.__name__) from None
    if status >= 500:
        raise AmbiguousDeliveryError(f"http_{status}")
    return ProviderAnswer(status, payload)


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        payload = await response.json(content_type=None)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
