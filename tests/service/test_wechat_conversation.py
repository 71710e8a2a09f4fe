"""A WeChat worker end to end: intake's webhook and the router on one bus, each on a real server.

The worker files by WeChat (safe mode), follows up without quoting the reference (the OpenID is a
proven identity), the committee sees the text and never the OpenID, and an unfollow leaves the case
in place, de-identified: no reporter key, no sealed contact, nothing more binds to it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app as create_escalation
from services.escalation.store import load_record
from services.intake import store
from services.router.app import create_app as create_router
from services.router.appkeys import ROUTER
from services.router.case_store import CaseStore
from shared.auth import issue_token
from shared.contracts import CaseUpdated, ContactWithdrawn, Event, GrievanceReceived
from shared.memorybus import MemoryBus
from shared.privacy import reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_OPENID, sensitive
from tests.servers import ServiceServer
from tests.service.intake_support import serve as serve_intake
from tests.service.router_support import assert_no_contact, bearer, committee_tokens, stored_case
from tests.service.wechat_support import event_xml, pusher, send, text_xml, wechat_settings

FIRST = sensitive("GZ-001 宿舍热水器坏了两个星期，没有人修")
SECOND = sensitive("补充：宿舍三楼的灯也坏了，晚上很危险")
AFTER = sensitive("GZ-001 我重新关注了，食堂的饭菜不干净")
CRITICAL = sensitive("GZ-001 晚上宿舍的安全出口被锁住了，着火了跑不出去")


Client = TestClient[web.Request, web.Application]
# Intake, the router, and the committees' tokens.
Stack = tuple[Client, Client, dict[str, str]]


@pytest.fixture
async def escalation(runtime: Runtime) -> list[Event]:
    """What the router sends the escalation service, as it receives it."""
    received: list[Event] = []

    async def collect(event: Event) -> None:
        received.append(event)

    await runtime.bus.consume("escalation.cases", collect)
    return received


@pytest.fixture
async def stack(
    settings_factory: Callable[..., Settings], runtime: Runtime, escalation: list[Event]
) -> AsyncIterator[Stack]:
    tokens = await committee_tokens(runtime)
    async with (
        TestClient(ServiceServer(create_router(runtime.settings, runtime))) as router,
        serve_intake(wechat_settings(settings_factory), runtime) as intake,
    ):
        yield intake, router, tokens


async def test_a_wechat_worker_files_follows_up_and_unfollows(
    stack: Stack, runtime: Runtime, memory_bus: MemoryBus, escalation: list[Event]
) -> None:
    intake, router, tokens = stack
    account = pusher()
    cases = router.app[ROUTER].cases

    assert (await send(intake, account, text_xml(FIRST))).status == 200
    await memory_bus.drain()
    [first] = [e for e in memory_bus.published if isinstance(e, GrievanceReceived)]
    case = await stored_case(cases, first.grievance_id)
    assert case.channel == "wechat" and case.factory_id == "GZ-001" and case.proven
    key = reporter_key(runtime.keys, f"wechat:{WORKER_OPENID}")
    assert case.reporter_key == key

    # A follow-up without the reference joins the case: WeChat proved the sender.
    assert (await send(intake, account, text_xml(SECOND))).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 1
    committee = case.committee_id
    assert committee is not None
    answer = await router.get(f"/api/v1/cases/{case.reference}", headers=bearer(tokens[committee]))
    body = await answer.json()
    assert [m["text"] for m in body["messages"]] == [FIRST, SECOND]
    assert_no_contact(body)
    assert WORKER_OPENID not in json.dumps(body)

    # The acknowledgement for the WeChat case: recorded undeliverable, the channel has no sender yet.
    acks = [d async for d in runtime.db[store.OUTBOUND].find({"case_id": case.case_id})]
    assert acks and {(d["status"], d["reason"]) for d in acks} == {("undeliverable", "channel_unconfigured")}

    # The unfollow (WeChat retries it too): the case stays, without anything that leads to the worker.
    unfollow = event_xml("unsubscribe")
    for _ in range(2):
        assert (await send(intake, account, unfollow)).status == 200
    await memory_bus.drain()
    assert len([e for e in memory_bus.published if isinstance(e, ContactWithdrawn)]) == 1
    case = await stored_case(cases, first.grievance_id)
    assert case.sealed_contact is None and case.reporter_key is None and case.claimed_reporter_key is None
    assert [m.text for m in case.messages] == [FIRST, SECOND]
    withdrawn = [e for e in escalation if isinstance(e, CaseUpdated) and e.action == "contact_withdrawn"]
    assert len(withdrawn) == 1 and withdrawn[0].sealed_contact is None
    assert await cases.ids_of_contact(key) == []

    # A committee reply now reaches nobody: no message carries a contact for the case.
    before = len(memory_bus.published)
    reply = await router.post(
        f"/api/v1/cases/{case.reference}/messages",
        json={"text": "我们明天派人维修"},
        headers=bearer(tokens[committee]),
    )
    assert reply.status < 300
    await memory_bus.drain()
    assert all(getattr(e, "sealed_contact", None) is None for e in memory_bus.published[before:])

    # Followed again and writing: a new case; the old one is not bound to the OpenID any more.
    assert (await send(intake, account, event_xml("subscribe"))).status == 200
    assert (await send(intake, account, text_xml(AFTER))).status == 200
    await memory_bus.drain()
    assert await runtime.db["cases"].count_documents({}) == 2
    old = await stored_case(cases, first.grievance_id)
    assert [m.text for m in old.messages if m.direction == "worker"] == [FIRST, SECOND]


async def test_a_critical_wechat_grievance_reaches_the_ngo_without_the_openid_and_the_unfollow_reaches_escalation(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    """Router, escalation and intake on one bus: the NGO sees the case and never the OpenID; after the
    unfollow escalation holds no contact for it either."""
    await committee_tokens(runtime)
    notices: list[Event] = []

    async def collect(event: Event) -> None:
        notices.append(event)

    await runtime.bus.consume("notifications.escalations", collect)
    ngo, _ = await issue_token(runtime.db, "ngo")
    async with (
        TestClient(ServiceServer(create_router(runtime.settings, runtime))),
        TestClient(ServiceServer(create_escalation(runtime.settings, runtime))) as escalation,
        serve_intake(wechat_settings(settings_factory), runtime) as intake,
    ):
        account = pusher()
        assert (await send(intake, account, text_xml(CRITICAL))).status == 200
        await memory_bus.drain()
        [event] = [e for e in memory_bus.published if isinstance(e, GrievanceReceived)]
        case = await stored_case(CaseStore(runtime.db), event.grievance_id)
        held = await load_record(runtime.db, case.case_id)
        assert held is not None and held.reply_to is not None and held.reply_to.sealed_contact is not None
        listed = await (await escalation.get("/api/v1/escalations", headers=bearer(ngo))).json()
        [item] = listed["items"]
        detail = await (await escalation.get(f"/api/v1/escalations/{item['id']}", headers=bearer(ngo))).json()
        assert detail["text"] == CRITICAL and detail["reason"] == "critical"
        for body in (listed, detail):
            assert_no_contact(body)
            assert WORKER_OPENID not in json.dumps(body, ensure_ascii=False)
        # What the worker would be told (the router's acknowledgement, which also says a monitor
        # holds the case) went to intake's sender: undeliverable for now, the channel has no sender.
        told = [d async for d in runtime.db[store.OUTBOUND].find({"case_id": case.case_id})]
        assert told and {(d["status"], d["reason"]) for d in told} == {
            ("undeliverable", "channel_unconfigured")
        }

        assert (await send(intake, account, event_xml("unsubscribe"))).status == 200
        await memory_bus.drain()
        held = await load_record(runtime.db, case.case_id)
        assert held is not None and held.reply_to is not None and held.reply_to.sealed_contact is None
        detail = await (await escalation.get(f"/api/v1/escalations/{item['id']}", headers=bearer(ngo))).json()
        assert detail["text"] == CRITICAL  # the case stays for the NGO
    assert [e.type for e in notices] == ["case.escalated"]


@pytest.mark.parametrize(("no", "yes"), [("否", "是"), ("NO", "yes")])
async def test_a_wechat_worker_answers_a_resolution_with_the_sms_keywords(
    stack: Stack,
    runtime: Runtime,
    memory_bus: MemoryBus,
    no: str,
    yes: str,
) -> None:
    intake, router, tokens = stack
    account = pusher()
    assert (await send(intake, account, text_xml(FIRST))).status == 200
    await memory_bus.drain()
    [first] = [e for e in memory_bus.published if isinstance(e, GrievanceReceived)]
    cases = router.app[ROUTER].cases
    case = await stored_case(cases, first.grievance_id)
    assert case.committee_id is not None
    token, url = bearer(tokens[case.committee_id]), f"/api/v1/cases/{case.reference}"
    assert (
        await router.post(f"{url}/resolve", json={"resolution": "已经换了新的热水器"}, headers=token)
    ).status < 300
    for word, status in ((no, "reopened"), (yes, None)):
        if status is None:
            await router.post(f"{url}/resolve", json={"resolution": "热水器已修好"}, headers=token)
        response = await send(intake, account, text_xml(word))
        assert response.status == 200 and await response.text() == ""  # the router answers keywords
        await memory_bus.drain()
        case = await stored_case(cases, first.grievance_id)
        if status is not None:
            assert case.status == status
    assert (case.status, case.closure) == ("closed", "confirmed")
    assert await runtime.db["cases"].count_documents({}) == 1
