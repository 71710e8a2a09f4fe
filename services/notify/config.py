"""Where a committee or an NGO wants to be told: the ``notify`` block of the registry (pure).

```yaml
notify:
  wecom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY
  dingtalk: {url: "https://oapi.dingtalk.com/robot/send?access_token=TOKEN", secret: SEC..., keyword: 工人反馈}
  email: [spt@factory.example.cn, chair@factory.example.cn]
  language: zh                 # zh (default) or en
  timezone: Asia/Shanghai      # deadlines are shown in this zone (default: the setting)
```

A robot's webhook URL is a credential: whoever holds it can post into the group. So the URLs and
the DingTalk secret are kept as ``SecretStr`` (never in a repr, a log line or a validation
message), and a URL must be ``https`` unless it points at this machine (the tests' local servers).
Addresses are plain ``local@domain`` specs without display names, so nothing from the registry can
add a header to a mail.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from shared.contracts import Language, PlainId

Channel = Literal["wecom", "dingtalk", "email"]
CHANNELS: tuple[Channel, ...] = ("wecom", "dingtalk", "email")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM = re.compile(rf"{_ATEXT}(?:\.{_ATEXT}){{0,63}}")
# Robots cap the keywords a group may set; ours must also fit on the first line of a short text.
_KEYWORD_MAX = 20
MAX_ADDRESSES = 20


def is_loopback(host: str | None) -> bool:
    """True for ``localhost`` and the loopback ranges (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, credential: str) -> str:
    """A robot URL: https (http only on loopback), a host, no user part, the credential parameter.

    Messages name the rule that failed, never the URL: it holds the robot's credential.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - a bad port raises here, and only here
    except ValueError:
        raise ValueError("is not a URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("must be an https URL")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError("must use https (plain http only on loopback)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not carry a user name or password")
    if parts.fragment:
        raise ValueError("must not have a fragment")
    values = parse_qs(parts.query).get(credential, [])
    if len(values) != 1 or not values[0].strip():
        raise ValueError(f"must carry exactly one {credential} parameter")
    return url.strip()


def check_address(value: str) -> str:
    """A bare ``local@domain`` address: an RFC 5322 dot-atom, then a domain that is lower-cased,
    IDNA-encoded and has a dot. No display name, quoting, comment or line break gets through."""
    local, at, domain = value.strip().rpartition("@")
    if not at or len(value.strip()) > 254 or not _DOT_ATOM.fullmatch(local):
        raise ValueError("is not an e-mail address")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError("has an invalid domain") from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("has an invalid domain")
    return f"{local}@{domain}"


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA time zone (e.g. Asia/Shanghai)") from None
    return value


def _wecom_url(value: SecretStr) -> SecretStr:
    return SecretStr(check_webhook_url(value.get_secret_value(), "key"))


def _dingtalk_url(value: SecretStr) -> SecretStr:
    return SecretStr(check_webhook_url(value.get_secret_value(), "access_token"))


EmailAddress = Annotated[str, AfterValidator(check_address)]
TimeZoneName = Annotated[str, AfterValidator(check_timezone)]


class DingTalkTarget(BaseModel):
    """A DingTalk custom robot: its webhook, the signing secret if the group set 加签, a keyword if
    the group set 自定义关键词 (every message must then contain it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[SecretStr, AfterValidator(_dingtalk_url)]
    secret: SecretStr | None = None
    keyword: Annotated[str, Field(min_length=1, max_length=_KEYWORD_MAX)] | None = None

    @field_validator("secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("keyword")
    @classmethod
    def _keyword_one_line(cls, value: str | None) -> str | None:
        if value is not None and (value != value.strip() or not value.isprintable()):
            raise ValueError("must be one printable word without surrounding spaces")
        return value


class NotifyConfig(BaseModel):
    """The channels one committee or NGO is told through; at least one of them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    wecom: Annotated[SecretStr, AfterValidator(_wecom_url)] | None = None
    dingtalk: DingTalkTarget | None = None
    email: Annotated[list[EmailAddress], Field(max_length=MAX_ADDRESSES)] = []
    language: Language | None = None
    timezone: TimeZoneName | None = None

    @field_validator("email")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        for address in value:
            seen.setdefault(address.lower(), address)
        return list(seen.values())

    @model_validator(mode="after")
    def _some_channel(self) -> NotifyConfig:
        if not self.channels():
            raise ValueError("notify names no channel: set wecom, dingtalk or email")
        return self

    def stored(self) -> dict[str, Any]:
        """The block as a document for the store, secrets revealed; ``model_validate`` reads it back.

        ``model_dump`` keeps secrets masked, which is right for anything shown, and wrong for the
        copy the notifier must send with.
        """
        document = self.model_dump(exclude_none=True, exclude={"wecom", "dingtalk"})
        if self.wecom is not None:
            document["wecom"] = self.wecom.get_secret_value()
        if self.dingtalk is not None:
            target = self.dingtalk
            document["dingtalk"] = {
                "url": target.url.get_secret_value(),
                **({"secret": target.secret.get_secret_value()} if target.secret else {}),
                **({"keyword": target.keyword} if target.keyword else {}),
            }
        return document

    def channels(self) -> tuple[Channel, ...]:
        """The channels this recipient configured, in a fixed order."""
        configured = {
            "wecom": self.wecom is not None,
            "dingtalk": self.dingtalk is not None,
            "email": bool(self.email),
        }
        return tuple(channel for channel in CHANNELS if configured[channel])


class NgoNotify(BaseModel):
    """An NGO that watches escalations, and where it wants to hear of them.

    ``factories`` is the NGO's scope (empty: every factory), as for its API token.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: PlainId
    name: Annotated[str, Field(min_length=1, max_length=100)]
    factories: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]] = []
    notify: NotifyConfig
