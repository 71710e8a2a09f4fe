"""What a WeChat worker is told outside the 48 h window: that there is news, never what it is (pure).

Outside the customer-service window WeChat takes only a template message or a one-time subscription
message, both shown in the worker's chat list and, for a template, possibly to anyone who sees the
worker's phone. So neither carries the committee's text, the worker's words or a PIN: a neutral line
("there is news on your case"), the case code (:func:`shared.ids.case_code`, the six characters a
worker already holds) and, in the template, the time. Tapping it opens the worker page
``{GRIEVANCE_PUBLIC_STATUS_URL}/case/?code=<code>``, where the worker signs in with the PIN they keep
and reads the message.

The message carries no factory, so the time is shown in one zone, ``GRIEVANCE_WECHAT_NOTICE_TIMEZONE``
(Asia/Shanghai unless set). Template values follow the kinds of WeChat's template keys: ``thing`` up
to 20 characters, ``character_string`` up to 32 letters and digits, ``time`` as 2026年12月01日 15:01.
The one-time subscription message has a title of 15 characters at most and a content of 200.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from shared.contracts import Language
from shared.ids import case_code
from shared.settings import Settings

# WeChat echoes the scene of a one-time subscription back; one scene: news on a case.
SCENE = 1
_NEWS: dict[Language, str] = {"zh": "您的案件有新消息，请点击查看", "en": "News on your case"}
_TITLE: dict[Language, str] = {"zh": "案件有新消息", "en": "Case news"}
_CONTENT: dict[Language, str] = {
    "zh": "您的案件（编号 {code}）有新消息。请点击查看，并用您的密码登录。",
    "en": "There is news on your case (code {code}). Tap to read it, signing in with your PIN.",
}
_TIME_FORMAT = "%Y年%m月%d日 %H:%M"


@dataclass(frozen=True)
class NoticePolicy:
    """What the sender may use outside the window, read once from the settings."""

    status_base_url: str
    template_id: str | None
    # The template's keys for the news line, the case code and the time, in that order.
    template_keys: tuple[str, str, str]
    timezone: str
    subscribe_template_id: str | None
    window_quota: int

    @classmethod
    def of(cls, settings: Settings) -> NoticePolicy:
        news, code, time = settings.wechat_template_keys.split(",")
        return cls(
            status_base_url=settings.public_status_url.rstrip("/"),
            template_id=settings.wechat_template_id,
            template_keys=(news, code, time),
            timezone=settings.wechat_notice_timezone,
            subscribe_template_id=settings.wechat_subscribe_template_id,
            window_quota=settings.wechat_window_quota,
        )

    def worker_page(self, code: str) -> str:
        """The worker page of a case, by its code: never a PIN, never the full reference."""
        return f"{self.status_base_url}/case/?{urlencode({'code': code})}"

    def template_data(self, reference: str, language: Language, at: datetime) -> dict[str, str]:
        """The template's three values: the news line, the case code, the time in the notice's zone."""
        news, code, time = self.template_keys
        local = at.astimezone(ZoneInfo(self.timezone))
        return {news: _NEWS[language], code: case_code(reference), time: local.strftime(_TIME_FORMAT)}


@dataclass(frozen=True)
class SubscriptionNotice:
    title: str
    content: str


def subscription_notice(reference: str, language: Language) -> SubscriptionNotice:
    """The one-time subscription message for a case: its title and its one ``content`` value."""
    return SubscriptionNotice(_TITLE[language], _CONTENT[language].format(code=case_code(reference)))
