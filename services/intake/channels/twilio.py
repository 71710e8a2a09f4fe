"""Twilio webhook signatures, computed exactly as Twilio computes them.

Twilio signs the URL it called followed by every POST parameter: names sorted, and for each name its
distinct values sorted, each written as ``name + value``; the HMAC (SHA-1 with the account's Auth
Token, or SHA-256 when ``X-Twilio-Webhooks-Signature-Settings`` names ``algorithm=HMAC_SHA256``) is
sent base64-encoded in ``X-Twilio-Signature``. Twilio's own validator accepts the URL both with and
without the port (its signing side is inconsistent about default ports), so this check does too:
a request is genuine when either variant matches.

This module is pure: no aiohttp, no I/O. The caller passes the public URL (the configured base URL
plus the path and query exactly as received) and the parsed form.
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import ParseResult, urlparse
from xml.sax.saxutils import escape

SIGNATURE_HEADER = "X-Twilio-Signature"
SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"
HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_DIGESTS = {HMAC_SHA1: "sha1", HMAC_SHA256: "sha256"}


def algorithm_from_settings(header: str | None) -> str:
    """The algorithm an ``X-Twilio-Webhooks-Signature-Settings`` header names (HMAC_SHA1 when none)."""
    for part in (header or "").split(","):
        name, separator, value = part.partition("=")
        if separator and name.strip() == "algorithm" and value.strip():
            return value.strip().upper()
    return HMAC_SHA1


def signed_payload(params: Iterable[tuple[str, str]]) -> str:
    """The parameter part of the signed string: sorted names, each with its sorted distinct values.

    Sorting the distinct (name, value) pairs gives exactly that order in one step.
    """
    return "".join(name + value for name, value in sorted(set(params)))


def compute_signature(
    token: str, url: str, params: Iterable[tuple[str, str]], algorithm: str = HMAC_SHA1
) -> str:
    """The base64 signature Twilio sends for ``url`` and ``params``; ValueError for unknown algorithms."""
    digest = _DIGESTS.get(algorithm.upper())
    if digest is None:
        raise ValueError("unsupported signature algorithm")
    return _sign(token.encode("utf-8"), url + signed_payload(params), digest)


@lru_cache(maxsize=1024)
def url_variants(url: str) -> tuple[str, str]:
    """The URL without any port and with the scheme's default port added, as Twilio's validator forms them."""
    parsed = urlparse(url)
    return _without_port(parsed), _with_port(parsed)


def is_valid(
    token: str,
    url: str,
    params: Iterable[tuple[str, str]],
    signature: str | None,
    settings_header: str | None = None,
) -> bool:
    """True when ``signature`` is Twilio's signature of this request under ``token``.

    The URL variants are tried in turn; each comparison is constant-time. A missing signature, an
    unknown algorithm or a URL that cannot be parsed is simply not valid.
    """
    if not signature:
        return False
    digest = _DIGESTS.get(algorithm_from_settings(settings_header))
    if digest is None:
        return False
    try:
        variants = url_variants(url)
    except ValueError:
        return False
    key = token.encode("utf-8")
    payload = signed_payload(params)
    given = signature.strip().encode("utf-8", "surrogatepass")
    # The variant without a port comes first: it is what Twilio signs for the usual configured URL.
    return any(
        hmac.compare_digest(_sign(key, variant + payload, digest).encode("ascii"), given)
        for variant in variants
    )


def _sign(key: bytes, message: str, digest: str) -> str:
    mac = hmac.new(key, message.encode("utf-8", "surrogatepass"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def _without_port(parsed: ParseResult) -> str:
    if not parsed.port:
        return parsed.geturl()
    return parsed._replace(netloc=parsed.netloc.split(":")[0]).geturl()


def _with_port(parsed: ParseResult) -> str:
    if parsed.port:
        return parsed.geturl()
    port = 443 if parsed.scheme == "https" else 80
    return parsed._replace(netloc=f"{parsed.netloc}:{port}").geturl()


def twiml_message(text: str | None) -> str:
    """A TwiML document that answers the incoming message with one reply, or with none."""
    if text is None:
        return '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(text)}</Message></Response>'
