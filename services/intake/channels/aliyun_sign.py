"""Alibaba Cloud API signatures: RPC V1 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256), as Alibaba documents them.

Both encode names and values per RFC 3986 over UTF-8: letters, digits and ``-_.~`` stay, everything
else becomes ``%XX`` (so a space is ``%20``, never ``+``; ``*`` is ``%2A``; ``~`` is never ``%7E``).

V1 (the older RPC scheme): the string to sign is ``METHOD&%2F&`` followed by the encoded canonical
query (all parameters but ``Signature``, sorted, ``name=value`` joined by ``&``, that whole string
encoded once more); the signature is base64 HMAC-SHA1 under ``AccessKeySecret + "&"``.

V3 (recommended): the canonical request is the method, the path, the sorted encoded query, each
signed header as ``name:value\\n`` (lowercase names; ``host``, ``content-type`` and every
``x-acs-*`` header), the ``;``-joined signed names and the hex SHA-256 of the body, joined by
newlines. The signature is hex HMAC-SHA256 under the raw secret of ``"ACS3-HMAC-SHA256\\n" +
hex(sha256(canonical request))``, sent as ``Authorization: ACS3-HMAC-SHA256
Credential=<AccessKeyId>,SignedHeaders=<names>,Signature=<hex>``.

Pure functions only. :func:`verify_acs3` is the server's side of V3 (the local test provider uses
it); it checks the body hash, the signed-header set and the signature in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

ACS3 = "ACS3-HMAC-SHA256"
REQUIRED_V3_HEADERS = frozenset(
    {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding of UTF-8: only ``A-Za-z0-9-_.~`` stay as they are."""
    return quote(value.encode("utf-8"), safe="~")


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """Parameters sorted by name (then value), each ``encoded-name=encoded-value``, joined by ``&``."""
    return "&".join(f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(params))


# --- RPC V1 -------------------------------------------------------------------------------------


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    query = canonical_query((k, v) for k, v in params.items() if k != "Signature")
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(query)}"


def rpc_signature(access_key_secret: str, method: str, params: Mapping[str, str]) -> str:
    """The V1 ``Signature`` parameter for ``params`` (any ``Signature`` already among them is ignored)."""
    key = (access_key_secret + "&").encode("utf-8")
    mac = hmac.new(key, rpc_string_to_sign(method, params).encode("utf-8"), "sha1")
    return base64.b64encode(mac.digest()).decode("ascii")


# --- V3 (ACS3-HMAC-SHA256) ----------------------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_signable_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("host", "content-type") or lowered.startswith("x-acs-")


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    hashed_payload: str,
) -> tuple[str, str]:
    """The V3 canonical request and its SignedHeaders, from every signable header in ``headers``."""
    selected = sorted(
        (name.lower(), value.strip()) for name, value in headers.items() if is_signable_header(name)
    )
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in selected)
    signed = ";".join(name for name, _ in selected)
    text = "\n".join(
        [method.upper(), path, canonical_query(query), canonical_headers, signed, hashed_payload]
    )
    return text, signed


def acs3_signature(access_key_secret: str, canonical: str) -> str:
    string_to_sign = f"{ACS3}\n{sha256_hex(canonical.encode('utf-8'))}"
    return hmac.new(access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), "sha256").hexdigest()


def acs3_date(moment: datetime) -> str:
    """``x-acs-date``: the UTC time as ``yyyy-MM-ddTHH:mm:ssZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_acs3(
    *,
    method: str,
    host: str,
    path: str,
    query: Iterable[tuple[str, str]],
    body: bytes,
    action: str,
    version: str,
    access_key_id: str,
    access_key_secret: str,
    now: datetime,
    nonce: str,
    content_type: str | None = None,
) -> dict[str, str]:
    """Every header of a V3-signed request, ``Authorization`` included."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": acs3_date(now),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": sha256_hex(body),
    }
    if content_type:
        headers["content-type"] = content_type
    canonical, signed = canonical_request(method, path, query, headers, headers["x-acs-content-sha256"])
    signature = acs3_signature(access_key_secret, canonical)
    headers["Authorization"] = (
        f"{ACS3} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"
    )
    return headers


@dataclass(frozen=True)
class Acs3Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


class Acs3Rejected(Exception):
    """The request is not validly V3-signed; ``code`` is the error code Alibaba answers with."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def parse_authorization(header: str | None) -> Acs3Authorization:
    """The parts of an ``Authorization: ACS3-HMAC-SHA256 ...`` header; Acs3Rejected when malformed."""
    algorithm, _, rest = (header or "").partition(" ")
    if algorithm != ACS3:
        raise Acs3Rejected("IncompleteSignature")
    parts = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    try:
        names = tuple(parts["SignedHeaders"].split(";"))
        return Acs3Authorization(parts["Credential"], names, parts["Signature"])
    except KeyError:
        raise Acs3Rejected("IncompleteSignature") from None


def verify_acs3(
    *,
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    secret_for: Callable[[str], str | None],
) -> str:
    """The AccessKeyId of a validly V3-signed request; Acs3Rejected (with Alibaba's code) otherwise.

    ``headers`` must be looked up case-insensitively (aiohttp's request headers are). Every header
    the request says it signed must be present, and the signed set must cover Alibaba's required ones.
    """
    auth = parse_authorization(headers.get("Authorization"))
    secret = secret_for(auth.access_key_id)
    if secret is None:
        raise Acs3Rejected("InvalidAccessKeyId.NotFound")
    names = set(auth.signed_headers)
    if not names >= REQUIRED_V3_HEADERS or any(not is_signable_header(name) for name in names):
        raise Acs3Rejected("IncompleteSignature")
    signed: dict[str, str] = {}
    for name in names:
        value = headers.get(name)
        if value is None:
            raise Acs3Rejected("IncompleteSignature")
        signed[name] = value
    if not hmac.compare_digest(signed["x-acs-content-sha256"].strip(), sha256_hex(body)):
        raise Acs3Rejected("InvalidContentSHA256")
    canonical, _ = canonical_request(method, path, query, signed, signed["x-acs-content-sha256"].strip())
    if not hmac.compare_digest(acs3_signature(secret, canonical), auth.signature):
        raise Acs3Rejected("SignatureDoesNotMatch")
    return auth.access_key_id
