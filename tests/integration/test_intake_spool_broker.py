"""Store-and-forward against the real RabbitMQ: the path to the broker breaks, nothing is lost.

The shared broker is never touched: intake reaches it through a TCP proxy (tests/tcpproxy.py) that
the tests blackhole (a confirm never comes, the bytes are held and arrive later) or sever (the
connection is gone). What reaches the router's queue is read by a consumer in the test's namespace,
or the router itself runs and the cases are counted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from services.intake.app import create_app as intake_app
from services.intake.spool import Spool
from services.router.app import create_app as router_app
from services.router.registry import load_registry_file
from shared.amqp import AmqpBus
from shared.contracts import Event
from shared.ids import grievance_id_for, reference_for
from shared.metrics import METRICS
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.conftest import FAST_RETRY
from tests.fakes import FakeClock, sensitive
from tests.integration.test_intake_broker import queued_messages
from tests.polling import eventually
from tests.servers import ServiceServer, ops_client
from tests.service.intake_support import (
    ACCOUNT_SID,
    FAST_RELAY,
    BreakableStore,
    intake_settings,
    message_sid,
    post_sms,
    serve,
    sms_form,
)
from tests.service.router_support import REGISTRY as FACTORIES
from tests.service.router_support import grievance
from tests.service.test_intake_sms import says_nothing
from tests.tcpproxy import TcpProxy, tcp_proxy

pytestmark = pytest.mark.broker

PATH = "/api/v1/grievances"
WEB_TEXT = sensitive("宿舍楼的消防通道被杂物堵住了")
SMS_TEXT = sensitive("车间主任说谁去投诉就扣谁的奖金")
HANDLED = (("type", "grievance.received"), ("outcome", "ack"))


@pytest.fixture
def settings(settings_factory: Callable[..., Settings], amqp_url: str, amqp_namespace: str) -> Settings:
    configured: Settings = intake_settings(settings_factory, amqp_url=amqp_url, amqp_namespace=amqp_namespace)
    return configured


@pytest.fixture
async def proxy(amqp_url: str) -> AsyncIterator[TcpProxy]:
    broker = URL(amqp_url)
    async with tcp_proxy(broker.host or "127.0.0.1", broker.port or 5672) as proxy:
        yield proxy


async def started_bus(
    stack: AsyncExitStack, url: str, namespace: str, name: str, publish_timeout: float = 5.0
) -> AmqpBus:
    """A connected bus. A path the test breaks gets a short publish timeout; any other a generous
    one, so that a confirm slowed down by a busy machine is not taken for a broken path."""
    bus = AmqpBus(
        url, namespace=namespace, publish_timeout=publish_timeout, retry=FAST_RETRY, connection_name=name
    )
    await bus.start()
    stack.push_async_callback(bus.close)
    await eventually(bus.is_ready, seconds=15)
    return bus


async def bus_through(
    stack: AsyncExitStack, proxy: TcpProxy, amqp_url: str, namespace: str, publish_timeout: float = 0.5
) -> AmqpBus:
    """Intake's bus, on the path through the proxy; the path is whole again before the bus closes."""
    url = str(URL(amqp_url).with_host("127.0.0.1").with_port(proxy.port))
    bus = await started_bus(stack, url, namespace, "intake-under-test", publish_timeout)
    stack.callback(proxy.restore)
    return bus


async def spool_depth(db: Database) -> int:
    return (await Spool(db).depth()).entries


async def drained(db: Database) -> bool:
    return await spool_depth(db) == 0


@asynccontextmanager
async def router(settings: Settings, db: Database, keys: Keys, stack: AsyncExitStack) -> AsyncIterator[None]:
    """The router, on a path of its own to the broker, making cases in the test store."""
    await load_registry_file(db, FACTORIES)
    bus = await started_bus(stack, settings.amqp_url, settings.amqp_namespace, "router-under-test")
    async with TestClient(ServiceServer(router_app(settings, Runtime(settings, bus, db, keys)))):
        yield


async def cases_per_grievance(db: Database) -> dict[str, int]:
    counts: dict[str, int] = {}
    async for case in db["cases"].find({}, {"grievance_id": 1}):
        counts[str(case["grievance_id"])] = counts.get(str(case["grievance_id"]), 0) + 1
    return counts


