"""POSTing JSON to a group robot and reading its ``errcode`` (WeCom and DingTalk answer alike).

Both robots answer HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}`` on success and a non-zero
``errcode`` on HTTP 200 for a refusal, so the status alone proves nothing. What HTTP itself says is
sorted here: timeouts, connection failures, 408, 429 and 5xx are transient; any other non-200 is
permanent; a 200 without a numeric ``errcode`` (a proxy's page) is transient. Redirects are not
followed: a webhook that moved is a configuration to fix, not a place to send a credential to.

The body is UTF-8 JSON with the characters as they are: WeCom's APIs refuse ``\\uXXXX`` escapes
(errcode 40033), which is what a default ``json.dumps`` would write for Chinese text.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from yarl import URL

from services.notify.errors import PermanentNotifyError, TransientNotifyError

_TRANSIENT_STATUSES = {408, 425, 429}
_HEADERS = {"Content-Type": "application/json; charset=utf-8"}


async def post_json(
    session: aiohttp.ClientSession,
    url: str | URL,
    payload: dict[str, Any],
    *,
    client_timeout: aiohttp.ClientTimeout,
    channel: str,
) -> int:
    """POST ``payload``; the robot's ``errcode``. Raises for what HTTP itself says went wrong."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    try:
        async with session.post(
            url,
            data=body,
            headers=_HEADERS,
            timeout=client_timeout,
            allow_redirects=False,
        ) as response:
            status = response.status
            answer = await _json(response)
    except TimeoutError:
        raise TransientNotifyError(f"{channel}_timeout") from None
    except aiohttp.ClientError as exc:
        raise TransientNotifyError(f"{channel}_{exc.__class__.__name__}") from None
    if status in _TRANSIENT_STATUSES or status >= 500:
        raise TransientNotifyError(f"{channel}_http_{status}")
    if status != 200:
        raise PermanentNotifyError(f"{channel}_http_{status}")
    errcode = answer.get("errcode")
    if isinstance(errcode, bool) or not isinstance(errcode, int):
        raise TransientNotifyError(f"{channel}_no_errcode")
    return errcode


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        payload = await response.json(content_type=None)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
