"""Notifications through the real RabbitMQ to local servers that speak WeCom's, DingTalk's and SMTP's
protocols: what a committee and an NGO are told, once per channel, and never the worker's words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiohttp.test_utils import TestClient

from services.escalation import reminders
from services.escalation import store as escalation_store
from services.escalation.app import create_app as create_escalation
from services.notify.ledger import Ledger
from services.notify.model import Recipient
from services.notify.render import CATEGORY_NAMES
from services.notify.settings import NotifySettings
from services.router.app import create_app as create_router
from services.router.case_store import CaseStore
from services.router.registry import load_registry
from shared.bootstrap import open_runtime
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import FAST_RETRY, make_settings
from tests.fakes import FakeClock, sensitive
from tests.polling import eventually
from tests.providers.notify_servers import DingTalkSecurity, FakeDingTalk, FakeSmtp, FakeWeCom
from tests.servers import ServiceServer
from tests.service.escalation_support import assigned
from tests.service.router_support import GZ_NUMBER, REGISTRY, fresh_phone, grievance

pytestmark = pytest.mark.broker

SENDER = "notify@grievance.example.org"
SPT_MAIL = ["spt@factory.example.cn", "chair@factory.example.cn"]
NGO_SECRET = "SECnotifytest0123456789"
EXIT_TEXT = sensitive("仓库的安全出口又被锁上了，昨晚差点出事")
FOLLOW_UP = sensitive("今天早上安全出口还是锁着的，组长说别再投诉")


@dataclass
class Providers:
    wecom: FakeWeCom
    dingtalk: FakeDingTalk
    smtp: FakeSmtp

    def registry(self) -> dict[str, Any]:
        """The example registry, with GZ-001's committee told by WeCom and mail, and an NGO by DingTalk."""
        data: dict[str, Any] = yaml.safe_load(Path(REGISTRY).read_text(encoding="utf-8"))
        for factory in data["factories"]:
            for committee in factory["committees"]:
                if committee["id"] == "gz-001-spt":
                    committee["notify"] = {"wecom": self.wecom.url(), "email": SPT_MAIL}
        data["ngos"] = [
            {
                "id": "labour-watch",
                "name": "Labour Watch",
                "factories": ["GZ-001"],
                "notify": {"dingtalk": {"url": self.dingtalk.url("ngo-token"), "secret": NGO_SECRET}},
            }
        ]
        return data

    def notify_settings(self) -> NotifySettings:
        # One try per delivery: a failure goes back to the bus, which is what these tests watch.
        return NotifySettings(
            smtp_host="127.0.0.1",
            smtp_port=self.smtp.port,
            smtp_security="plain",
            smtp_from=SENDER,
            notify_attempts=1,
            notify_timeout=2.0,
            committee_console_url="https://router.example.org/console/cases/{reference}",
        )


@pytest.fixture
async def providers() -> AsyncIterator[Providers]:
    async with (
        FakeWeCom(["wecom-key-1"]) as wecom,
        FakeDingTalk({"ngo-token": DingTalkSecurity(secret=NGO_SECRET)}) as dingtalk,
        FakeSmtp("plain") as smtp,
    ):
        yield Providers(wecom, dingtalk, smtp)


@pytest.fixture
async def runtime(
    amqp_url: str, amqp_namespace: str, keys: Keys, providers: Providers
) -> AsyncIterator[Runtime]:
    settings = _settings(amqp_url, amqp_namespace)
    async with open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime:
        await load_registry(runtime.db, providers.registry())
        yield runtime


def _settings(amqp_url: str, amqp_namespace: str, **extra: Any) -> Settings:
    return make_settings(amqp_url=amqp_url, amqp_namespace=amqp_namespace, **extra)


def _robot_texts(robot: FakeWeCom) -> list[str]:
    return [payload["text"]["content"] for payload in robot.delivered]


def _mail_texts(smtp: FakeSmtp) -> list[str]:
    return [f"{m.message['Subject']}\n{m.message.get_content()}" for m in smtp.received]


def _local(at: datetime) -> str:
    return at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


