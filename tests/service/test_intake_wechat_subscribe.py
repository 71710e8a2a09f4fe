"""The one-time subscription opt-in: the redirect to WeChat's confirm page and the way back, then the
one notice it allows, through intake's application and the local WeChat server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake import store
from services.intake.wechat_consents import Consents
from services.intake.wechat_notice import SCENE
from services.intake.wechat_store import reporter_identity
from shared.memorybus import MemoryBus
from shared.privacy import Keys, reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_OPENID, FakeClock
from tests.providers.wechat import FakeWeChat
from tests.service.intake_support import PUBLIC_BASE_URL, serve
from tests.service.wechat_outbound_support import REPLY, SECRET, outbound, record
from tests.service.wechat_support import APP_ID, event_xml, pusher, send, wechat_settings

TEMPLATE = "TPL_ONE_TIME_0001"
CODE = "ABCDEF"  # the code of ABCDE-FGHJK, the reference of every outbound message here


@pytest.fixture
async def wechat(clock: FakeClock) -> AsyncIterator[FakeWeChat]:
    async with FakeWeChat(clock, app_id=APP_ID, secret=SECRET) as fake:
        fake.follow(WORKER_OPENID)
        yield fake


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime, wechat: FakeWeChat
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = wechat_settings(
        settings_factory,
        wechat_appsecret=SECRET,
        wechat_api_base=wechat.base_url,
        wechat_subscribe_template_id=TEMPLATE,
        public_status_url="https://status.example.org",
        public_base_url=PUBLIC_BASE_URL,
    )
    async with serve(settings, runtime) as client:
        yield client


async def confirm_page(
    client: TestClient[web.Request, web.Application], code: str = CODE.lower()
) -> dict[str, list[str]]:
    """The query of WeChat's confirm page that /wechat/subscribe redirects to."""
    response = await client.get("/wechat/subscribe", params={"code": code}, allow_redirects=False)
    assert response.status == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "mp.weixin.qq.com",
        "/mp/subscribemsg",
    )
    assert location.fragment == "wechat_redirect"
    return parse_qs(location.query)


def back(confirm: dict[str, list[str]], **overrides: str) -> dict[str, str]:
    """WeChat's redirect back after the worker agreed, as its documentation lists the fields."""
    fields = {
        "openid": WORKER_OPENID,
        "template_id": confirm["template_id"][0],
        "action": "confirm",
        "scene": confirm["scene"][0],
        "reserved": confirm["reserved"][0],
    }
    return {**fields, **overrides}


def key_of(keys: Keys) -> str:
    return reporter_key(keys, reporter_identity(WORKER_OPENID))


async def test_the_link_goes_to_wechats_confirm_page_with_a_signed_state(
    client: TestClient[web.Request, web.Application],
) -> None:
    confirm = await confirm_page(client)
    assert {name: values[0] for name, values in confirm.items() if name != "reserved"} == {
        "action": "get_confirm",
        "appid": APP_ID,
        "scene": str(SCENE),
        "template_id": TEMPLATE,
        "redirect_url": f"{PUBLIC_BASE_URL}/wechat/subscribed",
    }
    (reserved,) = confirm["reserved"]
    assert reserved.startswith(CODE) and reserved.isalnum() and len(reserved) <= 128


async def test_a_confirmation_is_recorded_once_and_sends_one_notice_outside_the_window(
    client: TestClient[web.Request, web.Application],
    runtime: Runtime,
    memory_bus: MemoryBus,
    wechat: FakeWeChat,
    keys: Keys,
) -> None:
    confirm = await confirm_page(client)
    for _ in range(2):  # the worker reloads the page: one consent
        response = await client.get("/wechat/subscribed", params=back(confirm))
        assert response.status == 200 and response.content_type == "text/html"
        page = await response.text()
        assert CODE in page and "已订阅" in page and "Subscribed" in page and WORKER_OPENID not in page
        assert response.headers["Referrer-Policy"] == "no-referrer"
    consents = Consents(runtime.db)
    assert await consents.unused(key_of(keys)) == 1
    assert WORKER_OPENID not in str([d async for d in runtime.db["wechat_consents"].find({})])

    wechat.grant(WORKER_OPENID, TEMPLATE, scene=SCENE)  # what WeChat recorded on its confirm page
    first, second = outbound(keys, contact=WORKER_OPENID), outbound(keys, "第二条", contact=WORKER_OPENID)
    for event in (first, second):
        await memory_bus.publish(event)
        await memory_bus.drain()
    (sent,) = wechat.requests
    assert (sent.path, sent.errcode, sent.body["touser"]) == (
        "/cgi-bin/message/template/subscribe",
        0,
        WORKER_OPENID,
    )
    assert sent.body["url"] == f"https://status.example.org/case/?code={CODE}" and REPLY not in str(sent.body)
    assert (await record(runtime, first))["notice"] == "subscription"
    assert (await record(runtime, second))["status"] == "waiting"
    assert await consents.unused(key_of(keys)) == 0


