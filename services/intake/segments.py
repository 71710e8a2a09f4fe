"""Splitting long outbound texts the way SMS users expect.

Twilio accepts a body of up to 1600 characters and sends it as one concatenated message, which the
phone shows as a single text; nothing below that is split here. Longer texts become several messages,
each ending with a "(1/3)" marker. Breaks fall after a sentence (Chinese or Latin punctuation or a
line break) when one is near the end of the piece, otherwise at a space; Chinese text, which has no
spaces, is cut between characters. Lengths are counted in UTF-16 code units, as the carriers do, so
an emoji counts twice.
"""

from __future__ import annotations

SMS_BODY_LIMIT = 1600
_SENTENCE_ENDS = "。！？；…\n.!?;"
_MARKER_ROOM = 10  # " (99/99)" and a little slack


def units(text: str) -> int:
    """Length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int = SMS_BODY_LIMIT) -> list[str]:
    text = text.strip()
    if units(text) <= limit:
        return [text]
    room = limit - _MARKER_ROOM
    pieces: list[str] = []
    rest = text
    while rest:
        if units(rest) <= room:
            pieces.append(rest)
            break
        head = _prefix_within(rest, room)
        cut = _break_point(head)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    count = len(pieces)
    return [f"{piece} ({index}/{count})" for index, piece in enumerate(pieces, start=1)]


def _prefix_within(text: str, room: int) -> str:
    """The longest prefix of ``text`` that fits ``room`` code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > room:
            return text[:index]
    return text


def _break_point(head: str) -> int:
    """Where to cut: after the last sentence end or space in the second half, else at the end."""
    floor = len(head) // 2
    for marks in (_SENTENCE_ENDS, " \t"):
        position = max(head.rfind(mark) for mark in marks)
        if position >= floor:
            return position + 1
    return len(head)


# The GSM 03.38 alphabet: a text of these characters only travels as GSM-7 (160 per segment); the
# extension characters take two places. Any other character makes the whole text UCS-2 (70).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """How many SMS segments ``text`` takes: 160 GSM-7 septets or 70 UCS-2 units in one, and 153 or
    67 per segment once it is split (the rest carries the concatenation header)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text):
        septets = len(text) + sum(char in GSM7_EXTENSION for char in text)
        return 1 if septets <= 160 else -(-septets // 153)
    length = units(text)
    return 1 if length <= 70 else -(-length // 67)
