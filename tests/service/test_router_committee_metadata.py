"""What a committee sees of when and how the worker wrote: rounded times, no channel or language,
delivery states without times; the NGO's API keeps the exact detail."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import ValidationError

from services.escalation.app import create_app as escalation_app
from services.router.app import create_app as router_app
from services.router.views import rounded
from shared.contracts import GrievanceReceived
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import to_ms
from tests.fakes import WORKER_PHONE, FakeClock, memory_bus_of
from tests.servers import ServiceServer
from tests.service.escalation_support import consume_downstream
from tests.service.router_support import GZ_NUMBER, bearer, committee_tokens, grievance

RECEIVED = datetime(2026, 3, 2, 8, 37, 12, 345000, tzinfo=UTC)
MESSAGE_KEYS = {"id", "direction", "text", "at", "purpose"}


def iso(value: datetime) -> str:
    return value.isoformat()


class World:
    def __init__(
        self,
        runtime: Runtime,
        router: TestClient[web.Request, web.Application],
        ngo: TestClient[web.Request, web.Application],
        tokens: dict[str, str],
    ) -> None:
        self.runtime, self.router, self.ngo, self.tokens = runtime, router, ngo, tokens

    async def report(self, text: str, *, at: datetime) -> GrievanceReceived:
        event = grievance(self.runtime.keys, text, to=GZ_NUMBER, phone=WORKER_PHONE, received_at=at)
        await self.runtime.bus.publish(event)
        await memory_bus_of(self.runtime).drain()
        return event

    async def committee(self, path: str, method: str = "GET", **kwargs: Any) -> Any:
        headers = bearer(self.tokens["gz-001-spt"])
        response = await self.router.request(method, path, headers=headers, **kwargs)
        assert response.status == 200, await response.text()
        await memory_bus_of(self.runtime).drain()
        return await response.json()


async def serve_world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    await consume_downstream(runtime.bus)
    router = TestClient(ServiceServer(router_app(runtime.settings, runtime)))
    ngo = TestClient(ServiceServer(escalation_app(runtime.settings, runtime)))
    async with router, ngo:
        yield World(runtime, router, ngo, tokens)


@pytest.fixture
async def world(runtime: Runtime, clock: FakeClock) -> AsyncIterator[World]:
    clock.now = RECEIVED + timedelta(seconds=2)  # the router writes the case two seconds later
    async for world in serve_world(runtime):
        yield world


async def test_committee_answers_round_the_workers_times_and_name_no_channel_or_language(
    world: World, clock: FakeClock
) -> None:
    event = await world.report("安全出口被锁了", at=RECEIVED)  # critical: acknowledge within 2 hours
    listed = await world.committee("/api/v1/cases")
    (item,) = listed["items"]
    assert "channel" not in item and "language" not in item
    assert item["received_at"] == "2026-03-02T08:00:00+00:00"
    assert item["created_at"] == "2026-03-02T08:00:00+00:00"
    # The deadlines count from the worker's message, so they are rounded too (never later).
    assert item["ack_due_at"] == "2026-03-02T10:00:00+00:00"
    assert item["resolve_due_at"] == "2026-03-05T08:00:00+00:00"

    clock.advance(minutes=5)
    acknowledged = await world.committee(f"/api/v1/cases/{event.reference}/acknowledge", "POST")
    # The committee's own action keeps its exact time.
    assert acknowledged["acknowledged_at"] == iso(to_ms(clock.now))
    clock.advance(minutes=1)
    replied = await world.committee(
        f"/api/v1/cases/{event.reference}/messages", "POST", json={"text": "我们今天去开锁"}
    )
    clock.advance(minutes=14)
    await world.report("锁还没开", at=RECEIVED + timedelta(minutes=20, seconds=5))  # a follow-up, 08:57

    case = await world.committee(f"/api/v1/cases/{event.reference}")
    assert "channel" not in case and "language" not in case
    assert case["received_at"] == "2026-03-02T08:00:00+00:00"
    worker = [m for m in case["messages"] if m["direction"] == "worker"]
    assert [m["at"] for m in worker] == ["2026-03-02T08:00:00+00:00"] * 2
    assert all(set(m) == MESSAGE_KEYS for m in worker)
    (reply,) = [m for m in case["messages"] if m["direction"] == "committee"]
    # A delivery state and its reason, and no time of delivery: when the phone got it says when the
    # worker had it.
    assert set(reply) == MESSAGE_KEYS | {"delivery_status", "delivery_reason"}
    assert (reply["delivery_status"], reply["delivery_reason"]) == ("pending", None)
    assert reply == next(m for m in replied["messages"] if m["direction"] == "committee")
    assert reply["at"] == iso(to_ms(RECEIVED + timedelta(seconds=2, minutes=6)))
    timeline = {t["action"]: t for t in case["timeline"]}
    assert timeline["assigned"]["at"] == "2026-03-02T08:00:00+00:00"  # the system, when the worker wrote
    assert timeline["worker_replied"]["at"] == "2026-03-02T08:00:00+00:00"
    assert timeline["acknowledged"]["at"] == acknowledged["acknowledged_at"]

    # The NGO keeps the detail: the language and the exact deadlines.
    headers = bearer(world.tokens["ngo"])
    found = await (await world.ngo.get("/api/v1/escalations", headers=headers)).json()
    (escalation,) = [e for e in found["items"] if e["reference"] == event.reference]
    detail = await (await world.ngo.get(f"/api/v1/escalations/{escalation['id']}", headers=headers)).json()
    assert detail["language"] == "zh"
    exact_due = datetime.fromisoformat(detail["deadlines"]["ack_due_at"])
    assert exact_due == to_ms(RECEIVED + timedelta(hours=2))


async def test_day_rounding_shows_the_day_only(
    runtime: Runtime, settings_factory: Callable[..., Settings], clock: FakeClock
) -> None:
    clock.now = RECEIVED
    settings = settings_factory(committee_time_rounding="day")
    daily = Runtime(settings, runtime.bus, runtime.db, runtime.keys, clock)
    async for world in serve_world(daily):
        event = await world.report("安全出口被锁了", at=RECEIVED)
        case = await world.committee(f"/api/v1/cases/{event.reference}")
        assert case["received_at"] == case["ack_due_at"] == "2026-03-02T00:00:00+00:00"
        assert case["resolve_due_at"] == "2026-03-05T00:00:00+00:00"
        assert {m["at"] for m in case["messages"]} == {"2026-03-02T00:00:00+00:00"}


def test_rounding_is_never_later_and_keeps_the_hour_or_the_day() -> None:
    for minutes in (0, 1, 59, 60, 61, 1439):
        value = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=minutes, microseconds=7)
        hour, day = rounded(value, "hour"), rounded(value, "day")
        assert hour <= value < hour + timedelta(hours=1)
        assert day <= hour and day.date() == value.date() and day.hour == day.minute == 0


def test_the_rounding_setting_takes_hour_or_day_only() -> None:
    assert Settings().committee_time_rounding == "hour"
    assert Settings(committee_time_rounding="day").committee_time_rounding == "day"
    with pytest.raises(ValidationError):
        Settings(committee_time_rounding="minute")
