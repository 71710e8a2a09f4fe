"""Every word of the worker's case page, in Simplified Chinese and English.

The reader is a worker on a cheap phone, often in a hurry and perhaps on a shared handset: short
sentences that say where the case stands and what happens next, never a system's error message, and
never a word that shows who in the committee wrote. The page's times reuse the console's ``time.*``
texts (one wording for "2 days left" across the router's pages).
"""

from __future__ import annotations

from collections.abc import Mapping

from services.router.status_page import NOT_FOUND
from shared.pages import Catalog
from shared.validation import Language

_STATUS = {
    "assigned": (
        "委员会已收到您的投诉，还没有受理。",
        "The committee has your grievance and has not acknowledged it yet.",
    ),
    "acknowledged": ("委员会已受理，正在处理。", "The committee acknowledged it and is working on it."),
    "resolved": (
        "委员会提出了解决方案，请告诉我们您是否认可。",
        "The committee proposed a resolution: please say whether you accept it.",
    ),
    "reopened": ("投诉已重新打开，正在重新处理。", "Your grievance was reopened and is handled again."),
    "closed": ("投诉已结案。", "Your grievance is closed."),
    "unassigned": (
        "您的投诉由独立机构处理，不经过工厂的委员会。",
        "An independent organisation handles your grievance, not the factory's committee.",
    ),
}
_CLOSURE = {
    "confirmed": ("您认可了解决方案。", "You accepted the resolution."),
    "unconfirmed": (
        "您在期限内没有答复解决方案，投诉自动结案。",
        "You did not answer the resolution in time, so the case closed on its own.",
    ),
    "rerouted": (
        "这份投诉已并入您后来提交的投诉，请用那份投诉的编号查看。",
        "This grievance went into the one you sent later; follow that one with its reference.",
    ),
    "ngo_outcome": ("独立监督机构已结案。", "The independent monitor closed the case."),
}
_FROM = {
    "worker": ("您", "You"),
    "committee": ("委员会", "The committee"),
    "ngo": ("独立监督机构", "The independent monitor"),
}
_PURPOSE = {
    "grievance": ("投诉", "grievance"),
    "message": ("补充", "message"),
    "confirm": ("认可解决方案", "accepted the resolution"),
    "dispute": ("不认可解决方案", "did not accept the resolution"),
    "committee_reply": ("回复", "reply"),
    "resolution_check": ("解决方案", "resolution"),
    "ngo_message": ("消息", "message"),
    "ngo_outcome": ("结案结果", "outcome"),
}


def _group(prefix: str, pairs: Mapping[str, tuple[str, str]]) -> dict[str, dict[Language, str]]:
    return {f"{prefix}.{key}": {"zh": zh, "en": en} for key, (zh, en) in pairs.items()}


