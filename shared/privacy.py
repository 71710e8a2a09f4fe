"""Sealing contacts and pseudonymising reporters (design section 9).

The worker's phone number or OpenID is sealed at the edge with Fernet (AES-128-CBC + HMAC-SHA256) and
only intake's sender unseals it. The ``reporter_key`` links a worker's messages without revealing the
number: HMAC-SHA256 over the normalised E.164 form, so "138 0013 8000" and "+8613800138000" are the
same reporter.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import phonenumbers
import structlog
from cryptography.fernet import Fernet, InvalidToken

from shared.settings import Settings

log = structlog.get_logger(__name__)


class ConfigurationError(RuntimeError):
    """The settings cannot run this service; the message says what to set."""


class UnsealError(ValueError):
    """A sealed contact that this key did not seal, or that was altered."""


@dataclass(frozen=True)
class Keys:
    contact: Fernet
    pseudonym: bytes


def load_keys(settings: Settings) -> Keys:
    """Keys from the settings; in the embedded mode missing keys are generated for this process."""
    contact = settings.contact_key.get_secret_value() if settings.contact_key else None
    pseudonym = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    if contact is None or pseudonym is None:
        if not settings.embedded:
            raise ConfigurationError(
                "GRIEVANCE_CONTACT_KEY and GRIEVANCE_PSEUDONYM_KEY must be set outside the embedded mode "
                "(generate them with `grievance keys`)"
            )
        log.warning("keys_generated_for_this_process", reason="embedded mode without configured keys")
        contact = contact or Fernet.generate_key().decode()
        pseudonym = pseudonym or secrets.token_urlsafe(32)
    try:
        fernet = Fernet(contact.encode())
    except ValueError as exc:
        raise ConfigurationError(
            "GRIEVANCE_CONTACT_KEY is not a Fernet key (32 url-safe base64 bytes)"
        ) from exc
    if len(pseudonym) < 16:
        raise ConfigurationError("GRIEVANCE_PSEUDONYM_KEY must be at least 16 characters")
    return Keys(contact=fernet, pseudonym=pseudonym.encode())


def generate_keys() -> dict[str, str]:
    """Fresh values for the two key settings."""
    return {
        "GRIEVANCE_CONTACT_KEY": Fernet.generate_key().decode(),
        "GRIEVANCE_PSEUDONYM_KEY": secrets.token_urlsafe(32),
    }


def seal(keys: Keys, contact: str) -> str:
    return keys.contact.encrypt(contact.encode("utf-8")).decode("ascii")


def unseal(keys: Keys, sealed: str) -> str:
    try:
        return keys.contact.decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise UnsealError("sealed contact does not open with this key") from exc


def reporter_key(keys: Keys, contact: str) -> str:
    """A stable pseudonym for one contact (normalise phone numbers first)."""
    return hmac.new(keys.pseudonym, contact.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_digest(keys: Keys, *parts: str) -> str:
    """HMAC over several parts, for secrets that must be checked but never stored (PINs)."""
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(keys.pseudonym, message, hashlib.sha256).hexdigest()


# A Chinese mobile number in E.164 (+86 1[3-9]x xxxx xxxx), the form gateways send for nearly every
# worker, is already normal: phonenumbers returns it unchanged (a test checks every five-digit
# prefix). Recognising it spares the parse, the costliest step of taking an SMS in. ASCII digits
# only: phonenumbers would rewrite full-width ones.
_CHINESE_MOBILE_E164 = re.compile(r"\+861[3-9][0-9]{9}")


def normalise_e164(raw: str, default_region: str = "CN") -> str | None:
    """The E.164 form of a phone number, or None when it is not a possible number.

    Numbers without a country code are read in ``default_region``; "00" is the international prefix.
    """
    candidate = raw.strip()
    if _CHINESE_MOBILE_E164.fullmatch(candidate):
        return candidate
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        number = phonenumbers.parse(candidate, None if candidate.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def pin_for(keys: Keys, grievance_id: str) -> str:
    """The six-digit PIN of a web grievance: derived, so a retried submission gets the same one."""
    return f"{int(keyed_digest(keys, 'pin', grievance_id), 16) % 10**6:06d}"


def pin_hash(keys: Keys, reference: str, pin: str) -> str:
    """What the store keeps to check a PIN on the public status page."""
    return keyed_digest(keys, "pin-check", reference, pin)
