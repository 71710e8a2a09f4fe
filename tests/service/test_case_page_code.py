"""The case page's one-time sign-in code over HTTP: an SMS or WeChat worker, who has no PIN, asks for
a code, gets it on the case's own contact, and signs in with it through the PIN's gate."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from aiohttp import ClientResponse
from structlog.testing import capture_logs

from services.intake.wechat_store import reporter_identity
from services.router.appkeys import ROUTER
from services.router.code_sign_in import CLIENT_LIMIT
from services.router.sign_in_code_store import MAX_ATTEMPTS, PER_DAY
from shared.contracts import Event, GrievanceReceived, MessageOutbound
from shared.ids import case_code
from shared.memorybus import MemoryBus
from shared.privacy import Keys, reporter_key, seal
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_OPENID, FakeClock, memory_bus_of
from tests.service.case_page_support import case_page, field_of
from tests.service.router_support import RouterClient, committee_tokens, grievance, serve, stored_case

GRIEVANCE = "夜班结束后宿舍没有热水"
ADDRESS = "198.51.100.7"


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    """Requests come through a trusted proxy on loopback, which names each client's address."""
    return settings_factory(trusted_proxies="127.0.0.1")


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[RouterClient]:
    await committee_tokens(runtime)
    async with serve(runtime) as client:
        yield client


async def sms_case(runtime: Runtime, text: str = GRIEVANCE, **kwargs: Any) -> GrievanceReceived:
    """A grievance by SMS (no PIN: only the web form gives one), its case stored by the router."""
    event = grievance(runtime.keys, text, factory_hint="GZ-001", **kwargs)
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    return event


async def ask(client: RouterClient, entered: str, *, address: str = ADDRESS) -> ClientResponse:
    """Open the sign-in page and ask for a code with its second form."""
    headers = {"X-Forwarded-For": address}
    page = await client.get("/case/?lang=zh", headers=headers)
    form = {"csrf": field_of(await page.text(), "csrf"), "case": entered}
    return await client.post("/case/code", data=form, headers=headers, allow_redirects=False)


async def enter(client: RouterClient, entered: str, code: str, *, address: str = ADDRESS) -> ClientResponse:
    headers = {"X-Forwarded-For": address}
    page = await client.get("/case/?lang=zh", headers=headers)
    form = {"csrf": field_of(await page.text(), "csrf"), "case": entered, "code": code}
    return await client.post("/case/code/sign-in", data=form, headers=headers, allow_redirects=False)


def codes_sent(client: RouterClient) -> list[MessageOutbound]:
    return [e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == "sign_in_code"]


def same_page(page: str, *entered: str) -> str:
    """A page without what differs by visitor and by what was typed: the CSRF token, the entry."""
    page = page.replace(field_of(page, "csrf"), "")
    for value in entered:
        page = page.replace(value, "X")
    return page


def other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_an_sms_worker_is_sent_one_code_and_signs_in_with_it(
    runtime: Runtime, world: RouterClient
) -> None:
    client = world
    event = await sms_case(runtime)
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    with capture_logs() as logs:
        asked = await ask(client, case_code(event.reference).lower())
        unknown = await ask(client, "ZZZZZ-ZZZZZ")
        garbage = await ask(client, "no reference at all")
        [sent] = codes_sent(client)
        assert sent.code is not None and re.fullmatch(r"[0-9]{6}", sent.code)
        signed_in = await enter(client, event.reference, sent.code)
    assert (sent.channel, sent.sealed_contact, sent.case_id) == ("sms", case.sealed_contact, case.case_id)
    assert sent.gateway_number == case.gateway_number and sent.language == "zh"
    assert sent.code in sent.text and "10分钟" in sent.text and "请忽略" in sent.text
    # The answer is the same page whether or not a case matched.
    pages = [await r.text() for r in (asked, unknown, garbage)]
    assert asked.status == unknown.status == garbage.status == 200
    assert "登录码已发到那里" in pages[0]
    entered = (case_code(event.reference), "ZZZZZ-ZZZZZ")
    assert same_page(pages[0], *entered) == same_page(pages[1], *entered)
    assert same_page(pages[2]) == same_page(pages[0].replace(case_code(event.reference), ""))
    assert signed_in.status == 303 and signed_in.headers["Location"] == "/case/view"
    text, _, _ = await case_page(client)
    assert GRIEVANCE in text and event.reference in text
    # The code is in no log line, nor is the contact.
    assert logs and not any(sent.code in str(entry) for entry in logs)
    assert any(entry["event"] == "sign_in_code_sent" for entry in logs)


async def test_wrong_expired_and_spent_codes_are_refused_alike(
    runtime: Runtime, world: RouterClient, clock: FakeClock
) -> None:
    client = world
    event = await sms_case(runtime)
    await ask(client, event.reference)
    [first] = codes_sent(client)
    assert first.code is not None
    wrong = await enter(client, event.reference, other(first.code))
    clock.advance(minutes=10)
    expired = await enter(client, event.reference, first.code)
    await ask(client, event.reference)
    second = codes_sent(client)[-1]
    assert second.code is not None and second.id != first.id
    assert (await enter(client, case_code(event.reference), second.code)).status == 303
    _, csrf, _ = await case_page(client)
    await client.post("/case/sign-out", data={"csrf": csrf})
    spent = await enter(client, event.reference, second.code)
    unknown = await enter(client, "ZZZZZ-ZZZZZ", second.code)
    refused = [wrong, expired, spent, unknown]
    assert [r.status for r in refused] == [401] * 4
    pages = [same_page(await r.text(), event.reference, "ZZZZZ-ZZZZZ") for r in refused]
    assert len(set(pages)) == 1 and "登录码不对、已过期或已用过" in pages[0]


