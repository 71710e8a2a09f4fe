"""Every channel of a recipient at once, through the local servers, and no worker data in any of them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from services.notify.bootstrap import build_notifiers
from services.notify.dispatch import deliver
from services.notify.errors import PermanentNotifyError, TransientNotifyError
from services.notify.model import Notification, Recipient, assigned
from services.notify.settings import NotifySettings
from shared.contracts import CaseAssigned
from tests.fakes import WORKER_PHONE, sensitive
from tests.providers.notify_servers import DingTalkSecurity, FakeDingTalk, FakeSmtp, FakeWeCom

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
WORKER_TEXT = sensitive("我叫李娜，车间主任王芳上周把安全出口锁了，我不敢说，我的微信是 lina-1990")


@pytest.fixture
async def servers() -> AsyncIterator[tuple[FakeWeCom, FakeDingTalk, FakeSmtp]]:
    async with (
        FakeWeCom(keys=["wecom-key-1"]) as wecom,
        FakeDingTalk({"dt-token": DingTalkSecurity(secret=SECRET)}) as dingtalk,
        FakeSmtp("plain") as smtp,
    ):
        yield wecom, dingtalk, smtp


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


def settings(smtp: FakeSmtp | None, **overrides: Any) -> NotifySettings:
    values: dict[str, Any] = {
        "committee_console_url": "https://router.example.org/console/cases/{reference}",
        "notify_attempts": 2,
        "notify_backoff_base": 0.01,
        "notify_backoff_cap": 0.02,
        "notify_timeout": 2.0,
    }
    if smtp is not None:
        values.update(
            smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="plain", smtp_from="n@g.example.org"
        )
    values.update(overrides)
    return NotifySettings(**values)


def recipient(wecom_server: FakeWeCom, dingtalk_server: FakeDingTalk, **changes: Any) -> Recipient:
    notify: dict[str, Any] = {
        "wecom": wecom_server.url(),
        "dingtalk": {"url": dingtalk_server.url("dt-token"), "secret": SECRET},
        "email": ["spt@factory.example.cn"],
    }
    notify.update(changes)
    return Recipient(kind="committee", id="gz-001-spt", notify=notify)


def case_assigned() -> CaseAssigned:
    now = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    return CaseAssigned(
        correlation_id=uuid.uuid4(),
        case_id=str(uuid.uuid4()),
        reference="K7M3P-9QXA2",
        factory_id="GZ-001",
        committee_id="gz-001-spt",
        category="health_safety",
        severity="critical",
        ack_due_at=now + timedelta(hours=2),
        resolve_due_at=now + timedelta(days=3),
        channel="sms",
        language="zh",
        text=WORKER_TEXT,
        sealed_contact=WORKER_PHONE,
        created_at=now,
    )


async def test_all_channels_are_told_and_none_gets_worker_data(
    servers: tuple[FakeWeCom, FakeDingTalk, FakeSmtp], session: aiohttp.ClientSession
) -> None:
    wecom, dingtalk, smtp = servers
    notifiers = build_notifiers(settings(smtp), session)
    n = assigned(case_assigned(), recipient(wecom, dingtalk))
    delivery = await deliver(n, notifiers)
    assert delivery.sent == ("wecom", "dingtalk", "email") and not delivery.failed
    assert len(wecom.delivered) == len(dingtalk.delivered) == len(smtp.received) == 1
    payloads = [
        wecom.requests[0].raw.decode(),
        dingtalk.requests[0].raw.decode(),
        str(dingtalk.requests[0].query),
        smtp.received[0].raw.decode(),
        smtp.received[0].message.get_content(),
        str(smtp.received[0].message["Subject"]),
    ]
    everything = "\n".join(payloads)
    assert "K7M3P-9QXA2" in everything
    for leak in (WORKER_TEXT, "李娜", "王芳", "lina-1990", "安全出口", WORKER_PHONE, WORKER_PHONE[3:]):
        assert leak not in everything


async def test_each_channel_fails_on_its_own_and_only_the_failed_is_retried(
    servers: tuple[FakeWeCom, FakeDingTalk, FakeSmtp], session: aiohttp.ClientSession
) -> None:
    wecom, dingtalk, smtp = servers
    notifiers = build_notifiers(settings(smtp), session)
    n = assigned(case_assigned(), recipient(wecom, dingtalk, wecom=wecom.url("revoked")))
    for _ in range(2):
        dingtalk.fail(status=503)
    first = await deliver(n, notifiers)
    assert first.sent == ("email",)
    assert isinstance(first.failed["wecom"], PermanentNotifyError)
    assert isinstance(first.failed["dingtalk"], TransientNotifyError)
    assert first.to_retry() == ("dingtalk",)

    second = await deliver(n, notifiers, channels=first.to_retry())
    assert second.sent == ("dingtalk",) and not second.failed
    assert len(smtp.received) == 1 and len(dingtalk.delivered) == 1
    assert len(wecom.requests) == 1  # the revoked key was not tried again


async def test_mail_without_an_smtp_server_is_unavailable(
    servers: tuple[FakeWeCom, FakeDingTalk, FakeSmtp], session: aiohttp.ClientSession
) -> None:
    wecom, dingtalk, _ = servers
    notifiers = build_notifiers(settings(None), session)
    assert set(notifiers) == {"wecom", "dingtalk"}
    n = Notification.build(
        "escalated",
        reference="K7M3P-9QXA2",
        category="retaliation",
        deadline=datetime(2026, 3, 5, tzinfo=UTC),
        recipient=recipient(wecom, dingtalk, dingtalk=None),
    )
    delivery = await deliver(n, notifiers)
    assert delivery.sent == ("wecom",)
    assert delivery.failed["email"].code == "email_unavailable"
    assert delivery.to_retry() == ()


async def test_the_robots_share_one_rate_window(
    servers: tuple[FakeWeCom, FakeDingTalk, FakeSmtp], session: aiohttp.ClientSession
) -> None:
    wecom, dingtalk, _ = servers
    notifiers = build_notifiers(settings(None, notify_robot_rate=2), session)
    n = assigned(case_assigned(), recipient(wecom, dingtalk, email=[]))
    for _ in range(2):
        assert (await deliver(n, notifiers)).sent == ("wecom", "dingtalk")
    third = await deliver(n, notifiers)
    assert third.sent == () and set(third.to_retry()) == {"wecom", "dingtalk"}
    assert {error.code for error in third.failed.values()} == {"rate_window"}
    assert len(wecom.requests) == len(dingtalk.requests) == 2
