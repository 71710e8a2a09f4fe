"""The WeCom and DingTalk robots through local servers that check what the real ones check."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from services.notify.dingtalk import DingTalkRobot
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification, Recipient
from services.notify.ratewindow import RateWindow
from services.notify.render import RenderContext, render
from services.notify.wecom import WeComRobot
from shared.messaging import Retry
from tests.providers.notify_servers import Answer, DingTalkSecurity, FakeDingTalk, FakeWeCom
from tests.servers import ServiceServer

FAST = Retry(attempts=3, base=0.01, cap=0.02)
CONTEXT = RenderContext(committee_console_url="https://router.example.org/console/cases/{reference}")
SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
DEADLINE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def notification(**notify: Any) -> Notification:
    recipient = Recipient(kind="committee", id="gz-001-spt", notify=notify)
    return Notification.build(
        "case_assigned", reference="K7M3P-9QXA2", category="wages", deadline=DEADLINE, recipient=recipient
    )


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(keys=["wecom-key-1"]) as server:
        yield server


def wecom_robot(session: aiohttp.ClientSession, **options: Any) -> WeComRobot:
    return WeComRobot(session, context=CONTEXT, retry=FAST, timeout=options.pop("timeout", 2.0), **options)


# --- WeCom ---------------------------------------------------------------------------------------


async def test_wecom_delivers_a_utf8_text(session: aiohttp.ClientSession, wecom: FakeWeCom) -> None:
    n = notification(wecom=wecom.url())
    await wecom_robot(session).send(n)
    assert wecom.delivered == [{"msgtype": "text", "text": {"content": render(n, CONTEXT).text()}}]
    request = wecom.requests[0]
    assert request.content_type == "application/json; charset=utf-8"
    assert "工资".encode() in request.raw  # the characters themselves, not \\u escapes


async def test_wecom_wrong_key_is_permanent_and_not_retried(
    session: aiohttp.ClientSession, wecom: FakeWeCom
) -> None:
    with pytest.raises(PermanentNotifyError) as caught:
        await wecom_robot(session).send(notification(wecom=wecom.url("revoked-key")))
    assert caught.value.code == "wecom_93000"
    assert len(wecom.requests) == 1


async def test_wecom_busy_is_retried(session: aiohttp.ClientSession, wecom: FakeWeCom) -> None:
    wecom.fail(errcode=-1, errmsg="system busy")
    await wecom_robot(session).send(notification(wecom=wecom.url()))
    assert len(wecom.requests) == 2 and len(wecom.delivered) == 1


async def test_wecom_server_errors_are_transient_and_retries_bounded(
    session: aiohttp.ClientSession, wecom: FakeWeCom
) -> None:
    for _ in range(5):
        wecom.fail(status=502, errmsg="bad gateway")
    with pytest.raises(TransientNotifyError) as caught:
        await wecom_robot(session).send(notification(wecom=wecom.url()))
    assert caught.value.code == "wecom_http_502"
    assert len(wecom.requests) == FAST.attempts


@pytest.mark.parametrize(("status", "permanent"), [(404, True), (400, True), (429, False), (408, False)])
async def test_wecom_http_statuses(
    session: aiohttp.ClientSession, wecom: FakeWeCom, status: int, permanent: bool
) -> None:
    for _ in range(FAST.attempts):
        wecom.fail(status=status, errmsg="no")
    with pytest.raises(PermanentNotifyError if permanent else TransientNotifyError) as caught:
        await wecom_robot(session).send(notification(wecom=wecom.url()))
    assert caught.value.code == f"wecom_http_{status}"
    assert len(wecom.requests) == (1 if permanent else FAST.attempts)


async def test_wecom_timeout_is_transient(session: aiohttp.ClientSession, wecom: FakeWeCom) -> None:
    for _ in range(FAST.attempts):
        wecom.stall(1.0)
    with pytest.raises(TransientNotifyError) as caught:
        await wecom_robot(session, timeout=0.2).send(notification(wecom=wecom.url()))
    assert caught.value.code == "wecom_timeout"
    assert len(wecom.requests) == FAST.attempts


async def test_wecom_answer_without_errcode_is_transient(
    session: aiohttp.ClientSession, wecom: FakeWeCom
) -> None:
    """HTTP 200 proves nothing: a proxy's page, or JSON without errcode, is not a delivery."""
    wecom.fail(status=200, errmsg="ok")  # no errcode at all
    wecom.script.append(Answer(status=200, body={"errcode": "0"}))
    await wecom_robot(session).send(notification(wecom=wecom.url()))
    assert len(wecom.requests) == 3 and len(wecom.delivered) == 1


