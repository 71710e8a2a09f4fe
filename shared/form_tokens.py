"""CSRF tokens for anonymous forms: signed, bound to a cookie, dated, and issued without the store.

An anonymous worker (the web form, the contact confirmation) has no session to keep a CSRF token
in, and a form page must stay cheap, so the token is a signed double-submit: the browser holds a
random nonce in a cookie (``HttpOnly``, ``SameSite=Lax``), and the form carries
``issued.form_id.mac`` in a hidden field, where ``mac`` is an HMAC under the service's pseudonym
key over the form's purpose, the issue time, the form id and that nonce (so a token of one form is
no token of another). A page of
another site can neither read nor set the cookie, and the browser leaves a ``Lax`` cookie off a
cross-site POST, so a form posted from elsewhere fails the check; a token copied from someone
else's page fails it too, being bound to their cookie. Nothing is stored to issue or to check one.

The form id is unique to each page served: the web form uses it as the grievance's idempotency
key, so the same form sent twice (a double tap, a reload of the receipt) is the same grievance.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.privacy import Keys, keyed_digest

# Long enough for a worker who writes slowly or leaves the page open over a shift.
LIFETIME = timedelta(hours=12)
# A token dated this far ahead of the clock (another replica's clock runs fast) is still taken.
SKEW = timedelta(minutes=2)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{32}$")
_TOKEN = re.compile(r"^([0-9]{1,12})\.([A-Za-z0-9_-]{32})\.([0-9a-f]{32})$")


class TokenRefused(Exception):
    """The form's token is missing, malformed, not signed for this browser's cookie, or too old."""


@dataclass(frozen=True)
class FormToken:
    form_id: str  # 192 random bits; the idempotency key of the grievance the form files
    value: str  # what the hidden field carries


def new_nonce() -> str:
    """A browser's cookie value: 192 random bits."""
    return secrets.token_urlsafe(24)


def usable_nonce(value: str | None) -> bool:
    """Whether a cookie holds a nonce this module made (anything else is replaced, never signed)."""
    return value is not None and _NONCE.match(value) is not None


def _mac(keys: Keys, purpose: str, issued: str, form_id: str, nonce: str) -> str:
    return keyed_digest(keys, f"form-token:{purpose}", issued, form_id, nonce)[:32]


def issue(keys: Keys, purpose: str, nonce: str, now: datetime) -> FormToken:
    """A new form's token for ``purpose``, bound to the browser's ``nonce``."""
    issued, form_id = str(int(now.timestamp())), secrets.token_urlsafe(24)
    return FormToken(form_id, f"{issued}.{form_id}.{_mac(keys, purpose, issued, form_id, nonce)}")


def check(keys: Keys, purpose: str, value: str | None, nonce: str | None, now: datetime) -> FormToken:
    """The token the form carried, if it was issued for this browser's nonce within :data:`LIFETIME`;
    else :class:`TokenRefused`."""
    match = _TOKEN.match(value or "")
    if match is None or nonce is None or not usable_nonce(nonce):
        raise TokenRefused
    issued, form_id, mac = match.groups()
    if not hmac.compare_digest(mac, _mac(keys, purpose, issued, form_id, nonce)):
        raise TokenRefused
    age = now.timestamp() - int(issued)
    if age > LIFETIME.total_seconds() or age < -SKEW.total_seconds():
        raise TokenRefused
    return FormToken(form_id, match.group(0))