TEXTS = Catalog(
    {
        **_group("worker.status", _STATUS),
        **_group("worker.closure", _CLOSURE),
        **_group("worker.from", _FROM),
        **_group("worker.purpose", _PURPOSE),
        "worker.brand": {"zh": "我的投诉", "en": "My grievance"},
        "worker.signin.title": {"zh": "查看我的投诉", "en": "Follow my grievance"},
        "worker.signin.intro": {
            "zh": "请输入提交投诉时得到的编号（或短信里的 6 位案件码）和密码。",
            "en": "Enter the reference you were given (or the 6-character case code from the SMS) "
            "and your PIN.",
        },
        "worker.signin.case": {"zh": "编号或案件码", "en": "Reference or case code"},
        "worker.signin.case_hint": {
            "zh": "例如 ABCDE-FGHJK 或 ABCDEF",
            "en": "For example ABCDE-FGHJK or ABCDEF",
        },
        "worker.signin.pin": {"zh": "密码", "en": "PIN"},
        "worker.signin.submit": {"zh": "查看", "en": "Show my grievance"},
        "worker.signin.refused": {"zh": NOT_FOUND["zh"], "en": NOT_FOUND["en"]},
        "worker.signin.privacy": {
            "zh": "不要把密码告诉别人。用完请点“退出”，20 分钟后也会自动退出。",
            "en": "Do not tell anyone your PIN. Sign out when you are done; you are signed out "
            "after 20 minutes anyway.",
        },
        "worker.signin.again": {
            "zh": "您已退出，或者登录已过期。请重新输入编号和密码。",
            "en": "You are signed out, or your sign-in expired. Please enter the reference and PIN again.",
        },
        "worker.signout": {"zh": "退出", "en": "Sign out"},
        "worker.signout.done": {
            "zh": "您已退出。这个页面不会保存您的投诉。",
            "en": "You are signed out. This page keeps no copy of your grievance.",
        },
        "worker.case.title": {"zh": "投诉 {reference}", "en": "Grievance {reference}"},
        "worker.field.status": {"zh": "现在", "en": "Now"},
        "worker.field.received": {"zh": "收到时间", "en": "Received"},
        "worker.field.ack_due": {"zh": "受理期限", "en": "To be acknowledged by"},
        "worker.field.resolve_due": {"zh": "解决期限", "en": "To be resolved by"},
        "worker.field.resolution": {"zh": "解决方案", "en": "Resolution"},
        "worker.ngo_follows": {
            "zh": "独立监督机构也在跟进您的投诉。",
            "en": "An independent monitor follows your grievance too.",
        },
        "worker.overdue.acknowledge": {
            "zh": "委员会没有在期限内受理。独立监督机构已收到通知。",
            "en": "The committee missed the deadline to acknowledge it. The independent monitor is told.",
        },
        "worker.overdue.resolve": {
            "zh": "委员会没有在期限内解决。独立监督机构已收到通知。",
            "en": "The committee missed the deadline to resolve it. The independent monitor is told.",
        },
        "worker.thread": {"zh": "对话", "en": "Messages"},
        "worker.reply": {"zh": "补充或回复", "en": "Add a message"},
        "worker.reply.text": {"zh": "您的消息", "en": "Your message"},
        "worker.reply.hint": {
            "zh": "委员会会看到您的消息，但看不到您的电话号码。",
            "en": "The committee reads your message; it never sees your phone number.",
        },
        "worker.reply.submit": {"zh": "发送", "en": "Send"},
        "worker.answer": {"zh": "您认可这个解决方案吗？", "en": "Do you accept this resolution?"},
        "worker.confirm.submit": {"zh": "认可，结案", "en": "Yes, close my grievance"},
        "worker.confirm.default": {"zh": "我认可这个解决方案。", "en": "I accept this resolution."},
        "worker.dispute.text": {"zh": "不认可的原因（可以不填）", "en": "Why not (you may leave this empty)"},
        "worker.dispute.hint": {
            "zh": "不认可时，投诉会重新打开，并由独立监督机构跟进。",
            "en": "If you do not accept it, your grievance reopens and the independent monitor follows it.",
        },
        "worker.dispute.submit": {"zh": "不认可", "en": "No, I do not accept it"},
        "worker.dispute.default": {"zh": "我不认可这个解决方案。", "en": "I do not accept this resolution."},
        "worker.closed": {
            "zh": "投诉已结案，不能再添加消息。如有新问题，请提交新的投诉。",
            "en": "Your grievance is closed; no more messages can be added. Send a new grievance "
            "for anything else.",
        },
        "worker.done.replied": {"zh": "您的消息已加入投诉。", "en": "Your message was added."},
        "worker.done.confirmed": {
            "zh": "谢谢您的确认，投诉已结案。",
            "en": "Thank you. Your grievance is closed.",
        },
        "worker.done.disputed": {
            "zh": "已记录您不认可解决方案，投诉会重新处理。",
            "en": "Noted: you do not accept the resolution. Your grievance is handled again.",
        },
        "worker.error.csrf": {
            "zh": "这个页面已过期。请重新打开页面再试一次。",
            "en": "This page has expired. Open it again and retry.",
        },
        "worker.error.invalid": {
            "zh": "请检查填写的内容：{detail}",
            "en": "Please check what you entered: {detail}",
        },
        "worker.error.too_many": {
            "zh": "尝试太频繁，请一分钟后再试。",
            "en": "Too many tries; please wait a minute and try again.",
        },
        "worker.error.unavailable": {
            "zh": "已保存，但系统暂时无法通知委员会。请稍后再点一次，不会重复。",
            "en": "Saved, but the committee could not be told yet. Press the button again in a "
            "moment; nothing is done twice.",
        },
        "worker.error.changed": {
            "zh": "投诉刚刚有了变化，请再试一次。",
            "en": "Your grievance changed at the same moment; please try again.",
        },
        "worker.error.closed": {
            "zh": "投诉已结案，不能再添加消息。",
            "en": "Your grievance is closed; no more messages can be added.",
        },
        "worker.error.not_waiting": {
            "zh": "现在没有等待您答复的解决方案。",
            "en": "No resolution is waiting for your answer now.",
        },
        "worker.back": {"zh": "返回", "en": "Back"},
    }
)
