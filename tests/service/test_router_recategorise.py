"""A committee recategorises its case: new category, severity and deadlines, scoped like every
committee action, not told to the worker; retaliation leaves the committee for the NGO; escalation
acts on the recategorisation it receives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app as escalation_app
from services.escalation.sweeper import sweep_once
from services.router.app import create_app as router_app
from services.router.appkeys import ROUTER
from shared.contracts import CaseUpdated, GrievanceReceived, MessageOutbound
from shared.runtime import Runtime
from tests.fakes import WORKER_PHONE, FakeClock, memory_bus_of
from tests.servers import ServiceServer
from tests.service.escalation_support import consume_downstream
from tests.service.router_support import (
    GZ_NUMBER,
    RouterClient,
    assert_no_contact,
    bearer,
    committee_tokens,
    grievance,
    serve,
)

ServedClient = TestClient[web.Request, web.Application]

CANTEEN = "食堂的饭菜不好吃"  # other / normal, to the SPT


# The served router, a token for each committee, the NGO and an admin, and the grievance of a
# canteen case with the SPT of GZ-001.
World = tuple[RouterClient, dict[str, str], GrievanceReceived]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(runtime.keys, CANTEEN, to=GZ_NUMBER, phone=WORKER_PHONE)
        await runtime.bus.publish(event)
        await memory_bus_of(runtime).drain()
        yield client, tokens, event


def recategorisations(client: RouterClient) -> list[CaseUpdated]:
    return [e for e in client.received if isinstance(e, CaseUpdated) and e.action == "recategorised"]


def texts_to_worker(client: RouterClient) -> list[MessageOutbound]:
    return [e for e in client.received if isinstance(e, MessageOutbound)]


async def problem(response: ClientResponse, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    return body


async def test_recategorising_sets_category_severity_and_deadlines_from_the_workers_message(
    world: World, runtime: Runtime
) -> None:
    client, tokens, event = world
    spt, url = bearer(tokens["gz-001-spt"]), f"/api/v1/cases/{event.reference}"
    told_before = len(texts_to_worker(client))
    response = await client.post(f"{url}/recategorise", json={"category": "wages"}, headers=spt)
    assert response.status == 200
    body = await response.json()
    assert_no_contact(body, WORKER_PHONE)
    high = runtime.settings.sla.for_severity("high")
    assert (body["category"], body["severity"]) == ("wages", "high")  # the category's own severity
    assert datetime.fromisoformat(body["ack_due_at"]) == event.received_at + high.ack
    assert datetime.fromisoformat(body["resolve_due_at"]) == event.received_at + high.resolve
    assert [t["action"] for t in body["timeline"]] == ["assigned", "recategorised"]
    # A severity given wins over the category's own; the same again changes nothing.
    critical = runtime.settings.sla.for_severity("critical")
    for _ in range(2):
        again = await client.post(
            f"{url}/recategorise", json={"category": "wages", "severity": "critical"}, headers=spt
        )
        assert again.status == 200
    assert (await again.json())["severity"] == "critical"
    await memory_bus_of(runtime).drain()
    first, second = recategorisations(client)
    assert (first.category, first.severity, first.actor_role, first.status) == (
        "wages",
        "high",
        "committee",
        "assigned",
    )
    assert (first.ack_due_at, first.resolve_due_at) == (
        event.received_at + high.ack,
        event.received_at + high.resolve,
    )
    assert (second.severity, second.ack_due_at) == ("critical", event.received_at + critical.ack)
    assert second.committee_id == "gz-001-spt" and second.note is None
    assert len(texts_to_worker(client)) == told_before  # the worker is not told


async def test_recategorise_is_scoped_and_validated_like_every_committee_action(
    world: World, runtime: Runtime
) -> None:
    client, tokens, event = world
    url = f"/api/v1/cases/{event.reference}/recategorise"
    body = {"category": "wages"}
    await problem(await client.post(url, json=body), 401)
    await problem(await client.post(url, json=body, headers=bearer(tokens["ngo"])), 403)
    foreign = await problem(await client.post(url, json=body, headers=bearer(tokens["gz-001-women"])), 404)
    unknown = await problem(
        await client.post(
            "/api/v1/cases/ABCDE-FGHJK/recategorise", json=body, headers=bearer(tokens["gz-001-women"])
        ),
        404,
    )
    assert foreign == unknown
    spt = bearer(tokens["gz-001-spt"])
    for bad in (
        {"category": "bogus"},
        {"category": "wages", "severity": "urgent"},
        {"category": "wages", "x": 1},
        {},
    ):
        await problem(await client.post(url, json=bad, headers=spt), 422)
    await problem(await client.post(url, data="category=wages", headers=spt), 415)
    await memory_bus_of(runtime).drain()
    assert recategorisations(client) == []


async def test_a_closed_case_is_not_recategorised(world: World, runtime: Runtime, clock: FakeClock) -> None:
    client, tokens, event = world
    spt, url = bearer(tokens["gz-001-spt"]), f"/api/v1/cases/{event.reference}"
    assert (await client.post(f"{url}/resolve", json={"resolution": "换了厨师"}, headers=spt)).status == 200
    clock.advance(seconds=runtime.settings.confirmation_window.total_seconds())
    assert (await client.app[ROUTER].periodic_pass())["resolutions_closed"] == 1
    closed = await problem(
        await client.post(f"{url}/recategorise", json={"category": "wages"}, headers=spt), 409
    )
    assert closed["detail"] == "the case is closed"


async def test_retaliation_takes_the_case_from_the_committee_to_the_ngo(
    world: World, runtime: Runtime
) -> None:
    client, tokens, event = world
    spt, url = bearer(tokens["gz-001-spt"]), f"/api/v1/cases/{event.reference}"
    told_before = len(texts_to_worker(client))
    response = await client.post(f"{url}/recategorise", json={"category": "retaliation"}, headers=spt)
    assert response.status == 200
    assert await response.json() == {"reference": event.reference, "recategorised": True}
    await problem(await client.get(url, headers=spt), 404)
    assert (await (await client.get("/api/v1/cases", headers=spt)).json())["total"] == 0
    await memory_bus_of(runtime).drain()
    [moved] = recategorisations(client)
    assert (moved.category, moved.severity, moved.status, moved.committee_id, moved.note) == (
        "retaliation",
        "high",
        "unassigned",
        None,
        "retaliation",
    )
    assert len(texts_to_worker(client)) == told_before


@pytest.fixture
async def with_escalation(
    runtime: Runtime,
) -> AsyncIterator[tuple[ServedClient, ServedClient, dict[str, str]]]:
    """The router and the escalation service on one in-memory bus and store."""
    tokens = await committee_tokens(runtime)
    await consume_downstream(runtime.bus)
    async with AsyncExitStack() as stack:
        router = await stack.enter_async_context(
            TestClient(ServiceServer(router_app(runtime.settings, runtime)))
        )
        escalation = await stack.enter_async_context(
            TestClient(ServiceServer(escalation_app(runtime.settings, runtime)))
        )
        yield router, escalation, tokens


async def test_escalation_acts_on_the_recategorisation(
    with_escalation: tuple[ServedClient, ServedClient, dict[str, str]], runtime: Runtime, clock: FakeClock
) -> None:
    router, escalation, tokens = with_escalation
    spt, ngo = bearer(tokens["gz-001-spt"]), bearer(tokens["ngo"])
    canteen = grievance(runtime.keys, CANTEEN, to=GZ_NUMBER)
    dorm = grievance(runtime.keys, "宿舍的灯坏了", to=GZ_NUMBER)
    for event in (canteen, dorm):
        await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    listed = await (await escalation.get("/api/v1/escalations", headers=ngo)).json()
    assert listed["total"] == 0  # two normal cases with the committee: nothing to escalate yet
    for event, category in ((canteen, "child_labour"), (dorm, "retaliation")):
        answer = await router.post(
            f"/api/v1/cases/{event.reference}/recategorise", json={"category": category}, headers=spt
        )
        assert answer.status == 200
    await memory_bus_of(runtime).drain()
    listed = await (await escalation.get("/api/v1/escalations", headers=ngo)).json()
    reasons = {(i["reference"], i["reason"]) for i in listed["items"]}
    assert (canteen.reference, "critical") in reasons  # child labour is critical
    assert (dorm.reference, "retaliation") in reasons
    # The recategorised deadlines hold: two hours after the worker's message the critical case is
    # overdue (it had 48 hours as a normal one); the retaliation case has a day as a high one.
    clock.advance(hours=2, seconds=1)
    assert await sweep_once(runtime.db, runtime.bus, runtime.settings.sla, runtime.clock) == 1
    await memory_bus_of(runtime).drain()
    overdue = await (await escalation.get("/api/v1/escalations?reason=ack_overdue", headers=ngo)).json()
    assert [i["reference"] for i in overdue["items"]] == [canteen.reference]
