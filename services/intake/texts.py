"""Which language intake records for a worker's message, so every answer comes in that language.

Intake itself says nothing to a worker who writes by SMS: its answer to the gateway is an empty
TwiML ``<Response/>``, and the router sends the one text each message earns (the acknowledgement
with the reference and the deadlines, the case a follow-up joined, the factory question, the answer
to a keyword). Intake cannot know which of them a message earns: a reference stated here would not
exist when the message continues an open case, and a second acknowledgement would repeat the first.

A worker who writes Chinese gets Chinese back, and so does one whose message has only full-width
punctuation (a Chinese keyboard's ``？``) or is a keyword used in China (``TD``, the carriers'
unsubscribe word); everyone else gets English.
"""

from __future__ import annotations

import re
import unicodedata

from shared.contracts import Language

# CJK Unified Ideographs with extension A, the compatibility block, and the supplementary planes.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# CJK symbols and punctuation (、。「」) and the full-width forms of ASCII punctuation (？！，：).
_CJK_PUNCTUATION = re.compile("[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
# Keywords written in Latin letters that only Chinese carriers' users send.
_CHINESE_KEYWORDS = frozenset({"td"})


def detect_language(text: str) -> Language:
    """Chinese for Han characters, CJK punctuation or a Chinese keyword; else English."""
    if _HAN.search(text) or _CJK_PUNCTUATION.search(text):
        return "zh"
    word = unicodedata.normalize("NFKC", text).strip().casefold()
    return "zh" if word in _CHINESE_KEYWORDS else "en"
