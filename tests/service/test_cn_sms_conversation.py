"""Workers in China by Alibaba Cloud and Tencent Cloud SMS, end to end: intake's webhooks, the router
and intake's sender on one bus, each service on a real server, the providers on local servers that
check every request's signature.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.intake import store
from services.router.app import create_app as create_router
from services.router.appkeys import ROUTER
from shared.contracts import GrievanceReceived
from shared.ids import case_code
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import OTHER_WORKER_PHONE, WORKER_OPENID, WORKER_PHONE, FakeClock, sensitive
from tests.providers.aliyun import FakeAliyunSms
from tests.providers.tencent import FakeTencentSms
from tests.servers import ServiceServer
from tests.service.cn_sms_support import (
    ALIYUN_TEMPLATES,
    TENCENT_TEMPLATES,
    aliyun_path,
    aliyun_server,
    cn_settings,
    push,
    sms_up,
    tencent_path,
    tencent_reply,
    tencent_server,
)
from tests.service.intake_support import serve as serve_intake
from tests.service.router_support import bearer, committee_tokens, stored_case
from tests.service.wechat_support import pusher, send, text_xml, wechat_settings

FIRST = sensitive("GZ-001 这个月的加班费没有发，工资条也没有")
MORE = sensitive("补充一下：上个月的也少了两百块")
SECOND = sensitive("新投诉 GZ-001 宿舍的热水器坏了两个星期")
WHICH = sensitive("还有，食堂的饭菜不干净")
REPLY = sensitive("委员会的答复：下周一补发加班费，请到人事部签字。")


@dataclass
class Stack:
    intake: TestClient[Any, Any]
    router: TestClient[Any, Any]
    tokens: dict[str, str]
    aliyun: FakeAliyunSms
    tencent: FakeTencentSms


@pytest.fixture
async def stack(
    settings_factory: Callable[..., Settings], runtime: Runtime, clock: FakeClock
) -> AsyncIterator[Stack]:
    tokens = await committee_tokens(runtime)
    async with aliyun_server(clock) as aliyun, tencent_server(clock) as tencent:
        settings = cn_settings(
            settings_factory,
            aliyun=aliyun.base_url,
            tencent=tencent.base_url,
            **wechat_settings(settings_factory).model_dump(
                include={"wechat_token", "wechat_appid", "wechat_aes_key"}
            ),
        )
        async with (
            TestClient(ServiceServer(create_router(runtime.settings, runtime))) as router,
            serve_intake(settings, runtime) as intake,
        ):
            yield Stack(intake, router, tokens, aliyun, tencent)


def received(bus: MemoryBus) -> list[GrievanceReceived]:
    return [e for e in bus.published if isinstance(e, GrievanceReceived)]


async def test_a_worker_files_by_alibaba_sms_and_every_answer_is_a_template_pointer(
    stack: Stack, runtime: Runtime, memory_bus: MemoryBus, clock: FakeClock
) -> None:
    body = [sms_up(WORKER_PHONE, FIRST)]
    for _ in range(10):  # Alibaba's repeats
        assert (await push(stack.intake, aliyun_path(), body)).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 1
    [event] = received(memory_bus)
    case = await stored_case(stack.router.app[ROUTER].cases, event.grievance_id)
    code = case_code(case.reference)

    # The acknowledgement: the ack template, the case code its only variable, sent once.
    [ack] = stack.aliyun.sent
    assert ack.template_code == ALIYUN_TEMPLATES["ack"] and ack.params == {"code": code}

    # A follow-up without any code joins the one open case (the sender's number is the binding).
    clock.advance(seconds=30)
    assert (await push(stack.intake, aliyun_path(), [sms_up(WORKER_PHONE, MORE)])).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 1

    # The committee's reply reaches the worker as the update template; its words stay on the page.
    committee = case.committee_id
    assert committee is not None
    answer = await stack.router.post(
        f"/api/v1/cases/{case.reference}/messages",
        json={"text": REPLY},
        headers=bearer(stack.tokens[committee]),
    )
    assert answer.status < 300
    await memory_bus.drain()
    kinds = [s.template_code for s in stack.aliyun.sent]
    assert kinds.count(ALIYUN_TEMPLATES["update"]) >= 1 and ALIYUN_TEMPLATES["ack"] in kinds
    assert all(s.params in ({"code": code}, {}) for s in stack.aliyun.sent)
    assert all(REPLY not in str(a.query) for a in stack.aliyun.requests)
    replied = [
        d
        async for d in runtime.db[store.OUTBOUND].find(
            {"case_id": case.case_id, "purpose": "committee_reply"}
        )
    ]
    assert [(d["status"], d["provider"], d["template"]) for d in replied] == [("sent", "aliyun", "update")]


async def test_several_open_cases_ask_for_the_code_and_the_code_picks_the_case(
    stack: Stack, runtime: Runtime, memory_bus: MemoryBus, clock: FakeClock
) -> None:
    for text in (FIRST, SECOND):
        assert (await push(stack.intake, tencent_path(), tencent_reply(WORKER_PHONE, text))).status == 200
        await memory_bus.drain()
        clock.advance(seconds=5)
    assert await runtime.db["cases"].count_documents({}) == 2
    cases = stack.router.app[ROUTER].cases
    first, second = [await stored_case(cases, e.grievance_id) for e in received(memory_bus)]

    # Without a code: the worker is asked which, by the question template; nothing joins a case.
    assert (await push(stack.intake, tencent_path(), tencent_reply(WORKER_PHONE, WHICH))).status == 200
    await memory_bus.drain()
    assert stack.tencent.sent[-1].template_id == TENCENT_TEMPLATES["question"]
    assert stack.tencent.sent[-1].params == []
    for case in (first, second):
        assert WHICH not in [m.text for m in (await stored_case(cases, case.grievance_id)).messages]

    # With the code of the first case (lower case, as typed on a phone): it joins that case.
    clock.advance(seconds=5)
    coded = f"{case_code(first.reference).lower()} {WHICH}"
    for _ in range(3):  # Tencent's retries of one reply
        assert (
            await push(stack.intake, tencent_path(), tencent_reply(WORKER_PHONE, coded, time=1_772_500_000))
        ).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 2
    assert [m.text for m in (await stored_case(cases, first.grievance_id)).messages].count(coded) == 1
    assert coded not in [m.text for m in (await stored_case(cases, second.grievance_id)).messages]


async def test_a_wechat_worker_follows_up_by_sms_with_the_reference_and_a_bare_code_binds_nothing(
    stack: Stack, runtime: Runtime, memory_bus: MemoryBus, clock: FakeClock
) -> None:
    assert (await send(stack.intake, pusher(), text_xml(FIRST, openid=WORKER_OPENID))).status == 200
    await memory_bus.drain()
    [event] = received(memory_bus)
    cases = stack.router.app[ROUTER].cases
    case = await stored_case(cases, event.grievance_id)
    assert case.channel == "wechat"

    # By SMS, from a number the case never saw: the reference WeChat showed joins the case.
    clock.advance(seconds=30)
    follow_up = sensitive(f"{case.reference} 我换了手机号，工资还是没发")
    assert (await push(stack.intake, aliyun_path(), [sms_up(WORKER_PHONE, follow_up)])).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 1
    assert follow_up in [m.text for m in (await stored_case(cases, case.grievance_id)).messages]

    # Another number writing only the six-character code: a code is matched among the sender's own
    # cases only (31^6 codes are guessable), so it opens a case of its own.
    clock.advance(seconds=30)
    guessed = sensitive(f"{case_code(case.reference)} 我也有同样的问题")
    assert (await push(stack.intake, aliyun_path(), [sms_up(OTHER_WORKER_PHONE, guessed)])).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 2
    assert guessed not in [m.text for m in (await stored_case(cases, case.grievance_id)).messages]
