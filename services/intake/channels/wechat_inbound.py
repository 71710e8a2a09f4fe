"""Opening a push to the WeChat server URL: which checks run, in which order, and what they refuse (pure).

WeChat signs every request with ``signature`` (the token, ``timestamp`` and ``nonce``), and that is
checked first, before the body is read: an unsigned caller learns nothing but 403. The signature
does not cover the body, so in plaintext mode anyone who saw one signed request could post any body
with it; safe mode (``encrypt_type=aes``) adds ``msg_signature`` over the ciphertext, and the
ciphertext names our AppID. So once an EncodingAESKey is configured, a push without encryption is
refused: otherwise the encryption could simply be left out. Without one, only plaintext is taken.

Errors are domain errors carrying the HTTP status they become; the view translates them once. Their
messages name the check that failed, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from services.intake.channels.wechat_crypto import (
    DecryptionFailed,
    KeyName,
    SafeMode,
    SignatureMismatch,
    WrongAppId,
    check_url_signature,
)
from services.intake.channels.wechat_messages import (
    EncryptedEnvelope,
    InboundMessage,
    MalformedMessage,
    parse_envelope,
    parse_message,
    text_reply,
)

# WeChat's timestamps are seconds and its nonces are decimal numbers; the bound keeps both short.
_DECIMAL_MAX = 20


class PushRefused(Exception):
    """A request that is not a push from our account; ``status`` is what the view answers."""

    status = 400

    def __init__(self, check: str) -> None:
        super().__init__(check)
        self.check = check


class Unsigned(PushRefused):
    status = 403


class ModeRefused(PushRefused):
    """Ciphertext, but no EncodingAESKey is configured to open it."""


class PlaintextRefused(Unsigned):
    """Plaintext while safe mode is configured: nothing would authenticate the body."""


@dataclass(frozen=True)
class PushQuery:
    """The query parameters WeChat adds to every push (``msg_signature``/``encrypt_type`` in safe mode)."""

    signature: str | None
    timestamp: str
    nonce: str
    encrypt_type: str | None = None
    msg_signature: str | None = None

    @classmethod
    def of(cls, query: dict[str, list[str]]) -> PushQuery:
        """From the parsed query; a parameter given twice is ambiguous and refused."""
        single: dict[str, str | None] = {}
        for name in ("signature", "timestamp", "nonce", "encrypt_type", "msg_signature"):
            values = query.get(name, [])
            if len(values) > 1:
                raise PushRefused(f"{name} repeated")
            single[name] = values[0] if values else None
        timestamp, nonce = single["timestamp"] or "", single["nonce"] or ""
        for name, value in (("timestamp", timestamp), ("nonce", nonce)):
            if not (value.isascii() and value.isdigit() and len(value) <= _DECIMAL_MAX):
                # Without them nothing can be signed: the request is not WeChat's.
                raise Unsigned(f"{name} missing or not decimal")
        return cls(single["signature"], timestamp, nonce, single["encrypt_type"], single["msg_signature"])


@dataclass(frozen=True)
class Opened:
    """A verified push: the message, and which key opened it (None in plaintext mode)."""

    message: InboundMessage
    key: KeyName | None


class WeChatInbound:
    """One Official Account's inbound side: its token, AppID and safe mode (None: plaintext mode)."""

    def __init__(self, token: str, app_id: str | None, safe: SafeMode | None) -> None:
        self._token, self.app_id, self._safe = token, app_id, safe

    @classmethod
    def configured(
        cls,
        token: SecretStr | None,
        app_id: str | None,
        aes_key: SecretStr | None,
        previous_aes_key: SecretStr | None,
    ) -> WeChatInbound | None:
        """From the settings; None without a token (the webhook then answers 503)."""
        text = token.get_secret_value() if token is not None else ""
        if not text:
            return None
        safe = None
        if aes_key is not None and app_id:
            previous = previous_aes_key.get_secret_value() if previous_aes_key is not None else None
            safe = SafeMode(text, app_id, aes_key.get_secret_value(), previous)
        return cls(text, app_id, safe)

    @property
    def safe_mode(self) -> bool:
        return self._safe is not None

    def check_signature(self, query: PushQuery) -> None:
        """The ``signature`` every request carries, the URL verification's included; Unsigned if wrong."""
        if not check_url_signature(self._token, query.timestamp, query.nonce, query.signature):
            raise Unsigned("signature does not verify")

    def check_mode(self, query: PushQuery) -> None:
        """Whether the push is in the mode configured here, from its query alone (before the body)."""
        encrypted = _encrypted(query)
        if self._safe is None and encrypted:
            raise ModeRefused("encrypted push, but no GRIEVANCE_WECHAT_AES_KEY is configured")
        if self._safe is not None and not encrypted:
            raise PlaintextRefused("plaintext push refused: safe mode is configured")

    def open(self, query: PushQuery, body: bytes) -> Opened:
        """The message a signed push holds (call :meth:`check_signature` first)."""
        self.check_mode(query)
        if self._safe is None:
            return Opened(_parsed(body), None)
        envelope = _envelope(body)
        try:
            decrypted = self._safe.decrypt(
                timestamp=query.timestamp,
                nonce=query.nonce,
                encrypt=envelope.encrypt,
                signature=query.msg_signature,
            )
        except SignatureMismatch:
            raise Unsigned("msg_signature does not verify") from None
        except WrongAppId:
            raise Unsigned("the ciphertext is for another AppID") from None
        except DecryptionFailed as exc:
            raise PushRefused(f"ciphertext does not open: {exc}") from None
        message = _parsed(decrypted.message)
        if envelope.to_user is not None and envelope.to_user != message.to_user:
            raise PushRefused("the envelope and the message name different accounts")
        return Opened(message, decrypted.key)

    def reply(self, opened: Opened, query: PushQuery, content: str, now: int) -> str:
        """A passive text reply to the sender, encrypted with the key that opened the push in safe mode."""
        message = opened.message
        xml = text_reply(message.from_user, message.to_user, content, now)
        if self._safe is None or opened.key is None:
            return xml.decode("utf-8")
        return self._safe.encrypt_reply(xml, timestamp=query.timestamp, nonce=query.nonce, key=opened.key)


def _encrypted(query: PushQuery) -> bool:
    return (query.encrypt_type or "").strip().lower() == "aes"


def _parsed(body: bytes) -> InboundMessage:
    try:
        return parse_message(body)
    except MalformedMessage as exc:
        raise PushRefused(str(exc)) from None


def _envelope(body: bytes) -> EncryptedEnvelope:
    try:
        return parse_envelope(body)
    except MalformedMessage as exc:
        raise PushRefused(str(exc)) from None
