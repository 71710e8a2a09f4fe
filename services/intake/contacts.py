"""Turning a sender address into what may travel: the address to seal and the identity to key.

Phone numbers are normalised to E.164 so that one worker writing as "139 1234 5678" and as
"+8613912345678" is one reporter. Provider channel addresses such as ``whatsapp:+86...`` keep their
prefix in the sealed reply address (a reply must go back through the same channel) but are keyed by
the bare number. Anything that is not a phone number (a WeChat-style id) is sealed and keyed as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from shared.privacy import normalise_e164, parse_number

# The number types that receive an SMS. Premium-rate, shared-cost, toll-free, VoIP, pager, fixed-line
# and short numbers do not, or cost the worker (or a victim) money.
_TEXTABLE = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


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


def mobile_number(raw: str, default_region: str) -> str | None:
    """The E.164 form of a web-form contact that is a real mobile number, else None.

    A web contact is typed by hand (or by someone planting a case), so "possible" is not enough:
    the number must be valid for its region (``phonenumbers.is_valid_number``) and of a type that
    receives SMS (mobile, or fixed-line-or-mobile where a region does not tell them apart).
    """
    number = parse_number(raw, default_region)
    if number is None:
        return None
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _TEXTABLE:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