async def test_a_new_case_and_a_workers_message_reach_wecom_and_mail_with_reference_category_and_deadline_only(
    runtime: Runtime, providers: Providers, amqp_settings: Settings, keys: Keys
) -> None:
    phone = fresh_phone()
    event = grievance(keys, EXIT_TEXT, to=GZ_NUMBER, phone=phone)
    app = create_router(runtime.settings, runtime, notify=providers.notify_settings())
    async with TestClient(ServiceServer(app)):
        await runtime.bus.publish(event)
        await eventually(lambda: providers.wecom.delivered and providers.smtp.received)
        case = await CaseStore(runtime.db).by_grievance(str(event.grievance_id))
        assert case is not None and case.committee_id == "gz-001-spt"
        # The worker writes again from the same number: the committee hears that, not what.
        await runtime.bus.publish(grievance(keys, FOLLOW_UP, to=GZ_NUMBER, phone=phone))
        await eventually(lambda: len(providers.wecom.delivered) == 2 and len(providers.smtp.received) == 2)

    text, message = _robot_texts(providers.wecom)
    mail = providers.smtp.received[0]
    assert case.reference in message and "新消息" in message and _local(case.ack_due_at) in message
    for said in (message, _mail_texts(providers.smtp)[1]):
        assert FOLLOW_UP not in said and "组长" not in said and phone[-4:] not in said
    assert sorted(mail.recipients) == sorted(SPT_MAIL) and mail.sender == SENDER
    for said in (text, _mail_texts(providers.smtp)[0]):
        assert case.reference in said
        assert CATEGORY_NAMES["zh"][case.category] in said
        assert _local(case.ack_due_at) in said and "确认受理" in said
        assert f"https://router.example.org/console/cases/{case.reference}" in said
        assert EXIT_TEXT not in said and "安全出口" not in said
        assert phone not in said and phone[3:] not in said and phone[-4:] not in said
    raw = b"".join(r.raw for r in providers.wecom.requests) + b"".join(m.raw for m in providers.smtp.received)
    assert phone.encode() not in raw and "安全出口".encode() not in raw and "组长".encode() not in raw
    assert providers.dingtalk.requests == []  # a committee's new case is not the NGO's business

    # Both channels are recorded as sent under the event's id, which is what a redelivery finds.
    async def recorded() -> dict[str, str]:
        return {doc["_id"]: doc["state"] async for doc in runtime.db["notify_deliveries"].find({})}

    records = await eventually(lambda: _settled(recorded(), 4))
    assert sorted(key.rsplit("|", 2)[1:] for key in records) == [
        ["committee:gz-001-spt", "email"],
        ["committee:gz-001-spt", "email"],
        ["committee:gz-001-spt", "wecom"],
        ["committee:gz-001-spt", "wecom"],
    ]
    assert set(records.values()) == {"sent"}


async def _settled(records: Any, count: int) -> dict[str, str] | None:
    found: dict[str, str] = await records
    return found if len(found) == count and "sending" not in found.values() else None


async def test_a_redelivered_event_sends_nothing_twice(
    runtime: Runtime, providers: Providers, keys: Keys
) -> None:
    clock = runtime.clock
    first = assigned(clock(), keys=keys, category="health_safety", text=EXIT_TEXT, sla=runtime.settings.sla)
    later = assigned(clock(), keys=keys, category="wages", text=EXIT_TEXT, sla=runtime.settings.sla)
    app = create_router(runtime.settings, runtime, notify=providers.notify_settings())
    async with TestClient(ServiceServer(app)):
        # The same event three times (a publisher's retry, a redelivery, a replayed dead letter),
        # two of them at once, then another case: it is told once, the other case once.
        await asyncio.gather(runtime.bus.publish(first), runtime.bus.publish(first))
        await runtime.bus.publish(first)
        await runtime.bus.publish(later)
        await eventually(lambda: len(providers.smtp.received) == 2 and len(providers.wecom.delivered) == 2)
        await asyncio.sleep(1.0)  # time for a duplicate to arrive, if one were on its way
        queued = await runtime.bus.dead_letters("notifications.cases")

    texts = _robot_texts(providers.wecom)
    assert sorted(t for t in texts if first.reference in t) == [t for t in texts if first.reference in t]
    assert [first.reference in t for t in texts].count(True) == 1
    assert [later.reference in t for t in texts].count(True) == 1
    assert [first.reference in t for t in _mail_texts(providers.smtp)].count(True) == 1
    assert len(providers.wecom.requests) == 2 and queued == []


