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

from shared.invocation import grievance
from shared.settings import Settings

# Long enough not to be guessed or brute-forced offline: `grievance keys` makes 43 characters, and a
# generated password of 24 random url-safe characters holds about 143 bits.
SECRET_MIN_LENGTH = 24
PSEUDONYM_MIN_LENGTH = 32
# How the example files, documentation and habit spell a value nobody chose.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|changeit|replace[-_ ]?me|placeholder|your[-_]|example|secret|password|"
    r"^x{3,}$|^(guest|admin|test|root|grievance)$",
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
        found += _previous_contact_keys(settings.contact_key_previous)
    if pseudonym_key:
        found += _secret("GRIEVANCE_PSEUDONYM_KEY", settings.pseudonym_key, PSEUDONYM_MIN_LENGTH)
    if settings.twilio_auth_token is not None:
        found += _secret("GRIEVANCE_TWILIO_AUTH_TOKEN", settings.twilio_auth_token, 16, required=False)
    found += _wechat(settings)
    return found


def _previous_contact_keys(value: SecretStr | None) -> list[str]:
    """Each older contact key is held to what the current one is: it still opens every contact sealed
    with it, so a short or placeholder one is as weak a lock on them."""
    found: list[str] = []
    keys = [part.strip() for part in (value.get_secret_value() if value else "").split(",")]
    for position, older in enumerate((key for key in keys if key), start=1):
        if is_placeholder(older):
            found.append("GRIEVANCE_CONTACT_KEY_PREVIOUS holds a placeholder, not a key")
        elif len(older) < SECRET_MIN_LENGTH:
            found.append(
                f"key {position} of GRIEVANCE_CONTACT_KEY_PREVIOUS is {len(older)} characters; "
                f"it needs at least {SECRET_MIN_LENGTH}"
            )
    return found


# WeChat's console takes a Token of 3 to 32 letters and digits; it is all that authenticates a push
# in plaintext mode, so a deployment takes 16 at least (32 random ones are what docs/channels-china.md
# asks for). The EncodingAESKey and AppSecret come from WeChat's console; only placeholders are refused,
# and the EncodingAESKey of WeChat's published sample, which anyone can read.
WECHAT_TOKEN_MIN_LENGTH = 16
_PUBLISHED_AES_KEYS = frozenset({"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"})


def _wechat(settings: Settings) -> list[str]:
    found: list[str] = []
    if settings.wechat_token is not None and settings.wechat_token.get_secret_value():
        found += _secret("GRIEVANCE_WECHAT_TOKEN", settings.wechat_token, WECHAT_TOKEN_MIN_LENGTH)
    secret = settings.wechat_appsecret.get_secret_value() if settings.wechat_appsecret else ""
    if secret and is_placeholder(secret):
        found.append("GRIEVANCE_WECHAT_APPSECRET is a placeholder from the examples")
    for name, key in (
        ("GRIEVANCE_WECHAT_AES_KEY", settings.wechat_aes_key),
        ("GRIEVANCE_WECHAT_AES_KEY_PREVIOUS", settings.wechat_aes_key_previous),
    ):
        text = key.get_secret_value() if key is not None else ""
        if text and (is_placeholder(text) or text in _PUBLISHED_AES_KEYS):
            found.append(
                f"{name} is a placeholder or a published sample key; generate one in WeChat's console"
            )
    return found


def _secret(name: str, value: SecretStr | None, min_length: int, *, required: bool = True) -> list[str]:
    text = value.get_secret_value() if value is not None else ""
    if not text:
        return (
            [f"{name} is not set (generate it with `{grievance('keys')}`)"]
            if required
            else [f"{name} is empty"]
        )
    if is_placeholder(text):
        return [f"{name} is a placeholder from the examples; generate one with `{grievance('keys')}`"]
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
