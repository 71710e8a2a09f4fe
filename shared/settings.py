"""Settings for every service, read once from the environment (prefix ``GRIEVANCE_``).

Every value has a default that works in the embedded mode, so a fresh machine runs the whole system
without configuration. Tests build ``Settings(...)`` with keyword arguments instead of patching the
environment.
"""

from __future__ import annotations

import ipaddress
import json
import re
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.contracts import Severity
from shared.sla import Deadlines, Duration, SlaTable

# Kept importable from here: the SLA's models are part of the settings surface.
__all__ = ["ConfigurationError", "Deadlines", "Duration", "Settings", "Severity", "SlaTable"]


# The SMS providers intake can send through, and the kinds of template a Chinese SMS carries
# (services/intake/cn_sms_templates.py says which message is which kind).
SmsProvider = Literal["twilio", "aliyun", "tencent"]
SMS_TEMPLATE_KINDS = ("ack", "update", "resolution", "escalation", "question", "help", "verification")


class ConfigurationError(RuntimeError):
    """The settings cannot run this service; the message says what to set."""


class Settings(BaseSettings):
    """The whole configuration surface of design section 12, plus a few operational knobs."""

    model_config = SettingsConfigDict(env_prefix="GRIEVANCE_", extra="ignore", frozen=True)

    amqp_url: str = "memory://"
    # Prefix for the exchange and queue names; tests use it to stay out of each other's way.
    amqp_namespace: str = ""
    amqp_publish_timeout: float = Field(default=5.0, gt=0)
    amqp_prefetch: int = Field(default=128, ge=1, le=1000)
    amqp_delivery_limit: int = Field(default=20, ge=1)

    mongo_url: str = "memory://"
    mongo_db: str = "grievances"

    host: str = "127.0.0.1"
    intake_port: int = 8080
    router_port: int = 8081
    escalation_port: int = 8082
    # The router's admin API (registry, tokens, dead letters) listens apart from the public port,
    # on loopback unless told otherwise; none (empty) turns it off.
    admin_host: str = "127.0.0.1"
    admin_port: int | None = 8083
    # /healthz, /readyz and /metrics (shared/ops.py): never on a public port. One listener per
    # process (`serve all`: one for the three services); loopback unless told otherwise; off turns
    # it off.
    ops_host: str = "127.0.0.1"
    ops_port: int | None = 8084

    public_base_url: str = "http://127.0.0.1:8080"
    # Where workers reach the router's public status page (the web form's `status_url`).
    public_status_url: str = "http://127.0.0.1:8081"
    # Whether the consoles' session cookies (and the web form's cookie) are `Secure` (sent over HTTPS
    # only). Unset: yes, unless the service's public URL above (the router's; intake's for the web
    # form) is plain http on loopback (a development run).
    console_secure_cookies: bool | None = None
    # The zone the NGO console writes times in (escalation keeps no registry of factory zones).
    console_timezone: str = "Asia/Shanghai"
    twilio_auth_token: SecretStr | None = None
    twilio_account_sid: str | None = None
    twilio_from: str | None = None
    twilio_api_base: str = "https://api.twilio.com"

    # -- WeChat Official Account (docs/channels-china.md) --
    # The Token set in the account's server configuration: it signs every push (unset: the WeChat
    # webhook answers 503), the AppID and AppSecret, and the EncodingAESKey of safe mode (unset:
    # plaintext mode). The previous EncodingAESKey still opens pushes during a rotation.
    wechat_token: SecretStr | None = None
    wechat_appid: str | None = None
    wechat_appsecret: SecretStr | None = None
    wechat_aes_key: SecretStr | None = None
    wechat_aes_key_previous: SecretStr | None = None
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Outside the 48 h window (docs/channels-china.md, "Outside the window"): the template message
    # that says "there is news on your case" (one template for every purpose: it never carries the
    # text), the keys of its three fields (the news line, the case code, the time), the zone its time
    # is shown in, the one-time subscription template a worker may opt in to, and the
    # customer-service messages WeChat allows per message of the worker.
    wechat_template_id: str | None = None
    wechat_template_keys: str = "thing1,character_string2,time3"
    wechat_notice_timezone: str = "Asia/Shanghai"
    wechat_subscribe_template_id: str | None = None
    wechat_window_quota: int = Field(default=5, ge=1, le=20)

    @field_validator("wechat_template_id", "wechat_subscribe_template_id")
    @classmethod
    def _template_id(cls, value: str | None) -> str | None:
        """A template id is letters, digits, ``-`` and ``_``; empty is unset."""
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value.strip()):
            raise ValueError("a WeChat template id is up to 64 letters, digits, '-' or '_'")
        return value.strip()

    @field_validator("wechat_template_keys")
    @classmethod
    def _template_keys(cls, value: str) -> str:
        """Three keys as the template's details show them (``thing1``, ``time3``, ...), comma-separated."""
        keys = [key.strip() for key in value.split(",")]
        if (
            len(keys) != 3
            or len(set(keys)) != 3
            or not all(re.fullmatch(r"[a-z_]{1,32}[0-9]{0,3}", k) for k in keys)
        ):
            raise ValueError(
                "three distinct template keys, comma-separated, such as thing1,character_string2,time3"
            )
        return ",".join(keys)

    @field_validator("wechat_notice_timezone")
    @classmethod
    def _notice_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("wechat_aes_key", "wechat_aes_key_previous")
    @classmethod
    def _encoding_aes_key(cls, value: SecretStr | None) -> SecretStr | None:
        """An EncodingAESKey is 43 characters of [A-Za-z0-9]; empty is unset. Checked here so that a
        key pasted with a stray character fails at start, not on the first worker's message."""
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if len(text) != 43 or not (text.isascii() and text.isalnum()):
            raise ValueError("an EncodingAESKey is 43 characters of letters and digits")
        return SecretStr(text)

    @field_validator("wechat_appid")
    @classmethod
    def _appid(cls, value: str | None) -> str | None:
        """An AppID is ``wx`` and 16 hex digits; empty is unset."""
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"wx[0-9a-fA-F]{16}", value.strip()):
            raise ValueError("a WeChat AppID is 'wx' followed by 16 hexadecimal digits")
        return value.strip()

    @model_validator(mode="after")
    def _safe_mode_needs_the_appid(self) -> Settings:
        """Safe mode checks the AppID at the end of every decrypted push: without it, nothing opens."""
        if self.wechat_aes_key is not None and self.wechat_appid is None:
            raise ValueError("GRIEVANCE_WECHAT_AES_KEY needs GRIEVANCE_WECHAT_APPID (safe mode checks it)")
        if self.wechat_aes_key_previous is not None and self.wechat_aes_key is None:
            raise ValueError("GRIEVANCE_WECHAT_AES_KEY_PREVIOUS without GRIEVANCE_WECHAT_AES_KEY")
        # The secret alone would leave WeChat replies silently unconfigured: say so at start.
        if (
            self.wechat_appsecret is not None
            and self.wechat_appsecret.get_secret_value()
            and self.wechat_appid is None
        ):
            raise ValueError(
                "GRIEVANCE_WECHAT_APPSECRET needs GRIEVANCE_WECHAT_APPID (replies are sent as it)"
            )
        return self

    # -- Chinese SMS: Alibaba Cloud and Tencent Cloud (docs/channels-china.md) --
    # Each provider is on when its credentials, signature (签名) and SMS application are set. The
    # uplink and report webhooks answer 404 without their callback secret, the last segment of the
    # path (at least 32 characters: the push carries no signature, the secret is the proof).
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: SecretStr | None = None
    aliyun_sign_name: str | None = None
    # The approved template (模板) of each kind: {"ack": "SMS_1234", "update": ..., "ack:en": ...}.
    aliyun_templates: dict[str, str] = {}
    aliyun_callback_secret: SecretStr | None = None
    aliyun_api_base: str = "https://dysmsapi.aliyuncs.com"
    tencent_secret_id: str | None = None
    tencent_secret_key: SecretStr | None = None
    tencent_sms_app_id: str | None = None
    tencent_sign_name: str | None = None
    tencent_templates: dict[str, str] = {}
    tencent_region: str = "ap-guangzhou"
    tencent_callback_secret: SecretStr | None = None
    tencent_api_base: str = "https://sms.tencentcloudapi.com"
    # Which provider carries the SMS of each gateway number ({"+8610690000001": "aliyun"}); a reply
    # goes back through the provider the worker wrote through, anything else by the default
    # (unset: Twilio when configured, else the one Chinese provider configured).
    sms_routes: dict[str, SmsProvider] = {}
    sms_default_provider: SmsProvider | None = None
    # The worker page an SMS template points to (fixed in the approved wording; unset:
    # {GRIEVANCE_PUBLIC_STATUS_URL}/case/), and the wordings, {"zh": {"ack": "..."}}, to change.
    sms_worker_page_url: str | None = None
    sms_template_wording: dict[str, dict[str, str]] = {}

    @field_validator(
        "aliyun_templates", "tencent_templates", "sms_routes", "sms_template_wording", mode="before"
    )
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        """The JSON of an environment variable (or of an env file read as text); empty is none."""
        if isinstance(value, str):
            try:
                return json.loads(value) if value.strip() else {}
            except json.JSONDecodeError:
                raise ValueError('not JSON; write it like {"ack": "SMS_1"}') from None
        return value

    @field_validator("sms_default_provider", "sms_worker_page_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("aliyun_callback_secret", "tencent_callback_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        """The path secret is all that tells a provider's push from anyone's: long, URL-safe."""
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if len(text) < 32 or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
            raise ValueError("a callback secret is at least 32 letters, digits, '-' or '_'")
        return SecretStr(text)

    @field_validator("aliyun_templates", "tencent_templates")
    @classmethod
    def _template_kinds(cls, value: dict[str, str]) -> dict[str, str]:
        """Keys are a template kind, optionally with its language (``ack:en``)."""
        for key, code in value.items():
            kind, _, language = key.partition(":")
            if kind not in SMS_TEMPLATE_KINDS or language not in ("", "zh", "en"):
                raise ValueError(f"{key!r}: a template kind is one of {', '.join(SMS_TEMPLATE_KINDS)}")
            if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", code):
                raise ValueError(f"{key!r}: a template code or id is letters, digits and '_'")
        return value

    @field_validator("sms_template_wording")
    @classmethod
    def _wording_kinds(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for language, wordings in value.items():
            if language not in ("zh", "en") or not set(wordings) <= set(SMS_TEMPLATE_KINDS):
                raise ValueError(f"wordings are {{'zh'|'en': {{kind: text}}}}, kinds {SMS_TEMPLATE_KINDS}")
        return value

    @property
    def aliyun_configured(self) -> bool:
        return bool(self.aliyun_access_key_id and self.aliyun_access_key_secret and self.aliyun_sign_name)

    @property
    def tencent_configured(self) -> bool:
        return bool(
            self.tencent_secret_id
            and self.tencent_secret_key
            and self.tencent_sms_app_id
            and self.tencent_sign_name
        )

    @property
    def worker_page_url(self) -> str:
        return self.sms_worker_page_url or f"{self.public_status_url.rstrip('/')}/case/"

    contact_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    # Region assumed for numbers written without a country code (the first deployment is China).
    default_region: str = "CN"

    # -- keys and the edge (docs/deployment.md) --
    # Older contact keys, comma-separated: they still unseal, only `contact_key` seals. Kept while
    # `grievance keys rotate` re-seals what is stored and the queues drain, then removed.
    contact_key_previous: SecretStr | None = None
    # The reverse proxy's addresses (comma-separated IPs or networks): only a request from one of
    # them may name its client in X-Forwarded-For. Empty: no proxy is trusted.
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        """``10.0.0.2, 172.28.0.0/24``: addresses or networks, checked here so a typo fails at start."""
        for part in (p.strip() for p in value.split(",")):
            if part:
                try:
                    ipaddress.ip_network(part, strict=False)
                except ValueError:
                    raise ValueError(f"{part!r} is not an IP address or network") from None
        return value

    # Open connections one client address may hold on a service's port (the trusted proxies' do not
    # count: they carry everyone's); more are refused at once (shared/listen.py). The same bound caps
    # the requests in progress at once of each client a trusted proxy names (shared/edge.py).
    connections_per_client: int = Field(default=64, ge=1, le=100_000)

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in self.trusted_proxies.split(",")
            if part.strip()
        )

    sla: SlaTable = SlaTable()
    sweep_interval: Duration = timedelta(seconds=30)
    # How long a worker has to answer YES/NO to a resolution before the case closes unconfirmed.
    confirmation_window: Duration = timedelta(days=7)

    @field_validator("sweep_interval", "confirmation_window")
    @classmethod
    def _longer_than_zero(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        """A sweep every 0 s would spin, and a window of 0 s closes every resolution unconfirmed at
        once: refused at start, in the words the SLA's deadlines get (:mod:`shared.sla`)."""
        if value <= timedelta(0):
            example = "30 s" if info.field_name == "sweep_interval" else "7 days"
            raise PydanticCustomError("duration_not_positive", "must be longer than 0", {"example": example})
        return value

    log_format: Literal["json", "console"] | None = None
    log_level: str = "INFO"

    # Committees see the times that say when the worker wrote (received, worker messages, deadlines)
    # rounded down to this: "hour" or "day" (docs/router.md, metadata for committees).
    committee_time_rounding: Literal["hour", "day"] = "hour"

    # The NGO dashboard's k: a figure computed over fewer cases than this is not shown, nor is any
    # figure that would let one be worked out from the totals (docs/escalation.md, Dashboard).
    dashboard_min_cohort: int = Field(default=5, ge=1, le=1000)

    # Public status lookups allowed per client address per minute.
    status_rate_limit: int = Field(default=30, ge=1)
    # Web-form grievances allowed per client address per hour, and per contact number per day. A
    # factory's dormitory often shares one address, hence the generous first one.
    webform_client_limit: int = Field(default=20, ge=1)
    webform_contact_limit: int = Field(default=5, ge=1)

    @field_validator("sla", mode="before")
    @classmethod
    def _sla_from_json(cls, value: Any) -> Any:
        """Accept the JSON of section 12: unset severities, and an unset ``ack`` or ``resolve`` of a
        severity that is set, keep their defaults."""
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except json.JSONDecodeError:
                raise ValueError('not JSON; write it like {"normal": {"ack": "PT48H"}}') from None
        if isinstance(value, dict):
            defaults = SlaTable()
            merged: dict[str, Any] = {}
            for severity, given in value.items():
                default = getattr(defaults, str(severity), None)
                if isinstance(given, dict) and isinstance(default, Deadlines):
                    given = {"ack": default.ack, "resolve": default.resolve, **given}
                merged[str(severity)] = given
            return merged
        return value

    @field_validator("admin_port", "ops_port", mode="before")
    @classmethod
    def _off_when_empty(cls, value: Any) -> Any:
        """``GRIEVANCE_ADMIN_PORT=`` (or ``off``) turns the admin API off, e.g. for extra replicas;
        the same for ``GRIEVANCE_OPS_PORT``."""
        if isinstance(value, str) and value.strip().lower() in ("", "off", "none"):
            return None
        return value

    @field_validator("amqp_namespace")
    @classmethod
    def _namespace_is_plain(cls, value: str) -> str:
        """A prefix of every exchange and queue name: ``team-a`` names ``team-a.router.grievances``
        (a namespace that already ends in ``.``, ``-`` or ``_`` is used as it is)."""
        if value and not all(ch.isalnum() or ch in "-_." for ch in value):
            raise ValueError("may hold letters, digits, '-', '_' and '.' only")
        return value if not value or value.endswith((".", "-", "_")) else value + "."
