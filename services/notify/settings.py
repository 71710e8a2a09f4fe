"""Settings of the notification channels, read once from the environment (prefix ``GRIEVANCE_``).

Every value has a default that works without configuration: no console link, no SMTP server (the
e-mail channel is then absent and only the robots are used). Tests build ``NotifySettings(...)``
with keyword arguments.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notify.config import check_address, check_timezone, is_loopback
from services.notify.render import DEFAULT_TIMEZONE, REFERENCE_PLACEHOLDER, RenderContext
from shared.messaging import Retry

SmtpSecurity = Literal["starttls", "tls", "plain"]


class NotifySettings(BaseSettings):
    # An empty variable is unset: compose hands every optional one over, empty when not configured.
    model_config = SettingsConfigDict(
        env_prefix="GRIEVANCE_", extra="ignore", frozen=True, env_ignore_empty=True
    )

    # Console page of a case, with `{reference}` where the reference goes; unset: no link.
    committee_console_url: str | None = None
    ngo_console_url: str | None = None
    # The zone deadlines are shown in for a recipient who set none.
    notify_timezone: str = DEFAULT_TIMEZONE

    # One HTTP request or one SMTP session, whole (connect, send, answer).
    notify_timeout: float = Field(default=10.0, gt=0)
    # Tries per channel for a transient failure, with capped, jittered exponential backoff.
    notify_attempts: int = Field(default=3, ge=1, le=10)
    notify_backoff_base: float = Field(default=0.5, ge=0)
    notify_backoff_cap: float = Field(default=5.0, ge=0)
    # Messages per robot per minute that this process sends before it waits (both robots allow 20).
    notify_robot_rate: int = Field(default=20, ge=1, le=20)
    # The fraction of the acknowledgement window at which the committee is reminded of the deadline.
    notify_remind_at: float = Field(default=0.75, gt=0, lt=1)

    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    # starttls (submission, port 587), tls (implicit TLS, port 465) or plain (loopback relays only).
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    # A CA bundle to verify the SMTP server with instead of the system's (a private CA, tests).
    smtp_cafile: str | None = None

    @field_validator("committee_console_url", "ngo_console_url")
    @classmethod
    def _console_template(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        if value.count(REFERENCE_PLACEHOLDER) != 1:
            raise ValueError(f"must hold {REFERENCE_PLACEHOLDER} once, where the case reference goes")
        return value.strip()

    @field_validator("notify_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("smtp_from")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return check_address(value) if value else None

    @model_validator(mode="after")
    def _smtp_complete(self) -> NotifySettings:
        if self.smtp_host is None:
            return self
        if self.smtp_from is None:
            raise ValueError("smtp_from is required when smtp_host is set")
        if self.smtp_security == "plain" and not is_loopback(self.smtp_host):
            raise ValueError("smtp_security=plain is allowed only for a relay on loopback")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("set both smtp_username and smtp_password, or neither")
        return self

    def render_context(self) -> RenderContext:
        return RenderContext(
            committee_console_url=self.committee_console_url,
            ngo_console_url=self.ngo_console_url,
            default_timezone=self.notify_timezone,
        )

    def retry(self) -> Retry:
        return Retry(
            attempts=self.notify_attempts, base=self.notify_backoff_base, cap=self.notify_backoff_cap
        )
