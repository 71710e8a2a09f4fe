"""WeChat server-message signatures and safe-mode (安全模式) encryption, exactly as WeChat computes them.

WeChat signs every push to the server URL: ``signature`` is the lowercase hex SHA-1 of the token, the
``timestamp`` and the ``nonce`` sorted as strings and joined without a separator. In safe mode the
body holds only ciphertext (``Encrypt``) and ``msg_signature`` signs the same three values plus
that ciphertext. The WeCom (企业微信) callback uses the same scheme with the corp id in place of
the AppID, so the module serves both.

The cipher is WeChat's own construction, not a general-purpose one: the AES-256 key is
``base64(EncodingAESKey + "=")``, the CBC IV is the key's first 16 bytes, PKCS#7 pads to a block of
32 bytes (a pad byte of 1..32), and the plaintext is 16 random bytes, the message length in 4
big-endian bytes, the message, then the AppID. Decryption rejects anything else: ciphertext that is
not a whole number of 32-byte blocks, a pad outside 1..32 or with unequal pad bytes, a length that
runs past the end, or a trailing id other than ours. Signatures and ids are compared in constant
time. This module is pure: no I/O, no logging; it never holds a message longer than the call.

During an EncodingAESKey rotation WeChat may still encrypt with the previous key for a while, so
:class:`SafeMode` tries the current key, then the previous one, and says which worked; the reply is
encrypted with that same key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import struct
from dataclasses import dataclass
from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 32
_ENCODING_AES_KEY = re.compile(r"^[A-Za-z0-9]{43}$")

KeyName = Literal["current", "previous"]


class WeChatCryptoError(Exception):
    """A push that is not what WeChat would send; the message names the check, never the content."""


class SignatureMismatch(WeChatCryptoError):
    """The signature does not match the token and the signed values."""


class DecryptionFailed(WeChatCryptoError):
    """The ciphertext does not decrypt to a well-formed safe-mode plaintext under the key."""


class WrongAppId(WeChatCryptoError):
    """The plaintext decrypted, but it ends with another account's AppID (or corp id)."""


def sha1_signature(*values: str) -> str:
    """WeChat's signature: SHA-1 of the values sorted as strings and concatenated, lowercase hex."""
    joined = "".join(sorted(values)).encode("utf-8")
    return hashlib.sha1(joined).hexdigest()  # noqa: S324 - SHA-1 is what WeChat's protocol signs with


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """The ``signature`` query parameter of a plaintext-mode push or of URL verification."""
    return sha1_signature(token, timestamp, nonce)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The ``msg_signature`` of a safe-mode push (and of an encrypted reply): the four values signed."""
    return sha1_signature(token, timestamp, nonce, encrypt)


def signature_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a computed signature with the one received (None never matches)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8", "surrogatepass"))


def check_url_signature(token: str, timestamp: str, nonce: str, signature: str | None) -> bool:
    """True when ``signature`` is WeChat's signature of ``timestamp`` and ``nonce`` under ``token``."""
    return signature_matches(url_signature(token, timestamp, nonce), signature)


def aes_key(encoding_aes_key: str) -> bytes:
    """The 32-byte AES key behind an EncodingAESKey (43 characters of [A-Za-z0-9]); ValueError otherwise."""
    if not _ENCODING_AES_KEY.fullmatch(encoding_aes_key):
        raise ValueError("an EncodingAESKey is 43 characters of [A-Za-z0-9]")
    return base64.b64decode(encoding_aes_key + "=")


def encrypt(key: bytes, app_id: str, message: bytes, random16: bytes | None = None) -> str:
    """The base64 ciphertext of ``message`` for ``app_id``; ``random16`` is fixed only by tests."""
    prefix = os.urandom(16) if random16 is None else random16
    if len(prefix) != 16:
        raise ValueError("the random prefix is 16 bytes")
    plain = prefix + struct.pack(">I", len(message)) + message + app_id.encode("utf-8")
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = _cipher(key).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")


def decrypt(key: bytes, app_id: str, ciphertext: str) -> bytes:
    """The message inside ``ciphertext``; DecryptionFailed or WrongAppId when it is not ours."""
    try:
        raw = base64.b64decode(ciphertext, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionFailed("ciphertext is not base64") from exc
    if not raw or len(raw) % BLOCK:
        raise DecryptionFailed("ciphertext is not a whole number of 32-byte blocks")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(raw) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK or plain[-pad:] != bytes([pad]) * pad:
        raise DecryptionFailed("bad padding")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise DecryptionFailed("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    if 20 + length > len(plain):
        raise DecryptionFailed("message length runs past the plaintext")
    received_id = plain[20 + length :]
    if not hmac.compare_digest(received_id, app_id.encode("utf-8")):
        raise WrongAppId("the plaintext belongs to another app")
    return plain[20 : 20 + length]


def _cipher(key: bytes) -> Cipher[modes.CBC]:
    if len(key) != 32:
        raise ValueError("the AES key is 32 bytes")
    return Cipher(algorithms.AES(key), modes.CBC(key[:16]))


@dataclass(frozen=True)
class Decrypted:
    """A decrypted push, and which EncodingAESKey opened it (the reply must use the same one)."""

    message: bytes
    key: KeyName


class SafeMode:
    """One account's safe-mode settings: token, AppID (or corp id), current and previous key."""

    def __init__(
        self, token: str, app_id: str, encoding_aes_key: str, previous_encoding_aes_key: str | None = None
    ) -> None:
        self._token = token
        self._app_id = app_id
        self._keys: dict[KeyName, bytes] = {"current": aes_key(encoding_aes_key)}
        if previous_encoding_aes_key:
            self._keys["previous"] = aes_key(previous_encoding_aes_key)

    def decrypt(self, *, timestamp: str, nonce: str, encrypt: str, signature: str | None) -> Decrypted:
        """Check ``msg_signature`` first, then decrypt with the current key, then with the previous one.

        When neither key opens the message, the current key's error is raised: it is the key WeChat
        should be using.
        """
        expected = msg_signature(self._token, timestamp, nonce, encrypt)
        if not signature_matches(expected, signature):
            raise SignatureMismatch("msg_signature does not match")
        first_error: WeChatCryptoError | None = None
        for name, key in self._keys.items():
            try:
                return Decrypted(decrypt(key, self._app_id, encrypt), name)
            except (DecryptionFailed, WrongAppId) as exc:
                first_error = first_error or exc
        assert first_error is not None
        raise first_error

    def encrypt_reply(
        self,
        message: bytes,
        *,
        timestamp: str,
        nonce: str,
        key: KeyName = "current",
        random16: bytes | None = None,
    ) -> str:
        """The encrypted passive-reply XML for ``message``, signed with the request's timestamp and nonce."""
        ciphertext = encrypt(self._keys[key], self._app_id, message, random16)
        signature = msg_signature(self._token, timestamp, nonce, ciphertext)
        return (
            "<xml>\n"
            f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt>\n"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
            f"<TimeStamp>{_digits(timestamp)}</TimeStamp>\n"
            f"<Nonce><![CDATA[{_digits(nonce)}]]></Nonce>\n"
            "</xml>"
        )


def _digits(value: str) -> str:
    """Timestamps and nonces are decimal; anything else would let a request inject XML into our reply."""
    if not value.isascii() or not value.isdigit():
        raise ValueError("timestamp and nonce are decimal digits")
    return value
