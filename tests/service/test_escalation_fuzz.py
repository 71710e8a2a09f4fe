"""Hypothesis fuzzing of the NGO API and the statistics: never a 5xx; a hostile body to any action is a
4xx problem+json, and nothing is published or changed.

Each example goes through the real aiohttp server, against one critical case's open escalation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from services.escalation.app import create_app
from shared.auth import issue_token
from shared.memorybus import MemoryBus
from shared.privacy import Keys
from shared.runtime import Runtime
from tests.fakes import FakeClock, memory_bus_of
from tests.servers import ServiceServer
from tests.service.escalation_support import assigned, consume_downstream
from tests.service.fuzz_support import CONTENT_TYPES, FUZZ, hostile_json, odd_query

# A client of the service, an NGO's headers, and the id of the case's open escalation.
World = tuple[TestClient[web.Request, web.Application], dict[str, str], str]


@pytest.fixture
async def world(runtime: Runtime, clock: FakeClock, keys: Keys) -> AsyncIterator[World]:
    await consume_downstream(runtime.bus)
    token, _ = await issue_token(runtime.db, "ngo")
    async with TestClient(ServiceServer(create_app(runtime.settings, runtime))) as client:
        await runtime.bus.publish(
            assigned(clock.now, keys=keys, severity="critical", category="health_safety")
        )
        await memory_bus_of(runtime).drain()
        headers = {"Authorization": f"Bearer {token}"}
        listed = await (await client.get("/api/v1/escalations", headers=headers)).json()
        assert len(listed["items"]) == 1
        yield client, headers, listed["items"][0]["id"]


async def snapshot(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    headers: dict[str, str],
    escalation: str,
) -> tuple[int, Any]:
    response = await client.get(f"/api/v1/escalations/{escalation}", headers=headers)
    assert response.status == 200
    return len(memory_bus.published), await response.json()


# Every NGO action that takes a body, with the fields its body has; acknowledge reads none.
ACTIONS = {
    "acknowledge": [],
    "close": ["outcome"],
    "messages": ["text"],
    "resolve": ["note"],
    "transfer": ["committee_id"],
}
BODY_ACTIONS = sorted(action for action, fields in ACTIONS.items() if fields)


@pytest.mark.parametrize("action", BODY_ACTIONS)
@FUZZ
@given(data=st.data(), content_type=CONTENT_TYPES)
async def test_hostile_bodies_to_actions(
    world: World, memory_bus: MemoryBus, action: str, data: st.DataObject, content_type: str
) -> None:
    client, headers, escalation = world
    body = data.draw(st.one_of(hostile_json(ACTIONS[action]), st.binary(max_size=200)))
    before = await snapshot(client, memory_bus, headers, escalation)
    response = await client.post(
        f"/api/v1/escalations/{escalation}/{action}",
        data=body,
        headers={**headers, "Content-Type": content_type},
    )
    assert 400 <= response.status < 500, response.status
    assert response.content_type == "application/problem+json"
    assert await snapshot(client, memory_bus, headers, escalation) == before


@FUZZ
@given(data=st.data(), content_type=CONTENT_TYPES)
async def test_hostile_bodies_to_acknowledge_are_never_read(
    world: World, memory_bus: MemoryBus, data: st.DataObject, content_type: str
) -> None:
    """Acknowledging reads no body: whatever comes with it, the answer is the acknowledgement's."""
    client, headers, escalation = world
    body = data.draw(st.one_of(hostile_json(["note"]), st.binary(max_size=200)))
    published = len(memory_bus.published)
    response = await client.post(
        f"/api/v1/escalations/{escalation}/acknowledge",
        data=body,
        headers={**headers, "Content-Type": content_type},
    )
    assert response.status == 200, response.status
    assert (await response.json())["status"] == "acknowledged"
    assert len(memory_bus.published) == published  # the NGO's own record: nothing for the router


@FUZZ
@given(
    path=st.sampled_from(["/api/v1/escalations", "/api/v1/stats"]),
    query=odd_query(["status", "factory", "reason", "page", "per_page", "since"]),
)
async def test_odd_queries(world: World, memory_bus: MemoryBus, path: str, query: str) -> None:
    client, headers, _ = world
    before = len(memory_bus.published)
    response = await client.get(URL(f"{path}?{query}", encoded=True), headers=headers)
    assert response.status < 500
    if response.status != 200:
        assert response.content_type == "application/problem+json"
    assert len(memory_bus.published) == before


@FUZZ
@given(
    since=st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda at: at.isoformat()),
        st.dates().map(lambda day: day.isoformat()),
        st.sampled_from(
            ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59", "0001-01-01", "9999-12-31"]
        ),
    )
)
async def test_any_since_is_an_answer_or_a_plain_422(world: World, since: str) -> None:
    client, headers, _ = world
    response = await client.get("/api/v1/stats", params={"since": since}, headers=headers)
    if response.status == 200:
        assert (await response.json())["since"] is not None
        return
    assert response.status == 422
    problem = await response.json(content_type="application/problem+json")
    assert problem["errors"][0]["field"] == "since"
    assert problem["detail"] in (
        "since must be a date like 2026-11-01 or 2026-11-01T08:00:00+08:00.",
        "since must be at least 1970-01-01.",
        "since must be at most 9998-12-31.",
    )


@pytest.mark.parametrize(
    ("since", "detail"),
    [
        ("0001-01-01T00:00:00+01:00", "since must be at least 1970-01-01."),
        ("9999-12-31T23:59:59-23:59", "since must be at most 9998-12-31."),
        ("yesterday", "since must be a date like 2026-11-01 or 2026-11-01T08:00:00+08:00."),
        ("2026-11-01T08:00", "since must be a date like 2026-11-01 or 2026-11-01T08:00:00+08:00."),
        ("1700000000", "since must be a date like 2026-11-01 or 2026-11-01T08:00:00+08:00."),
    ],
)
async def test_a_since_past_the_calendar_is_a_plain_422(world: World, since: str, detail: str) -> None:
    client, headers, _ = world
    response = await client.get("/api/v1/stats", params={"since": since}, headers=headers)
    assert response.status == 422
    assert (await response.json(content_type="application/problem+json"))["detail"] == detail


async def test_since_takes_a_date_or_an_instant_with_its_offset(world: World) -> None:
    client, headers, _ = world
    for since, expected in [
        ("2026-11-01", "2026-11-01T00:00:00+00:00"),
        ("2026-11-01T08:00:00+08:00", "2026-11-01T00:00:00+00:00"),
        ("2026-11-01T08:00Z", "2026-11-01T08:00:00+00:00"),
    ]:
        response = await client.get("/api/v1/stats", params={"since": since}, headers=headers)
        assert response.status == 200
        assert (await response.json())["since"] == expected
