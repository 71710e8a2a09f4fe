"""What the worker is told when an independent monitor takes up their case (zh and en).

UNGP Principle 31 asks for a transparent mechanism: the worker learns that the case left the factory's
hands and why, in plain words, with the reference they already know. The texts never repeat the
grievance itself, and each fits one SMS segment (a test measures them). What the router's own text
already told the worker (an unroutable, retaliation or conflict-of-interest case at its creation, a
critical one, a dispute) gets no second text from here: see ``escalations.told_by_router``.
"""

from __future__ import annotations

_LEAD = {
    "zh": "您的投诉{reference}现由独立监督机构跟进。",
    "en": "An independent monitor now follows case {reference}.",
}

_WHY = {
    "zh": {
        "ack_overdue": "工厂委员会未按时受理。",
        "resolution_overdue": "工厂委员会未按时解决。",
        "critical": "情况严重，需立即处理。",
        "retaliation": "涉及报复的投诉不经过工厂。",
        "conflict_of_interest": "为避免利益冲突，不由工厂委员会处理。",
        "unroutable": "我们未能确定是哪家工厂。",
        "disputed": "您不同意工厂的处理结果。",
    },
    "en": {
        "ack_overdue": "The factory committee did not acknowledge it in time.",
        "resolution_overdue": "The factory committee did not resolve it in time.",
        "critical": "It is serious and needs attention at once.",
        "retaliation": "Reports of retaliation never go to the factory.",
        "conflict_of_interest": "This avoids a conflict of interest.",
        "unroutable": "We could not tell which factory it concerns.",
        "disputed": "You did not accept the factory's resolution.",
    },
}

_CLOSE = {
    "zh": "我们会继续通知您进展，请勿发送个人信息。",
    "en": "We'll keep you informed; send no personal details.",
}


def escalation_notice(language: str, reference: str, reason: str) -> str:
    """The notice in the worker's language (English for anything that is not Chinese)."""
    lang = "zh" if language == "zh" else "en"
    why = _WHY[lang].get(reason, "")
    parts = [_LEAD[lang].format(reference=reference), why, _CLOSE[lang]]
    separator = "" if lang == "zh" else " "
    return separator.join(part for part in parts if part)
