"""Sending to a WeChat user: customer-service text, template messages and subscription notices.

WeChat answers HTTP 200 for almost everything and puts the outcome in ``errcode`` (0 is success), so
every answer is read for it. What each code means for the message:

- 40001, 40014, 42001: the access_token is invalid or expired. The token goes back to its source and
  the call is made once more with a fresh one; a second refusal is transient.
- 45015 (the 48-hour customer-service window is closed, or the user unfollowed) and 45047 (the
  window's quota is spent): :class:`CustomerServiceWindowClosed`, a permanent error for this route
  only. The caller falls back to a template or subscription notice, or waits for the user to write.
- 40003 (not our follower's OpenID), 43004 (the user unfollowed), 43101 (the user refused or has no
  subscription for the notice), 47003 (an argument such as a data value is invalid), 45002 (content
  too long): permanent, the same message would be refused again.
- -1 (system busy): ambiguous; WeChat users report that a retry after -1 can duplicate the message.
- Anything else (daily API limits, a wrong template id, an IP outside the allow-list, ...) is
  transient: an operator's problem to fix, not a reason to drop a worker's message.

Requests are built by pure functions (``*_request``); :class:`WeChatApi` sends them on a shared
``aiohttp.ClientSession``. The access_token travels in the URL, so URLs are never logged, and
neither are OpenIDs or message text: only the errcode.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import aiohttp

from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError, ProviderRequest, exchange
from services.intake.channels.wechat_token import API_BASE

TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
WINDOW_ERRCODES = frozenset({45015, 45047})
PERMANENT_ERRCODES = frozenset({40003, 43004, 43101, 47003, 45002})
AMBIGUOUS_ERRCODES = frozenset({-1})


class CustomerServiceWindowClosed(PermanentDeliveryError):
    """custom/send refused: outside the 48 h window (45015) or its quota spent (45047); try a notice."""


class AccessTokenRejected(TransientDeliveryError):
    """WeChat refused the access_token even after a fresh one was fetched."""


class AccessTokens(Protocol):
    async def token(self) -> str: ...

    async def invalidate(self, token: str) -> None: ...


def _post(api_base: str, path: str, token: str, body: Mapping[str, Any]) -> ProviderRequest:
    # ensure_ascii=False: WeChat shows escaped Chinese literally in some message types.
    return ProviderRequest(
        "POST",
        f"{api_base.rstrip('/')}/cgi-bin/{path}?access_token={token}",
        {"Content-Type": "application/json; charset=utf-8"},
        json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
    )


def custom_text_request(api_base: str, token: str, openid: str, content: str) -> ProviderRequest:
    """``cgi-bin/message/custom/send``: a text message inside the customer-service window."""
    body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
    return _post(api_base, "message/custom/send", token, body)


def template_request(
    api_base: str,
    token: str,
    openid: str,
    template_id: str,
    data: Mapping[str, str],
    *,
    url: str | None = None,
    client_msg_id: str | None = None,
) -> ProviderRequest:
    """``cgi-bin/message/template/send`` (Service Accounts): ``data`` maps each template key to its value."""
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": template_id,
        "data": {key: {"value": value} for key, value in data.items()},
    }
    if url:
        body["url"] = url
    if client_msg_id:
        body["client_msg_id"] = client_msg_id
    return _post(api_base, "message/template/send", token, body)


def subscribe_request(
    api_base: str,
    token: str,
    openid: str,
    template_id: str,
    *,
    scene: int,
    title: str,
    content: str,
    url: str | None = None,
) -> ProviderRequest:
    """``cgi-bin/message/template/subscribe``: the one-time subscription message (一次性订阅消息) the
    user consented to on WeChat's confirm page, under the same ``scene``; one per consent. Its data
    is a single ``content`` (200 characters at most) under a ``title`` (15 at most)."""
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": template_id,
        "scene": str(scene),
        "title": title,
        "data": {"content": {"value": content}},
    }
    if url:
        body["url"] = url
    return _post(api_base, "message/template/subscribe", token, body)


def errcode_of(status: int, payload: Mapping[str, Any]) -> int:
    """The answer's errcode. Every send answer carries one, success included (``0``).

    An HTTP error without an errcode is transient (it came from something in front of WeChat); an
    HTTP 200 without a readable errcode might have been a delivery, so it is ambiguous.
    """
    errcode = payload.get("errcode")
    if isinstance(errcode, int) and not isinstance(errcode, bool):
        return errcode
    if status != 200:
        raise TransientDeliveryError(f"http_{status}")
    raise AmbiguousDeliveryError("wechat_answer_unreadable")


def raise_for_errcode(errcode: int) -> None:
    """Nothing for 0; otherwise the delivery error the code stands for (see the module docstring)."""
    if errcode == 0:
        return
    code = str(errcode)
    if errcode in WINDOW_ERRCODES:
        raise CustomerServiceWindowClosed(code)
    if errcode in PERMANENT_ERRCODES:
        raise PermanentDeliveryError(code)
    if errcode in TOKEN_ERRCODES:
        raise AccessTokenRejected(code)
    if errcode in AMBIGUOUS_ERRCODES:
        raise AmbiguousDeliveryError(code)
    raise TransientDeliveryError(code)


class WeChatApi:
    """One Official Account's send APIs on a shared session, with its token source."""

    def __init__(
        self, session: aiohttp.ClientSession, tokens: AccessTokens, *, api_base: str = API_BASE
    ) -> None:
        self._session = session
        self._tokens = tokens
        self._api_base = api_base

    async def send_text(self, openid: str, content: str) -> None:
        """Send a customer-service text; CustomerServiceWindowClosed outside the 48 h window."""
        await self._call(lambda token: custom_text_request(self._api_base, token, openid, content))

    async def send_template(
        self,
        openid: str,
        template_id: str,
        data: Mapping[str, str],
        *,
        url: str | None = None,
        client_msg_id: str | None = None,
    ) -> str:
        """Send a template message; its ``msgid``."""
        payload = await self._call(
            lambda token: template_request(
                self._api_base, token, openid, template_id, data, url=url, client_msg_id=client_msg_id
            )
        )
        return str(payload.get("msgid", ""))

    async def send_subscription_notice(
        self,
        openid: str,
        template_id: str,
        *,
        scene: int,
        title: str,
        content: str,
        url: str | None = None,
    ) -> str:
        """Send the one-time subscription message a consent allows; its ``msgid`` if given."""
        payload = await self._call(
            lambda token: subscribe_request(
                self._api_base, token, openid, template_id, scene=scene, title=title, content=content, url=url
            )
        )
        return str(payload.get("msgid", ""))

    async def _call(self, build: Callable[[str], ProviderRequest]) -> dict[str, Any]:
        for attempt in range(2):
            token = await self._tokens.token()
            answer = await exchange(self._session, build(token))
            errcode = errcode_of(answer.status, answer.payload)
            if errcode in TOKEN_ERRCODES:
                await self._tokens.invalidate(token)
                if attempt == 0:
                    continue
            raise_for_errcode(errcode)
            return answer.payload
        raise AssertionError("unreachable")
