"""Settings read the environment's formats, with defaults for the embedded mode."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from shared.bootstrap import CONFIG_EXIT, load_settings, main, mode_of
from shared.settings import ConfigurationError, Settings


def test_defaults_run_embedded() -> None:
    settings = Settings()
    assert mode_of(settings).embedded
    assert (settings.intake_port, settings.router_port, settings.escalation_port) == (8080, 8081, 8082)
    assert settings.sla.critical.ack == timedelta(hours=2)
    assert settings.sla.normal.resolve == timedelta(days=15)
    assert settings.sweep_interval == timedelta(seconds=30)


def test_sla_json_with_iso_durations_keeps_unset_severities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIEVANCE_SLA", '{"critical": {"ack": "PT5S", "resolve": "PT30S"}}')
    monkeypatch.setenv("GRIEVANCE_SWEEP_INTERVAL", "PT2S")
    settings = Settings()
    assert settings.sla.for_severity("critical").ack == timedelta(seconds=5)
    assert settings.sla.for_severity("high").ack == timedelta(hours=24)
    assert settings.sweep_interval == timedelta(seconds=2)


def test_sweep_interval_in_plain_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIEVANCE_SWEEP_INTERVAL", "7")
    assert Settings().sweep_interval == timedelta(seconds=7)


def test_bad_namespace_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(amqp_namespace="a b")


def test_secrets_do_not_show_in_repr() -> None:
    settings = Settings(twilio_auth_token="super-secret-token-value")
    assert "super-secret-token-value" not in repr(settings)


def test_a_severity_given_in_part_keeps_the_rest_of_its_defaults() -> None:
    settings = Settings(sla='{"normal": {"ack": "2 days"}}')
    assert settings.sla.normal.ack == timedelta(days=2)
    assert settings.sla.normal.resolve == timedelta(days=15)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("PT48H", timedelta(hours=48)),
        ("48 h", timedelta(hours=48)),
        ("48h", timedelta(hours=48)),
        ("2 days", timedelta(days=2)),
        ("90 min", timedelta(minutes=90)),
        ("10s", timedelta(seconds=10)),
        ("1 week", timedelta(days=7)),
        ("30", timedelta(seconds=30)),
        ("02:00:00", timedelta(hours=2)),
    ],
)
def test_durations_as_people_write_them(written: Any, expected: Any) -> None:
    assert Settings(sweep_interval=written).sweep_interval == expected


@pytest.mark.parametrize(
    "value", ['{"urgent": {"ack": "PT1H"}}', '{"normal": {"ack": "PT1H", "soon": "PT1H"}}']
)
def test_unknown_sla_keys_are_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(sla=value)


@pytest.mark.parametrize(
    ("given", "prefix"), [("team-a", "team-a."), ("team-a.", "team-a."), ("ci_", "ci_"), ("", "")]
)
def test_a_namespace_is_separated_from_the_names_it_prefixes(given: Any, prefix: Any) -> None:
    assert Settings(amqp_namespace=given).amqp_namespace == prefix


WECHAT_AES_KEY = "Qk9vY2xpbmtzMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG0"


def test_wechat_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIEVANCE_WECHAT_TOKEN", "t" * 32)
    monkeypatch.setenv("GRIEVANCE_WECHAT_APPID", "wx5f3c1d2e4b6a7980")
    monkeypatch.setenv("GRIEVANCE_WECHAT_AES_KEY", WECHAT_AES_KEY)
    monkeypatch.setenv("GRIEVANCE_WECHAT_AES_KEY_PREVIOUS", "")
    settings = Settings()
    assert settings.wechat_token is not None and settings.wechat_token.get_secret_value() == "t" * 32
    assert (
        settings.wechat_aes_key is not None and settings.wechat_aes_key.get_secret_value() == WECHAT_AES_KEY
    )
    assert settings.wechat_aes_key_previous is None  # empty is unset
    assert settings.wechat_api_base == "https://api.weixin.qq.com"
    assert WECHAT_AES_KEY not in repr(settings)


@pytest.mark.parametrize(
    "values",
    [
        {"wechat_aes_key": WECHAT_AES_KEY[:-1]},  # 42 characters
        {"wechat_aes_key": WECHAT_AES_KEY[:-1] + "="},
        {"wechat_appid": "wx123"},
        {"wechat_aes_key": WECHAT_AES_KEY, "wechat_appid": ""},  # safe mode checks the AppID
        {"wechat_aes_key_previous": WECHAT_AES_KEY},  # a previous key without a current one
        {"wechat_aes_key": WECHAT_AES_KEY, "wechat_aes_key_previous": WECHAT_AES_KEY[:-1]},
        {"wechat_appsecret": "s" * 32, "wechat_appid": ""},  # replies need the AppID too
    ],
)
def test_wechat_settings_that_cannot_work_fail_at_start(values: Any) -> None:
    given = {"wechat_appid": "wx5f3c1d2e4b6a7980", **values}
    with pytest.raises(ValidationError):
        Settings(**given)


def test_wechat_placeholders_and_short_tokens_are_refused() -> None:
    from shared.safety import refusals

    def reasons(**values: Any) -> list[str]:
        found = refusals(Settings(**values), contact_key=False, pseudonym_key=False)
        return [r for r in found if "WECHAT" in r]

    assert reasons(wechat_token="K7dPq2xZ9mLw4RtYb8VnC3hJ6sFe1GaU") == []
    assert reasons(wechat_token="short-token") == [
        "GRIEVANCE_WECHAT_TOKEN is 11 characters; it needs at least 16"
    ]
    assert reasons(wechat_token="change-me-wechat-token-0123456789")
    assert reasons(wechat_appid="wx5f3c1d2e4b6a7980", wechat_appsecret="change-me-wechat-appsecret")
    published_sample = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    assert reasons(wechat_appid="wx2c2769f8efd9abc2", wechat_aes_key=published_sample)
    assert reasons(wechat_appid="wx2c2769f8efd9abc2", wechat_aes_key=WECHAT_AES_KEY) == []


@pytest.mark.parametrize(
    ("sla", "reason"),
    [
        (
            {"normal": {"ack": "-2 days"}},
            "GRIEVANCE_SLA: normal.ack must be longer than 0, for example 48 h.",
        ),
        ({"normal": {"ack": "0 s"}}, "GRIEVANCE_SLA: normal.ack must be longer than 0, for example 48 h."),
        (
            {"high": {"resolve": "PT0S"}},
            "GRIEVANCE_SLA: high.resolve must be longer than 0, for example 15 days.",
        ),
        (
            {"normal": {"ack": "48 h", "resolve": "2 h"}},
            "GRIEVANCE_SLA: normal.resolve (2 h) must be longer than normal.ack (48 h).",
        ),
        # A resolve left at its default (15 days) is held to the ack that is given.
        (
            {"normal": {"ack": "20 days"}},
            "normal.resolve (15 days) must be longer than normal.ack (20 days).",
        ),
        (
            {"critical": {"ack": "2 h", "resolve": "2 h"}},
            "critical.resolve (2 h) must be longer than critical.ack",
        ),
    ],
)
def test_an_sla_that_cannot_be_met_is_refused_with_a_plain_reason(
    monkeypatch: pytest.MonkeyPatch, sla: Any, reason: Any
) -> None:
    with pytest.raises(ValidationError):
        Settings(sla=json.dumps(sla))
    monkeypatch.setenv("GRIEVANCE_SLA", json.dumps(sla))
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert reason in str(refused.value)
    assert "Value error" not in str(refused.value) and "timedelta" not in str(refused.value)


def test_a_shorter_ack_with_a_longer_resolve_is_accepted() -> None:
    settings = Settings(
        sla='{"critical": {"ack": "10 s", "resolve": "2 min"}, "normal": {"ack": "20 days"'
        + ', "resolve": "P30D"}}'
    )
    assert settings.sla.normal.resolve == timedelta(days=30)
    assert settings.sla.critical.ack == timedelta(seconds=10)


def test_a_service_started_with_such_an_sla_exits_3_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRIEVANCE_SLA", '{"normal": {"ack": "48 h", "resolve": "2 h"}}')
    assert main("router") == CONFIG_EXIT == 3
    assert capsys.readouterr().err == (
        "grievance: error: invalid configuration: "
        "GRIEVANCE_SLA: normal.resolve (2 h) must be longer than normal.ack (48 h).\n"
    )


@pytest.mark.parametrize("name", ["GRIEVANCE_WECHAT_AES_KEY", "GRIEVANCE_WECHAT_AES_KEY_PREVIOUS"])
def test_a_short_encoding_aes_key_current_or_previous_is_refused_alike(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv("GRIEVANCE_WECHAT_APPID", "wx5f3c1d2e4b6a7980")
    monkeypatch.setenv("GRIEVANCE_WECHAT_AES_KEY", WECHAT_AES_KEY)
    monkeypatch.setenv(name, WECHAT_AES_KEY[:20])
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert str(refused.value) == (
        f"invalid configuration: {name}: an EncodingAESKey is 43 characters of letters and digits"
    )
    assert WECHAT_AES_KEY[:20] not in str(refused.value)
