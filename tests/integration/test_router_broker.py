"""The router through the real RabbitMQ into the store: case, events on the bound queues, DLQ."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import aio_pika
import pytest
from aiohttp.test_utils import TestClient

from services.router.app import create_app
from services.router.case_store import CaseStore
from services.router.registry import load_registry_file
from shared.auth import issue_token
from shared.bootstrap import open_runtime
from shared.contracts import CaseAssigned, CaseUpdated, Event, MessageOutbound
from shared.messaging import EXCHANGE
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import WORKER_PHONE, FakeClock
from tests.polling import eventually
from tests.servers import ServiceServer
from tests.service.router_support import GZ_NUMBER, REGISTRY, assert_no_contact, grievance, stored_case

pytestmark = pytest.mark.broker


@pytest.fixture
async def downstream(amqp_settings: Settings, keys: Keys) -> AsyncIterator[tuple[Runtime, list[Event]]]:
    """A runtime on the real broker with the registry loaded, and what reaches the downstream queues."""
    async with open_runtime(amqp_settings, clock=FakeClock(), retry=FAST_RETRY, keys=keys) as runtime:
        await load_registry_file(runtime.db, REGISTRY)
        received: list[Event] = []

        async def collect(event: Event) -> None:
            received.append(event)

        for queue in ("escalation.cases", "intake.outbound"):
            await runtime.bus.consume(queue, collect)
        yield runtime, received


async def test_grievance_to_case_through_rabbitmq(
    downstream: tuple[Runtime, list[Event]],
    amqp_settings: Settings,
    amqp_url: str,
    amqp_namespace: str,
    keys: Keys,
) -> None:
    runtime, received = downstream
    app = create_app(amqp_settings, runtime)
    spt, _ = await issue_token(runtime.db, "committee", committee_id="gz-001-spt")
    other, _ = await issue_token(runtime.db, "committee", committee_id="dg-002-safety")
    async with TestClient(ServiceServer(app)) as client:
        event = grievance(keys, "车间安全出口被锁了，还有童工", to=GZ_NUMBER, phone=WORKER_PHONE)
        # a malformed event first: it goes to the dead-letter queue, the good one is still processed
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(amqp_namespace + EXCHANGE)
            await exchange.publish(
                aio_pika.Message(
                    b'{"type":"grievance.received","grievance_id":"nope"}',
                    type="grievance.received",
                    message_id=str(uuid.uuid4()),
                ),
                routing_key="grievance.received.v1",
            )
        await runtime.bus.publish(event)
        await runtime.bus.publish(event)  # delivered twice: still one case

        async def both_arrived() -> bool:
            return (
                len([e for e in received if isinstance(e, CaseAssigned)]) >= 2
                and len([e for e in received if isinstance(e, MessageOutbound)]) >= 2
            )

        await eventually(both_arrived, seconds=10)
        assert await runtime.db["cases"].count_documents({}) == 1
        case = await stored_case(CaseStore(runtime.db), event.grievance_id)
        assert case.reference == event.reference and case.committee_id == "gz-001-spt"
        assert case.severity == "critical"
        assigned = [e for e in received if isinstance(e, CaseAssigned)]
        acks = [e for e in received if isinstance(e, MessageOutbound)]
        assert len({e.id for e in assigned}) == 1 and len({e.id for e in acks}) == 1
        assert acks[0].purpose == "ack" and event.reference in acks[0].text

        async def dead_lettered() -> bool:
            return len(await runtime.bus.dead_letters("router.grievances")) == 1

        await eventually(dead_lettered, seconds=10)
        url = f"/api/v1/cases/{event.reference}"
        response = await client.get(url, headers={"Authorization": f"Bearer {spt}"})
        assert response.status == 200
        assert_no_contact(await response.json(), WORKER_PHONE)
        response = await client.get(url, headers={"Authorization": f"Bearer {other}"})
        assert response.status == 404


async def test_chinese_dialogue_through_rabbitmq(
    downstream: tuple[Runtime, list[Event]], amqp_settings: Settings, keys: Keys
) -> None:
    """Committee resolves, the worker answers 否 by SMS: the case reopens and case.updated disputed
    arrives on escalation's queue; the committee never sees the number."""
    runtime, received = downstream
    spt, _ = await issue_token(runtime.db, "committee", committee_id="gz-001-spt")
    headers = {"Authorization": f"Bearer {spt}"}
    app = create_app(amqp_settings, runtime)
    async with TestClient(ServiceServer(app)) as client:
        event = grievance(keys, "宿舍晚上锁门，出不去", to=GZ_NUMBER, phone=WORKER_PHONE)
        await runtime.bus.publish(event)

        async def case_exists() -> bool:
            count: int = await runtime.db["cases"].count_documents({})
            return count == 1

        await eventually(case_exists, seconds=10)
        url = f"/api/v1/cases/{event.reference}"
        assert (
            await client.post(f"{url}/messages", json={"text": "哪栋宿舍？"}, headers=headers)
        ).status == 200
        await runtime.bus.publish(grievance(keys, "三号楼", to=GZ_NUMBER, phone=WORKER_PHONE))

        async def worker_replied() -> bool:
            return any(isinstance(e, CaseUpdated) and e.action == "worker_replied" for e in received)

        await eventually(worker_replied, seconds=10)
        assert (
            await client.post(f"{url}/resolve", json={"resolution": "已经不再锁门"}, headers=headers)
        ).status == 200
        await runtime.bus.publish(grievance(keys, "否", to=GZ_NUMBER, phone=WORKER_PHONE))

        async def disputed() -> bool:
            return any(isinstance(e, CaseUpdated) and e.action == "disputed" for e in received)

        await eventually(disputed, seconds=10)
        body = await (await client.get(url, headers=headers)).json()
        assert body["status"] == "reopened"
        assert [m["text"] for m in body["messages"] if m["direction"] == "worker"] == [
            event.text,
            "三号楼",
            "否",
        ]
        assert_no_contact(body, WORKER_PHONE)
        purposes = [e.purpose for e in received if isinstance(e, MessageOutbound)]
        # "status" twice: the 否 is answered, and the follow-up 三号楼 is confirmed as part of this case.
        assert sorted(purposes) == sorted(["ack", "committee_reply", "resolution_check", "status", "status"])
