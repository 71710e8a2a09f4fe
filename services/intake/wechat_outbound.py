"""The WeChat leg of the sender: customer-service text inside the 48 h window, else a notice or a wait.

WeChat takes a customer-service message (``cgi-bin/message/custom/send``) only within 48 h of the
user's last message to the account, and only a few per message of the user (its quota, 5 today).
The webhook records when the user last wrote, per reporter key, and that resets the count
(:class:`services.intake.wechat_store.ServiceWindows`); before each message the sender asks
:meth:`WeChatChannel.closed`, which counts the message's parts against the quota. A margin inside
the 48 h keeps a send that races the window's end from being refused.

Outside the window, or with the quota spent, the message goes by template or one-time subscription
message, or waits for the worker's next message (:mod:`services.intake.wechat_fallback`). Should
WeChat refuse a text inside our window anyway (45015; 45047: its quota spent), the message takes the
same way, with the reason ``outside_service_window`` or ``service_window_quota_spent``.

The OpenID is the contact the sender unseals; it is passed to WeChat and nowhere else: not logged,
not recorded (the provider id of a part is derived from the event).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.channels.wechat_api import CustomerServiceWindowClosed, WeChatApi
from services.intake.wechat_fallback import OutsideWindow
from services.intake.wechat_store import SERVICE_WINDOW, ServiceWindows, reporter_identity
from shared.contracts import MessageOutbound
from shared.privacy import Keys, reporter_key

NAME = "wechat"
OUTSIDE_WINDOW = "outside_service_window"
QUOTA_SPENT = "service_window_quota_spent"
# How long before WeChat's own end of the window the sender stops trying.
WINDOW_MARGIN = timedelta(minutes=10)
# custom/send refuses a text over 2048 bytes; 600 UTF-16 units stay under it in any script.
TEXT_LIMIT = 600
# WeChat's quota per message of the user (客服消息下发规则: 5 messages within 48 h).
WINDOW_QUOTA = 5


def window_open(last_inbound: datetime | None, now: datetime) -> bool:
    """Whether a customer-service message may go now, given the user's last message (pure)."""
    return last_inbound is not None and now < last_inbound + SERVICE_WINDOW - WINDOW_MARGIN


def refusal_reason(error: CustomerServiceWindowClosed) -> str:
    """The reason recorded for WeChat's window refusals (45047: quota; 45015: closed)."""
    return QUOTA_SPENT if error.code == "45047" else OUTSIDE_WINDOW


class WeChatChannel:
    """An :class:`~services.intake.channels.delivery.OutboundChannel` over one Official Account."""

    name = NAME
    text_limit = TEXT_LIMIT

    def __init__(
        self,
        api: WeChatApi,
        windows: ServiceWindows,
        keys: Keys,
        app_id: str,
        outside: OutsideWindow,
        *,
        quota: int = WINDOW_QUOTA,
    ) -> None:
        self._api = api
        self._windows = windows
        self._keys = keys
        self._outside = outside
        self._quota = quota
        self.app_id = app_id

    def reporter_key(self, openid: str) -> str:
        return reporter_key(self._keys, reporter_identity(openid))

    async def closed(self, openid: str, now: datetime, messages: int = 1) -> str | None:
        """Why ``messages`` customer-service texts cannot go to ``openid`` now; None when they may
        (and then they are counted against the window's quota)."""
        key = self.reporter_key(openid)
        for _ in range(2):  # the user may write between the read and the count: read once more
            last = await self._windows.last_inbound(key)
            if last is None or not window_open(last, now):
                return OUTSIDE_WINDOW
            if await self._windows.reserve(key, last, messages, self._quota):
                return None
        return QUOTA_SPENT

    async def outside_window(self, event: MessageOutbound, openid: str, reason: str) -> None:
        """A template or subscription notice, else the wait; recorded (delivery errors propagate)."""
        await self._outside.handle(event, openid, self.reporter_key(openid), reason)

    async def send(
        self, to: str, sender: str, body: str, *, event: MessageOutbound, part: int, parts: int
    ) -> str:
        """One customer-service text; custom/send answers no message id, so the part's id is ours."""
        await self._api.send_text(to, body)
        return f"wechat:{event.id}:{part}"
