"""The RabbitMQ bus against the real broker: topology, confirms, dead letters, outages."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import pytest

from shared.amqp import AmqpBus
from shared.contracts import Event, MessageOutbound
from shared.messaging import PublishError, Rejected, Unroutable
from tests.conftest import FAST_RETRY

pytestmark = pytest.mark.broker


def outbound(text: str = "hello") -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text=text,
        language="en",
        purpose="ack",
    )


@pytest.fixture
async def bus(amqp_url: str, amqp_namespace: str):
    bus = AmqpBus(amqp_url, namespace=amqp_namespace, publish_timeout=3, retry=FAST_RETRY)
    await bus.start()
    assert bus.is_ready()
    yield bus
    await bus.close()


async def test_topology_is_quorum_queues_with_dead_letter_twins(
    bus: AmqpBus, amqp_url: str, amqp_namespace: str
):
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in ("router.grievances", "escalation.cases", "intake.outbound", "notifications.escalations"):
            # Passive declares succeed only for queues that exist.
            await channel.declare_queue(amqp_namespace + name, passive=True)
            await channel.declare_queue(amqp_namespace + name + ".dead", passive=True)
    # Declaring again with the same arguments is idempotent (every service declares at start-up).
    second = AmqpBus(amqp_url, namespace=amqp_namespace, retry=FAST_RETRY)
    await second.start()
    assert second.is_ready()
    await second.close()


async def test_published_event_is_persistent_with_id_type_and_routing_key(
    bus: AmqpBus, amqp_url, amqp_namespace
):
    event = outbound()
    await bus.publish(event)
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(amqp_namespace + "intake.outbound")
        message = await queue.get(timeout=5)
        await message.ack()
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == str(event.id)
    assert message.type == "message.outbound"
    assert message.routing_key == "message.outbound.v1"
    assert message.content_type == "application/json"


async def test_unroutable_publish_raises(bus: AmqpBus):
    class Orphan(Event):
        type = "orphan.event"

    with pytest.raises(Unroutable):
        await bus.publish(Orphan(correlation_id=uuid.uuid4()))


async def test_rejects_dead_letter_and_replay_returns_them(bus: AmqpBus):
    healthy = asyncio.Event()
    seen: list[str] = []

    async def handler(event: Event) -> None:
        assert isinstance(event, MessageOutbound)
        if not healthy.is_set():
            raise Rejected("not yet")
        seen.append(event.text)

    await bus.consume("intake.outbound", handler)
    await bus.publish(outbound("first"))
    for _ in range(100):
        if await bus.dead_letters("intake.outbound"):
            break
        await asyncio.sleep(0.05)
    dead = await bus.dead_letters("intake.outbound")
    assert [d.reason for d in dead] == ["rejected"]
    healthy.set()
    assert await bus.replay("intake.outbound") == 1
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen == ["first"]
    assert await bus.dead_letters("intake.outbound") == []


async def test_unreachable_broker_fails_fast_and_never_hangs(amqp_namespace: str):
    bus = AmqpBus("amqp://guest:guest@127.0.0.1:1/", namespace=amqp_namespace, publish_timeout=0.5)
    started = time.perf_counter()
    await bus.start()
    with pytest.raises(PublishError):
        await bus.publish(outbound())
    assert not bus.is_ready()
    await bus.close()
    assert time.perf_counter() - started < 10