async def test_wecom_unreachable_is_transient(session: aiohttp.ClientSession) -> None:
    async with FakeWeCom() as gone:
        url = gone.url()
    with pytest.raises(TransientNotifyError) as caught:
        await wecom_robot(session).send(notification(wecom=url))
    assert caught.value.code.startswith("wecom_Client")


async def test_wecom_rate_limit_is_transient_with_its_wait(
    session: aiohttp.ClientSession, wecom: FakeWeCom
) -> None:
    robot = wecom_robot(session)
    n = notification(wecom=wecom.url())
    for _ in range(20):
        await robot.send(n)
    with pytest.raises(TransientNotifyError) as caught:
        await robot.send(n)
    assert caught.value.code == "wecom_45009" and caught.value.retry_after == 60
    # Not retried in place: the minute would not be over.
    assert len(wecom.requests) == 21 and len(wecom.delivered) == 20


async def test_the_rate_window_keeps_under_the_limit(
    session: aiohttp.ClientSession, wecom: FakeWeCom
) -> None:
    robot = wecom_robot(session, window=RateWindow(20))
    n = notification(wecom=wecom.url())
    for _ in range(20):
        await robot.send(n)
    with pytest.raises(TransientNotifyError) as caught:
        await robot.send(n)
    assert caught.value.code == "rate_window" and caught.value.retry_after is not None
    assert len(wecom.requests) == 20


async def test_a_redirect_is_not_followed(session: aiohttp.ClientSession, wecom: FakeWeCom) -> None:
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(wecom.url())

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", moved)
    async with ServiceServer(app) as mover:
        url = str(mover.make_url("/cgi-bin/webhook/send")) + "?key=wecom-key-1"
        with pytest.raises(PermanentNotifyError) as caught:
            await wecom_robot(session).send(notification(wecom=url))
    assert caught.value.code == "wecom_http_302"
    assert wecom.requests == []


async def test_a_recipient_without_wecom(session: aiohttp.ClientSession) -> None:
    with pytest.raises(PermanentNotifyError, match="wecom_not_configured"):
        await wecom_robot(session).send(notification(email=["spt@factory.example.cn"]))


# --- DingTalk ------------------------------------------------------------------------------------


@pytest.fixture
async def dingtalk() -> AsyncIterator[FakeDingTalk]:
    robots = {
        "signed": DingTalkSecurity(secret=SECRET),
        "keyword": DingTalkSecurity(keywords=("工人反馈", "grievance")),
        "both": DingTalkSecurity(secret="this is secret", keywords=("申诉平台",)),
    }
    async with FakeDingTalk(robots) as server:
        yield server


def dingtalk_robot(session: aiohttp.ClientSession, **options: Any) -> DingTalkRobot:
    return DingTalkRobot(session, context=CONTEXT, retry=FAST, timeout=options.pop("timeout", 2.0), **options)


async def test_dingtalk_delivers_signed_markdown(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk
) -> None:
    n = notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET})
    await dingtalk_robot(session).send(n)
    rendered = render(n, CONTEXT)
    assert dingtalk.delivered == [
        {"msgtype": "markdown", "markdown": {"title": rendered.title, "text": rendered.markdown()}}
    ]
    assert set(dingtalk.requests[0].query) == {"access_token", "timestamp", "sign"}


