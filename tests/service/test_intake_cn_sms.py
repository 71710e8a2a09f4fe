"""The Alibaba Cloud and Tencent Cloud SMS uplink webhooks through a real aiohttp server."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from structlog.testing import capture_logs

from services.intake.cn_sms import PUBLISH_BUDGET
from services.intake.cn_sms_store import UPLINKS
from services.intake.spool import SPOOL
from shared.contracts import Event, GrievanceReceived
from shared.memorybus import MemoryBus
from shared.privacy import Keys, reporter_key, unseal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.service.cn_sms_support import (
    ALIYUN_SECRET,
    aliyun_path,
    cn_settings,
    push,
    sms_up,
    tencent_path,
    tencent_reply,
)
from tests.service.intake_support import FAST_RELAY, FailingBus, serve

TEXT = sensitive("GZ-001 这个月的加班费没有发，工资条也没有")
OTHER = sensitive("GZ-001 宿舍的热水器坏了两个星期")
ALIYUN_ACK = {"code": 0, "msg": "接收成功"}
TENCENT_ACK = {"result": 0, "errmsg": "OK"}


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(cn_settings(settings_factory), runtime) as client:
        yield client


def grievances(bus: MemoryBus | FailingBus) -> list[GrievanceReceived]:
    return [e for e in bus.published if isinstance(e, GrievanceReceived)]


async def test_an_aliyun_uplink_pushed_ten_times_is_one_grievance_answered_as_alibaba_expects(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys
) -> None:
    body = [sms_up(WORKER_PHONE, TEXT)]
    for _ in range(10):
        response = await push(client, aliyun_path(), body)
        assert response.status == 200
        assert await response.json() == ALIYUN_ACK
    [event] = grievances(memory_bus)
    assert event.channel == "sms" and event.provider == "aliyun" and event.text == TEXT
    assert event.gateway_number == "aliyun:1234" and event.contact_proven
    assert event.provider_message_id == str(body[0]["sequence_id"])
    assert unseal(keys, event.sealed_contact or "") == WORKER_PHONE
    # The key of a Twilio SMS from the same number: one worker, whichever gateway they write to.
    assert event.reporter_key == reporter_key(keys, WORKER_PHONE)


async def test_a_batch_is_filed_item_by_item_and_a_repeated_batch_files_only_what_is_new(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    first, second = sms_up(WORKER_PHONE, TEXT), sms_up(OTHER_WORKER_PHONE, OTHER)
    assert (await push(client, aliyun_path(), [first])).status == 200
    # Alibaba's retry carries the old item with a new one: two grievances in all.
    assert (await push(client, aliyun_path(), [first, second])).status == 200
    assert [e.text for e in grievances(memory_bus)] == [TEXT, OTHER]
    # The same sequence id from another number is another message.
    third = {**first, "phone_number": OTHER_WORKER_PHONE.removeprefix("+86")}
    assert (await push(client, aliyun_path(), [third])).status == 200
    assert len(grievances(memory_bus)) == 3


async def test_repeats_reaching_another_replica_are_not_published_again(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    """Two intake replicas over one store: the uplink record answers the repeat at the second one."""
    body = [sms_up(WORKER_PHONE, TEXT)]
    settings = cn_settings(settings_factory)
    async with serve(settings, runtime) as one, serve(settings, runtime) as two:
        answers = await asyncio.gather(*(push(c, aliyun_path(), body) for c in (one, two)))
        assert [a.status for a in answers] == [200, 200]
        for _ in range(4):
            for replica in (one, two):
                assert (await push(replica, aliyun_path(), body)).status == 200
    # At most the two first, concurrent, pushes published; the router drops the copy by its id.
    published = grievances(memory_bus)
    assert 1 <= len(published) <= 2 and len({e.grievance_id for e in published}) == 1
    assert await runtime.db[UPLINKS].count_documents({}) == 1


async def test_a_tencent_reply_retried_is_one_grievance_and_another_text_in_the_same_second_is_another(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    reply = tencent_reply(WORKER_PHONE, TEXT)
    for _ in range(3):
        response = await push(client, tencent_path(), reply)
        assert response.status == 200 and await response.json() == TENCENT_ACK
    same_second = {**reply, "text": OTHER}
    assert (await push(client, tencent_path(), same_second)).status == 200
    events = grievances(memory_bus)
    assert [e.text for e in events] == [TEXT, OTHER]
    assert {e.provider for e in events} == {"tencent"} and events[0].gateway_number == "tencent:"


@pytest.mark.parametrize(
    "path",
    [
        aliyun_path("x" * 40),
        aliyun_path(ALIYUN_SECRET[:-1]),
        aliyun_path(ALIYUN_SECRET + "0"),
        tencent_path(ALIYUN_SECRET),
        "/webhooks/aliyun/sms-report/" + "y" * 40,
        "/webhooks/tencent/sms-status/" + "y" * 40,
    ],
)
async def test_a_wrong_secret_is_a_404_and_files_nothing(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, path: str
) -> None:
    with capture_logs() as logs:
        response = await push(client, path, [sms_up(WORKER_PHONE, TEXT)])
    assert response.status == 404
    assert response.content_type == "application/problem+json"
    assert memory_bus.published == []
    assert not any(ALIYUN_SECRET in str(line) for line in logs)


async def test_without_a_secret_configured_the_webhooks_do_not_exist(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(settings_factory(), runtime) as client:
        response = await push(client, aliyun_path(), [sms_up(WORKER_PHONE, TEXT)])
        assert response.status == 404
        assert (await push(client, tencent_path(), tencent_reply(WORKER_PHONE, TEXT))).status == 404
    assert memory_bus.published == []


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"phone_number": "13912345678"},
        [{**sms_up(WORKER_PHONE, TEXT), "sequence_id": "12a"}],
        [sms_up(WORKER_PHONE, TEXT), {"content": "x"}],
        [{**sms_up(WORKER_PHONE, TEXT), "send_time": "yesterday"}],
        [{**sms_up(WORKER_PHONE, TEXT), "phone_number": "1391234567'; drop"}],
    ],
)
async def test_a_malformed_aliyun_push_is_refused_whole(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: Any
) -> None:
    response = await push(client, aliyun_path(), body)
    assert response.status == 400 and response.content_type == "application/problem+json"
    assert memory_bus.published == []


@pytest.mark.parametrize(
    "body",
    [
        [tencent_reply(WORKER_PHONE, TEXT)],
        {**tencent_reply(WORKER_PHONE, TEXT), "time": "now"},
        {**tencent_reply(WORKER_PHONE, TEXT), "time": 1_772_438_400_000},
        {**tencent_reply(WORKER_PHONE, TEXT), "mobile": "+86139"},
    ],
)
async def test_a_malformed_tencent_reply_is_refused(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: Any
) -> None:
    response = await push(client, tencent_path(), body)
    assert response.status == 400
    assert memory_bus.published == []


async def test_non_utf8_and_oversized_bodies_are_refused(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    bad = await client.post(aliyun_path(), data=b"[\xff\xfe]", headers={"Content-Type": "application/json"})
    assert bad.status == 400
    big = await client.post(aliyun_path(), data=io.BytesIO(b"[" + b" " * (2 * 1024 * 1024) + b"]"))
    assert big.status == 413
    assert memory_bus.published == []


async def test_an_empty_text_is_acknowledged_and_files_nothing(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await push(client, aliyun_path(), [sms_up(WORKER_PHONE, "   ")])
    assert response.status == 200 and await response.json() == ALIYUN_ACK
    assert memory_bus.published == []


class SilentBus(MemoryBus):
    """A broker that never confirms: each publish hangs until the bus's own timeout (never, here)."""

    async def publish(self, event: Event) -> None:
        await asyncio.sleep(3600)


