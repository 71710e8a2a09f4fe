"""Telling a group through a DingTalk custom robot (钉钉自定义机器人).

``POST {webhook}`` (``https://oapi.dingtalk.com/robot/send?access_token=TOKEN``) with
``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}``; the answer is
``{"errcode": 0, "errmsg": "ok"}``. Markdown, because DingTalk shows its ``title`` in the chat list
and renders the console link as a link.

A robot has one or more security settings, chosen by the group:
- 加签 (signing): the request carries ``timestamp`` (milliseconds) and ``sign`` =
  base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), URL-encoded once in the query.
  DingTalk refuses a timestamp more than an hour from its clock, so each try signs afresh.
- 自定义关键词 (keywords): the message must contain one of the group's words; the configured
  ``keyword`` is put in front of the title and the text when they lack it.
- an IP allow-list, which is the deployment's business.

``errcode`` decides: 0 delivered; 130101 and 410100 (over 20 messages a minute; the robot is then
throttled for ten minutes) and -1 (busy) transient; any other code permanent: 310000 is a security
refusal (signature, keyword, IP or timestamp), 300001 and 400101 an unknown token, 400102 a
disabled robot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

import aiohttp
from yarl import URL

from services.notify.config import Channel, DingTalkTarget
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification
from services.notify.ratewindow import RateWindow
from services.notify.render import RenderContext, render
from services.notify.retrying import with_retries
from services.notify.webhook import post_json
from shared.messaging import Retry

RATE_LIMITED = frozenset({130101, 410100})
BUSY = -1
THROTTLE_SECONDS = 600.0


def sign(secret: str, timestamp_ms: int) -> str:
    """The ``sign`` parameter before URL encoding (DingTalk's 加签)."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(target: DingTalkTarget, now: float) -> URL:
    """The webhook with ``timestamp`` and ``sign`` when the robot signs; yarl encodes them once."""
    url = URL(target.url.get_secret_value())
    if target.secret is None:
        return url
    timestamp_ms = int(now * 1000)
    return url.update_query(
        timestamp=str(timestamp_ms), sign=sign(target.secret.get_secret_value(), timestamp_ms)
    )


class DingTalkRobot:
    channel: Channel = "dingtalk"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        context: RenderContext,
        retry: Retry,
        timeout: float,
        window: RateWindow | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._context = context
        self._retry = retry
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._window = window
        self._clock = clock

    async def send(self, notification: Notification) -> None:
        target = notification.recipient.notify.dingtalk
        if target is None:
            raise PermanentNotifyError("dingtalk_not_configured")
        rendered = render(notification, self._context)
        title, text = rendered.title, rendered.markdown()
        if target.keyword and target.keyword not in title:
            title = f"{target.keyword} {title}"
        if target.keyword and target.keyword not in text:
            text = f"{target.keyword}\n\n{text}"
        payload = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}

        async def attempt() -> None:
            if self._window is not None:
                self._window.reserve(target.url.get_secret_value())
            url = signed_url(target, self._clock())
            errcode = await post_json(
                self._session, url, payload, client_timeout=self._timeout, channel="dingtalk"
            )
            if errcode in RATE_LIMITED:
                raise TransientNotifyError(f"dingtalk_{errcode}", retry_after=THROTTLE_SECONDS)
            if errcode == BUSY:
                raise TransientNotifyError("dingtalk_busy")
            if errcode != 0:
                raise PermanentNotifyError(f"dingtalk_{errcode}")

        await with_retries(attempt, self._retry, channel=self.channel)
