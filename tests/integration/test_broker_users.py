"""RabbitMQ's topology and users from ``grievance broker-definitions`` on a node of the test's own.

The node boots with the definitions file, so every queue exists before any service connects. Each
service's bus then declares its own queues with its own user, publishes its own events, consumes
its own queues and dead-letters into its own twins; the broker refuses (``ACCESS_REFUSED``) what the
service has no business doing: consuming, declaring or binding another service's queue, publishing
another service's events (on the main exchange, the dead-letter exchange or the default one), dead
letters, names outside the topology. The admin user reads dead letters.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aiormq.exceptions import ChannelAccessRefused

from services.cli.broker import PUBLISHES, USERS, definitions
from shared.amqp import AmqpBus
from shared.contracts import (
    CaseAssigned,
    CaseEscalated,
    CaseMessageRequested,
    Event,
    GrievanceReceived,
    MessageDeliveryChanged,
    MessageOutbound,
)
from shared.messaging import (
    CONSUMERS,
    DEAD_ARGUMENTS,
    DEAD_LETTER_EXCHANGE,
    DEAD_SUFFIX,
    EXCHANGE,
    PROBE_KEY,
    QUEUES,
    Rejected,
    Retry,
    queue_arguments,
)
from tests.integration.private_broker import PrivateBroker, private_broker

# One node for the module: starting a RabbitMQ node takes seconds.
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
NAMESPACE = "perm."
DELIVERY_LIMIT = 20
PASSWORDS = {user: secrets.token_urlsafe(24) for user in USERS}
SERVICES = tuple(PUBLISHES)
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
Action = Callable[[AbstractChannel], Awaitable[Any]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateBroker]:
    path: Path = tmp_path_factory.mktemp("definitions") / "definitions.json"
    # Before the node starts.
    path.write_text(json.dumps(definitions(NAMESPACE, PASSWORDS, DELIVERY_LIMIT)))  # noqa: ASYNC240
    async with private_broker(path) as node:
        yield node


def grievance() -> GrievanceReceived:
    gid = uuid.uuid4()
    return GrievanceReceived(
        correlation_id=gid,
        grievance_id=gid,
        reference="ABCDE-FGHJK",
        channel="web",
        provider="web",
        received_at=NOW,
        text="permissions",
        language="en",
    )


def outbound() -> MessageOutbound:
    return MessageOutbound(
        correlation_id=uuid.uuid4(),
        channel="sms",
        sealed_contact=None,
        text="x",
        language="en",
        purpose="ack",
    )


def assigned() -> CaseAssigned:
    return CaseAssigned(
        correlation_id=uuid.uuid4(),
        case_id="c-1",
        reference="ABCDE-FGHJK",
        factory_id=None,
        committee_id=None,
        category="other",
        severity="normal",
        ack_due_at=NOW,
        resolve_due_at=NOW,
        channel="web",
        language="en",
        text="permissions",
        created_at=NOW,
    )


def escalated() -> CaseEscalated:
    return CaseEscalated(
        correlation_id=uuid.uuid4(),
        case_id="c-1",
        reference="ABCDE-FGHJK",
        escalation_id="e-1",
        reason="critical",
        at=NOW,
    )


def delivery() -> MessageDeliveryChanged:
    return MessageDeliveryChanged(
        correlation_id=uuid.uuid4(), outbound_id=uuid.uuid4(), case_id="c-1", state="sent", at=NOW
    )


def requested() -> CaseMessageRequested:
    return CaseMessageRequested(
        correlation_id=uuid.uuid4(),
        case_id="c-1",
        reference="ABCDE-FGHJK",
        escalation_id="e-1",
        by="0123456789ab",
        at=NOW,
        text="x",
    )


# What each service publishes here, and the queues (of whichever service) each event reaches.
OWN: dict[str, list[tuple[Callable[[], Event], tuple[str, ...]]]] = {
    "intake": [(grievance, ("router.grievances",)), (delivery, ("router.deliveries",))],
    "router": [(assigned, ("escalation.cases", "notifications.cases")), (outbound, ("intake.outbound",))],
    "escalation": [(escalated, ("notifications.escalations",)), (requested, ("router.ngo",))],
}
# For each service, an event of another's and a queue of another's.
FOREIGN_EVENT = {"intake": assigned, "router": grievance, "escalation": delivery}
FOREIGN_QUEUE = {"intake": "router.grievances", "router": "escalation.cases", "escalation": "intake.outbound"}


def bus_of(broker: PrivateBroker, user: str, queues: tuple[str, ...] | None) -> AmqpBus:
    return AmqpBus(
        broker.url(user, PASSWORDS[user]),
        namespace=NAMESPACE,
        publish_timeout=5.0,
        delivery_limit=DELIVERY_LIMIT,
        retry=Retry(attempts=1),
        connection_name=user,
        queues=queues,
    )


async def refused(broker: PrivateBroker, user: str, action: Action) -> str:
    connection = await aio_pika.connect(broker.url(user, PASSWORDS[user]))
    async with connection:
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused) as info:
            await action(channel)
        return str(info.value)


async def allowed(broker: PrivateBroker, user: str, action: Action) -> Any:
    connection = await aio_pika.connect(broker.url(user, PASSWORDS[user]))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        return await action(channel)


async def arguments_on(broker: PrivateBroker) -> dict[str, dict[str, Any]]:
    """Each queue of the node and its arguments, as RabbitMQ lists them."""
    listed = json.loads(await broker.ctl("list_queues", "-q", "name", "arguments", "--formatter", "json"))
    return {row["name"]: {name: value for name, _, value in row["arguments"]} for row in listed}


def declared(delivery_limit: int) -> dict[str, dict[str, Any]]:
    """What the buses declare: each live queue's arguments, each twin's."""
    return {
        NAMESPACE + queue + suffix: (
            queue_arguments(NAMESPACE, queue, delivery_limit) if not suffix else DEAD_ARGUMENTS
        )
        for queue in QUEUES
        for suffix in ("", DEAD_SUFFIX)
    }


async def test_the_node_holds_the_whole_topology_before_any_service_connects(broker: PrivateBroker) -> None:
    assert await arguments_on(broker) == declared(DELIVERY_LIMIT)
    # So a bus that declares every queue (the admin's) meets the same arguments and starts.
    everything = bus_of(broker, "admin", None)
    await everything.start()
    try:
        assert everything.is_ready()
    finally:
        await everything.close()


async def test_each_service_declares_publishes_consumes_and_dead_letters_its_own(
    broker: PrivateBroker,
) -> None:
    """The three buses, each with its user and only its own queues: every event reaches its queues."""
    received: dict[str, list[str]] = {queue: [] for queue in QUEUES}
    buses = {service: bus_of(broker, service, CONSUMERS[service]) for service in SERVICES}
    try:
        for bus in buses.values():
            await bus.start()
            assert bus.is_ready()  # connected, its queues declared with its own user
        for service, bus in buses.items():
            for queue in CONSUMERS[service]:

                async def handle(event: Event, queue: str = queue) -> None:
                    received[queue].append(event.type)
                    if queue == "router.ngo":
                        raise Rejected("refused by the test")  # dead-lettered with the router's user

                await bus.consume(queue, handle)
        expected: dict[str, list[str]] = {queue: [] for queue in QUEUES}
        for service, bus in buses.items():
            for make, queues in OWN[service]:
                event = make()
                await bus.publish(event)
                for queue in queues:
                    expected[queue].append(event.type)
        for _ in range(200):
            if received == expected:
                break
            await asyncio.sleep(0.05)
        assert received == expected
        admin = bus_of(broker, "admin", ())
        await admin.start()
        try:
            for _ in range(100):
                if letters := await admin.dead_letters("router.ngo"):
                    break
                await asyncio.sleep(0.05)
            # The copy with the reason (through the dead-letter exchange), not RabbitMQ's plain reject.
            assert [(d.reason, d.error) for d in letters] == [("rejected", "refused by the test")]
            assert await admin.discard("router.ngo", None) == 1
        finally:
            await admin.close()
    finally:
        for bus in buses.values():
            await bus.close()


@pytest.mark.parametrize("service", SERVICES)
async def test_the_breakers_probe_is_permitted_and_delivered_nowhere(
    broker: PrivateBroker, service: str
) -> None:
    """The probe goes to the dead-letter exchange with a key bound to nothing: confirmed, dropped."""

    async def probe(channel: AbstractChannel) -> None:
        exchange = await channel.get_exchange(NAMESPACE + DEAD_LETTER_EXCHANGE, ensure=False)
        await exchange.publish(aio_pika.Message(b""), routing_key=NAMESPACE + PROBE_KEY)

    await allowed(broker, service, probe)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_consume_declare_or_bind_another_services_queue(
    broker: PrivateBroker, service: str
) -> None:
    other = FOREIGN_QUEUE[service]
    name = NAMESPACE + other

    async def ignore(message: AbstractIncomingMessage) -> None: ...

    async def consume(channel: AbstractChannel) -> None:
        queue = await channel.get_queue(name, ensure=False)
        await queue.consume(ignore)

    async def get(channel: AbstractChannel) -> None:
        queue = await channel.get_queue(name, ensure=False)
        await queue.get(fail=False)

    async def declare(channel: AbstractChannel) -> None:
        # With the very arguments it has: what is refused is the declaration, not a mismatch.
        arguments = queue_arguments(NAMESPACE, other, DELIVERY_LIMIT)
        await channel.declare_queue(name, durable=True, arguments=arguments)

    async def bind(channel: AbstractChannel) -> None:
        queue = await channel.get_queue(name, ensure=False)
        await queue.bind(NAMESPACE + EXCHANGE, routing_key=QUEUES[other][0])

    for action in (consume, get, declare, bind):
        assert "ACCESS_REFUSED" in await refused(broker, service, action), action.__name__


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_bind_its_own_queue_to_another_services_events(
    broker: PrivateBroker, service: str
) -> None:
    own = CONSUMERS[service][0]
    bound = {key for queue in CONSUMERS[service] for key in QUEUES[queue]}
    foreign_key = next(key for keys in QUEUES.values() for key in keys if key not in bound)

    async def bind(channel: AbstractChannel) -> None:
        queue = await channel.get_queue(NAMESPACE + own, ensure=False)
        await queue.bind(NAMESPACE + EXCHANGE, routing_key=foreign_key)

    assert "ACCESS_REFUSED" in await refused(broker, service, bind)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_cannot_publish_another_services_events_by_any_exchange(
    broker: PrivateBroker, service: str
) -> None:
    made: Event = FOREIGN_EVENT[service]()
    target = NAMESPACE + FOREIGN_QUEUE[service]

    async def on_main(channel: AbstractChannel) -> None:
        exchange = await channel.get_exchange(NAMESPACE + EXCHANGE, ensure=False)
        await exchange.publish(
            aio_pika.Message(made.to_json(), type=made.type), routing_key=made.routing_key()
        )

    async def by_default_exchange(channel: AbstractChannel) -> None:
        await channel.default_exchange.publish(
            aio_pika.Message(made.to_json(), type=made.type), routing_key=target
        )

    async def into_another_twin(channel: AbstractChannel) -> None:
        exchange = await channel.get_exchange(NAMESPACE + DEAD_LETTER_EXCHANGE, ensure=False)
        await exchange.publish(aio_pika.Message(made.to_json(), type=made.type), routing_key=target)

    for action in (on_main, by_default_exchange, into_another_twin):
        assert "ACCESS_REFUSED" in await refused(broker, service, action), action.__name__


@pytest.mark.parametrize("service", SERVICES)
async def test_no_service_reads_dead_letters_not_even_its_own_and_admin_may(
    broker: PrivateBroker, service: str
) -> None:
    for queue in (CONSUMERS[service][0], FOREIGN_QUEUE[service]):

        async def peek(channel: AbstractChannel, queue: str = queue) -> None:
            found = await channel.get_queue(NAMESPACE + queue + DEAD_SUFFIX, ensure=False)
            await found.get(fail=False)

        assert "ACCESS_REFUSED" in await refused(broker, service, peek)
        await allowed(broker, "admin", peek)


@pytest.mark.parametrize("service", SERVICES)
async def test_no_service_uses_a_name_outside_the_topology(broker: PrivateBroker, service: str) -> None:
    async def queue_outside(channel: AbstractChannel) -> None:
        await channel.declare_queue(NAMESPACE + "exfiltrate", durable=True)

    async def exchange_outside(channel: AbstractChannel) -> None:
        await channel.declare_exchange(NAMESPACE + "side", aio_pika.ExchangeType.FANOUT)

    async def without_namespace(channel: AbstractChannel) -> None:
        await channel.declare_queue(CONSUMERS[service][0], durable=True)

    for action in (queue_outside, exchange_outside, without_namespace):
        assert "ACCESS_REFUSED" in await refused(broker, service, action), action.__name__


async def test_importing_the_definitions_again_leaves_existing_queues_alone(broker: PrivateBroker) -> None:
    """A changed file (here another delivery limit) re-applies users and permissions at the next
    boot; a queue that exists keeps the arguments it was declared with."""
    again = broker.folder / "etc" / "again.json"  # where the node's own user reads it
    again.write_text(json.dumps(definitions(NAMESPACE, PASSWORDS, DELIVERY_LIMIT + 1)))
    await broker.ctl("import_definitions", str(again))
    assert await arguments_on(broker) == declared(DELIVERY_LIMIT)
    bus = bus_of(broker, "router", CONSUMERS["router"])
    await bus.start()
    try:
        assert bus.is_ready()
    finally:
        await bus.close()


async def test_the_node_holds_exactly_the_defined_users(broker: PrivateBroker) -> None:
    """Definitions imported at boot: no default guest user is created beside them."""
    listed = await broker.ctl("list_users", "-q", "--no-table-headers")
    assert {line.split()[0] for line in listed.splitlines() if line.strip()} == set(USERS)