async def test_a_broker_that_does_not_confirm_is_spooled_after_the_publish_budget(
    settings_factory: Callable[..., Settings], db: Database, keys: Keys, clock: FakeClock
) -> None:
    """The answer waits for the broker for the budget, then for the spool; bench/deadlines.py says how long."""
    bus = SilentBus()
    runtime = Runtime(settings_factory(), bus, db, keys, clock)
    async with serve(cn_settings(settings_factory), runtime, spool=True, relay=FAST_RELAY) as client:
        body = [sms_up(WORKER_PHONE, TEXT), sms_up(OTHER_WORKER_PHONE, OTHER)]
        started = time.perf_counter()
        response = await push(client, aliyun_path(), body)
        elapsed = time.perf_counter() - started
        assert response.status == 200 and await response.json() == ALIYUN_ACK
        assert elapsed >= PUBLISH_BUDGET  # it gave the broker its chance first
        assert await db[SPOOL].count_documents({}) == 2
        # Alibaba's repeat is answered from the uplink record, without trying the broker again.
        with capture_logs() as logs:
            response = await push(client, aliyun_path(), body)
        assert response.status == 200 and await response.json() == ALIYUN_ACK
        [uplinks] = [line for line in logs if line["event"] == "sms_uplinks"]
        assert (uplinks["repeats"], uplinks["filed"]) == (2, 0)
        assert await db[SPOOL].count_documents({}) == 2


async def test_neither_broker_nor_spool_is_a_503_and_the_retry_files_it_once(
    settings_factory: Callable[..., Settings],
    db: Database,
    keys: Keys,
    clock: FakeClock,
    memory_bus: MemoryBus,
) -> None:
    body = [sms_up(WORKER_PHONE, TEXT)]
    down = Runtime(settings_factory(), FailingBus(), db, keys, clock)
    async with serve(cn_settings(settings_factory), down) as client:  # no spool: the embedded run
        response = await push(client, aliyun_path(), body)
        assert response.status == 503 and response.headers["Retry-After"]
    assert await db[UPLINKS].count_documents({}) == 0
    up = Runtime(settings_factory(), memory_bus, db, keys, clock)
    async with serve(cn_settings(settings_factory), up) as client:
        assert (await push(client, aliyun_path(), body)).status == 200
        assert (await push(client, aliyun_path(), body)).status == 200
    assert len(grievances(memory_bus)) == 1


async def test_the_path_secret_never_reaches_a_log_line(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    with capture_logs() as logs:
        assert (await push(client, aliyun_path(), [sms_up(WORKER_PHONE, TEXT)])).status == 200
    access = [line for line in logs if line["event"] == "http_request"]
    assert [line["path"] for line in access] == ["/webhooks/aliyun/sms/{secret}"]
    assert not any(ALIYUN_SECRET in str(line) or TEXT in str(line) for line in logs)
