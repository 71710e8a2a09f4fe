"""The RabbitMQ bus against the real broker: topology, confirms, dead letters, outages."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Literal

import aio_pika
import aiormq
import pytest
from aiormq.exceptions import ChannelNotFoundEntity
from structlog.testing import capture_logs

from shared import coalesced_publish
from shared.amqp import AmqpBus
from shared.bootstrap import Service, open_runtime
from shared.contracts import Event, MessageOutbound
from shared.messaging import (
    CONSUMERS,
    DEAD_LETTER_EXCHANGE,
    DEAD_SUFFIX,
    EXCHANGE,
    QUEUES,
    DeadLetter,
    PublishError,
    Refusal,
    Rejected,
    Replayed,
    Unroutable,
)
from shared.privacy import Keys
from shared.settings import Settings
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


@pytest.fixture(params=["coalesced", "public"])
async def bus(amqp_url: str, amqp_namespace: str, request: pytest.FixtureRequest) -> AsyncIterator[AmqpBus]:
    """The bus on each publishing path (shared.amqp_publish): both must behave the same."""
    coalesce = request.param == "coalesced"
    bus = AmqpBus(amqp_url, namespace=amqp_namespace, publish_timeout=3, retry=FAST_RETRY, coalesce=coalesce)
    await bus.start()
    assert bus.is_ready()
    assert bus.publishing == request.param
    yield bus
    await bus.close()


async def test_topology_is_quorum_queues_with_dead_letter_twins(
    bus: AmqpBus, amqp_url: str, amqp_namespace: str
) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in ("router.grievances", "escalation.cases", "intake.outbound", "notifications.escalations"):
            # Passive declares succeed only for queues that exist.
            await channel.declare_queue(amqp_namespace + name, passive=True)
            await channel.declare_queue(amqp_namespace + name + ".dead", passive=True)
    # Declaring again with the same arguments is idempotent (each process declares at start-up).
    second = AmqpBus(amqp_url, namespace=amqp_namespace, retry=FAST_RETRY)
    await second.start()
    assert second.is_ready()
    await second.close()


@pytest.mark.parametrize("service", ["intake", "router", "escalation"])
async def test_a_services_process_declares_the_exchanges_and_its_own_queues_only(
    amqp_settings: Settings, amqp_url: str, amqp_namespace: str, service: Service
) -> None:
    """Its broker user may declare no other queue (services/cli/broker.py): the broker's definitions do."""
    async with open_runtime(amqp_settings, keys=Keys(), store=False, service=service) as runtime:
        assert runtime.bus.is_ready()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        for exchange in (EXCHANGE, DEAD_LETTER_EXCHANGE):
            channel = await connection.channel()
            await channel.declare_exchange(amqp_namespace + exchange, passive=True)
        for queue in QUEUES:
            for name in (amqp_namespace + queue, amqp_namespace + queue + DEAD_SUFFIX):
                channel = await connection.channel()  # a passive declare of a missing queue closes it
                if queue in CONSUMERS[service]:
                    await channel.declare_queue(name, passive=True)
                else:
                    with pytest.raises(ChannelNotFoundEntity):
                        await channel.declare_queue(name, passive=True)


def test_a_bus_refuses_queues_outside_the_topology(amqp_url: str) -> None:
    with pytest.raises(ValueError, match=r"not queues of the topology: router\.elsewhere"):
        AmqpBus(amqp_url, queues=("router.grievances", "router.elsewhere"))


async def test_published_event_is_persistent_with_id_type_and_routing_key(
    bus: AmqpBus, amqp_url: str, amqp_namespace: str
) -> None:
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


async def test_unroutable_publish_raises(bus: AmqpBus) -> None:
    class Orphan(Event):
        type: Literal["orphan.event"] = "orphan.event"

    with pytest.raises(Unroutable):
        await bus.publish(Orphan(correlation_id=uuid.uuid4()))


async def test_rejects_dead_letter_and_replay_returns_them(bus: AmqpBus) -> None:
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
    assert [(d.reason, d.error) for d in dead] == [("rejected", "not yet")]
    healthy.set()
    assert await bus.replay("intake.outbound") == Replayed(1)
    for _ in range(100):
        if seen:
            break
        await asyncio.sleep(0.05)
    assert seen == ["first"]
    assert await bus.dead_letters("intake.outbound") == []


async def until_dead(bus: AmqpBus, queue: str, count: int) -> list[DeadLetter]:
    for _ in range(200):
        letters = await bus.dead_letters(queue)
        if len(letters) >= count:
            return letters
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} dead letters in {queue}")


async def raw(amqp_url: str, queue: str, *bodies: tuple[bytes, str]) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for body, type_name in bodies:
            message = aio_pika.Message(body, type=type_name, message_id=f"raw-{len(body)}")
            await channel.default_exchange.publish(message, routing_key=queue)


async def queue_depths(amqp_url: str, name: str) -> tuple[int, int]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        live = await channel.declare_queue(name, passive=True)
        dead = await channel.declare_queue(name + ".dead", passive=True)
        return live.declaration_result.message_count or 0, dead.declaration_result.message_count or 0


