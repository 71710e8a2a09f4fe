"""A WeChat worker's text in, the router's acknowledgement out through a local WeChat API server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from services.intake import store
from services.router.app import create_app as create_router
from shared.contracts import GrievanceReceived, MessageOutbound
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from tests.fakes import WORKER_OPENID, FakeClock, sensitive
from tests.providers.wechat import FakeWeChat
from tests.servers import ServiceServer
from tests.service.intake_support import serve as serve_intake
from tests.service.router_support import committee_tokens
from tests.service.wechat_support import APP_ID, pusher, send, text_xml, wechat_settings

SECRET = sensitive("wechat-app-secret-for-the-reply-test")
FIRST = sensitive("GZ-001 宿舍热水器坏了两个星期，没有人修")


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER_OPENID)
        yield fake


@pytest.fixture
async def stack(settings_factory, runtime: Runtime, wechat: FakeWeChat) -> AsyncIterator[TestClient]:
    await committee_tokens(runtime)
    settings = wechat_settings(settings_factory, wechat_appsecret=SECRET, wechat_api_base=wechat.base_url)
    async with (
        TestClient(ServiceServer(create_router(runtime.settings, runtime))),
        serve_intake(settings, runtime) as intake,
    ):
        yield intake


async def test_the_acknowledgement_reaches_the_worker_on_wechat(
    stack: TestClient, runtime: Runtime, memory_bus: MemoryBus, wechat: FakeWeChat
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
