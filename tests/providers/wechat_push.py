"""Pushes as WeChat sends them to a server URL, for tests of the webhook side.

WeChat signs each push with the account's token (``signature`` over token, timestamp and nonce) and,
in safe mode, adds ``encrypt_type=aes`` and ``msg_signature`` and replaces the body with
``<xml><ToUserName/><Encrypt/></xml>``. In compatible mode the body holds both. The AES step is the
production :func:`~services.intake.channels.wechat_crypto.encrypt`, whose output is pinned to
WeChat's published vectors by the unit tests, so a push built here is one WeChat could have sent.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass
from typing import Literal

from services.intake.channels.wechat_crypto import aes_key, encrypt, msg_signature, url_signature

Mode = Literal["plaintext", "compatible", "safe"]


@dataclass(frozen=True)
class Push:
    query: dict[str, str]
    body: bytes


class WeChatPusher:
    """One account's pushes: its token, AppID and EncodingAESKey, with fresh timestamps and nonces."""

    def __init__(
        self, *, token: str, app_id: str, encoding_aes_key: str, account: str = "gh_7f083739789a"
    ) -> None:
        self.token, self.app_id, self.account = token, app_id, account
        self._key = aes_key(encoding_aes_key)
        self._clock = itertools.count(1_760_000_000)

    def push(self, xml: bytes, *, mode: Mode = "safe", openid: str | None = None) -> Push:
        timestamp, nonce = str(next(self._clock)), str(secrets.randbelow(10**9))
        query = {
            "signature": url_signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        if openid is not None:
            query["openid"] = openid
        if mode == "plaintext":
            return Push(query, xml)
        ciphertext = encrypt(self._key, self.app_id, xml)
        query["encrypt_type"] = "aes"
        query["msg_signature"] = msg_signature(self.token, timestamp, nonce, ciphertext)
        envelope = (
            f"<ToUserName><![CDATA[{self.account}]]></ToUserName><Encrypt><![CDATA[{ciphertext}]]></Encrypt>"
        )
        if mode == "compatible":
            inner = xml.decode().strip()
            assert inner.startswith("<xml>") and inner.endswith("</xml>")
            return Push(query, f"{inner[:-6]}<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>".encode())
        return Push(query, f"<xml>{envelope}</xml>".encode())

    def verify_url(self, echostr: str) -> dict[str, str]:
        """The GET WeChat sends when the server URL is saved (plaintext ``echostr``)."""
        timestamp, nonce = str(next(self._clock)), str(secrets.randbelow(10**9))
        return {
            "signature": url_signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "echostr": echostr,
        }
