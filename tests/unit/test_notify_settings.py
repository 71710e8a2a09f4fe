"""The notification settings: defaults that need nothing, and the combinations that are refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from services.notify.settings import NotifySettings


def test_defaults_need_no_configuration() -> None:
    settings = NotifySettings()
    assert settings.smtp_host is None and settings.committee_console_url is None
    context = settings.render_context()
    assert context.default_timezone == "Asia/Shanghai" and context.link("committee", "K7M3P-9QXA2") is None
    retry = settings.retry()
    assert (retry.attempts, retry.base, retry.cap) == (3, 0.5, 5.0)


def test_console_templates() -> None:
    settings = NotifySettings(
        committee_console_url="https://router.example.org/console/cases/{reference}",
        ngo_console_url="https://escalation.example.org/console?case={reference}",
    )
    context = settings.render_context()
    assert context.link("committee", "K7M3P-9QXA2") == "https://router.example.org/console/cases/K7M3P-9QXA2"
    assert context.link("ngo", "K7M3P-9QXA2") == "https://escalation.example.org/console?case=K7M3P-9QXA2"
    assert NotifySettings(committee_console_url="  ").committee_console_url is None


@pytest.mark.parametrize(
    "template",
    [
        "https://router.example.org/console/cases/",
        "https://router.example.org/{reference}/{reference}",
        "javascript:alert(1)//{reference}",
        "router.example.org/cases/{reference}",
    ],
)
def test_bad_console_templates(template: str) -> None:
    with pytest.raises(ValidationError):
        NotifySettings(committee_console_url=template)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"smtp_host": "smtp.example.org"}, "smtp_from is required"),
        (
            {"smtp_host": "smtp.example.org", "smtp_from": "n@g.example.org", "smtp_security": "plain"},
            "loopback",
        ),
        ({"smtp_host": "smtp.example.org", "smtp_from": "n@g.example.org", "smtp_username": "n"}, "both"),
        ({"smtp_from": "Notify <n@g.example.org>"}, "e-mail address"),
        ({"notify_timezone": "China/Beijing"}, "IANA"),
        ({"notify_attempts": 0}, "greater than or equal"),
        ({"notify_robot_rate": 21}, "less than or equal"),
    ],
)
def test_refused_settings(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        NotifySettings(**values)


def test_a_loopback_relay_may_be_plain() -> None:
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_security="plain", smtp_from="n@g.example.org")
    assert settings.smtp_security == "plain"


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIEVANCE_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("GRIEVANCE_SMTP_FROM", "notify@grievance.example.org")
    monkeypatch.setenv("GRIEVANCE_SMTP_PASSWORD", "pw")
    monkeypatch.setenv("GRIEVANCE_SMTP_USERNAME", "notify")
    monkeypatch.setenv("GRIEVANCE_NOTIFY_TIMEOUT", "3.5")
    settings = NotifySettings()
    assert settings.smtp_host == "smtp.example.org" and settings.notify_timeout == 3.5
    assert "pw" not in repr(settings)
