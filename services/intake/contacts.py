"""Turning a sender address into what may travel: the address to seal and the identity to key.

Phone numbers are normalised to E.164 so that one worker writing as "139 1234 5678" and as
"+8613912345678" is one reporter. Provider channel addresses such as ``whatsapp:+86...`` keep their
prefix in the sealed reply address (a reply must go back through the same channel) but are keyed by
the bare number. Anything that is not a phone number (a WeChat-style id) is sealed and keyed as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from shared.privacy import normalise_e164


@dataclass(frozen=True)
class Sender:
    """``address`` is sealed for replies; ``identity`` feeds the reporter key."""

    address: str
    identity: str


@lru_cache(maxsize=256)
def gateway_number(raw: str, default_region: str) -> str | None:
    """:func:`normalise_e164` for our own gateway numbers: few, repeated, and slow to parse.

    Workers' numbers are deliberately not cached, so the process keeps no list of recent senders.
    """
    return normalise_e164(raw, default_region)


def sender_of(raw: str, default_region: str) -> Sender:
    raw = raw.strip()
    prefix, separator, rest = raw.partition(":")
    if separator and prefix.isascii() and prefix.isalpha():
        number = normalise_e164(rest, default_region)
        if number:
            return Sender(f"{prefix.lower()}:{number}", number)
        return Sender(raw, raw)
    number = normalise_e164(raw, default_region)
    return Sender(number, number) if number else Sender(raw, raw)
