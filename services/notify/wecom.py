"""Telling a group through a WeCom group robot (企业微信群机器人).

``POST {webhook}`` (``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY``) with
``{"msgtype": "text", "text": {"content": ...}}``; the answer is ``{"errcode": 0, "errmsg": "ok"}``.
The text type, not markdown, because WeCom shows robot markdown only in the WeCom app, and a
committee's group may hold worker representatives who read it in WeChat; a URL in a text is
clickable there too.

``errcode`` decides: 0 delivered; 45009 (over 20 messages a minute) and -1 (busy) transient; any
other code (93000 a key that is wrong or revoked, 40008 a bad message type, 44004 an empty text)
permanent, since only an operator can fix the configuration. ``errmsg`` is never kept: WeCom puts
the caller's IP and request hints in it.
"""

from __future__ import annotations

import aiohttp

from services.notify.config import Channel
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification
from services.notify.ratewindow import WINDOW_SECONDS, RateWindow
from services.notify.render import RenderContext, render
from services.notify.retrying import with_retries
from services.notify.webhook import post_json
from shared.messaging import Retry

RATE_LIMITED = 45009
BUSY = -1
# WeCom's limit for a text's content, in UTF-8 bytes.
TEXT_LIMIT = 2048


class WeComRobot:
    channel: Channel = "wecom"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        context: RenderContext,
        retry: Retry,
        timeout: float,
        window: RateWindow | None = None,
    ) -> None:
        self._session = session
        self._context = context
        self._retry = retry
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._window = window

    async def send(self, notification: Notification) -> None:
        webhook = notification.recipient.notify.wecom
        if webhook is None:
            raise PermanentNotifyError("wecom_not_configured")
        url = webhook.get_secret_value()
        content = render(notification, self._context).text()
        if len(content.encode()) > TEXT_LIMIT:
            raise PermanentNotifyError("wecom_text_too_long")
        payload = {"msgtype": "text", "text": {"content": content}}

        async def attempt() -> None:
            if self._window is not None:
                self._window.reserve(url)
            errcode = await post_json(
                self._session, url, payload, client_timeout=self._timeout, channel="wecom"
            )
            if errcode == RATE_LIMITED:
                raise TransientNotifyError("wecom_45009", retry_after=WINDOW_SECONDS)
            if errcode == BUSY:
                raise TransientNotifyError("wecom_busy")
            if errcode != 0:
                raise PermanentNotifyError(f"wecom_{errcode}")

        await with_retries(attempt, self._retry, channel=self.channel)
