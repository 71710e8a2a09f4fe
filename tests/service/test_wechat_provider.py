"""The WeChat send client against a local server that speaks WeChat's token and send APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from services.intake.channels.delivery import PermanentDeliveryError, TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError
from services.intake.channels.wechat_api import AccessTokenRejected, CustomerServiceWindowClosed, WeChatApi
from services.intake.channels.wechat_token import StableTokenSource
from tests.fakes import FakeClock, sensitive
from tests.providers.wechat import FakeWeChat

APP_ID, SECRET = "wx2c2769f8efd9abc2", sensitive("wechat-app-secret-0123456789")
WORKER = sensitive("oyORnuP8q7ou2gfYjqLzSIWZf0rs")
REPLY = sensitive("委员会已收到您的反馈，将在两天内答复。")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.templates.add("TPL_PROGRESS")
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def api_for(
    session: aiohttp.ClientSession, wechat: FakeWeChat, clock: FakeClock, secret: str = SECRET
) -> WeChatApi:
    tokens = StableTokenSource(session, app_id=APP_ID, secret=secret, api_base=wechat.base_url, clock=clock)
    return WeChatApi(session, tokens, api_base=wechat.base_url)


async def test_a_reply_inside_the_window_is_sent(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    wechat.user_wrote(WORKER)
    await api_for(session, wechat, clock).send_text(WORKER, REPLY)
    (sent,) = wechat.sent
    assert sent.path == "/cgi-bin/message/custom/send"
    assert sent.body == {"touser": WORKER, "msgtype": "text", "text": {"content": REPLY}}
    assert wechat.token_requests == [
        {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET, "force_refresh": False}
    ]


async def test_concurrent_sends_share_one_token_fetch(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    for n in range(5):
        wechat.user_wrote(f"{WORKER}{n}")
    api = api_for(session, wechat, clock)
    await asyncio.gather(*(api.send_text(f"{WORKER}{n}", REPLY) for n in range(5)))
    assert len(wechat.sent) == 5
    assert len(wechat.token_requests) == 1
    clock.advance(seconds=7200 - 301)  # still valid, minus the margin: the cached token is reused
    await api.send_text(f"{WORKER}0", REPLY)
    assert len(wechat.token_requests) == 1
    clock.advance(seconds=2)  # inside the last five minutes: fetched again, WeChat renews it
    await api.send_text(f"{WORKER}1", REPLY)
    assert len(wechat.token_requests) == 2
    assert wechat.sent[-1].token != wechat.sent[0].token


async def test_the_48_hour_window_and_its_quota(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    api = api_for(session, wechat, clock)
    wechat.follow(WORKER)
    with pytest.raises(CustomerServiceWindowClosed) as closed:  # never wrote: no window
        await api.send_text(WORKER, REPLY)
    assert closed.value.code == "45015"
    wechat.user_wrote(WORKER)
    for _ in range(5):
        await api.send_text(WORKER, REPLY)
    with pytest.raises(CustomerServiceWindowClosed) as spent:
        await api.send_text(WORKER, REPLY)
    assert spent.value.code == "45047"
    wechat.user_wrote(WORKER)  # the worker writes again: a fresh quota
    await api.send_text(WORKER, REPLY)
    clock.advance(hours=48, seconds=1)
    with pytest.raises(CustomerServiceWindowClosed) as expired:
        await api.send_text(WORKER, REPLY)
    assert expired.value.code == "45015"
    assert isinstance(expired.value, PermanentDeliveryError)
    assert len(wechat.sent) == 6


async def test_a_revoked_token_is_refreshed_once_and_the_send_retried(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    api = api_for(session, wechat, clock)
    wechat.user_wrote(WORKER)
    await api.send_text(WORKER, REPLY)
    wechat.revoke_tokens()
    await api.send_text(WORKER, REPLY)
    assert [r.errcode for r in wechat.requests] == [0, 40001, 0]
    assert len(wechat.token_requests) == 2
    assert wechat.requests[2].token != wechat.requests[0].token


async def test_a_token_wechat_keeps_handing_back_is_force_refreshed_at_most_once(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    api = api_for(session, wechat, clock)
    wechat.user_wrote(WORKER)
    await api.send_text(WORKER, REPLY)
    wechat.fail_next(42001)  # the send says expired, but stable_token still returns the same token
    await api.send_text(WORKER, REPLY)
    assert [body["force_refresh"] for body in wechat.token_requests] == [False, False, True]
    assert [r.errcode for r in wechat.requests] == [0, 42001, 0]
    wechat.fail_next(40001, 40001)  # refused twice in a row: give up, do not loop
    with pytest.raises(AccessTokenRejected):
        await api.send_text(WORKER, REPLY)
    forced = [body for body in wechat.token_requests if body["force_refresh"]]
    assert len(forced) == 1  # the second forced refresh inside 30 s was not made
    clock.advance(seconds=31)
    wechat.fail_next(40001)
    await api.send_text(WORKER, REPLY)
    assert len([body for body in wechat.token_requests if body["force_refresh"]]) == 2


async def test_errcode_in_an_http_200_answer_is_read(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    api = api_for(session, wechat, clock)
    wechat.user_wrote(WORKER)
    wechat.fail_next(-1, 45009, 43004)
    with pytest.raises(AmbiguousDeliveryError):  # system busy: it may have been delivered
        await api.send_text(WORKER, REPLY)
    with pytest.raises(TransientDeliveryError) as limited:  # daily API quota
        await api.send_text(WORKER, REPLY)
    assert not isinstance(limited.value, AmbiguousDeliveryError)
    with pytest.raises(PermanentDeliveryError):  # the worker unfollowed
        await api.send_text(WORKER, REPLY)
    assert wechat.sent == []


async def test_template_message(wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock) -> None:
    api = api_for(session, wechat, clock)
    wechat.follow(WORKER)
    msgid = await api.send_template(
        WORKER, "TPL_PROGRESS", {"thing1": "有新进展"}, client_msg_id="outbound-1"
    )
    assert msgid.isdigit()
    assert wechat.sent[0].body["client_msg_id"] == "outbound-1"
    with pytest.raises(TransientDeliveryError) as unknown:  # a template id is an operator's setting
        await api.send_template(WORKER, "TPL_GONE", {"thing1": "x"})
    assert unknown.value.args == ("40037",)
    wechat.unfollow(WORKER)
    with pytest.raises(PermanentDeliveryError) as unfollowed:
        await api.send_template(WORKER, "TPL_PROGRESS", {"thing1": "x"})
    assert unfollowed.value.code == "43004"


async def test_subscription_notice_consumes_the_opt_in(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    api = api_for(session, wechat, clock)
    notice: dict[str, Any] = {"scene": 7, "title": "案件进展", "content": "您的案件有新消息"}
    with pytest.raises(PermanentDeliveryError) as refused:
        await api.send_subscription_notice(WORKER, "TPL_NOTICE", **notice)
    assert refused.value.code == "43101"
    wechat.grant(WORKER, "TPL_NOTICE", scene=8)  # another scene's consent does not count
    with pytest.raises(PermanentDeliveryError):
        await api.send_subscription_notice(WORKER, "TPL_NOTICE", **notice)
    wechat.grant(WORKER, "TPL_NOTICE", scene=7)
    with pytest.raises(PermanentDeliveryError) as too_long:
        await api.send_subscription_notice(WORKER, "TPL_NOTICE", scene=7, title="标题" * 8, content="x")
    assert too_long.value.code == "47003"
    await api.send_subscription_notice(WORKER, "TPL_NOTICE", **notice, url="https://r.example/case/")
    with pytest.raises(PermanentDeliveryError):  # one message per one-time consent
        await api.send_subscription_notice(WORKER, "TPL_NOTICE", **notice)
    (sent,) = wechat.sent
    assert sent.path == "/cgi-bin/message/template/subscribe"
    assert sent.body["data"] == {"content": {"value": "您的案件有新消息"}} and sent.body["scene"] == "7"


async def test_a_wrong_secret_is_transient_and_sends_nothing(
    wechat: FakeWeChat, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    wechat.user_wrote(WORKER)
    with pytest.raises(TransientDeliveryError) as refused:
        await api_for(session, wechat, clock, secret="wrong").send_text(WORKER, REPLY)
    assert refused.value.args == ("wechat_token_40125",)
    assert wechat.requests == []
