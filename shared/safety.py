"""What a deployed service refuses to start with: secrets left at a placeholder, or too short (pure).

The example files hand every operator the same values (``change-me-long-random``); a stack started
with them runs, and anyone who read the examples holds its passwords. So outside the embedded mode
each service checks the secrets it is given before it opens anything, and the bootstrap ends it with
exit code 3 and the reasons. Only what the service itself receives is checked: the router, which
holds no contact key, is not refused for one.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from shared.settings import Settings

# Long enough not to be guessed or brute-forced offline: `grievance keys` makes 43 characters, and a
# generated password of 24 random url-safe characters holds about 143 bits.
SECRET_MIN_LENGTH = 24
PSEUDONYM_MIN_LENGTH = 32
# How the example files, documentation and habit spell a value nobody chose.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|your[-_]|example|secret|password|"
    r"^x{3,}|^(guest|admin|test|root|grievance)$",
    re.IGNORECASE,
)


def is_placeholder(value: str) -> bool:
    return bool(_PLACEHOLDER.search(value))


def refusals(settings: Settings, *, contact_key: bool, pseudonym_key: bool) -> list[str]:
    """Every reason not to start with these settings; empty when they are safe to run with.

    ``contact_key``/``pseudonym_key``: whether this service receives that key.
    """
    found: list[str] = []
    for name, url in (("GRIEVANCE_AMQP_URL", settings.amqp_url), ("GRIEVANCE_MONGO_URL", settings.mongo_url)):
        found += _url_password(name, url)
    if contact_key:
        found += _secret("GRIEVANCE_CONTACT_KEY", settings.contact_key, SECRET_MIN_LENGTH)
        previous = settings.contact_key_previous.get_secret_value() if settings.contact_key_previous else ""
        for older in (part.strip() for part in previous.split(",")):
            if older and is_placeholder(older):
                found.append("GRIEVANCE_CONTACT_KEY_PREVIOUS holds a placeholder, not a key")
    if pseudonym_key:
        found += _secret("GRIEVANCE_PSEUDONYM_KEY", settings.pseudonym_key, PSEUDONYM_MIN_LENGTH)
    if settings.twilio_auth_token is not None:
        found += _secret("GRIEVANCE_TWILIO_AUTH_TOKEN", settings.twilio_auth_token, 16, required=False)
    return found


def _secret(name: str, value: SecretStr | None, min_length: int, *, required: bool = True) -> list[str]:
    text = value.get_secret_value() if value is not None else ""
    if not text:
        return (
            [f"{name} is not set (generate it with `grievance keys`)"] if required else [f"{name} is empty"]
        )
    if is_placeholder(text):
        return [f"{name} is a placeholder from the examples; generate one with `grievance keys`"]
    if len(text) < min_length:
        return [f"{name} is {len(text)} characters; it needs at least {min_length}"]
    return []


def _url_password(name: str, url: str) -> list[str]:
    """The password inside a broker or store URL, when there is one (a URL may also hold none).

    A broker or store on this machine's loopback is left alone: nobody elsewhere can log in to it
    with that password (RabbitMQ's guest user works on loopback only), and a developer's or a
    test's node uses one.
    """
    if "://" not in url:
        return []
    parts = urlsplit(url)
    password = parts.password
    if password is None or _loopback(parts.hostname):
        return []
    password = unquote(password)
    if is_placeholder(password):
        return [f"the password in {name} is a placeholder from the examples"]
    if len(password) < SECRET_MIN_LENGTH:
        return [
            f"the password in {name} is {len(password)} characters; it needs at least {SECRET_MIN_LENGTH}"
        ]
    return []


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
