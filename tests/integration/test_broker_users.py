"""RabbitMQ's users from ``grievance broker-definitions`` on a node of the test's own: each service's
bus starts, publishes its own events and consumes its own queue with its user; the broker refuses
what the service has no business doing: another service's events, dead letters, names outside the
topology.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
import pytest
import pytest_asyncio
from aiormq.exceptions import ChannelAccessRefused

from services.cli.broker import USERS, definitions
from shared.amqp import AmqpBus
from shared.contracts import (
    CaseAssigned,
    CaseEscalated,
    Event,
    GrievanceReceived,
    MessageDeliveryChanged,
    MessageOutbound,
)
from shared.messaging import EXCHANGE, Retry
from tests.integration.private_broker import PrivateBroker, private_broker

# One node for the module: starting a RabbitMQ node takes seconds.
pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
NAMESPACE = "perm."
PASSWORDS = {user: secrets.token_urlsafe(24) for user in USERS}
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def broker(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[PrivateBroker]:
    path: Path = tmp_path_factory.mktemp("definitions") / "definitions.json"
    path.write_text(json.dumps(definitions(NAMESPACE, PASSWORDS)))  # noqa: ASYNC240 - before the node starts
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


OWN: dict[str, list[Any]] = {
    "intake": [grievance, delivery],
    "router": [assigned, outbound],
    "escalation": [escalated, outbound],
}
QUEUES_OF = {
    "intake": ["intake.outbound"],
    "router": ["router.grievances", "router.deliveries", "router.ngo"],
    "escalation": ["escalation.cases"],
}


async def bus_of(broker: PrivateBroker, user: str) -> AmqpBus:
    bus = AmqpBus(
        broker.url(user, PASSWORDS[user]), namespace=NAMESPACE, publish_timeout=5.0, retry=Retry(attempts=1)
    )
    await bus.start()
    return bus


@pytest.mark.parametrize("service", ["intake", "router", "escalation"])
async def test_each_service_declares_publishes_its_events_and_consumes_its_queue(
    broker: PrivateBroker, service: str
) -> None:
    bus = await bus_of(broker, service)
    try:
        assert bus.is_ready()  # connected, the whole topology declared with this user
        for make in OWN[service]:
            await bus.publish(make())

        async def handle(_: Event) -> None: ...

        for queue in QUEUES_OF[service]:
            await bus.consume(queue, handle)
    finally:
        await bus.close()


async def refused(broker: PrivateBroker, user: str, action: Any) -> str:
    connection = await aio_pika.connect(broker.url(user, PASSWORDS[user]))
    async with connection:
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused) as info:
            await action(channel)
        return str(info.value)


@pytest.mark.parametrize(
    ("service", "event"),
    [
        ("intake", assigned),
        ("intake", outbound),
        ("router", grievance),
        ("router", escalated),
        ("escalation", assigned),
    ],
)
async def test_a_service_cannot_publish_another_services_events(
    broker: PrivateBroker, service: str, event: Any
) -> None:
    made: Event = event()

    async def publish(channel: Any) -> None:
        exchange = await channel.get_exchange(NAMESPACE + EXCHANGE, ensure=False)
        await exchange.publish(
            aio_pika.Message(made.to_json(), type=made.type), routing_key=made.routing_key()
        )

    assert "ACCESS_REFUSED" in await refused(broker, service, publish)


async def test_no_service_reads_dead_letters_or_declares_other_names_and_admin_may(
    broker: PrivateBroker,
) -> None:
    async def peek(channel: Any) -> None:
        found = await channel.get_queue(NAMESPACE + "router.grievances.dead", ensure=False)
        await found.get(fail=False)

    assert "ACCESS_REFUSED" in await refused(broker, "router", peek)

    async def outside(channel: Any) -> None:
        await channel.declare_queue(NAMESPACE + "exfiltrate", durable=True)

    assert "ACCESS_REFUSED" in await refused(broker, "intake", outside)
    connection = await aio_pika.connect(broker.url("admin", PASSWORDS["admin"]))
    async with connection:
        channel = await connection.channel()
        await peek(channel)


async def test_the_node_holds_exactly_the_defined_users(broker: PrivateBroker) -> None:
    """Definitions imported at boot: no default guest user is created beside them."""
    listed = await broker.ctl("list_users", "-q", "--no-table-headers")
    assert {line.split()[0] for line in listed.splitlines() if line.strip()} == set(USERS)