async def test_a_severed_broker_path_is_answered_from_the_spool_and_each_grievance_published_once(
    settings: Settings, proxy: TcpProxy, amqp_url: str, amqp_namespace: str, db: Database, keys: Keys
) -> None:
    clock = FakeClock()
    async with AsyncExitStack() as stack:
        # A severed path fails a publish at once; the generous timeout keeps a slow confirm after the
        # path is back from passing for a lost one (which would publish a harmless second copy).
        bus = await bus_through(stack, proxy, amqp_url, amqp_namespace, publish_timeout=5.0)
        runtime = Runtime(settings, bus, db, keys, clock)
        client = await stack.enter_async_context(serve(settings, runtime, spool=True, relay=FAST_RELAY))
        proxy.blackhole()
        proxy.sever()  # the connection is gone, and a new one hangs

        web = await client.post(PATH, json={"factory_code": "GZ-001", "text": WEB_TEXT})
        assert web.status == 202
        web_reference = (await web.json())["reference"]
        sid = message_sid()
        sms = await post_sms(client, sms_form(SMS_TEXT, sid=sid))
        assert sms.status == 200
        assert says_nothing(await sms.text())  # the router acknowledges once the event is relayed
        sms_reference = reference_for(grievance_id_for("twilio", ACCOUNT_SID, sid))
        assert await spool_depth(db) == 2
        clock.advance(seconds=42)

        async def gauges_read() -> bool:
            async with ops_client(client.app) as ops:  # the relay reads the spool every poll
                metrics = await (await ops.get("/metrics")).text()
            return (
                'grievance_intake_spool_depth{service="intake"} 2' in metrics
                and 'grievance_intake_spool_oldest_age_seconds{service="intake"} 42' in metrics
            )

        await eventually(gauges_read, seconds=10)

        proxy.restore()
        await eventually(lambda: drained(db), seconds=30)
        await asyncio.sleep(0.5)  # a second publish, were there one, would land meanwhile
    messages = await queued_messages(amqp_url, amqp_namespace + "router.grievances")
    bodies = [json.loads(message.body) for message in messages]
    assert sorted(body["reference"] for body in bodies) == sorted([web_reference, sms_reference])
    assert len({message.message_id for message in messages}) == 2


async def test_a_confirm_that_never_comes_still_makes_one_case_per_grievance(
    settings: Settings, proxy: TcpProxy, amqp_url: str, amqp_namespace: str, db: Database, keys: Keys
) -> None:
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(router(settings, db, keys, stack))
        bus = await bus_through(stack, proxy, amqp_url, amqp_namespace)
        client = await stack.enter_async_context(
            serve(settings, Runtime(settings, bus, db, keys), spool=True, relay=FAST_RELAY)
        )
        handled = METRICS.value("grievance_events_handled_total", HANDLED)
        proxy.blackhole()  # the publishes leave, but are held on the way: no confirm in time

        web = await client.post(PATH, json={"factory_code": "GZ-001", "text": WEB_TEXT})
        assert web.status == 202
        sid = message_sid()
        sms = await post_sms(client, sms_form(SMS_TEXT, sid=sid))
        assert sms.status == 200 and says_nothing(await sms.text())
        references = {
            (await web.json())["reference"],
            reference_for(grievance_id_for("twilio", ACCOUNT_SID, sid)),
        }
        assert await spool_depth(db) == 2

        proxy.restore()  # the held publish arrives, and the relay publishes the spooled copies
        await eventually(lambda: drained(db), seconds=30)

        # The first publish left before the breaker opened and is held on the way; the second failed
        # fast and never left. So three deliveries reach the router: the held one and two relayed.
        async def every_copy_handled() -> bool:
            return METRICS.value("grievance_events_handled_total", HANDLED) - handled >= 3

        await eventually(every_copy_handled, seconds=30)
        await asyncio.sleep(0.5)
        counts = await cases_per_grievance(db)
        stored = {case["reference"] async for case in db["cases"].find({}, {"reference": 1})}
    assert list(counts.values()) == [1, 1]
    assert stored == references