async def test_asking_again_replaces_the_code_and_a_code_takes_five_wrong_tries(
    runtime: Runtime, world: RouterClient, clock: FakeClock
) -> None:
    client = world
    event = await sms_case(runtime)
    code = case_code(event.reference)

    async def fresh() -> str:
        clock.advance(seconds=61)
        await ask(client, event.reference)
        given = codes_sent(client)[-1].code
        assert given is not None
        return given

    def wrong_tries(given: str, n: int) -> list[Coroutine[Any, Any, ClientResponse]]:
        # Spread over the reference and the case code, so that neither is locked (a PIN's lock).
        return [enter(client, event.reference if i % 2 else code, other(given)) for i in range(n)]

    first, second = await fresh(), await fresh()
    if first != second:  # (one in a million they are the same)
        assert (await enter(client, event.reference, first)).status == 401  # replaced
    third = await fresh()
    for attempt in wrong_tries(third, MAX_ATTEMPTS - 1):
        assert (await attempt).status == 401
    assert (await enter(client, event.reference, third)).status == 303  # the last try still opens
    _, csrf, _ = await case_page(client)
    await client.post("/case/sign-out", data={"csrf": csrf})
    fourth = await fresh()
    for attempt in wrong_tries(fourth, MAX_ATTEMPTS):
        assert (await attempt).status == 401
    assert (await enter(client, event.reference, fourth)).status == 401  # no tries left


async def test_a_case_gets_one_code_a_minute_and_five_a_day(
    runtime: Runtime, world: RouterClient, clock: FakeClock
) -> None:
    client = world
    event = await sms_case(runtime)
    for n in range(PER_DAY.count + 2):
        assert (await ask(client, event.reference, address=f"203.0.113.{n}")).status == 200
        assert (await ask(client, event.reference, address=f"203.0.113.{n}")).status == 200  # too soon
        clock.advance(seconds=61)
    assert len(codes_sent(client)) == PER_DAY.count


async def test_a_client_address_may_ask_only_so_often(runtime: Runtime, world: RouterClient) -> None:
    client = world
    for _ in range(CLIENT_LIMIT.count):
        assert (await ask(client, "ZZZZZ-ZZZZZ")).status == 200
    refused = await ask(client, "ZZZZZ-ZZZZZ")
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert (await ask(client, "ZZZZZ-ZZZZZ", address="198.51.100.99")).status == 200


async def test_no_code_goes_to_a_contact_the_channel_did_not_prove(
    runtime: Runtime, world: RouterClient
) -> None:
    client = world
    # A number typed into the web form is unproven until confirmed: it is sent no sign-in code.
    event = await sms_case(runtime, "食堂的饭菜不干净吃了肚子疼", channel="web", to=None)
    assert (await ask(client, event.reference)).status == 200
    assert codes_sent(client) == []


async def test_a_wechat_worker_gets_the_code_on_wechat_and_the_page_offers_a_reminder(
    settings_factory: Callable[..., Settings], db: Any, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    settings = settings_factory(
        wechat_subscribe_template_id="subscribe-template-1",
        public_base_url="https://intake.example.org",
        trusted_proxies="127.0.0.1",
    )
    runtime = Runtime(settings, memory_bus, db, keys, clock)
    await committee_tokens(runtime)
    async with serve(runtime) as client:
        wechat = grievance(
            keys, "车间温度太高没有降温", phone=None, channel="wechat", to=None, factory_hint="GZ-001"
        )
        identity = reporter_identity(WORKER_OPENID)
        wechat = wechat.model_copy(
            update={
                "provider": "wechat",
                "reporter_key": reporter_key(keys, identity),
                "sealed_contact": seal(keys, WORKER_OPENID),
            }
        )
        await runtime.bus.publish(wechat)
        await memory_bus.drain()
        await ask(client, wechat.reference)
        [sent] = codes_sent(client)
        assert sent.channel == "wechat" and sent.code is not None
        assert (await enter(client, wechat.reference, sent.code)).status == 303
        text, _, _ = await case_page(client)
        link = f"https://intake.example.org/wechat/subscribe?code={case_code(wechat.reference)}"
        assert f'href="{link}"' in text


async def test_a_code_the_bus_did_not_take_is_not_said_to_be_sent(
    runtime: Runtime, world: RouterClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.messaging import PublishError

    client = world
    event = await sms_case(runtime)

    async def unconfirmed(_: Event) -> None:
        raise PublishError("broker did not confirm in time")

    monkeypatch.setattr(runtime.bus, "publish", unconfirmed)
    asked = await ask(client, event.reference)
    page = await asked.text()
    assert asked.status == 503
    assert "登录码已发到那里" not in page and "一分钟后再申请" in page
    # An unknown reference still gets the one page: only a real send can fail.
    unknown = await ask(client, "ZZZZZ-ZZZZZ", address="198.51.100.8")
    assert unknown.status == 200 and "登录码已发到那里" in await unknown.text()
