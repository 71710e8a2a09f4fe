"""The NGO API: scoping, filters, transitions, statistics, and no contact in any answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation import consumer
from services.escalation.app import create_app
from services.escalation.sweeper import sweep_once
from shared.auth import Role, issue_token
from shared.contracts import CaseAssigned
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import (
    ENGLISH_WORKER_PHONE,
    OTHER_WORKER_PHONE,
    WORKER_PHONE,
    FakeClock,
    memory_bus_of,
    present,
)
from tests.servers import ServiceServer, ops_client
from tests.service.escalation_support import LOCKED_EXIT_TEXT, assigned, consume_downstream, updated


@pytest.fixture
async def client(
    settings: Settings, runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    await consume_downstream(runtime.bus)
    app = create_app(settings, runtime)
    async with TestClient(ServiceServer(app)) as client:
        yield client


@pytest.fixture
async def cases(
    client: TestClient[web.Request, web.Application], runtime: Runtime, clock: FakeClock, keys: Keys
) -> dict[str, CaseAssigned]:
    """Two factories: a critical case at GZ-001, an overdue one at SZ-002, a disputed one at GZ-001."""
    critical = assigned(
        clock.now, keys=keys, severity="critical", category="health_safety", text=LOCKED_EXIT_TEXT
    )
    overdue = assigned(
        clock.now, keys=keys, phone=OTHER_WORKER_PHONE, factory_id="SZ-002", committee_id="sz-002-spt"
    )
    disputed = assigned(clock.now, keys=keys, phone=ENGLISH_WORKER_PHONE, language="en")
    for event in (critical, overdue, disputed):
        await runtime.bus.publish(event)
    await runtime.bus.publish(updated(disputed, "resolved", clock.now + timedelta(hours=2)))
    await runtime.bus.publish(updated(disputed, "disputed", clock.now + timedelta(hours=3)))
    await memory_bus_of(runtime).drain()
    clock.advance(hours=49)
    # The critical case and the SZ-002 case were never acknowledged; the disputed one was resolved.
    assert await sweep_once(runtime.db, runtime.bus, runtime.settings.sla, runtime.clock) == 2
    return {"critical": critical, "overdue": overdue, "disputed": disputed}


async def token(runtime: Runtime, role: Role = "ngo", **kwargs: Any) -> dict[str, str]:
    value, _ = await issue_token(runtime.db, role, **kwargs)
    return {"Authorization": f"Bearer {value}"}


async def test_no_token_is_401_and_a_committee_token_is_403(
    client: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    response = await client.get("/api/v1/escalations")
    assert response.status == 401 and response.content_type == "application/problem+json"
    committee = await token(runtime, "committee", committee_id="gz-001-spt")
    for path in ("/api/v1/escalations", "/api/v1/stats", "/api/v1/escalations/" + "a" * 32):
        assert (await client.get(path, headers=committee)).status == 403


async def test_an_ngo_for_all_factories_sees_every_escalation(
    client: TestClient[web.Request, web.Application], runtime: Runtime, cases: dict[str, CaseAssigned]
) -> None:
    headers = await token(runtime)
    body = await (await client.get("/api/v1/escalations", headers=headers)).json()
    assert body["total"] == 4
    assert sorted(i["reason"] for i in body["items"]) == [
        "ack_overdue",
        "ack_overdue",
        "critical",
        "disputed",
    ]
    filtered = await (
        await client.get("/api/v1/escalations?reason=ack_overdue&factory=SZ-002", headers=headers)
    ).json()
    assert [i["reference"] for i in filtered["items"]] == [cases["overdue"].reference]
    assert filtered["items"][0]["deadlines_missed"][0]["deadline"] == "acknowledge"
    page = await (await client.get("/api/v1/escalations?per_page=3&page=2", headers=headers)).json()
    assert len(page["items"]) == 1 and page["total"] == 4


async def test_a_scoped_ngo_sees_only_its_factories(
    client: TestClient[web.Request, web.Application], runtime: Runtime, cases: dict[str, CaseAssigned]
) -> None:
    headers = await token(runtime, factories=["GZ-001"])
    body = await (await client.get("/api/v1/escalations", headers=headers)).json()
    assert sorted(i["reason"] for i in body["items"]) == ["ack_overdue", "critical", "disputed"]
    assert {i["factory_id"] for i in body["items"]} == {"GZ-001"}
    # A filter outside the scope is clamped to nothing, not widened.
    other = await (await client.get("/api/v1/escalations?factory=SZ-002", headers=headers)).json()
    assert other == {"items": [], "page": 1, "per_page": 50, "total": 0}
    everyone = await token(runtime)
    [hidden] = (await (await client.get("/api/v1/escalations?factory=SZ-002", headers=everyone)).json())[
        "items"
    ]
    for path in ("", "/acknowledge"):
        method = client.get if not path else client.post
        assert (await method(f"/api/v1/escalations/{hidden['id']}{path}", headers=headers)).status == 404
    stats = await (await client.get("/api/v1/stats", headers=headers)).json()
    assert {g["factory_id"] for g in stats["groups"]} == {"GZ-001"}


async def test_lookup_by_reference_and_one_row_per_case(
    client: TestClient[web.Request, web.Application], runtime: Runtime, cases: dict[str, CaseAssigned]
) -> None:
    headers = await token(runtime)
    reference = cases["critical"].reference
    found = await (await client.get(f"/api/v1/escalations?reference={reference}", headers=headers)).json()
    assert sorted(i["reason"] for i in found["items"]) == ["ack_overdue", "critical"]
    assert {i["reference"] for i in found["items"]} == {reference}
    grouped = await (await client.get("/api/v1/escalations?group=case", headers=headers)).json()
    assert grouped["total"] == 3 and len(grouped["items"]) == 3
    rows = {row["reference"]: row for row in grouped["items"]}
    assert rows[reference]["reasons"] == ["critical", "ack_overdue"]
    assert rows[reference]["status"] == "open" and len(rows[reference]["escalations"]) == 2
    assert rows[cases["disputed"].reference]["reasons"] == ["disputed"]
    one = await (
        await client.get(f"/api/v1/escalations?group=case&reference={reference}", headers=headers)
    ).json()
    assert [row["reference"] for row in one["items"]] == [reference] and one["total"] == 1
    paged = await (
        await client.get("/api/v1/escalations?group=case&per_page=2&page=2", headers=headers)
    ).json()
    assert len(paged["items"]) == 1 and paged["total"] == 3
    # A scoped NGO finds only its factories' cases, by reference too.
    scoped = await token(runtime, factories=["SZ-002"])
    hidden = await (await client.get(f"/api/v1/escalations?reference={reference}", headers=scoped)).json()
    assert hidden["items"] == [] and hidden["total"] == 0
    for bad in ("reference=abc", "reference=", "group=factory"):
        response = await client.get(f"/api/v1/escalations?{bad}", headers=headers)
        assert response.status == 422 and response.content_type == "application/problem+json"


async def test_detail_acknowledge_and_resolve(
    client: TestClient[web.Request, web.Application], runtime: Runtime, cases: dict[str, CaseAssigned]
) -> None:
    headers = await token(runtime)
    [item] = (await (await client.get("/api/v1/escalations?reason=critical", headers=headers)).json())[
        "items"
    ]
    url = f"/api/v1/escalations/{item['id']}"
    detail = await (await client.get(url, headers=headers)).json()
    assert detail["text"] == LOCKED_EXIT_TEXT and detail["severity"] == "critical"
    assert detail["case"]["status"] == "assigned"
    assert (await client.post(url + "/acknowledge", headers=headers)).status == 200
    again = await client.post(url + "/acknowledge", headers=headers)
    assert again.status == 200 and (await again.json())["status"] == "acknowledged"
    note = {"note": "Visited the factory; exits unlocked and checked weekly."}
    resolved = await client.post(url + "/resolve", json=note, headers=headers)
    assert resolved.status == 200 and (await resolved.json())["status"] == "resolved"
    assert (await client.post(url + "/resolve", json=note, headers=headers)).status == 200
    assert (await client.post(url + "/resolve", json={"note": "other"}, headers=headers)).status == 409
    assert (await client.post(url + "/acknowledge", headers=headers)).status == 409
    listed = await (await client.get("/api/v1/escalations?status=resolved", headers=headers)).json()
    assert [i["id"] for i in listed["items"]] == [item["id"]]


@pytest.mark.parametrize(
    "query",
    [
        "status=closed",
        "reason=%24ne",
        "factory=%7B%22%24gt%22%3A%22%22%7D",
        "page=0",
        "per_page=1000",
        "page=x",
        "colour=red",
        "status=open&status=open",
    ],
)
async def test_hostile_or_invalid_filters_are_refused(
    client: TestClient[web.Request, web.Application], runtime: Runtime, query: str
) -> None:
    headers = await token(runtime)
    response = await client.get(f"/api/v1/escalations?{query}", headers=headers)
    assert response.status in (400, 422)


async def test_unknown_or_malformed_ids_are_404(
    client: TestClient[web.Request, web.Application], runtime: Runtime
) -> None:
    headers = await token(runtime)
    for escalation in ("0" * 32, "not-an-id", "%24where"):
        assert (await client.get(f"/api/v1/escalations/{escalation}", headers=headers)).status == 404


async def test_resolve_needs_a_note(
    client: TestClient[web.Request, web.Application], runtime: Runtime, cases: dict[str, CaseAssigned]
) -> None:
    headers = await token(runtime)
    [item] = (await (await client.get("/api/v1/escalations?reason=critical", headers=headers)).json())[
        "items"
    ]
    url = f"/api/v1/escalations/{item['id']}/resolve"
    assert (await client.post(url, json={}, headers=headers)).status == 422
    assert (await client.post(url, data="note", headers=headers)).status == 415


async def test_stats_per_factory_and_category(
    client: TestClient[web.Request, web.Application],
    runtime: Runtime,
    cases: dict[str, CaseAssigned],
    clock: FakeClock,
) -> None:
    headers = await token(runtime)
    body = await (await client.get("/api/v1/stats", headers=headers)).json()
    groups = {(g["factory_id"], g["category"]): g for g in body["groups"]}
    gz_wages = groups[("GZ-001", "wages")]
    assert gz_wages["received"] == 1 and gz_wages["disputed"] == 1 and gz_wages["escalated"] == 1
    assert gz_wages["reopened"] == 1  # the worker's NO left the case reopened
    assert gz_wages["acknowledged_on_time_pct"] == 100.0
    sz = groups[("SZ-002", "wages")]
    assert sz["acknowledged_on_time_pct"] == 0.0 and sz["escalated"] == 1
    assert body["total"]["received"] == 3
    since = (clock.now + timedelta(days=1)).date().isoformat()
    later = await (await client.get(f"/api/v1/stats?since={since}", headers=headers)).json()
    assert later["total"]["received"] == 0
    assert (await client.get("/api/v1/stats?since=yesterday", headers=headers)).status == 422


async def test_no_answer_holds_the_contact_or_the_phone_number(
    client: TestClient[web.Request, web.Application],
    runtime: Runtime,
    cases: dict[str, CaseAssigned],
    keys: Keys,
) -> None:
    headers = await token(runtime)
    sealed = {present(c.sealed_contact) for c in cases.values()}
    phones = {WORKER_PHONE, OTHER_WORKER_PHONE, ENGLISH_WORKER_PHONE}
    listed = await (await client.get("/api/v1/escalations?per_page=200", headers=headers)).json()
    answers = [json.dumps(listed, ensure_ascii=False)]
    for item in listed["items"]:
        answers.append(await (await client.get(f"/api/v1/escalations/{item['id']}", headers=headers)).text())
    answers.append(await (await client.get("/api/v1/stats", headers=headers)).text())
    for answer in answers:
        for secret in sealed | phones | {"+8610690000001", "reply_to", "sealed_contact", "reporter_key"}:
            assert secret not in answer
        for phone in phones:
            assert phone.lstrip("+") not in answer


async def test_the_service_reports_health(client: TestClient[web.Request, web.Application]) -> None:
    assert (await client.get("/healthz")).status == 200
    for path in ("/readyz", "/metrics"):  # operational data stays off the public port
        assert (await client.get(path)).status == 404
    async with ops_client(client.app) as ops:
        ready = await ops.get("/readyz")
        assert ready.status == 200 and (await ready.json())["checks"] == {"bus": True, "store": True}


def test_the_consumer_listens_on_the_escalation_queue() -> None:
    assert consumer.QUEUE == "escalation.cases"
