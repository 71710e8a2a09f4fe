"""Hypothesis fuzzing of the committee API, the public status page, the contact confirmation and the
admin API: never a 5xx.

A hostile body or query is a 4xx problem+json; nothing is published, the case is not touched, no
token is issued. Each example goes through the real aiohttp server; the world lives across examples.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st
from yarl import URL

from services.router.admin import AdminParts, create_admin_app
from shared.auth import list_tokens
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from tests.servers import ServiceServer
from tests.service.fuzz_support import CONTENT_TYPES, FUZZ, any_body, hostile_json, odd_query
from tests.service.router_support import GZ_NUMBER, RouterClient, bearer, committee_tokens, grievance, serve

ACTIONS = {
    "acknowledge": [],
    "messages": ["text"],
    "resolve": ["resolution"],
    "recuse": ["reason"],
    "recategorise": ["category", "severity"],
}
actions = st.sampled_from(sorted(ACTIONS))


# The served router, a token for each committee, the NGO and an admin, and a case's reference.
World = tuple[RouterClient, dict[str, str], str]
# The admin API's client and the same tokens.
Admin = tuple[TestClient[web.Request, web.Application], dict[str, str]]


@pytest.fixture
async def world(runtime: Runtime, memory_bus: MemoryBus) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    # Every example comes from one client: the status lookup's per-client limit would answer most of
    # them 429 before their body is read (test_router_status tests the limit).
    settings = runtime.settings.model_copy(update={"status_rate_limit": 10**6})
    async with serve(Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)) as client:
        event = grievance(runtime.keys, "the fire exit is locked at night", to=GZ_NUMBER)
        await runtime.bus.publish(event)
        await memory_bus.drain()
        yield client, tokens, event.reference


async def snapshot(
    client: RouterClient, runtime: Runtime, memory_bus: MemoryBus, reference: str, token: str
) -> tuple[int, int, Any]:
    """What a rejected request must leave as it was: the events, and the case as its committee sees it."""
    case = await client.get(f"/api/v1/cases/{reference}", headers=bearer(token))
    assert case.status == 200
    return len(memory_bus.published), len(client.received), await case.json()


async def assert_problem(response: ClientResponse) -> None:
    assert 400 <= response.status < 500, response.status
    assert response.content_type == "application/problem+json"


@FUZZ
@given(action=actions, data=st.data())
async def test_hostile_bodies_to_committee_actions(
    world: World, runtime: Runtime, memory_bus: MemoryBus, action: str, data: st.DataObject
) -> None:
    client, tokens, reference = world
    body = data.draw(hostile_json(ACTIONS[action] or ["text"]))
    token = tokens["gz-001-spt"]
    before = await snapshot(client, runtime, memory_bus, reference, token)
    response = await client.post(
        f"/api/v1/cases/{reference}/{action}",
        data=body,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    if action == "acknowledge":  # it reads no body: the hostile one is never parsed
        assert response.status < 500
        return
    await assert_problem(response)
    assert await snapshot(client, runtime, memory_bus, reference, token) == before


@FUZZ
@given(action=actions, body=any_body, content_type=CONTENT_TYPES)
async def test_random_bytes_to_committee_actions(
    world: World, runtime: Runtime, memory_bus: MemoryBus, action: str, body: bytes, content_type: str
) -> None:
    client, tokens, reference = world
    token = tokens["gz-001-spt"]
    before = await snapshot(client, runtime, memory_bus, reference, token)
    response = await client.post(
        f"/api/v1/cases/{reference}/{action}",
        data=body,
        headers={**bearer(token), "Content-Type": content_type},
    )
    assert response.status < 500
    if action != "acknowledge":
        await assert_problem(response)
        assert await snapshot(client, runtime, memory_bus, reference, token) == before


@FUZZ
@given(query=odd_query(["status", "page", "per_page"]))
async def test_odd_queries_to_the_case_list(world: World, memory_bus: MemoryBus, query: str) -> None:
    client, tokens, _ = world
    before = len(memory_bus.published)
    response = await client.get(
        URL(f"/api/v1/cases?{query}", encoded=True), headers=bearer(tokens["gz-001-spt"])
    )
    assert response.status < 500
    assert len(memory_bus.published) == before


@FUZZ
@given(
    body=st.one_of(any_body, hostile_json(["pin", "language"])),
    content_type=CONTENT_TYPES,
    query=odd_query(["pin"]),
    reference=st.sampled_from(["{ref}", "abcde-fghjk", "%ff%fe", "%00", "x" * 600, "..%2f..", "%ed%a0%80"]),
)
async def test_odd_requests_to_the_public_status(
    world: World, memory_bus: MemoryBus, body: bytes, content_type: str, query: str, reference: str
) -> None:
    client, _, own = world
    before = len(memory_bus.published)
    path = f"/api/v1/status/{reference.format(ref=own)}?{query}"
    response = await client.post(URL(path, encoded=True), data=body, headers={"Content-Type": content_type})
    assert response.status < 500
    if response.status != 200:
        assert response.content_type == "application/problem+json"
    assert len(memory_bus.published) == before


@pytest.fixture
async def admin(runtime: Runtime) -> AsyncIterator[Admin]:
    tokens = await committee_tokens(runtime)
    async with TestClient(
        ServiceServer(create_admin_app(AdminParts(runtime.db, runtime.bus, runtime.clock)))
    ) as client:
        yield client, tokens


@FUZZ
@given(data=st.data(), content_type=CONTENT_TYPES)
async def test_hostile_bodies_to_the_admin_api(
    admin: Admin, runtime: Runtime, memory_bus: MemoryBus, data: st.DataObject, content_type: str
) -> None:
    client, tokens = admin
    path, fields = data.draw(
        st.sampled_from(
            [
                ("/admin/v1/tokens", ["role", "committee_id", "factories", "label"]),
                ("/admin/v1/dlq/router.grievances/replay", ["limit"]),
            ]
        )
    )
    hostile = data.draw(st.booleans())
    body = data.draw(hostile_json(fields) if hostile else st.binary(max_size=200))
    issued, published = len(await list_tokens(runtime.db)), len(memory_bus.published)
    response = await client.post(
        path, data=body, headers={**bearer(tokens["admin"]), "Content-Type": content_type}
    )
    assert response.status < 500
    if hostile:  # random bytes may happen to be an empty body, which asks to replay everything
        await assert_problem(response)
    assert len(await list_tokens(runtime.db)) == issued
    assert len(memory_bus.published) == published


@FUZZ
@given(query=odd_query(["limit"]), queue=st.sampled_from(["router.grievances", "%ff", "x" * 500, "%00"]))
async def test_odd_queries_to_the_admin_api(
    admin: Admin, memory_bus: MemoryBus, query: str, queue: str
) -> None:
    client, tokens = admin
    before = len(memory_bus.published)
    for method, path in (
        ("GET", f"/admin/v1/dlq/{queue}?{query}"),
        ("DELETE", f"/admin/v1/tokens/{queue}?{query}"),
    ):
        response = await client.request(method, URL(path, encoded=True), headers=bearer(tokens["admin"]))
        assert response.status < 500
    assert len(memory_bus.published) == before


HOSTILE_YAML = [
    "[" * 3_000 + "]" * 3_000,
    "factories:\n- code: " + "9" * 5_000 + "\n",
    "factories: 2001-02-30\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nfactories: [*b, *b]\n",
]


async def test_hostile_yaml_to_the_registry(admin: Admin) -> None:
    client, tokens = admin
    for body in HOSTILE_YAML:
        response = await client.post(
            "/admin/v1/registry",
            data=body.encode(),
            headers={**bearer(tokens["admin"]), "Content-Type": "application/yaml"},
        )
        await assert_problem(response)


@FUZZ
@given(data=st.data(), content_type=CONTENT_TYPES)
async def test_hostile_bodies_to_the_contact_confirmation(
    world: World, memory_bus: MemoryBus, data: st.DataObject, content_type: str
) -> None:
    client, _, _ = world
    body = data.draw(st.one_of(hostile_json(["reference", "code", "language"]), any_body))
    published = len(memory_bus.published)
    response = await client.post("/api/v1/contact/confirm", data=body, headers={"Content-Type": content_type})
    await assert_problem(response)
    assert len(memory_bus.published) == published
