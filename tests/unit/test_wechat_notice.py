"""The WeChat notice outside the window: what it says, where it points, and its settings (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from services.intake.wechat_notice import NoticePolicy, subscription_notice
from shared.settings import Settings


def policy(**overrides: Any) -> NoticePolicy:
    return NoticePolicy.of(Settings(public_status_url="https://status.example.org/", **overrides))


def test_the_template_says_there_is_news_gives_the_code_and_the_local_time() -> None:
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    data = policy(wechat_template_keys="thing4, character_string7 ,time2").template_data(
        "K7M3P-QRSTV", "en", at
    )
    assert data == {
        "thing4": "News on your case",
        "character_string7": "K7M3PQ",
        "time2": "2026年12月02日 07:30",
    }
    assert all(len(value) <= 20 for value in data.values())
    tokyo = policy(wechat_notice_timezone="Asia/Tokyo").template_data("K7M3P-QRSTV", "zh", at)
    assert tokyo["time3"] == "2026年12月02日 08:30" and len(tokyo["thing1"]) <= 20


def test_the_worker_page_is_the_case_code_never_a_pin() -> None:
    assert policy().worker_page("K7M3PQ") == "https://status.example.org/case/?code=K7M3PQ"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_subscription_message_fits_wechats_limits(language: str) -> None:
    notice = subscription_notice("K7M3P-QRSTV", language)  # type: ignore[arg-type]
    assert 0 < len(notice.title) <= 15 and len(notice.content) <= 200 and "K7M3PQ" in notice.content


@pytest.mark.parametrize(
    "overrides",
    [
        {"wechat_template_keys": "thing1,time3"},
        {"wechat_template_keys": "thing1,thing1,time3"},
        {"wechat_template_keys": "thing1,character_string2,time3;drop"},
        {"wechat_template_id": "has spaces"},
        {"wechat_notice_timezone": "Mars/Olympus"},
        {"wechat_window_quota": 0},
    ],
)
def test_settings_that_could_not_send_a_notice_fail_at_start(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(**overrides)


def test_empty_template_ids_are_unset() -> None:
    settings = Settings(wechat_template_id=" ", wechat_subscribe_template_id="")
    assert settings.wechat_template_id is None and settings.wechat_subscribe_template_id is None
