"""Committees acting on one case at the same time, through the HTTP API, on a store whose calls
interleave as network round trips do: every action lands exactly once, a case that keeps changing
is a 409 the client may retry, and a case written before versions were kept is acted on as usual."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.router.case_store import ATTEMPTS
from shared.contracts import CaseUpdated, Event, MessageOutbound
from shared.memorybus import MemoryBus
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import FakeClock, memory_bus_of
from tests.service.escalation_support import InterleavingDatabase
from tests.service.router_support import (
    DG_NUMBER,
    ContendedDatabase,
    RouterClient,
    bearer,
    committee_tokens,
    grievance,
    serve,
)

# The served router on a store whose calls interleave, the DG-002 wages committee's authorisation
# header, and the API path of the case it holds.
Racing = tuple[RouterClient, dict[str, str], str]


@pytest.fixture
async def racing(
    settings: Settings, db: Any, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> AsyncIterator[Racing]:
    runtime = Runtime(settings, memory_bus, InterleavingDatabase(db, jitter=0.005, seed=11), keys, clock)
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(keys, "工资两个月没发了", to=DG_NUMBER)
        await memory_bus.publish(event)
        await memory_bus.drain()
        yield client, bearer(tokens["dg-002-wages"]), f"/api/v1/cases/{event.reference}"


def distinct(client: RouterClient, kind: type[Event], **fields: str) -> set[uuid.UUID]:
    return {
        e.id
        for e in client.received
        if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
    }


async def test_replies_sent_at_once_all_land_once(racing: Racing, memory_bus: MemoryBus) -> None:
    client, wages, url = racing
    texts = [f"第{i}次答复" for i in range(ATTEMPTS)]
    answers = await asyncio.gather(
        *(client.post(f"{url}/messages", json={"text": t}, headers=wages) for t in texts)
    )
    assert [a.status for a in answers] == [200] * ATTEMPTS
    body = await (await client.get(url, headers=wages)).json()
    assert sorted(m["text"] for m in body["messages"] if m["direction"] == "committee") == sorted(texts)
    assert [t["action"] for t in body["timeline"]].count("replied") == ATTEMPTS
    await memory_bus.drain()
    assert len(distinct(client, CaseUpdated, action="replied")) == ATTEMPTS
    assert len(distinct(client, MessageOutbound, purpose="committee_reply")) == ATTEMPTS


async def test_one_idempotency_key_sent_three_times_at_once_adds_one_message(
    racing: Racing, memory_bus: MemoryBus
) -> None:
    client, wages, url = racing
    headers = {**wages, "Idempotency-Key": "answer-1"}
    answers = await asyncio.gather(
        *(client.post(f"{url}/messages", json={"text": "我们在查"}, headers=headers) for _ in range(3))
    )
    assert [a.status for a in answers] == [200, 200, 200]
    assert len({a.headers["Location"] for a in answers}) == 1
    body = await (await client.get(url, headers=wages)).json()
    assert [m["direction"] for m in body["messages"]] == ["worker", "committee"]
    await memory_bus.drain()
    assert len(distinct(client, CaseUpdated, action="replied")) == 1
    assert len(distinct(client, MessageOutbound, purpose="committee_reply")) == 1


async def test_acknowledging_three_times_at_once_acknowledges_once(
    racing: Racing, memory_bus: MemoryBus
) -> None:
    client, wages, url = racing
    answers = await asyncio.gather(*(client.post(f"{url}/acknowledge", headers=wages) for _ in range(3)))
    assert [a.status for a in answers] == [200, 200, 200]
    assert len({(await a.json())["acknowledged_at"] for a in answers}) == 1
    await memory_bus.drain()
    assert len(distinct(client, CaseUpdated, action="acknowledged")) == 1
    assert len(distinct(client, MessageOutbound, purpose="status")) == 1


async def test_a_case_that_keeps_changing_is_a_409_to_retry(
    settings: Settings, db: Any, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    contended = ContendedDatabase(db)
    runtime = Runtime(settings, memory_bus, contended, keys, clock)
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(keys, "工资没发", to=DG_NUMBER)
        await memory_bus.publish(event)
        await memory_bus.drain()
        wages = bearer(tokens["dg-002-wages"])
        response = await client.post(f"/api/v1/cases/{event.reference}/acknowledge", headers=wages)
        assert response.status == 409 and response.content_type == "application/problem+json"
        assert (await response.json())["detail"] == "the case changed at the same time; retry"
        assert contended.writes_lost == ATTEMPTS
        body = await (await client.get(f"/api/v1/cases/{event.reference}", headers=wages)).json()
        assert body["status"] == "assigned" and body["acknowledged_at"] is None
        await memory_bus.drain()
        assert not [e for e in client.received if isinstance(e, CaseUpdated)]


async def test_a_case_stored_before_versions_is_acted_on_as_usual(runtime: Runtime) -> None:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(runtime.keys, "工资没发", to=DG_NUMBER)
        await runtime.bus.publish(event)
        await memory_bus_of(runtime).drain()
        # As the router stored cases before it kept versions (no other way to have one than to write it).
        await runtime.db["cases"].update_one({"_id": str(event.grievance_id)}, {"$unset": {"version": ""}})
        wages, url = bearer(tokens["dg-002-wages"]), f"/api/v1/cases/{event.reference}"
        assert (await client.post(f"{url}/acknowledge", headers=wages)).status == 200
        resolved = await client.post(f"{url}/resolve", json={"resolution": "下周补发"}, headers=wages)
        assert resolved.status == 200 and (await resolved.json())["status"] == "resolved"
        await memory_bus_of(runtime).drain()
        assert [e.action for e in client.received if isinstance(e, CaseUpdated)] == [
            "acknowledged",
            "resolved",
        ]
