"""Intake against the real RabbitMQ: confirmed, persistent, routed events, and 503 when it cannot be."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Callable

import aio_pika
import pytest

from shared.bootstrap import open_runtime
from shared.privacy import Keys
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import FakeClock, sensitive
from tests.servers import ops_client
from tests.service.intake_support import intake_settings, post_sms, serve, sms_form

pytestmark = pytest.mark.broker

TEXT = sensitive("车间的安全出口每天晚上都锁着")


async def queued_messages(amqp_url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        live = await channel.get_queue(queue, ensure=True)
        messages = []
        while (message := await live.get(no_ack=True, fail=False)) is not None:
            messages.append(message)
        return messages


async def test_webhook_event_lands_persistent_and_routed(
    amqp_settings: Settings, amqp_url: str, keys: Keys, settings_factory: Callable[..., Settings]
) -> None:
    settings = intake_settings(
        settings_factory, amqp_url=amqp_settings.amqp_url, amqp_namespace=amqp_settings.amqp_namespace
    )
    async with open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime:
        assert runtime.bus.is_ready()
        async with serve(settings, runtime) as client:
            form = sms_form(TEXT)
            statuses = [(await post_sms(client, form)).status for _ in range(3)]
            assert statuses == [200, 200, 200]
            web = await client.post(
                "/api/v1/grievances", json={"factory_code": "GZ-001", "text": "hello web"}
            )
            assert web.status == 202
            reference = (await web.json())["reference"]
    messages = await queued_messages(amqp_url, amqp_settings.amqp_namespace + "router.grievances")
    assert len(messages) == 2  # the resent webhook was published once
    for message in messages:
        body = json.loads(message.body)
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.routing_key == "grievance.received.v1"
        assert message.exchange == amqp_settings.amqp_namespace + "grievances"
        assert message.message_id == body["id"]
        assert message.type == "grievance.received"
        assert message.content_type == "application/json"
    assert {json.loads(m.body)["channel"] for m in messages} == {"sms", "web"}
    assert reference in {json.loads(m.body)["reference"] for m in messages}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_broker_answers_503_quickly(
    settings_factory: Callable[..., Settings], keys: Keys, amqp_url: str
) -> None:
    settings = intake_settings(
        settings_factory, amqp_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/", amqp_publish_timeout=0.3
    )
    runtime_context = open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys)
    async with runtime_context as runtime, serve(settings, runtime) as client:
        async with asyncio.timeout(5):  # a hang guard, not a speed measurement
            response = await post_sms(client, sms_form(TEXT))
            web = await client.post(
                "/api/v1/grievances", json={"factory_code": "GZ-001", "text": "hello web"}
            )
        for answer in (response, web):
            assert answer.status == 503
            assert answer.content_type == "application/problem+json"
            assert int(answer.headers["Retry-After"]) > 0
        async with ops_client(client.app) as ops:
            assert (await ops.get("/readyz")).status == 503


async def test_unroutable_publish_is_never_200(
    amqp_settings: Settings, amqp_url: str, keys: Keys, settings_factory: Callable[..., Settings]
) -> None:
    settings = intake_settings(
        settings_factory, amqp_url=amqp_settings.amqp_url, amqp_namespace=amqp_settings.amqp_namespace
    )
    async with open_runtime(settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(amqp_settings.amqp_namespace + "router.grievances")
        async with serve(settings, runtime) as client:
            response = await post_sms(client, sms_form(TEXT))
            assert response.status == 503
            assert response.headers["Retry-After"]
            key = uuid.uuid4().hex
            web = await client.post(
                "/api/v1/grievances", json={"factory_code": "GZ-001", "text": "hi", "idempotency_key": key}
            )
            assert web.status == 503
