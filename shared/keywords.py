"""Keywords a worker can send by SMS, in both languages, case- and width-insensitive (pure).

A keyword counts only when it is the whole message, optionally with a case reference (``STATUS
ABCDE-FGHJK``, ``否 ABCDE-FGHJK``) and punctuation around it, so a grievance that happens to begin
with "是" or "no" is never mistaken for an answer. ``NEW``/``新投诉`` is the exception: it opens a
message that becomes a new grievance even while the worker has an open case.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

from shared.ids import REFERENCE_PATTERN, find_reference

Kind = Literal["status", "yes", "no", "stop", "start", "help", "new"]

WORDS: dict[str, Kind] = {
    "status": "status",
    "状态": "status",
    "查询": "status",
    "进度": "status",
    "yes": "yes",
    "y": "yes",
    "是": "yes",
    "是的": "yes",
    "满意": "yes",
    "no": "no",
    "n": "no",
    "否": "no",
    "不是": "no",
    "不满意": "no",
    "stop": "stop",
    "unsubscribe": "stop",
    "退订": "stop",
    "td": "stop",
    "start": "start",
    "unstop": "start",
    "开通": "start",
    "help": "help",
    "帮助": "help",
}
NEW_PREFIXES = ("新投诉", "new")
_PUNCTUATION = " \t\r\n.,;:!?'\"()[]<>-_~。，；：！？、“”‘’（）【】《》…"


@dataclass(frozen=True)
class Command:
    kind: Kind
    reference: str | None = None
    text: str = ""  # for "new": the grievance that follows the keyword


def parse(text: str) -> Command | None:
    """The keyword command a message is, or None for an ordinary message."""
    normalized = unicodedata.normalize("NFKC", text)  # once: every message passes here
    folded = normalized.casefold().strip()
    for prefix in NEW_PREFIXES:
        if folded.startswith(prefix):
            rest = folded[len(prefix) :]
            if not rest or not rest[0].isascii() or not rest[0].isalnum():
                original = normalized.strip()[len(prefix) :]
                return Command("new", text=original.strip(_PUNCTUATION))
    reference = find_reference(text)
    bare = REFERENCE_PATTERN.sub(" ", normalized.upper()).casefold()
    word = bare.strip(_PUNCTUATION)
    if word == "":
        # "?" alone asks for help; a bare reference is an ordinary message about that case
        return Command("help") if "?" in bare and reference is None else None
    kind = WORDS.get(word) if word else None
    if kind is None or (word == "?" and reference is not None):
        return None
    return Command(kind, reference)
