"""What a worker is told, through the public interfaces: intake's webhook and web form, the router and
escalation on one in-memory bus, and the development channel standing for the SMS provider.

One text per inbound message, never a reference that does not exist, STATUS that tells escalations
and missed deadlines, times in the factory's zone, Chinese for a full-width ？.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app as escalation_app
from services.escalation.sweeper import sweep_once
from services.intake import store as intake_store
from services.router.app import create_app as router_app
from services.router.case_store import CaseStore
from services.router.registry import load_registry
from shared.ids import REFERENCE_PATTERN
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import FakeClock, sensitive
from tests.servers import ServiceServer
from tests.service.intake_support import intake_settings, post_sms, serve, sms_form

GZ_NUMBER = "+8610690000001"
VN_NUMBER = "+8610690000099"
VIETNAM = {
    "factories": [
        {
            "code": "VN-001",
            "name": "Saigon Garments",
            "timezone": "Asia/Ho_Chi_Minh",
            "sms_numbers": [VN_NUMBER],
            "committees": [
                {
                    "id": "vn-001-spt",
                    "name": "SPT",
                    "categories": ["all"],
                    "members": [{"name": "Nguyen Van An", "role": "worker_rep"}],
                }
            ],
        }
    ]
}


@dataclass
class System:
    runtime: Runtime
    intake: TestClient[web.Request, web.Application]
    router: TestClient[web.Request, web.Application]

    async def sms(self, text: str, phone: str, to: str = GZ_NUMBER) -> str:
        clock = self.runtime.clock
        assert isinstance(clock, FakeClock)
        clock.advance(seconds=1)  # texts in order of sending
        response = await post_sms(self.intake, sms_form(text, sender=phone, to=to))
        assert response.status == 200
        await self.settle()
        return str(await response.text())

    async def settle(self) -> None:
        bus = self.runtime.bus
        assert isinstance(bus, MemoryBus)
        for _ in range(3):
            await bus.drain()

    async def texts(self) -> list[dict[str, Any]]:
        """What the development channel "sent", oldest first."""
        return list(reversed(await intake_store.dev_outbox(self.runtime.db, limit=1000)))


@asynccontextmanager
async def system(settings_factory: Callable[..., Settings], runtime: Runtime) -> AsyncIterator[System]:
    settings = intake_settings(settings_factory, trusted_proxies="127.0.0.1")
    shared = Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)
    async with AsyncExitStack() as stack:
        intake = await stack.enter_async_context(serve(settings, shared, development_channel=True))
        await load_registry(runtime.db, VIETNAM)
        router = await stack.enter_async_context(TestClient(ServiceServer(router_app(settings, shared))))
        await stack.enter_async_context(TestClient(ServiceServer(escalation_app(settings, shared))))
        yield System(shared, intake, router)


def references_in(texts: list[dict[str, Any]]) -> set[str]:
    return {match.group(0) for text in texts for match in REFERENCE_PATTERN.finditer(text["text"].upper())}


async def test_a_follow_up_is_never_told_a_reference_that_does_not_exist(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    phone = sensitive("+8613912340001")
    async with system(settings_factory, runtime) as world:
        first = await world.sms(sensitive("宿舍没有热水，已经三天了"), phone)
        second = await world.sms(sensitive("今天还是没有热水，领班说不要再提"), phone)
        # Intake says nothing at once: it cannot know the second message continues the first case.
        assert (
            REFERENCE_PATTERN.search(first.upper()) is None
            and REFERENCE_PATTERN.search(second.upper()) is None
        )
        texts = await world.texts()
        # One text per message: the acknowledgement, then which case the follow-up joined.
        assert [t["purpose"] for t in texts] == ["ack", "status"]
        assert "不是新投诉" in texts[1]["text"]
        cases = CaseStore(runtime.db)
        for reference in references_in(texts):
            assert await cases.for_status(reference), reference  # every reference told is a case


async def test_one_acknowledgement_per_grievance(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    async with system(settings_factory, runtime) as world:
        for n in range(3):
            await world.sms(sensitive(f"第{n}车间的工资少发了"), sensitive(f"+861391234010{n}"))
        texts = await world.texts()
        assert [t["purpose"] for t in texts] == ["ack", "ack", "ack"]
        assert len({t["reference"] for t in texts}) == 3


async def test_an_unroutable_sms_gets_one_text_that_asks_and_names_the_monitor(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    async with system(settings_factory, runtime) as world:
        await world.sms(sensitive("老板不发工资"), sensitive("+8613912340002"), to="+8610690000077")
        await world.settle()
        (text,) = await world.texts()  # escalation opened `unroutable` but sends no second text
        assert "工厂编号" in text["text"] and "独立机构" in text["text"]


async def test_status_after_an_escalation_tells_the_truth(
    settings_factory: Callable[..., Settings], runtime: Runtime, clock: FakeClock
) -> None:
    phone = sensitive("+8613912340003")
    async with system(settings_factory, runtime) as world:
        await world.sms(sensitive("食堂的饭菜不干净"), phone)
        (ack,) = await world.texts()
        case = (await CaseStore(runtime.db).for_status(ack["reference"]))[0]
        clock.now = case.ack_due_at + timedelta(minutes=1)
        assert (
            await sweep_once(runtime.db, runtime.bus, runtime.settings.sla, runtime.clock) == 1
        )  # ack_overdue: the worker is told, it is news
        await world.settle()
        await world.sms("状态", phone)
        purposes = [t["purpose"] for t in await world.texts()]
        assert purposes == ["ack", "escalation_notice", "status"]
        status = (await world.texts())[-1]["text"]
        assert ack["reference"] in status and "受理已逾期" in status and "独立机构已跟进" in status


async def test_the_status_page_tells_the_truth_after_an_escalation(
    settings_factory: Callable[..., Settings], runtime: Runtime, clock: FakeClock
) -> None:
    async with system(settings_factory, runtime) as world:
        form = {"factory_code": "GZ-001", "text": sensitive("Overtime is not paid")}
        receipt = await (await world.intake.post("/api/v1/grievances", json=form)).json()
        await world.settle()
        case = (await CaseStore(runtime.db).for_status(receipt["reference"]))[0]
        clock.now = case.resolve_due_at + timedelta(minutes=1)
        response = await world.router.post(
            f"/api/v1/status/{receipt['reference']}", json={"pin": receipt["pin"]}
        )
        body = await response.json()
        assert body["with_independent_organisation"] is True and body["overdue"] == "acknowledge"


async def test_a_full_width_question_mark_gets_the_chinese_help(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    phone = sensitive("+8613912340004")
    async with system(settings_factory, runtime) as world:
        await world.sms("宿舍没有热水", phone)  # a known worker: the dialogue answers keywords
        await world.sms("？", phone)
        await world.sms("TD", phone)
        texts = await world.texts()
        assert [t["language"] for t in texts] == ["zh", "zh", "zh"]
        assert "工厂编号" in texts[1]["text"] and "开通" in texts[2]["text"]


async def test_deadlines_are_told_in_the_factorys_zone_in_both_languages(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    async with system(settings_factory, runtime) as world:
        await world.sms(sensitive("The canteen food is bad"), sensitive("+8613912340005"), to=VN_NUMBER)
        await world.sms(sensitive("食堂的饭菜不干净"), sensitive("+8613912340006"), to=VN_NUMBER)
        await world.sms(sensitive("食堂的饭菜不干净了"), sensitive("+8613912340007"))
        en, zh, shanghai = await world.texts()
        case = (await CaseStore(runtime.db).for_status(en["reference"]))[0]
        local = case.ack_due_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
        assert f"{local.day} {local:%b %H:%M}" in en["text"] and "(UTC+7)" in en["text"]
        assert f"{local.month}月{local.day}日{local:%H:%M}" in zh["text"] and "UTC+7" in zh["text"]
        assert "北京时间" in shanghai["text"] and not re.search(r"UTC", shanghai["text"])
