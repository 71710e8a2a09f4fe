"""Twilio delivery reports: verified, stored on the outbound message, out-of-order tolerant, and
announced (``message.delivery``) only when they move the message's state on."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake import store
from shared.contracts import MessageDeliveryChanged, MessageOutbound
from shared.memorybus import MemoryBus
from shared.privacy import Keys, seal
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_PHONE
from tests.polling import eventually
from tests.service.intake_support import (
    OUTBOUND_ACCOUNT_SID,
    FakeTwilio,
    intake_settings,
    post_sms,
    serve,
)

STATUS_PATH = "/webhooks/twilio/status"


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime, twilio: FakeTwilio
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = intake_settings(
        settings_factory, twilio_account_sid=OUTBOUND_ACCOUNT_SID, twilio_api_base=twilio.base_url
    )
    async with serve(settings, runtime) as client:
        yield client


async def sent_message(memory_bus: MemoryBus, runtime: Runtime, keys: Keys) -> tuple[MessageOutbound, str]:
    event = MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=seal(keys, WORKER_PHONE),
        text="Your case was acknowledged.",
        language="en",
        reference="ABCDE-FGHJK",
        case_id=str(uuid.uuid4()),
        purpose="ack",
        gateway_number="+8610690000001",
    )
    await memory_bus.publish(event)
    await memory_bus.drain()
    document = await store.outbound_for_event(runtime.db, str(event.id))
    assert document is not None and document["status"] == "sent"
    assert await announced(memory_bus, runtime) == [("sent", None)]
    return event, document["provider_sids"][0]


def report(sid: str, status: str, **extra: str) -> list[tuple[str, str]]:
    return [
        ("AccountSid", OUTBOUND_ACCOUNT_SID),
        ("MessageSid", sid),
        ("SmsSid", sid),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("To", WORKER_PHONE),
        ("From", "+8610690000001"),
        ("ApiVersion", "2010-04-01"),
        *extra.items(),
    ]


async def delivery(runtime: Runtime, event: MessageOutbound) -> dict[str, Any]:
    document = await store.outbound_for_event(runtime.db, str(event.id))
    assert document is not None
    return document


async def announced(memory_bus: MemoryBus, runtime: Runtime) -> list[tuple[str, str | None]]:
    """The states announced so far, once the announcer has nothing left to look at."""

    async def settled() -> bool:
        return not await store.to_announce(runtime.db, 1)

    await eventually(settled)
    return [(e.state, e.error_code) for e in memory_bus.published if isinstance(e, MessageDeliveryChanged)]


async def test_reports_are_recorded_and_never_go_backwards(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, runtime: Runtime, keys: Keys
) -> None:
    event, sid = await sent_message(memory_bus, runtime, keys)
    for status in ("sent", "delivered", "sent", "queued"):
        response = await post_sms(client, report(sid, status), STATUS_PATH)
        assert response.status == 204
    document = await delivery(runtime, event)
    assert document["delivery_status"] == "delivered"
    assert document["delivery"] == {sid: "delivered"}
    assert document["status"] == "sent"
    # intake's own "sent", then the report that moved it on; the later, earlier reports say nothing
    assert await announced(memory_bus, runtime) == [("sent", None), ("delivered", None)]


async def test_failed_delivery_keeps_the_error_code(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, runtime: Runtime, keys: Keys
) -> None:
    event, sid = await sent_message(memory_bus, runtime, keys)
    response = await post_sms(client, report(sid, "undelivered", ErrorCode="30003"), STATUS_PATH)
    assert response.status == 204
    document = await delivery(runtime, event)
    assert (document["delivery_status"], document["delivery_error_code"]) == ("undelivered", "30003")
    assert (await announced(memory_bus, runtime))[-1] == ("undelivered", "30003")


async def test_unknown_sid_is_acknowledged(client: TestClient[web.Request, web.Application]) -> None:
    response = await post_sms(client, report("SM" + "0" * 32, "delivered"), STATUS_PATH)
    assert response.status == 204


async def test_wrong_signature_is_forbidden(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, runtime: Runtime, keys: Keys
) -> None:
    event, sid = await sent_message(memory_bus, runtime, keys)
    response = await post_sms(client, report(sid, "delivered"), STATUS_PATH, token="not-the-token")
    assert response.status == 403
    assert "delivery_status" not in await delivery(runtime, event)


@pytest.mark.parametrize(
    "pairs",
    [
        report("SM123", "delivered"),
        report("SM" + "0" * 32, "exploded"),
        report("SM" + "0" * 32, "delivered", ErrorCode="$gt"),
        [("MessageStatus", "delivered")],
    ],
)
async def test_invalid_reports_are_422(
    client: TestClient[web.Request, web.Application], pairs: list[tuple[str, str]]
) -> None:
    response = await post_sms(client, pairs, STATUS_PATH)
    assert response.status == 422
    assert response.content_type == "application/problem+json"


async def test_hostile_bodies_get_4xx(client: TestClient[web.Request, web.Application]) -> None:
    response = await client.post(
        STATUS_PATH, data=b"\xff", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 400
    response = await client.post(STATUS_PATH, data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status == 415
