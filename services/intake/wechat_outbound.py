"""The WeChat leg of the sender: customer-service text inside the 48 h window, else undeliverable.

WeChat takes a customer-service message (``cgi-bin/message/custom/send``) only within 48 h of the
user's last message to the account. The webhook records when that was, per reporter key
(:class:`services.intake.wechat_store.ServiceWindows`); the sender asks :meth:`WeChatChannel.closed`
before each message and, outside the window, sends nothing: the message is recorded
``undeliverable`` with the reason ``outside_service_window``: the committee sees the message's
delivery state, and the reason is the ``error_code`` of its ``message.delivery``. It does not wait
for the worker's next message: a reply held back for days would arrive out of its context, and the
committee, seeing the state, can reach the worker another way. A margin inside the 48 h keeps a send that races the window's end
from being refused; should WeChat refuse anyway (45015, or 45047: the window's quota spent), the
message becomes ``undeliverable`` the same way (``outside_service_window``,
``service_window_quota_spent``).

The OpenID is the contact the sender unseals; it is passed to WeChat and nowhere else: not logged,
not recorded (the provider id of a part is derived from the event).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.intake.channels.wechat_api import CustomerServiceWindowClosed, WeChatApi
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


def window_open(last_inbound: datetime | None, now: datetime) -> bool:
    """Whether a customer-service message may go now, given the user's last message (pure)."""
    return last_inbound is not None and now < last_inbound + SERVICE_WINDOW - WINDOW_MARGIN


def refusal_reason(error: CustomerServiceWindowClosed) -> str:
    """The undeliverable reason for WeChat's window refusals (45047: quota; 45015: closed)."""
    return QUOTA_SPENT if error.code == "45047" else OUTSIDE_WINDOW


class WeChatChannel:
    """An :class:`~services.intake.channels.delivery.OutboundChannel` over one Official Account."""

    name = NAME
    text_limit = TEXT_LIMIT

    def __init__(self, api: WeChatApi, windows: ServiceWindows, keys: Keys, app_id: str) -> None:
        self._api = api
        self._windows = windows
        self._keys = keys
        self.app_id = app_id

    async def closed(self, openid: str, now: datetime) -> str | None:
        """Why a customer-service message cannot go to ``openid`` now; None while the window is open."""
        last = await self._windows.last_inbound(reporter_key(self._keys, reporter_identity(openid)))
        return None if window_open(last, now) else OUTSIDE_WINDOW

    async def send(
        self, to: str, sender: str, body: str, *, event: MessageOutbound, part: int, parts: int
    ) -> str:
        """One customer-service text; custom/send answers no message id, so the part's id is ours."""
        await self._api.send_text(to, body)
        return f"wechat:{event.id}:{part}"
