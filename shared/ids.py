"""Identifiers a worker sees: case references.

References use an alphabet without 0/O and 1/I/L so that a worker reading one off a cheap phone
screen cannot mistype it. Ten characters (31^10 ~ 8e14) keep accidental collisions negligible; the
router's unique index is the final guard.
"""

from __future__ import annotations

import re
import unicodedata
import uuid

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CHAR = "[2-9A-HJKMNP-Z]"  # the alphabet as a character class
# The one pattern of a reference: as written (XXXXX-XXXXX); every model and check derives from it.
REFERENCE_FORM = rf"{_CHAR}{{5}}-{_CHAR}{{5}}"
REFERENCE_REGEX = rf"^{REFERENCE_FORM}$"
# A reference inside a worker's text: any case, dash optional, not part of a longer word.
REFERENCE_PATTERN = re.compile(rf"(?<![0-9A-Z])({_CHAR}{{5}})-?({_CHAR}{{5}})(?![0-9A-Z])")
_REFERENCE = re.compile(REFERENCE_REGEX)
_NAMESPACE = uuid.UUID("6f1d3c52-7a0e-4f55-9c61-0b7e1f3e8a24")


def reference_for(grievance_id: uuid.UUID) -> str:
    """The reference of a grievance, derived from its id so a retried submission keeps it."""
    number = grievance_id.int
    chars = []
    for _ in range(10):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(chars[:5]) + "-" + "".join(chars[5:])


CODE_LENGTH = 6
CASE_CODE_REGEX = rf"^{_CHAR}{{{CODE_LENGTH}}}$"
_CASE_CODE = re.compile(CASE_CODE_REGEX)


def case_code(reference: str) -> str:
    """The short case code of a reference: its first six characters, without the dash.

    Chinese SMS templates cap a variable at six characters, so that is what an SMS worker is given
    and types back. It is not unique (31^6 codes): every lookup by code must also match the PIN or
    stay within the worker's own cases.
    """
    return reference.replace("-", "")[:CODE_LENGTH]


def is_case_code(text: str) -> bool:
    """Whether ``text`` is a case code exactly as written (six characters of the alphabet)."""
    return _CASE_CODE.match(text) is not None


_CASE_CODE_IN_TEXT = re.compile(rf"(?<![0-9A-Z]){_CHAR}{{{CODE_LENGTH}}}(?![0-9A-Z])")


def find_case_codes(text: str) -> frozenset[str]:
    """Every word of a text that could be a case code (any case; full-width folded).

    Many words qualify by accident, so a caller matches them against the sender's own cases only.
    """
    return frozenset(_CASE_CODE_IN_TEXT.findall(unicodedata.normalize("NFKC", text).upper()))


def grievance_id_for(*parts: str) -> uuid.UUID:
    """A deterministic grievance id for a provider's message id or a client's idempotency key."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts))


def new_grievance_id() -> uuid.UUID:
    return uuid.uuid4()


def is_reference(text: str) -> bool:
    """Whether ``text`` is a reference exactly as written (upper case, with its dash)."""
    return _REFERENCE.match(text) is not None


def find_reference(text: str) -> str | None:
    """The first case reference written anywhere in a text (any case, dash optional)."""
    match = REFERENCE_PATTERN.search(text.upper())
    return f"{match.group(1)}-{match.group(2)}" if match else None