async def test_a_rejection_is_recorded_with_the_dead_letter_and_the_delivery_limit_keeps_x_death(
    amqp_url: str, amqp_namespace: str
) -> None:
    """A consumer's rejection travels as headers on the copy in the twin, under the id its log
    line carries; RabbitMQ's own dead-lettering (the delivery limit) says so in x-death."""
    bus = AmqpBus(amqp_url, namespace=amqp_namespace, publish_timeout=3, retry=FAST_RETRY, delivery_limit=1)
    await bus.start()
    try:

        async def handler(event: Event) -> None:
            assert isinstance(event, MessageOutbound)
            if event.text == "refuse":
                raise Rejected("this one cannot be sent")
            raise ConnectionError("the store is down")

        await bus.consume("intake.outbound", handler)
        refused, broken = outbound("refuse"), outbound("store down")
        with capture_logs() as lines:
            await raw(amqp_url, amqp_namespace + "intake.outbound", (b"{broken", "message.outbound"))
            await bus.publish(refused)
            await bus.publish(broken)
            letters = await until_dead(bus, "intake.outbound", 3)
        by_reason = {d.reason: d for d in letters}
        assert set(by_reason) == {"invalid", "rejected", "delivery_limit"}
        logged = {
            line["dead_letter_id"]: line["reason"] for line in lines if line["event"] == "event_rejected"
        }
        assert logged == {
            by_reason["invalid"].id: "body is not JSON: JSONDecodeError",
            by_reason["rejected"].id: "this one cannot be sent",
        }
        assert by_reason["rejected"].message_id == str(refused.id)
        assert by_reason["rejected"].correlation_id == str(refused.correlation_id)
        assert by_reason["invalid"].message_id == "raw-7" and by_reason["invalid"].dead_lettered_at
        limit = by_reason["delivery_limit"]
        assert (limit.id, limit.message_id, limit.error) == (str(broken.id), str(broken.id), None)
        assert await queue_depths(amqp_url, amqp_namespace + "intake.outbound") == (0, 3)  # nothing lost

        found = await bus.dead_letter("intake.outbound", by_reason["rejected"].id)
        assert found is not None and found[0] == by_reason["rejected"] and found[1] == refused.to_json()
        assert await bus.dead_letter("intake.outbound", "nope") is None
        assert await queue_depths(amqp_url, amqp_namespace + "intake.outbound") == (0, 3)  # still there
    finally:
        await bus.close()


async def test_replay_refuses_what_would_come_back_and_discard_removes_by_id(
    bus: AmqpBus, amqp_url: str, amqp_namespace: str
) -> None:
    live = amqp_namespace + "router.grievances"
    await raw(amqp_url, live, (b"{broken", "grievance.received"), (b"[1, 2]", "grievance.received"))

    async def ignore(event: Event) -> None:
        return None

    await bus.consume("router.grievances", ignore)
    broken, listish = await until_dead(bus, "router.grievances", 2)
    result = await bus.replay("router.grievances")
    assert result == Replayed(
        0,
        [
            Refusal(broken.id, "body is not JSON: JSONDecodeError"),
            Refusal(listish.id, "body is not a JSON object"),
        ],
    )
    assert await queue_depths(amqp_url, live) == (0, 2)
    assert [d.id for d in await bus.dead_letters("router.grievances")] == [broken.id, listish.id]  # in order
    assert await bus.replay("router.grievances", limit=1, force=True) == Replayed(1)
    await until_dead(bus, "router.grievances", 2)  # rejected again, under a new id
    assert broken.id not in {d.id for d in await bus.dead_letters("router.grievances")}
    assert await bus.discard("router.grievances", [listish.id, "nope"]) == 1
    assert len(await bus.dead_letters("router.grievances")) == 1
    assert await bus.discard("router.grievances", None) == 1
    assert await queue_depths(amqp_url, live) == (0, 0)


async def test_a_bus_publishes_through_the_public_api_when_aiormqs_internals_are_not_there(
    amqp_url: str, amqp_namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The choice at start-up: the check that fences the coalesced path (simulated to fail, since a
    test cannot install another aiormq) sends publishes through aio-pika's public API, said once."""

    def lacking(channel: aiormq.Channel) -> list[str]:
        return ["Channel.message_id_delivery_tag"]

    default = AmqpBus(amqp_url, namespace=amqp_namespace, retry=FAST_RETRY)
    await default.start()
    assert default.publishing == "coalesced"
    await default.close()

    monkeypatch.setattr(coalesced_publish, "missing_internals", lacking)
    bus = AmqpBus(amqp_url, namespace=amqp_namespace, publish_timeout=3, retry=FAST_RETRY)
    with capture_logs() as lines:
        await bus.start()
    try:
        assert bus.publishing == "public"
        warnings = [line for line in lines if line["log_level"] == "warning"]
        assert [(line["event"], line["missing"]) for line in warnings] == [
            ("publishing_through_public_api", ["Channel.message_id_delivery_tag"])
        ]
        event = outbound("through the public API")
        await bus.publish(event)
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            queue = await (await connection.channel()).get_queue(amqp_namespace + "intake.outbound")
            message = await queue.get(timeout=5)
            await message.ack()
        assert message.message_id == str(event.id) and message.body == event.to_json()
    finally:
        await bus.close()


async def test_unreachable_broker_fails_fast_and_never_hangs(amqp_namespace: str) -> None:
    bus = AmqpBus("amqp://guest:guest@127.0.0.1:1/", namespace=amqp_namespace, publish_timeout=0.5)
    started = time.perf_counter()
    await bus.start()
    with pytest.raises(PublishError):
        await bus.publish(outbound())
    assert not bus.is_ready()
    await bus.close()
    assert time.perf_counter() - started < 10
