"""DingTalk's signature against vectors computed with openssl, the rate window and the retry rule."""

from __future__ import annotations

import pytest
from yarl import URL

from services.notify.config import DingTalkTarget
from services.notify.dingtalk import sign, signed_url
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.ratewindow import RateWindow
from services.notify.retrying import with_retries
from shared.messaging import Retry

# printf '%s\n%s' "$ts" "$secret" | openssl dgst -sha256 -hmac "$secret" -binary | base64
VECTORS = [
    (
        "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd",
        1700000000000,
        "8SZas7RY4E7wuOlgLfjLwHSKZpyUEdXdLvFYSDZiiFw=",
    ),
    ("this is secret", 1761984000123, "Il7nJRWjPNmp2XD3MycBdrWkehmGNpIfGxiIxEp3+qY="),
]
FAST = Retry(attempts=3, base=0.0, cap=0.0)


@pytest.mark.parametrize(("secret", "timestamp", "expected"), VECTORS)
def test_dingtalk_sign_matches_openssl(secret: str, timestamp: int, expected: str) -> None:
    assert sign(secret, timestamp) == expected


def test_the_signature_is_url_encoded_once() -> None:
    target = DingTalkTarget.model_validate(
        {"url": "https://oapi.dingtalk.com/robot/send?access_token=abc", "secret": "this is secret"}
    )
    url = signed_url(target, 1761984000.123)
    assert url.query["access_token"] == "abc"
    assert url.query["timestamp"] == "1761984000123"
    # '+' and '=' are encoded in the query as it goes on the wire, and decode back to the base64.
    assert "sign=Il7nJRWjPNmp2XD3MycBdrWkehmGNpIfGxiIxEp3%2BqY%3D" in str(url)
    assert URL(str(url)).query["sign"] == VECTORS[1][2]


def test_an_unsigned_robot_gets_its_url_unchanged() -> None:
    target = DingTalkTarget.model_validate({"url": "https://oapi.dingtalk.com/robot/send?access_token=abc"})
    assert str(signed_url(target, 1.0)) == "https://oapi.dingtalk.com/robot/send?access_token=abc"


def test_the_rate_window_refuses_the_21st_message_of_a_minute() -> None:
    now = [1000.0]
    window = RateWindow(20, clock=lambda: now[0])
    for _ in range(20):
        window.reserve("https://robot/a")
        now[0] += 1.0
    with pytest.raises(TransientNotifyError) as caught:
        window.reserve("https://robot/a")
    assert caught.value.code == "rate_window"
    assert caught.value.retry_after == pytest.approx(40.0)
    window.reserve("https://robot/b")  # each robot has its own window
    now[0] = 1060.0  # the first slot frees up
    window.reserve("https://robot/a")
    with pytest.raises(TransientNotifyError):
        window.reserve("https://robot/a")


async def test_retries_are_bounded_and_stop_at_a_permanent_error() -> None:
    calls: list[int] = []

    async def flaky() -> None:
        calls.append(1)
        raise TransientNotifyError("http_503")

    with pytest.raises(TransientNotifyError):
        await with_retries(flaky, FAST, channel="wecom")
    assert len(calls) == 3

    calls.clear()

    async def refused() -> None:
        calls.append(1)
        raise PermanentNotifyError("wecom_93000")

    with pytest.raises(PermanentNotifyError):
        await with_retries(refused, FAST, channel="wecom")
    assert len(calls) == 1


async def test_a_failure_that_names_its_wait_is_not_retried_in_place() -> None:
    calls: list[int] = []

    async def throttled() -> None:
        calls.append(1)
        raise TransientNotifyError("wecom_45009", retry_after=60)

    with pytest.raises(TransientNotifyError):
        await with_retries(throttled, FAST, channel="wecom")
    assert len(calls) == 1


async def test_a_retry_that_succeeds_returns() -> None:
    calls: list[int] = []

    async def second_time() -> None:
        calls.append(1)
        if len(calls) < 2:
            raise TransientNotifyError("timeout")

    await with_retries(second_time, FAST, channel="email")
    assert len(calls) == 2