async def test_a_failing_mail_server_is_retried_without_resending_wecom(
    runtime: Runtime, providers: Providers, keys: Keys
) -> None:
    case = assigned(runtime.clock(), keys=keys, text=EXIT_TEXT, sla=runtime.settings.sla)
    # Greylisting: the server defers the first two tries; the third is taken.
    providers.smtp.script.data.extend(["451 4.7.1 Greylisted, try again later"] * 2)
    app = create_router(runtime.settings, runtime, notify=providers.notify_settings())
    async with TestClient(ServiceServer(app)):
        await runtime.bus.publish(case)
        await eventually(lambda: providers.smtp.received)
        await asyncio.sleep(0.5)

    assert providers.smtp.script.data == []  # both deferrals were met: three tries by mail in all
    assert len(providers.smtp.received) == 1
    assert len(providers.wecom.requests) == 1 and len(providers.wecom.delivered) == 1
    assert case.reference in _robot_texts(providers.wecom)[0]


async def test_a_permanent_refusal_is_recorded_and_acked_while_the_other_channel_delivers(
    runtime: Runtime, providers: Providers, keys: Keys
) -> None:
    case = assigned(runtime.clock(), keys=keys, text=EXIT_TEXT, sla=runtime.settings.sla)
    providers.smtp.script.data.append("554 5.7.1 Rejected by policy")
    app = create_router(runtime.settings, runtime, notify=providers.notify_settings())
    async with TestClient(ServiceServer(app)):
        await runtime.bus.publish(case)
        recipient = Recipient(kind="committee", id="gz-001-spt", notify={"email": SPT_MAIL})
        ledger = Ledger(runtime.db, runtime.clock)
        await eventually(lambda: _is(ledger.state(str(case.id), recipient, "email"), "refused"))
        await asyncio.sleep(0.5)
        assert await runtime.bus.dead_letters("notifications.cases") == []

    assert providers.smtp.received == [] and len(providers.smtp.script.data) == 0
    assert len(providers.wecom.delivered) == 1
    assert await ledger.state(str(case.id), recipient, "wecom") == "sent"


async def _is(state: Any, expected: str) -> bool:
    return bool(await state == expected)


async def test_the_deadline_notice_fires_once_and_the_escalation_reaches_the_ngo_and_the_committee(
    amqp_url: str, amqp_namespace: str, keys: Keys, providers: Providers
) -> None:
    settings = _settings(
        amqp_url,
        amqp_namespace,
        sla={"normal": {"ack": "PT100S", "resolve": "PT400S"}},
        sweep_interval=timedelta(milliseconds=200),
    )
    clock = FakeClock()
    async with open_runtime(settings, clock=clock, retry=FAST_RETRY, keys=keys) as runtime:
        await load_registry(runtime.db, providers.registry())
        case = assigned(clock(), keys=keys, category="working_hours", text=EXIT_TEXT, sla=settings.sla)
        notify = providers.notify_settings()
        # Two replicas, each with its sweeper, its reminder pass and its notification consumer.
        first = create_escalation(settings, runtime, notify=notify)
        second = create_escalation(settings, runtime, notify=notify)
        async with TestClient(ServiceServer(first)), TestClient(ServiceServer(second)):
            await runtime.bus.publish(case)
            await eventually(lambda: escalation_store.load_record(runtime.db, case.case_id))
            clock.advance(seconds=70)  # 70 % of the window: nothing yet
            await asyncio.sleep(1.0)
            assert providers.wecom.requests == [] and providers.smtp.received == []

            clock.advance(seconds=6)  # 76 %: the committee is reminded
            await eventually(lambda: providers.wecom.delivered and providers.smtp.received)
            for _ in range(3):  # more sweeps of both replicas, and one run by hand
                await reminders.remind_once(runtime.db, runtime.bus, settings.sla, clock(), 0.75)
            await asyncio.sleep(1.0)
            [reminder] = _robot_texts(providers.wecom)
            assert "即将到期" in reminder and case.reference in reminder
            assert _local(case.ack_due_at) in reminder and CATEGORY_NAMES["zh"]["working_hours"] in reminder
            assert len(providers.smtp.received) == 1 and providers.dingtalk.requests == []

            clock.advance(seconds=30)  # past the deadline: escalated, once, to the NGO and the committee
            await eventually(lambda: providers.dingtalk.delivered and len(providers.wecom.delivered) == 2)
            await asyncio.sleep(1.0)

    [ngo] = providers.dingtalk.delivered
    said = ngo["markdown"]["title"] + ngo["markdown"]["text"]
    assert case.reference in said and "升级" in said and EXIT_TEXT not in said
    escalated = _robot_texts(providers.wecom)[1]
    assert case.reference in escalated and "升级" in escalated
    assert len(providers.wecom.delivered) == 2 and len(providers.smtp.received) == 2
    for text in [*_robot_texts(providers.wecom), *_mail_texts(providers.smtp), said]:
        assert "安全出口" not in text
