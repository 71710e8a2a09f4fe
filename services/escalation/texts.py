"""What the worker is told when an independent monitor takes up their case (zh and en).

UNGP Principle 31 asks for a transparent mechanism: the worker learns that the case left the factory's
hands and why, in plain words, with the reference they already know. The texts never repeat the
grievance itself and stay short enough for one or two SMS segments.
"""

from __future__ import annotations

_LEAD = {
    "zh": "您的投诉（编号 {reference}）现已由独立监督机构跟进。",
    "en": "An independent monitor now follows your case {reference}.",
}

_WHY = {
    "zh": {
        "ack_overdue": "工厂委员会未在规定时间内确认收到。",
        "resolution_overdue": "工厂委员会未在规定时间内解决。",
        "critical": "此问题情况严重，需要立即关注。",
        "retaliation": "涉及报复的投诉直接由监督机构处理，不经过工厂。",
        "conflict_of_interest": "为避免利益冲突，由监督机构处理。",
        "unroutable": "我们未能确定负责的工厂，由监督机构处理。",
        "disputed": "您不同意工厂的处理结果。",
    },
    "en": {
        "ack_overdue": "The factory committee did not acknowledge it in time.",
        "resolution_overdue": "The factory committee did not resolve it in time.",
        "critical": "It is serious and needs attention at once.",
        "retaliation": "Reports of retaliation go to the monitor, not the factory.",
        "conflict_of_interest": "The monitor handles it to avoid a conflict of interest.",
        "unroutable": "We could not tell which factory it concerns, so the monitor handles it.",
        "disputed": "You did not accept the factory's resolution.",
    },
}

_CLOSE = {
    "zh": "我们会继续通知您进展。请勿回复您的个人信息。",
    "en": "We will keep you informed. Do not send personal details.",
}


def escalation_notice(language: str, reference: str, reason: str) -> str:
    """The notice in the worker's language (English for anything that is not Chinese)."""
    lang = "zh" if language == "zh" else "en"
    why = _WHY[lang].get(reason, "")
    parts = [_LEAD[lang].format(reference=reference), why, _CLOSE[lang]]
    separator = "" if lang == "zh" else " "
    return separator.join(part for part in parts if part)