async def test_a_cancel_records_nothing(
    client: TestClient[web.Request, web.Application], runtime: Runtime, keys: Keys
) -> None:
    response = await client.get(
        "/wechat/subscribed", params=back(await confirm_page(client), action="cancel")
    )
    assert response.status == 200 and "未订阅" in await response.text()
    assert await Consents(runtime.db).unused(key_of(keys)) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"reserved": "ABCDEG" + "9" * 10 + "0" * 32},  # another code, a MAC we did not make
        {"template_id": "TPL_SOMEONE_ELSES"},
        {"scene": "2"},
        {"action": "confirmed"},
        {"openid": "<script>"},
        {"reserved": "x" * 200},
    ],
)
async def test_a_link_we_did_not_sign_or_that_names_another_template_is_a_400_page(
    client: TestClient[web.Request, web.Application], runtime: Runtime, keys: Keys, change: dict[str, str]
) -> None:
    response = await client.get("/wechat/subscribed", params=back(await confirm_page(client), **change))
    assert response.status == 400 and response.content_type == "text/html"
    assert "<script>" not in await response.text()
    assert await runtime.db["wechat_consents"].count_documents({}) == 0


async def test_an_expired_or_altered_state_is_refused(
    client: TestClient[web.Request, web.Application], runtime: Runtime, clock: FakeClock
) -> None:
    confirm = await confirm_page(client)
    reserved = confirm["reserved"][0]
    altered = reserved[:6] + str(int(reserved[6:16]) + 3600) + reserved[16:]  # a later expiry
    assert (await client.get("/wechat/subscribed", params=back(confirm, reserved=altered))).status == 400
    clock.advance(hours=1, seconds=1)
    assert (await client.get("/wechat/subscribed", params=back(confirm))).status == 400
    assert await runtime.db["wechat_consents"].count_documents({}) == 0


async def test_a_repeated_field_or_a_bad_code_is_a_400_page(
    client: TestClient[web.Request, web.Application],
) -> None:
    confirm = await confirm_page(client)
    repeated: list[tuple[str, Any]] = [*back(confirm).items(), ("openid", "oOTHERopenid0123456789")]
    assert (await client.get("/wechat/subscribed", params=repeated)).status == 400
    for code in ("ABCDE", "ABCDE0", "ABCDEF&x", ""):
        response = await client.get("/wechat/subscribe", params={"code": code}, allow_redirects=False)
        assert response.status == 400 and response.content_type == "text/html"


async def test_one_address_records_at_most_30_consents_an_hour(
    client: TestClient[web.Request, web.Application],
) -> None:
    confirm = await confirm_page(client)
    statuses = [
        (await client.get("/wechat/subscribed", params=back(confirm, openid=f"oForged{number:020d}"))).status
        for number in range(31)
    ]
    assert statuses == [200] * 30 + [429]


async def test_without_a_subscription_template_the_routes_say_so(
    settings_factory: Callable[..., Settings], runtime: Runtime, wechat: FakeWeChat
) -> None:
    settings = wechat_settings(settings_factory, wechat_appsecret=SECRET, wechat_api_base=wechat.base_url)
    async with serve(settings, runtime) as client:
        response = await client.get("/wechat/subscribe", params={"code": CODE}, allow_redirects=False)
        assert response.status == 404 and "暂不提供" in await response.text()


async def test_an_unfollow_forgets_the_consents(
    client: TestClient[web.Request, web.Application], runtime: Runtime, keys: Keys
) -> None:
    await client.get("/wechat/subscribed", params=back(await confirm_page(client)))
    assert await Consents(runtime.db).unused(key_of(keys)) == 1
    assert (await send(client, pusher(), event_xml("unsubscribe"))).status == 200
    assert await Consents(runtime.db).unused(key_of(keys)) == 0
    assert await store.waiting_for(runtime.db, key_of(keys)) == []
