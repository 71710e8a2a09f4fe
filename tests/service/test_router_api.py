"""The committee API and the public status page: scoping, tokens, transitions, outbox, rate limit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import ClientResponse

from services.router.appkeys import ROUTER
from shared.contracts import CaseAction, CaseUpdated, MessageOutbound, OutboundPurpose
from shared.ids import reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, pin_for, pin_hash
from shared.runtime import RUNTIME, Runtime
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import WORKER_PHONE, FakeClock, memory_bus_of
from tests.service.router_support import (
    DG_NUMBER,
    GZ_NUMBER,
    FlakyBus,
    RouterClient,
    assert_no_contact,
    bearer,
    committee_tokens,
    grievance,
    pending_types,
    serve,
    stored_case,
)

ENDPOINTS = [
    ("GET", "/api/v1/cases/{ref}", None),
    ("POST", "/api/v1/cases/{ref}/acknowledge", None),
    ("POST", "/api/v1/cases/{ref}/messages", {"text": "我们收到了"}),
    ("POST", "/api/v1/cases/{ref}/resolve", {"resolution": "已经开锁"}),
    ("POST", "/api/v1/cases/{ref}/recuse", {"reason": "成员是当事人"}),
]


# The served router, a token for each committee, the NGO and an admin, and the reference of a case
# assigned to the SPT of GZ-001.
World = tuple[RouterClient, dict[str, str], str]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(runtime.keys, "安全出口被锁了", to=GZ_NUMBER, phone=WORKER_PHONE)
        await runtime.bus.publish(event)
        await memory_bus_of(runtime).drain()
        yield client, tokens, event.reference


def updates(client: RouterClient, action: CaseAction | None = None) -> list[CaseUpdated]:
    return [e for e in client.received if isinstance(e, CaseUpdated) and action in (None, e.action)]


def texts_out(client: RouterClient, purpose: OutboundPurpose) -> list[MessageOutbound]:
    return [e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == purpose]


async def problem(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    return body


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_every_case_endpoint_is_scoped(
    world: World, method: str, path: str, body: dict[str, str] | None
) -> None:
    client, tokens, reference = world
    url = path.format(ref=reference)
    await problem(await client.request(method, url, json=body), 401)
    await problem(await client.request(method, url, json=body, headers=bearer("gvt_not-a-token")), 401)
    for role in ("ngo", "admin"):
        await problem(await client.request(method, url, json=body, headers=bearer(tokens[role])), 403)
    for other in ("gz-001-women", "dg-002-wages"):
        foreign = await problem(
            await client.request(method, url, json=body, headers=bearer(tokens[other])), 404
        )
        unknown = await problem(
            await client.request(
                method, path.format(ref="ABCDE-FGHJK"), json=body, headers=bearer(tokens[other])
            ),
            404,
        )
        assert foreign["detail"] == unknown["detail"]
    await problem(
        await client.request(
            method, path.format(ref="x';--"), json=body, headers=bearer(tokens["gz-001-spt"])
        ),
        404,
    )
    assert updates(client) == []
    response = await client.request(method, url, json=body, headers=bearer(tokens["gz-001-spt"]))
    assert response.status == 200
    assert_no_contact(await response.json(), WORKER_PHONE)


async def test_list_is_scoped_paginated_and_filtered(world: World, runtime: Runtime) -> None:
    client, tokens, reference = world
    for text in ("工资没发", "加班太多", "食堂太差"):
        await runtime.bus.publish(grievance(runtime.keys, text, to=GZ_NUMBER))
    await memory_bus_of(runtime).drain()
    await problem(await client.get("/api/v1/cases"), 401)
    await problem(await client.get("/api/v1/cases", headers=bearer(tokens["ngo"])), 403)
    spt = bearer(tokens["gz-001-spt"])
    first = await (await client.get("/api/v1/cases?per_page=3&page=1", headers=spt)).json()
    second = await (await client.get("/api/v1/cases?per_page=3&page=2", headers=spt)).json()
    assert first["total"] == 4 and len(first["items"]) == 3 and len(second["items"]) == 1
    seen = {i["reference"] for i in first["items"] + second["items"]}
    assert reference in seen and len(seen) == 4
    assert_no_contact(first, WORKER_PHONE)
    await client.post(f"/api/v1/cases/{reference}/acknowledge", headers=spt)
    acked = await (await client.get("/api/v1/cases?status=acknowledged", headers=spt)).json()
    assert [i["reference"] for i in acked["items"]] == [reference]
    await problem(await client.get("/api/v1/cases?status=bogus", headers=spt), 422)
    await problem(await client.get("/api/v1/cases?per_page=1000", headers=spt), 422)
    other = await (await client.get("/api/v1/cases", headers=bearer(tokens["dg-002-wages"]))).json()
    assert other["total"] == 0


async def test_acknowledge_is_idempotent_and_tells_the_worker(world: World) -> None:
    client, tokens, reference = world
    spt = bearer(tokens["gz-001-spt"])
    body = await (await client.post(f"/api/v1/cases/{reference}/acknowledge", headers=spt)).json()
    assert body["status"] == "acknowledged" and body["acknowledged_at"]
    again = await client.post(f"/api/v1/cases/{reference}/acknowledge", headers=spt)
    assert again.status == 200
    await memory_bus_of(client.app[RUNTIME]).drain()
    assert [e.action for e in updates(client)] == ["acknowledged"]
    assert len(texts_out(client, "status")) == 1
    assert [t["action"] for t in body["timeline"]] == ["assigned", "acknowledged"]


async def test_a_first_reply_acknowledges_the_case(world: World) -> None:
    client, tokens, reference = world
    spt = bearer(tokens["gz-001-spt"])
    url = f"/api/v1/cases/{reference}"
    body = await (await client.post(f"{url}/messages", json={"text": "我们已经收到"}, headers=spt)).json()
    assert body["status"] == "acknowledged" and body["acknowledged_at"]
    first_ack = body["acknowledged_at"]
    # A later reply and an explicit acknowledgement keep the first acknowledgement time.
    body = await (await client.post(f"{url}/messages", json={"text": "明天回复您"}, headers=spt)).json()
    assert body["acknowledged_at"] == first_ack
    again = await client.post(f"{url}/acknowledge", headers=spt)
    assert again.status == 200 and (await again.json())["acknowledged_at"] == first_ack
    await memory_bus_of(client.app[RUNTIME]).drain()
    assert [e.action for e in updates(client)] == ["replied", "replied"]
    assert {e.status for e in updates(client)} == {"acknowledged"}


async def test_messages_resolve_and_closed_case(world: World, runtime: Runtime, clock: FakeClock) -> None:
    client, tokens, reference = world
    spt = bearer(tokens["gz-001-spt"])
    url = f"/api/v1/cases/{reference}"
    # resolve before acknowledge is allowed, but first a reply
    response = await client.post(
        f"{url}/messages", json={"text": "我们明天检查"}, headers={**spt, "Idempotency-Key": "k1"}
    )
    assert response.status == 200
    response = await client.post(
        f"{url}/messages", json={"text": "我们明天检查"}, headers={**spt, "Idempotency-Key": "k1"}
    )
    body = await response.json()
    committee_messages = [m for m in body["messages"] if m["direction"] == "committee"]
    assert len(committee_messages) == 1 and committee_messages[0]["delivery_status"] in ("pending", "sent")
    await memory_bus_of(runtime).drain()
    replies = texts_out(client, "committee_reply")
    assert len(replies) == 1 and "我们明天检查" in replies[0].text and replies[0].gateway_number == GZ_NUMBER
    await problem(await client.post(f"{url}/messages", json={"text": "x", "extra": 1}, headers=spt), 422)
    await problem(await client.post(f"{url}/messages", json={"text": "长" * 1001}, headers=spt), 422)
    await problem(await client.post(f"{url}/messages", json={"text": "   "}, headers=spt), 422)
    await problem(await client.post(f"{url}/messages", data="text=x", headers=spt), 415)
    response = await client.post(f"{url}/resolve", json={"resolution": "安全出口已经打开"}, headers=spt)
    assert (await response.json())["status"] == "resolved"
    await memory_bus_of(runtime).drain()
    check = texts_out(client, "resolution_check")
    assert len(check) == 1 and "是" in check[0].text and "否" in check[0].text
    same = await client.post(f"{url}/resolve", json={"resolution": "安全出口已经打开"}, headers=spt)
    assert same.status == 200
    await problem(await client.post(f"{url}/resolve", json={"resolution": "别的"}, headers=spt), 409)
    clock.advance(seconds=runtime.settings.confirmation_window.total_seconds())
    assert (await client.app[ROUTER].periodic_pass())["resolutions_closed"] == 1  # unanswered: closed
    for path, body in (
        ("acknowledge", None),
        ("messages", {"text": "还在吗"}),
        ("resolve", {"resolution": "x"}),
        ("recuse", {"reason": "x"}),
    ):
        await problem(await client.post(f"{url}/{path}", json=body, headers=spt), 409)
    await memory_bus_of(runtime).drain()
    assert [e.action for e in updates(client)] == ["replied", "resolved", "closed"]


async def test_recuse_hands_over_or_leaves_it_to_the_ngo(world: World, runtime: Runtime) -> None:
    client, tokens, _ = world
    event = grievance(runtime.keys, "组长辱骂我们", to=GZ_NUMBER)
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    url = f"/api/v1/cases/{case.reference}"
    spt, women = bearer(tokens["gz-001-spt"]), bearer(tokens["gz-001-women"])
    assert (case.category, case.committee_id) == ("harassment_abuse", "gz-001-women")  # the SPT has one
    response = await client.post(f"{url}/recuse", json={"reason": "组长是我们成员的亲戚"}, headers=women)
    assert response.status == 200 and await response.json() == {
        "reference": case.reference,
        "recused": True,
    }
    assert (await client.post(f"{url}/recuse", json={"reason": "again"}, headers=women)).status == 200
    assert (await client.get(url, headers=women)).status == 404
    assert (await client.get(url, headers=spt)).status == 200
    await client.post(f"{url}/recuse", json={"reason": "也有冲突"}, headers=spt)
    assert (await client.get(url, headers=spt)).status == 404
    await memory_bus_of(runtime).drain()
    recusals = updates(client, "recused")
    assert [(e.committee_id, e.status, e.note) for e in recusals] == [
        ("gz-001-spt", "assigned", None),
        (None, "unassigned", "conflict_of_interest"),
    ]
    assert "组长是我们成员的亲戚" not in str(
        [e.model_dump() for e in client.received if isinstance(e, CaseUpdated)]
    )


async def test_publish_failure_answers_503_and_the_retry_completes_the_action(
    settings: Settings, db: Any, keys: Keys, clock: FakeClock
) -> None:
    bus = FlakyBus(MemoryBus(retry=FAST_RETRY))
    await bus.start()
    runtime = Runtime(settings, bus, db, keys, clock)
    try:
        tokens = await committee_tokens(runtime)
        async with serve(runtime) as client:
            event = grievance(keys, "工资三个月没发", to=DG_NUMBER)
            await bus.publish(event)
            await bus.inner.drain()
            url = f"/api/v1/cases/{event.reference}"
            wages = bearer(tokens["dg-002-wages"])
            bus.failing = True
            response = await client.post(f"{url}/acknowledge", headers=wages)
            await problem(response, 503)
            assert response.headers["Retry-After"] == "5"
            cases = client.app[ROUTER].cases
            stored = await stored_case(cases, event.grievance_id)
            assert stored.status == "acknowledged"
            assert await pending_types(cases, stored.case_id) == ["case.updated", "message.outbound"]
            bus.failing = False
            assert (await client.post(f"{url}/acknowledge", headers=wages)).status == 200
            await bus.inner.drain()
            assert await pending_types(cases, stored.case_id) == []
            acks = updates(client, "acknowledged")
            assert len(acks) == 1
            # a stranded outbox is published by the periodic task even if nobody retries
            bus.failing = True
            await problem(await client.post(f"{url}/messages", json={"text": "下周发"}, headers=wages), 503)
            bus.failing = False
            clock.advance(minutes=2)
            assert (await client.app[ROUTER].periodic_pass())["outboxes_flushed"] == 1
            await bus.inner.drain()
            assert len(texts_out(client, "committee_reply")) == 1
    finally:
        await bus.close()


async def test_public_status_needs_the_pin_and_is_rate_limited(
    settings_factory: Callable[..., Settings], db: Any, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    runtime = Runtime(settings_factory(status_rate_limit=4), memory_bus, db, keys, clock)
    await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(keys, "加班没有加班费", channel="web", to=None, factory_hint="GZ-001", phone=None)
        pin = pin_for(keys, str(event.grievance_id))
        event = event.model_copy(update={"pin_hash": pin_hash(keys, reference_for(event.grievance_id), pin)})
        await memory_bus.publish(event)
        await memory_bus.drain()
        url = f"/api/v1/status/{event.reference}"
        ok = await client.post(url, json={"pin": pin})
        assert ok.status == 200
        body = await ok.json()
        assert set(body) == {
            "reference",
            "status",
            "ack_due_at",
            "resolve_due_at",
            "with_independent_organisation",
            "overdue",
            "timezone",
        }
        assert body["timezone"] == "Asia/Shanghai"
        wrong = await problem(await client.post(url, json={"pin": "0000000000"}), 404)
        unknown = await problem(await client.post("/api/v1/status/ABCDE-FGHJK", json={"pin": pin}), 404)
        assert wrong == unknown
        await problem(await client.post(url, json={}), 422)
        limited = await problem(await client.post(url, json={"pin": pin}), 429)
        assert limited["status"] == 429
        response = await client.post(url, json={"pin": pin})
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        clock.advance(seconds=61)
        assert (await client.post(url.lower(), json={"pin": pin})).status == 200
