"""Sealing contacts and pseudonymising reporters (design section 9).

The worker's phone number or OpenID is sealed at the edge with Fernet (AES-128-CBC + HMAC-SHA256) and
only intake's sender unseals it. The ``reporter_key`` links a worker's messages without revealing the
number: HMAC-SHA256 over the normalised E.164 form, so "138 0013 8000" and "+8613800138000" are the
same reporter.

A service holds only the keys it uses (:class:`Keys`): intake both (it seals at the edge and unseals
in its sender), the router the pseudonym key (it checks PINs), escalation none; the router and
escalation pass sealed contacts along without being able to open them. The contact key may come with
older keys (``GRIEVANCE_CONTACT_KEY_PREVIOUS``): the current key seals, all of them unseal, and
:func:`reseal` moves a contact sealed with an older key to the current one (key rotation).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

import phonenumbers
import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from shared.invocation import grievance
from shared.settings import ConfigurationError, Settings

__all__ = ["ConfigurationError", "KeyNotHeld", "Keys", "UnsealError"]

log = structlog.get_logger(__name__)

# The shortest pseudonym key accepted at all (a deployment is held to more: shared.safety). With the
# key, reporter keys of Chinese mobile numbers (about 1.9 x 10^9 of them) are reversed by trying every
# number, so it is as secret as the contact key.
PSEUDONYM_MIN_LENGTH = 16


class UnsealError(ValueError):
    """A sealed contact that none of these keys sealed, or that was altered."""


class KeyNotHeld(RuntimeError):
    """This service was not given the key the call needs (only intake holds the contact key)."""


@dataclass(frozen=True)
class Keys:
    """The keys one service holds. Nothing is held by default; a missing key raises when used.

    ``contact_keys`` are Fernet keys, the current one first: it seals, all of them unseal.
    """

    contact_keys: tuple[Fernet, ...] = ()
    pseudonym_key: bytes | None = None
    _cipher: MultiFernet | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if self.contact_keys:
            object.__setattr__(self, "_cipher", MultiFernet(list(self.contact_keys)))

    @property
    def contact(self) -> MultiFernet:
        """Seals with the current contact key and unseals with any of them."""
        if self._cipher is None:
            raise KeyNotHeld("this service holds no contact key: only intake seals and unseals contacts")
        return self._cipher

    @property
    def current_contact(self) -> Fernet:
        self.contact  # noqa: B018 - raises KeyNotHeld without a contact key
        return self.contact_keys[0]

    @property
    def pseudonym(self) -> bytes:
        if self.pseudonym_key is None:
            raise KeyNotHeld("this service holds no pseudonym key: only intake and the router use it")
        return self.pseudonym_key

    @property
    def holds_contact(self) -> bool:
        return self._cipher is not None

    @property
    def holds_pseudonym(self) -> bool:
        return self.pseudonym_key is not None

    def only(self, *, contact: bool, pseudonym: bool) -> Keys:
        """The same keys without those a service is not to hold."""
        return Keys(
            contact_keys=self.contact_keys if contact else (),
            pseudonym_key=self.pseudonym_key if pseudonym else None,
        )


def load_keys(
    settings: Settings, *, contact: bool = True, pseudonym: bool = True, generate: bool = False
) -> Keys:
    """The keys named by ``contact`` and ``pseudonym``, from the settings.

    ``generate``: a missing key is made up for this process instead of being an error (the embedded
    mode, whose store dies with the process anyway; the bootstrap decides).
    """
    current = settings.contact_key.get_secret_value() if settings.contact_key else None
    secret = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    missing = [
        name
        for name, wanted, value in (
            ("GRIEVANCE_CONTACT_KEY", contact, current),
            ("GRIEVANCE_PSEUDONYM_KEY", pseudonym, secret),
        )
        if wanted and not value
    ]
    if missing and not generate:
        raise ConfigurationError(
            f"{' and '.join(missing)} must be set outside the embedded mode "
            f"(generate them with `{grievance('keys')}`)"
        )
    if missing:
        log.warning("keys_generated_for_this_process", reason="embedded mode without configured keys")
    contact_keys: tuple[Fernet, ...] = ()
    if contact:
        previous = settings.contact_key_previous.get_secret_value() if settings.contact_key_previous else ""
        contact_keys = (
            _fernet(current or Fernet.generate_key().decode(), "GRIEVANCE_CONTACT_KEY"),
            *(
                _fernet(older, "GRIEVANCE_CONTACT_KEY_PREVIOUS")
                for older in (part.strip() for part in previous.split(","))
                if older
            ),
        )
    pseudonym_key: bytes | None = None
    if pseudonym:
        secret = secret or secrets.token_urlsafe(32)
        if len(secret) < PSEUDONYM_MIN_LENGTH:
            raise ConfigurationError(
                f"GRIEVANCE_PSEUDONYM_KEY must be at least {PSEUDONYM_MIN_LENGTH} characters"
            )
        pseudonym_key = secret.encode()
    return Keys(contact_keys=contact_keys, pseudonym_key=pseudonym_key)


def _fernet(value: str, setting: str) -> Fernet:
    try:
        return Fernet(value.encode())
    except ValueError:
        raise ConfigurationError(f"{setting} is not a Fernet key (32 url-safe base64 bytes)") from None


def generate_keys() -> dict[str, str]:
    """Fresh values for the two key settings."""
    return {
        "GRIEVANCE_CONTACT_KEY": Fernet.generate_key().decode(),
        "GRIEVANCE_PSEUDONYM_KEY": secrets.token_urlsafe(32),
    }


def seal(keys: Keys, contact: str) -> str:
    """Seal with the current contact key."""
    return keys.contact.encrypt(contact.encode("utf-8")).decode("ascii")


def unseal(keys: Keys, sealed: str) -> str:
    """Open a contact sealed with any of the contact keys (the current one or an older one)."""
    try:
        return keys.contact.decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise UnsealError("sealed contact does not open with this key") from exc


def reseal(keys: Keys, sealed: str) -> str | None:
    """The contact sealed with the current key, or None when it already is (nothing to rewrite).

    Raises :class:`UnsealError` when no key opens it. The token keeps its original timestamp
    (``MultiFernet.rotate``), so resealing twice changes nothing the second time.
    """
    token = sealed.encode("ascii")
    try:
        keys.current_contact.decrypt(token)
    except InvalidToken:
        pass
    else:
        return None
    try:
        return keys.contact.rotate(token).decode("ascii")
    except InvalidToken as exc:
        raise UnsealError("sealed contact does not open with any contact key") from exc


@dataclass
class Rotation:
    """What one re-sealing pass found in one collection, for ``grievance keys rotate`` to print.

    ``resealed``: contacts rewritten with the current key; ``current``: already sealed with it;
    ``unreadable``: opened by no key (left as they are); ``raced``: changed by a service between the
    read and the write (left for the next pass, which a rotation is safe to repeat).
    """

    keys: Keys
    resealed: int = 0
    current: int = 0
    unreadable: int = 0
    raced: int = 0

    def new_seal(self, sealed: str) -> str | None:
        """The contact sealed with the current key, or None when nothing is to be written (counted)."""
        try:
            fresh = reseal(self.keys, sealed)
        except UnsealError:
            self.unreadable += 1
            return None
        if fresh is None:
            self.current += 1
        return fresh

    def add_writes(self, rewritten: int, raced: int) -> Rotation:
        self.resealed += rewritten
        self.raced += raced
        return self


def reporter_key(keys: Keys, contact: str) -> str:
    """A stable pseudonym for one contact (normalise phone numbers first)."""
    return hmac.new(keys.pseudonym, contact.encode("utf-8"), hashlib.sha256).hexdigest()


def unverified_reporter_key(keys: Keys, key: str) -> str:
    """The reporter key of a contact nobody proved to hold (a number typed into the web form).

    Derived from the ordinary key under a label of its own, so it never equals the key of an SMS
    sender: a planted case cannot collect the messages of the worker whose number it names.
    """
    return keyed_digest(keys, "unverified-contact", key)


def contact_code(keys: Keys, unverified_key: str, day: str) -> str:
    """The one-time code that confirms an unverified contact: one per contact and day (six digits)."""
    return f"{int(keyed_digest(keys, 'contact-code', unverified_key, day), 16) % 10**6:06d}"


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
    number = parse_number(candidate, default_region)
    if number is None or not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_number(raw: str, default_region: str) -> phonenumbers.PhoneNumber | None:
    """``raw`` as phonenumbers reads it ("00" the international prefix, ``default_region`` for a
    number without a country code), or None when it is no number at all."""
    candidate = raw.strip()
    if candidate.startswith("00"):
        candidate = "+" + candidate[2:]
    try:
        return phonenumbers.parse(candidate, None if candidate.startswith("+") else default_region)
    except phonenumbers.NumberParseException:
        return None


# Ten digits: 10^10 PINs, against at most five guesses per reference before it locks (the router's
# status_store); cases filed when PINs had six digits keep theirs.
PIN_DIGITS = 10


def pin_for(keys: Keys, grievance_id: str) -> str:
    """The PIN of a web grievance (:data:`PIN_DIGITS` digits): derived, so a retried submission gets
    the same one."""
    return f"{int(keyed_digest(keys, 'pin', grievance_id), 16) % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


def pin_hash(keys: Keys, reference: str, pin: str) -> str:
    """What the store keeps to check a PIN on the public status page."""
    return keyed_digest(keys, "pin-check", reference, pin)
