"""What intake says to workers, in Simplified Chinese and English, and how it picks the language.

A worker who writes Chinese gets Chinese back; everyone else gets English. The texts are short
enough for a single SMS segment in either language (70 UCS-2 or 160 GSM-7 characters), because
workers often use cheap phones and pay per segment.
"""

from __future__ import annotations

import re

from shared.contracts import Language
from shared.ids import find_reference
from shared.keywords import parse

# CJK Unified Ideographs with extension A, the compatibility block, and the supplementary planes.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")

ACKNOWLEDGEMENTS: dict[Language, str] = {
    "zh": "已收到您的反映，案件编号：{reference}。我们会保密处理并通知您进展，请保存此编号。",
    "en": "We received your report. Case reference: {reference}. It is handled in confidence "
    "and we will keep you informed. Please keep this reference.",
}


RECEIPTS: dict[Language, str] = {
    "zh": "已收到您的消息，我们会尽快短信回复您。",
    "en": "We received your message and will reply by SMS shortly.",
}


def detect_language(text: str) -> Language:
    """Chinese when the text holds any Han character, else English."""
    return "zh" if _HAN.search(text) else "en"


def acknowledgement(reference: str, language: Language) -> str:
    """The receipt a worker gets at once, with the reference to quote in later messages."""
    return ACKNOWLEDGEMENTS[language].format(reference=reference)


def instant_reply(text: str, reference: str, language: Language) -> str | None:
    """What the gateway answers at once to an SMS, before the router has seen it.

    A new grievance gets its reference. A keyword (STATUS, 否, STOP, ...) gets nothing here: the
    router answers every keyword itself, and a second text would only confuse (after STOP it would
    even be wrong). A message that quotes a case reference continues that case, so it gets a plain
    receipt rather than a new reference. Only the router knows whether a message without a reference
    continues an open case; it then tells the worker which one.
    """
    command = parse(text)
    if command is not None and command.kind != "new":
        return None
    if command is None and find_reference(text) is not None:
        return RECEIPTS[language]
    return acknowledgement(reference, language)