async def test_broker_and_store_down_answers_503_and_a_resend_with_the_key_makes_one_case(
    settings: Settings, proxy: TcpProxy, amqp_url: str, amqp_namespace: str, db: Database, keys: Keys
) -> None:
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(router(settings, db, keys, stack))
        bus = await bus_through(stack, proxy, amqp_url, amqp_namespace)
        store = BreakableStore(db)
        client = await stack.enter_async_context(
            serve(settings, Runtime(settings, bus, store, keys), spool=True, relay=FAST_RELAY)
        )
        proxy.blackhole()
        store.down = True

        submission = {"factory_code": "GZ-001", "text": WEB_TEXT}
        web = await client.post(PATH, json=submission)
        assert web.status == 503 and int(web.headers["Retry-After"]) > 0
        problem = await web.json()
        assert "可能已经收到" in problem["detail"]  # the worker's language: the text is Chinese
        key = problem["idempotency_key"]
        form = sms_form(SMS_TEXT)
        assert (await post_sms(client, form)).status == 503

        proxy.restore()  # the publishes that were never confirmed arrive after all
        store.down = False
        resent = await client.post(PATH, json={**submission, "idempotency_key": key})
        assert resent.status == 202
        reference = (await resent.json())["reference"]
        sms = await post_sms(client, form)  # the gateway's retry of the same message
        assert sms.status == 200

        async def both_cases() -> bool:
            return len(await cases_per_grievance(db)) == 2

        await eventually(both_cases, seconds=30)
        await asyncio.sleep(1.0)  # every copy has reached the router by now
        counts = await cases_per_grievance(db)
        web_case = await db["cases"].find_one({"channel": "web"}, {"reference": 1})
    assert list(counts.values()) == [1, 1]
    assert web_case is not None and web_case["reference"] == reference


class CountingBus:
    """The real bus, counting what this process published."""

    def __init__(self, bus: AmqpBus) -> None:
        self._bus = bus
        self.published = 0

    async def publish(self, event: Event) -> None:
        await self._bus.publish(event)
        self.published += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self._bus, name)


async def test_two_relays_on_one_spool_publish_each_entry_once(
    settings: Settings, amqp_url: str, amqp_namespace: str, db: Database, keys: Keys
) -> None:
    spool, clock = Spool(db), FakeClock()
    events = [grievance(keys, WEB_TEXT) for _ in range(150)]
    for event in events:
        await spool.put(event, clock.advance(seconds=1))
    async with AsyncExitStack() as stack:
        buses = [
            CountingBus(await started_bus(stack, amqp_url, amqp_namespace, f"intake-{n}")) for n in range(2)
        ]
        clients = [
            TestClient(
                ServiceServer(
                    intake_app(
                        settings, Runtime(settings, bus, db, keys, clock), spool=True, relay=FAST_RELAY
                    )
                )
            )
            for bus in buses
        ]
        for client in clients:
            stack.push_async_callback(client.close)
        await asyncio.gather(*(client.start_server() for client in clients))
        await eventually(lambda: drained(db), seconds=60)
        await asyncio.sleep(0.5)
    messages = await queued_messages(amqp_url, amqp_namespace + "router.grievances")
    # Each exactly once: a confirm later than the publish timeout could make a harmless second copy,
    # which is why these buses wait for confirms generously.
    assert sorted(message.message_id or "" for message in messages) == sorted(str(e.id) for e in events)
    assert sum(bus.published for bus in buses) == len(events)
    assert all(bus.published for bus in buses), [bus.published for bus in buses]  # both took part


async def test_the_claim_of_a_relay_that_died_lapses_with_its_lease(
    settings: Settings, amqp_url: str, amqp_namespace: str, db: Database, keys: Keys
) -> None:
    spool, clock = Spool(db), FakeClock()
    event = grievance(keys, WEB_TEXT)
    await spool.put(event, clock())
    assert await spool.claim(str(event.id), "a-replica-that-died", clock(), FAST_RELAY.lease) is not None
    queue = amqp_namespace + "router.grievances"
    async with AsyncExitStack() as stack:
        bus = await started_bus(stack, amqp_url, amqp_namespace, "intake-under-test")
        await stack.enter_async_context(
            serve(settings, Runtime(settings, bus, db, keys, clock), spool=True, relay=FAST_RELAY)
        )
        await asyncio.sleep(0.5)  # ten polls: the entry is someone else's
        assert await spool_depth(db) == 1
        assert await queued_messages(amqp_url, queue) == []

        clock.advance(seconds=FAST_RELAY.lease.total_seconds() + 1)
        await eventually(lambda: drained(db), seconds=10)
    (message,) = await queued_messages(amqp_url, queue)
    assert message.message_id == str(event.id)
