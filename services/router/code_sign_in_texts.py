"""The words of the case page's second way in: a one-time code sent to the case's phone or WeChat.

The answer to a request says the same thing whether or not a case matched ("if this case has a
phone or WeChat on record, a code was sent to it"), so the page tells nobody which references exist.
"""

from __future__ import annotations

from shared.pages import Catalog

TEXTS = Catalog(
    {
        "worker.code.heading": {"zh": "没有密码？", "en": "No PIN?"},
        "worker.code.intro": {
            "zh": "通过短信或微信反映问题的，没有密码：输入编号或案件码，我们把一个登录码发到您当时用的手机或微信。",
            "en": "If you wrote by SMS or WeChat you have no PIN: enter the reference or case code, "
            "and we send a sign-in code to the phone or WeChat you wrote from.",
        },
        "worker.code.case": {"zh": "编号或 6 位案件码", "en": "Your reference or 6-character code"},
        "worker.code.request": {"zh": "发登录码给我", "en": "Send me a sign-in code"},
        "worker.code.title": {"zh": "输入登录码", "en": "Enter the sign-in code"},
        "worker.code.sent": {
            "zh": "如果这个案件登记了手机或微信，登录码已发到那里。登录码 10 分钟内有效，只能用一次。",
            "en": "If this case has a phone or WeChat on record, a code was sent to it. "
            "The code is valid for 10 minutes and works once.",
        },
        "worker.code.unsent": {
            "zh": "登录码暂时发不出去。请一分钟后再申请一次。",
            "en": "The sign-in code could not be sent just now. Please ask again in a minute.",
        },
        "worker.code.field": {"zh": "登录码（6 位数字）", "en": "Sign-in code (6 digits)"},
        "worker.code.submit": {"zh": "登录", "en": "Sign in"},
        "worker.code.refused": {
            "zh": "登录码不对、已过期或已用过。请重新申请一个。",
            "en": "The code is not right, has expired or was used already. Ask for a new one.",
        },
        "worker.code.none": {
            "zh": "没收到？微信用户请先给公众号发一条消息。1 分钟后可以重新申请。",
            "en": "Nothing came? On WeChat, send the account a message first. You may ask again after a minute.",
        },
        "worker.code.back": {"zh": "重新申请登录码", "en": "Ask for a new code"},
        "worker.wechat.subscribe": {
            "zh": "想在有新消息时收到微信提醒？点这里同意一次提醒。",
            "en": "Want a WeChat reminder when there is news? Agree to one reminder here.",
        },
    }
)
