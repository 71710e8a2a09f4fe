"""A WeChat worker's text in, the router's acknowledgement out through a local WeChat API server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake import store
from services.intake.wechat_store import ServiceWindows
from services.router.app import create_app as create_router
from services.router.appkeys import ROUTER
from shared.contracts import GrievanceReceived, MessageDeliveryChanged, MessageOutbound
from shared.memorybus import MemoryBus
from shared.privacy import reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_OPENID, FakeClock, present, sensitive
from tests.providers.wechat import FakeWeChat
from tests.servers import ServiceServer
from tests.service.intake_support import serve as serve_intake
from tests.service.router_support import bearer, committee_tokens, stored_case
from tests.service.wechat_support import APP_ID, event_xml, pusher, send, text_xml, wechat_settings

SECRET = sensitive("wechat-app-secret-for-the-reply-test")
FIRST = sensitive("GZ-001 宿舍热水器坏了两个星期，没有人修")


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER_OPENID)
        yield fake


@pytest.fixture
async def stack(
    settings_factory: Callable[..., Settings], runtime: Runtime, wechat: FakeWeChat
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    await committee_tokens(runtime)
    settings = wechat_settings(settings_factory, wechat_appsecret=SECRET, wechat_api_base=wechat.base_url)
    async with (
        TestClient(ServiceServer(create_router(runtime.settings, runtime))),
        serve_intake(settings, runtime) as intake,
    ):
        yield intake


async def test_the_acknowledgement_reaches_the_worker_on_wechat(
    stack: TestClient[web.Request, web.Application],
    runtime: Runtime,
    memory_bus: MemoryBus,
    wechat: FakeWeChat,
) -> None:
    wechat.user_wrote(WORKER_OPENID)  # WeChat's own record of the same message
    assert (await send(stack, pusher(), text_xml(FIRST))).status == 200
    await memory_bus.drain()
    [grievance] = [e for e in memory_bus.published if isinstance(e, GrievanceReceived)]
    [ack] = [e for e in memory_bus.published if isinstance(e, MessageOutbound)]
    assert ack.channel == "wechat" and ack.purpose == "ack"
    (sent,) = wechat.sent
    assert sent.path == "/cgi-bin/message/custom/send" and sent.token == "ACCESS_TOKEN_1"
    assert sent.body == {"touser": WORKER_OPENID, "msgtype": "text", "text": {"content": ack.text}}
    assert grievance.reference in ack.text
    document = await store.outbound_for_event(runtime.db, str(ack.id))
    assert document is not None and document["status"] == "sent" and document["provider"] == "wechat"
    assert WORKER_OPENID not in str(document)


async def test_a_reply_after_the_window_waits_for_the_worker_and_an_unfollow_makes_it_undeliverable(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    wechat: FakeWeChat,
    clock: FakeClock,
) -> None:
    tokens = await committee_tokens(runtime)
    settings = wechat_settings(settings_factory, wechat_appsecret=SECRET, wechat_api_base=wechat.base_url)
    async with (
        TestClient(ServiceServer(create_router(runtime.settings, runtime))) as router,
        serve_intake(settings, runtime) as intake,
    ):
        account = pusher()
        wechat.user_wrote(WORKER_OPENID)
        assert (await send(intake, account, text_xml(FIRST))).status == 200
        await memory_bus.drain()
        [grievance] = [e for e in memory_bus.published if isinstance(e, GrievanceReceived)]
        case = await stored_case(router.app[ROUTER].cases, grievance.grievance_id)
        assert len(wechat.sent) == 1

        clock.advance(hours=48)
        headers = bearer(tokens[present(case.committee_id, "the case's committee")])
        answer = await router.post(
            f"/api/v1/cases/{case.reference}/messages", json={"text": "我们明天派人维修"}, headers=headers
        )
        assert answer.status < 300
        await memory_bus.drain()
        assert len(wechat.requests) == 1  # nothing more reached WeChat
        [reply] = [e for e in memory_bus.published if isinstance(e, MessageOutbound) and e.purpose != "ack"]
        document = await store.outbound_for_event(runtime.db, str(reply.id))
        assert document is not None
        assert document["status"] == "waiting"
        seen = await (await router.get(f"/api/v1/cases/{case.reference}", headers=headers)).json()
        assert seen["messages"][-1]["delivery_status"] == "waiting_for_worker"
        assert WORKER_OPENID not in json.dumps(seen)

        key = reporter_key(runtime.keys, f"wechat:{WORKER_OPENID}")
        assert await ServiceWindows(runtime.db).last_inbound(key) is not None
        assert (await send(intake, account, event_xml("unsubscribe"))).status == 200
        assert await ServiceWindows(runtime.db).last_inbound(key) is None
        await memory_bus.drain()
        seen = await (await router.get(f"/api/v1/cases/{case.reference}", headers=headers)).json()
        assert seen["messages"][-1]["delivery_status"] == "undeliverable"
        states = [
            (e.state, e.error_code)
            for e in memory_bus.published
            if isinstance(e, MessageDeliveryChanged) and e.outbound_id == reply.id
        ]
        assert states == [("waiting_for_worker", None), ("undeliverable", "contact_withdrawn")]
