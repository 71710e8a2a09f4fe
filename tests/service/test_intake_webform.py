"""The web form endpoint through a real aiohttp server and the in-memory bus."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.contracts import GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, pin_for, pin_hash, reporter_key, unseal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import WORKER_PHONE, FakeClock, sensitive
from tests.service.intake_support import FailingBus, intake_settings, serve

PATH = "/api/v1/grievances"
ZH_TEXT = sensitive("宿舍没有热水，加班费也没有按时发")
EN_TEXT = sensitive("Overtime has not been paid for two months")
LOCAL_NUMBER = sensitive("13912345678")
KEY = "form-retry-key-0123456789"


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = intake_settings(settings_factory, public_status_url="https://status.example.org/")
    async with serve(settings, runtime) as client:
        yield client


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status
    assert response.content_type == "application/problem+json"
    body: dict[str, Any] = await response.json(content_type=None)
    assert body["status"] == status
    return body


async def test_accepted_with_reference_pin_and_status_url(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys, clock: FakeClock
) -> None:
    response = await client.post(PATH, json={"factory_code": "GZ-001", "text": f" {ZH_TEXT} "})
    assert response.status == 202
    body = await response.json()
    assert set(body) == {"reference", "pin", "status_url"}
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert body["reference"] == event.reference == reference_for(event.grievance_id)
    assert body["pin"] == pin_for(keys, str(event.grievance_id)) and re.fullmatch(r"\d{10}", body["pin"])
    assert body["status_url"] == f"https://status.example.org/case/?ref={event.reference}"
    assert event.pin_hash == pin_hash(keys, event.reference, body["pin"])
    assert (event.channel, event.provider, event.factory_hint) == ("web", "web", "GZ-001")
    assert (event.text, event.language, event.anonymous) == (ZH_TEXT, "zh", True)
    assert event.sealed_contact is None and event.reporter_key is None
    assert event.received_at == clock.now


async def test_contact_is_normalised_sealed_and_never_echoed(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys
) -> None:
    form = {
        "factory_code": "GZ-001",
        "text": EN_TEXT,
        "contact": LOCAL_NUMBER,
        "anonymous": False,
        "language": "zh",
    }
    response = await client.post(PATH, json=form)
    assert response.status == 202
    assert "13912345678" not in await response.text()
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert event.sealed_contact is not None and unseal(keys, event.sealed_contact) == WORKER_PHONE
    assert event.reporter_key == reporter_key(keys, WORKER_PHONE)
    assert event.anonymous is False and event.language == "zh"
    assert "13912345678" not in event.to_json().decode()


async def test_idempotent_retry_gives_the_same_reference_and_pin(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = {"factory_code": "GZ-001", "text": EN_TEXT, "idempotency_key": KEY}
    first = await client.post(PATH, json=form)
    again = await asyncio.gather(*(client.post(PATH, json=form) for _ in range(3)))
    bodies = [await first.json()] + [await r.json() for r in again]
    assert all(r.status == 202 for r in [first, *again])
    assert all(b == bodies[0] for b in bodies)
    assert len(memory_bus.published) == 1
    content = hashlib.sha256(f"GZ-001\x1f{EN_TEXT}".encode()).hexdigest()
    (event,) = memory_bus.published
    assert isinstance(event, GrievanceReceived)
    assert event.grievance_id == grievance_id_for("web", KEY, content)


async def test_without_a_key_each_submission_is_new(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    form = {"factory_code": "GZ-001", "text": EN_TEXT}
    first = await (await client.post(PATH, json=form)).json()
    second = await (await client.post(PATH, json=form)).json()
    assert first["reference"] != second["reference"]
    assert len(memory_bus.published) == 2


async def test_same_key_with_other_content_is_another_grievance(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    first = await (
        await client.post(PATH, json={"factory_code": "GZ-001", "text": "a", "idempotency_key": KEY})
    ).json()
    second = await (
        await client.post(PATH, json={"factory_code": "GZ-001", "text": "b", "idempotency_key": KEY})
    ).json()
    assert first["reference"] != second["reference"]


VALID = {"factory_code": "GZ-001", "text": "hello"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"factory_code": {"$gt": ""}}, "factory_code"),
        ({"factory_code": "GZ 001"}, "factory_code"),
        ({"factory_code": "-GZ"}, "factory_code"),
        ({"factory_code": "G" * 33}, "factory_code"),
        ({"factory_code": 1}, "factory_code"),
        ({"factory_code": None}, "factory_code"),
        ({"text": ""}, "text"),
        ({"text": " \n "}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"text": ["a"]}, "text"),
        ({"text": "\ud800"}, "text"),
        ({"contact": "not a number"}, "contact"),
        ({"contact": "+1"}, "contact"),
        ({"contact": {"$ne": None}}, "contact"),
        ({"anonymous": "yes"}, "anonymous"),
        ({"anonymous": 0}, "anonymous"),
        ({"language": "fr"}, "language"),
        ({"idempotency_key": "short"}, "idempotency_key"),
        ({"idempotency_key": "x" * 15 + "!"}, "idempotency_key"),
        ({"extra": 1}, "extra"),
        ({"$where": "1"}, "$where"),
    ],
)
async def test_invalid_fields_are_422_and_publish_nothing(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    change: dict[str, Any],
    field: str,
) -> None:
    body = await problem(await client.post(PATH, json={**VALID, **change}), 422)
    assert field in {e["field"].split(".")[0] for e in body["errors"]}
    assert memory_bus.published == []


async def test_missing_fields_are_422(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    body = await problem(await client.post(PATH, json={}), 422)
    assert {e["field"] for e in body["errors"]} == {"factory_code", "text"}
    assert memory_bus.published == []


@pytest.mark.parametrize(
    ("headers", "language", "expected"),
    [
        ({}, None, "factory_code is not written as expected (the factory's code from the notice board"),
        ({"Accept-Language": "zh-CN,zh;q=0.9"}, None, "factory_code 的格式不对（工厂公告栏上的工厂编号"),
        ({"Accept-Language": "en-GB"}, "zh", "factory_code 的格式不对"),
    ],
)
async def test_a_worker_is_told_in_plain_words_and_their_language_what_to_write(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    headers: dict[str, str],
    language: str | None,
    expected: str,
) -> None:
    body = {**VALID, "factory_code": "GZ 001", **({"language": language} if language else {})}
    problem_body = await problem(await client.post(PATH, json=body, headers=headers), 422)
    assert problem_body["detail"].startswith(expected)
    assert "GZ-001" in problem_body["detail"] and "pattern" not in json.dumps(problem_body)
    assert memory_bus.published == []


async def test_a_bad_contact_is_explained_in_the_workers_language(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    body = {**VALID, "contact": "12", "language": "zh"}
    problem_body = await problem(await client.post(PATH, json=body), 422)
    assert problem_body["detail"].startswith("contact 不是可以接收短信的手机号码")
    assert memory_bus.published == []


async def test_the_longest_text_is_accepted(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    assert (await client.post(PATH, json={**VALID, "text": "工" * 4000})).status == 202


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"factory_code": "GZ-001", "text": "hi"}', "application/x-www-form-urlencoded", 415),
        (b'{"factory_code": "GZ-001", "text": "hi"}', "text/plain", 415),
        (json.dumps({**VALID, "text": "x" * 70_000}).encode(), "application/json", 413),
        (b'{"factory_code": "GZ-001", "text": "hi"', "application/json", 400),
        (b'{"factory_code": "GZ-001", "text": "\xff"}', "application/json", 400),
        (b'{"factory_code": "GZ-001", "text": "a\\u0000b"}', "application/json", 400),
        (b'{"factory_code": "GZ-001", "text": "a\x00b"}', "application/json", 400),
        (b"[]", "application/json", 422),
        (b"null", "application/json", 422),
        (b"", "application/json", 400),
    ],
)
async def test_hostile_bodies_get_4xx(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    data: bytes,
    content_type: str,
    status: int,
) -> None:
    await problem(await client.post(PATH, data=data, headers={"Content-Type": content_type}), status)
    assert memory_bus.published == []


async def test_broker_down_answers_503_with_retry_after(
    settings_factory: Callable[..., Settings], settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FailingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(intake_settings(settings_factory), runtime) as client:
        form = {**VALID, "idempotency_key": KEY}
        response = await client.post(PATH, json=form)
        answer = await problem(response, 503)
        assert response.headers["Retry-After"]
        assert answer["idempotency_key"] == KEY and "never be filed twice" in answer["detail"]
        chinese = await problem(await client.post(PATH, json={**form, "language": "zh"}), 503)
        assert chinese["idempotency_key"] == KEY and "不会重复登记" in chinese["detail"]
        bus.error = None
        retried = await client.post(PATH, json=form)
        assert retried.status == 202
        assert len(bus.published) == 1
