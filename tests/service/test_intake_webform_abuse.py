"""The web form against abuse: contacts that are not mobile numbers, factory codes the registry does
not know, and limits per client and per contact counted in the store (so replicas share them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from shared.memorybus import MemoryBus
from shared.ratestore import Limit, RateStore
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import sensitive
from tests.service.intake_support import intake_settings, serve

PATH = "/api/v1/grievances"
FORM = {"factory_code": "GZ-001", "text": "加班费没有发"}


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    return body


@pytest.mark.parametrize(
    "contact",
    [
        "12345",  # short
        "1391234",  # too short for a mobile
        "110",  # an emergency short number
        "+19005550123",  # premium rate
        "+8610690000001",  # a gateway (SMS service) number, not a mobile
        "010-12345678",  # a Beijing fixed line
        "+8614012345678",  # a data-only range
        "+8613912345678901",  # too long
    ],
)
async def test_a_contact_that_is_no_mobile_number_is_refused_in_the_workers_language(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus, contact: str
) -> None:
    sensitive(contact)
    async with serve(intake_settings(settings_factory), runtime) as client:
        zh = await problem(await client.post(PATH, json={**FORM, "contact": contact}), 422)
        assert zh["errors"][0]["field"] == "contact" and "手机号码" in zh["detail"]
        en_form = {**FORM, "text": "no overtime pay", "contact": contact}
        en = await problem(await client.post(PATH, json=en_form), 422)
        assert "mobile number" in en["detail"] and contact not in str(en).replace("13912345678", "")
    assert memory_bus.published == []


@pytest.mark.parametrize(
    "contact", ["13912345678", "+86 139 1234 5678", "0086-139-1234-5678", "+85291234567"]
)
async def test_mobile_numbers_are_taken(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus, contact: str
) -> None:
    sensitive(contact)
    async with serve(intake_settings(settings_factory), runtime) as client:
        assert (await client.post(PATH, json={**FORM, "contact": contact})).status == 202
    assert len(memory_bus.published) == 1


async def test_an_unknown_factory_code_is_told_to_the_worker(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(intake_settings(settings_factory), runtime) as client:
        zh = await problem(await client.post(PATH, json={**FORM, "factory_code": "GZ-999"}), 422)
        assert zh["errors"] == [{"field": "factory_code", "message": zh["detail"]}]
        assert "没有这个工厂编号" in zh["detail"]
        en = await problem(
            await client.post(PATH, json={"factory_code": "GZ-999", "text": "no overtime pay"}), 422
        )
        assert "no factory with this code" in en["detail"]
        assert memory_bus.published == []
        # Codes are matched as the router matches them: case-insensitively.
        assert (await client.post(PATH, json={**FORM, "factory_code": "gz-001"})).status == 202


async def test_each_client_has_a_limit_of_its_own_behind_the_proxy(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    settings = intake_settings(settings_factory, trusted_proxies="127.0.0.1", webform_client_limit=3)
    async with serve(settings, runtime) as client:
        one = {"X-Forwarded-For": "203.0.113.5"}
        statuses = [(await client.post(PATH, json=FORM, headers=one)).status for _ in range(4)]
        assert statuses == [202, 202, 202, 429]
        limited = await client.post(PATH, json=FORM, headers={**one, "Accept-Language": "zh-CN"})
        body = await problem(limited, 429)
        assert int(limited.headers["Retry-After"]) >= 1 and "提交太频繁" in body["detail"]
        other = {"X-Forwarded-For": "203.0.113.6"}
        assert (await client.post(PATH, json=FORM, headers=other)).status == 202
    assert len(memory_bus.published) == 4


async def test_a_contact_is_limited_whichever_client_sends_it_and_on_every_replica(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    contact = sensitive("13912345670")
    settings = intake_settings(settings_factory, trusted_proxies="127.0.0.1", webform_contact_limit=2)
    form = {**FORM, "contact": contact}
    async with serve(settings, runtime) as first, serve(settings, runtime) as second:
        sent = [
            await first.post(PATH, json=form, headers={"X-Forwarded-For": "203.0.113.7"}),
            await second.post(PATH, json=form, headers={"X-Forwarded-For": "203.0.113.8"}),
            await second.post(PATH, json=form, headers={"X-Forwarded-For": "203.0.113.9"}),
        ]
        assert [response.status for response in sent] == [202, 202, 429]
        # Another number from the same client is not held back.
        other = {**FORM, "contact": sensitive("13912345671")}
        assert (await first.post(PATH, json=other, headers={"X-Forwarded-For": "203.0.113.9"})).status == 202
    assert len(memory_bus.published) == 3


async def test_the_limits_are_counted_in_the_store_by_window(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    settings = intake_settings(settings_factory, webform_client_limit=1)
    async with serve(settings, runtime) as client:
        assert (await client.post(PATH, json=FORM)).status == 202
        assert (await client.post(PATH, json=FORM)).status == 429
        runtime.clock.advance(hours=1)  # type: ignore[attr-defined]
        assert (await client.post(PATH, json=FORM)).status == 202
    counters = [doc async for doc in runtime.db["intake_rate"].find({})]
    assert counters and all("127.0.0.1" not in doc["_id"] for doc in counters)


async def test_a_forwarded_header_from_an_untrusted_peer_is_not_a_new_client(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    settings = intake_settings(settings_factory, webform_client_limit=2)  # no trusted proxy
    async with serve(settings, runtime) as client:
        statuses = [
            (await client.post(PATH, json=FORM, headers={"X-Forwarded-For": f"203.0.113.{n}"})).status
            for n in range(3)
        ]
        assert statuses == [202, 202, 429]


async def test_a_counter_that_does_not_answer_in_time_does_not_hold_a_grievance_up(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many hits on one counter queue up on a loaded store: past the bound the form goes on uncounted."""

    async def slow(self: RateStore, limit: Limit, key: str) -> int | None:
        await asyncio.sleep(30)
        return None

    monkeypatch.setattr(RateStore, "hit", slow)
    async with serve(intake_settings(settings_factory), runtime) as client:
        async with asyncio.timeout(5):  # two counters, each given up after COUNT_BOUND
            response = await client.post(PATH, json={**FORM, "contact": "13912345678"})
        assert response.status == 202
    assert len(memory_bus.published) == 1