async def test_dingtalk_keyword_is_added_when_missing(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk
) -> None:
    await dingtalk_robot(session).send(notification(dingtalk={"url": dingtalk.url("keyword")}))
    await dingtalk_robot(session).send(
        notification(
            dingtalk={"url": dingtalk.url("both"), "secret": "this is secret", "keyword": "申诉平台"}
        )
    )
    first, second = dingtalk.delivered
    assert "工人反馈" in first["markdown"]["text"]  # already in every Chinese text
    assert second["markdown"]["title"].startswith("申诉平台 ")
    assert second["markdown"]["text"].startswith("申诉平台\n\n")


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ({"url": "signed"}, "dingtalk_310000"),  # the robot signs, we do not
        ({"url": "signed", "secret": "SECwrong"}, "dingtalk_310000"),
        ({"url": "both", "secret": "this is secret"}, "dingtalk_310000"),  # keyword missing
        ({"url": "nobody", "secret": SECRET}, "dingtalk_300001"),
    ],
)
async def test_dingtalk_security_refusals_are_permanent(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk, target: dict[str, str], code: str
) -> None:
    target = {**target, "url": dingtalk.url(target["url"])}
    with pytest.raises(PermanentNotifyError) as caught:
        await dingtalk_robot(session).send(notification(dingtalk=target))
    assert caught.value.code == code
    assert len(dingtalk.requests) == 1 and dingtalk.delivered == []


async def test_dingtalk_refuses_a_timestamp_an_hour_off(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk
) -> None:
    skewed = dingtalk_robot(session, clock=lambda: datetime.now(UTC).timestamp() - 3601)
    with pytest.raises(PermanentNotifyError, match="dingtalk_310000"):
        await skewed.send(notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET}))
    near = dingtalk_robot(session, clock=lambda: datetime.now(UTC).timestamp() - 3500)
    await near.send(notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET}))
    assert len(dingtalk.delivered) == 1


async def test_dingtalk_signs_each_try_afresh(session: aiohttp.ClientSession, dingtalk: FakeDingTalk) -> None:
    start = round(time.time())
    ticks = iter([start, start + 7.5])
    dingtalk.fail(errcode=-1, errmsg="系统繁忙")
    robot = dingtalk_robot(session, clock=lambda: next(ticks))
    await robot.send(notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET}))
    stamps = [request.query["timestamp"] for request in dingtalk.requests]
    assert stamps == [str(start * 1000), str(start * 1000 + 7500)]
    assert dingtalk.requests[0].query["sign"] != dingtalk.requests[1].query["sign"]
    assert len(dingtalk.delivered) == 1


async def test_dingtalk_busy_then_delivered(session: aiohttp.ClientSession, dingtalk: FakeDingTalk) -> None:
    dingtalk.fail(errcode=-1, errmsg="系统繁忙")
    await dingtalk_robot(session).send(
        notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET})
    )
    assert len(dingtalk.requests) == 2 and len(dingtalk.delivered) == 1


async def test_dingtalk_rate_limit_is_transient_with_the_throttle(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk
) -> None:
    robot = dingtalk_robot(session)
    n = notification(dingtalk={"url": dingtalk.url("signed"), "secret": SECRET})
    for _ in range(20):
        await robot.send(n)
    with pytest.raises(TransientNotifyError) as caught:
        await robot.send(n)
    assert caught.value.code == "dingtalk_130101" and caught.value.retry_after == 600
    assert len(dingtalk.requests) == 21


async def test_dingtalk_timeout_and_server_errors_are_transient(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk
) -> None:
    dingtalk.stall(1.0)
    dingtalk.fail(status=503)
    dingtalk.fail(status=500)
    with pytest.raises(TransientNotifyError) as caught:
        await dingtalk_robot(session, timeout=0.2).send(
            notification(dingtalk={"url": dingtalk.url("keyword")})
        )
    assert caught.value.code == "dingtalk_http_500"
    assert len(dingtalk.requests) == FAST.attempts


async def test_no_payload_holds_a_secret_but_the_query_it_belongs_in(
    session: aiohttp.ClientSession, dingtalk: FakeDingTalk, wecom: FakeWeCom
) -> None:
    n = notification(wecom=wecom.url(), dingtalk={"url": dingtalk.url("signed"), "secret": SECRET})
    await wecom_robot(session).send(n)
    await dingtalk_robot(session).send(n)
    for raw in (wecom.requests[0].raw, dingtalk.requests[0].raw):
        body = json.dumps(json.loads(raw), ensure_ascii=False)
        assert "wecom-key-1" not in body and SECRET not in body and "signed" not in body
