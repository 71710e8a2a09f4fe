"""Tencent Cloud API signature v3 (TC3-HMAC-SHA256), as Tencent's "签名方法 v3" page computes it.

The canonical request is ``METHOD\\n/\\n<query>\\n<headers>\\n<signed names>\\n<hex sha256(body)>``,
where each signed header is ``name:value\\n`` with the name and the value lowercased and trimmed,
sorted by name; ``content-type`` and ``host`` are always signed. The string to sign is
``TC3-HMAC-SHA256\\n<timestamp>\\n<date>/<service>/tc3_request\\n<hex sha256(canonical request)>``,
and the key is derived as HMAC-SHA256 chains: ``"TC3" + SecretKey`` over the date, then the
service, then ``tc3_request``. The date is the **UTC** date of ``X-TC-Timestamp``: a local date
breaks every request between 00:00 and 08:00 Beijing time.

Tencent's own SDK signs ``content-type;host``; newer signers add ``x-tc-action``. Both are valid
because ``SignedHeaders`` names what was signed, so :func:`sign_tc3` takes the extra headers to sign
and :func:`verify_tc3` (the server's side, used by the local test provider) accepts any signed set
that covers the two required headers. Pure functions; comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

TC3 = "TC3-HMAC-SHA256"
REQUIRED_HEADERS = frozenset({"content-type", "host"})


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), "sha256").digest()


def utc_date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def canonical_request(
    method: str, query: str, headers: Mapping[str, str], signed: Sequence[str], body: bytes
) -> str:
    """The canonical request over the ``signed`` header names (lowercase), ``headers`` keyed the same."""
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in names)
    return "\n".join([method.upper(), "/", query, canonical_headers, ";".join(names), sha256_hex(body)])


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return f"{TC3}\n{timestamp}\n{scope}\n{sha256_hex(canonical.encode('utf-8'))}"


def signature(secret_key: str, timestamp: int, service: str, canonical: str) -> str:
    date_key = _hmac(("TC3" + secret_key).encode("utf-8"), utc_date(timestamp))
    signing_key = _hmac(_hmac(date_key, service), "tc3_request")
    return hmac.new(
        signing_key, string_to_sign(timestamp, service, canonical).encode("utf-8"), "sha256"
    ).hexdigest()


def authorization(
    secret_id: str, timestamp: int, service: str, signed: Sequence[str], signature_hex: str
) -> str:
    scope = f"{utc_date(timestamp)}/{service}/tc3_request"
    return f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={';'.join(sorted(signed))}, Signature={signature_hex}"


def sign_tc3(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    host: str,
    action: str,
    version: str,
    region: str | None,
    timestamp: int,
    body: bytes,
    content_type: str = "application/json; charset=utf-8",
    sign_action: bool = False,
) -> dict[str, str]:
    """Every header of a TC3-signed JSON POST, ``Authorization`` included."""
    signed_values = {"content-type": content_type, "host": host}
    if sign_action:
        signed_values["x-tc-action"] = action
    canonical = canonical_request("POST", "", signed_values, list(signed_values), body)
    headers = {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(timestamp),
    }
    if region:
        headers["X-TC-Region"] = region
    sig = signature(secret_key, timestamp, service, canonical)
    headers["Authorization"] = authorization(secret_id, timestamp, service, list(signed_values), sig)
    return headers


@dataclass(frozen=True)
class Tc3Authorization:
    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class Tc3Rejected(Exception):
    """The request is not validly TC3-signed; ``code`` is the error code Tencent answers with."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_authorization(header: str | None) -> Tc3Authorization:
    """The parts of an ``Authorization: TC3-HMAC-SHA256 ...`` header; Tc3Rejected when malformed."""
    algorithm, _, rest = (header or "").partition(" ")
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    credential = parts.get("Credential", "").split("/")
    if algorithm != TC3 or len(credential) != 4 or credential[3] != "tc3_request":
        raise Tc3Rejected("AuthFailure.InvalidAuthorization")
    names = tuple(parts.get("SignedHeaders", "").split(";"))
    return Tc3Authorization(credential[0], credential[1], credential[2], names, parts.get("Signature", ""))


def verify_tc3(
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    service: str,
    now: int,
    secret_for: Callable[[str], str | None],
    max_skew: int = 300,
) -> str:
    """The SecretId of a validly TC3-signed request; Tc3Rejected (with Tencent's code) otherwise.

    ``headers`` must be looked up case-insensitively. The credential's date must be the UTC date of
    ``X-TC-Timestamp``, which must be within ``max_skew`` seconds of ``now``.
    """
    auth = parse_authorization(headers.get("Authorization"))
    secret = secret_for(auth.secret_id)
    if secret is None:
        raise Tc3Rejected("AuthFailure.SecretIdNotFound")
    raw_timestamp = headers.get("X-TC-Timestamp", "")
    if not raw_timestamp.isascii() or not raw_timestamp.isdigit():
        raise Tc3Rejected("AuthFailure.InvalidAuthorization")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > max_skew:
        raise Tc3Rejected("AuthFailure.SignatureExpire")
    if auth.service != service or auth.date != utc_date(timestamp):
        raise Tc3Rejected("AuthFailure.SignatureFailure")
    names = set(auth.signed_headers)
    if not names >= REQUIRED_HEADERS or any(headers.get(name) is None for name in names):
        raise Tc3Rejected("AuthFailure.SignatureFailure")
    values = {name: headers[name] for name in names}
    expected = signature(
        secret, timestamp, service, canonical_request(method, query, values, list(names), body)
    )
    if not hmac.compare_digest(expected, auth.signature):
        raise Tc3Rejected("AuthFailure.SignatureFailure")
    return auth.secret_id
