"""The reliability oracle of the design (section 11): every grievance a client was answered 202 for
exists exactly once, though clients resend and the router's broker connection is killed mid-stream.

RabbitMQ itself closes the router's connection (``rabbitmqctl close_connection``), as a network
failure or a broker-side kill would, while deliveries are held in flight: they are never acknowledged
and come again once the robust connection has reconnected and its consumer resumed. A write that did
reach the store before its ack was lost is the other half of the story; the router's redelivery
tests cover it (the same event twice makes one case and the same downstream events).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aio_pika
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.intake.app import create_app as intake_app
from services.router.app import create_app as router_app
from services.router.registry import load_registry_file
from shared.amqp import AmqpBus
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.conftest import FAST_RETRY, make_settings
from tests.fakes import sensitive
from tests.polling import eventually
from tests.servers import ServiceServer
from tests.service.router_support import REGISTRY

pytestmark = [pytest.mark.broker, pytest.mark.slow]

GRIEVANCES = 60
TEXTS = [sensitive(f"第{i}号工人：宿舍第{i}层的热水器坏了三天") for i in range(GRIEVANCES)]


async def rabbitmqctl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    assert process.returncode == 0, f"rabbitmqctl {args[0]} failed"
    return out.decode()


async def kill_connection(name: str) -> None:
    """Have the broker close every connection that carries ``name`` as its connection name."""
    listed = await rabbitmqctl("list_connections", "-q", "--no-table-headers", "pid", "client_properties")
    marker = f'{{"connection_name","{name}"}}'
    pids = [line.split("\t", 1)[0].strip() for line in listed.splitlines() if marker in line]
    assert pids, "the router's connection is not listed"
    for pid in pids:
        await rabbitmqctl("close_connection", pid, "reliability test: the router's connection dies")


class GatedDatabase:
    """The router's view of the store: case writes wait at a gate the test opens (everything else
    passes straight through), so deliveries can be held in flight, unacknowledged, on purpose."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.gate = asyncio.Event()
        self.waiting = 0
        self.cancelled = 0  # writes whose handler was cancelled while they waited

    def __getitem__(self, name: str) -> Any:
        return _GatedCollection(self, self._db[name]) if name == "cases" else self._db[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


class _GatedCollection:
    def __init__(self, owner: GatedDatabase, collection: Any) -> None:
        self._owner, self._collection = owner, collection

    async def update_one(self, *args: Any, **kwargs: Any) -> Any:
        self._owner.waiting += 1
        try:
            await self._owner.gate.wait()
        except asyncio.CancelledError:
            self._owner.cancelled += 1
            raise
        return await self._collection.update_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


@dataclass
class Services:
    """Intake's client, the router's broker connection name (to kill it), the store, and the router's
    gated view of the store."""

    intake: TestClient[web.Request, web.Application]
    router_name: str
    db: Database
    gated: GatedDatabase


@pytest.fixture
async def services(amqp_url: str, amqp_namespace: str, db: Database, keys: Keys) -> AsyncIterator[Services]:
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is needed to kill a connection on the broker")
    # Every grievance comes from this one test client: the web form's per-client limit must not count.
    settings: Settings = make_settings(
        amqp_url=amqp_url, amqp_namespace=amqp_namespace, webform_client_limit=10 * GRIEVANCES
    )
    router_name = f"router-{uuid.uuid4().hex[:8]}"
    gated = GatedDatabase(db)
    await load_registry_file(db, REGISTRY)
    async with AsyncExitStack() as stack:
        clients: dict[str, TestClient[web.Request, web.Application]] = {}
        for name, factory, connection_name, store in (
            ("router", router_app, router_name, gated),
            ("intake", intake_app, "intake-under-test", db),
        ):
            bus = AmqpBus(
                amqp_url, namespace=amqp_namespace, retry=FAST_RETRY, connection_name=connection_name
            )
            await bus.start()
            stack.push_async_callback(bus.close)
            server = ServiceServer(factory(settings, Runtime(settings, bus, store, keys)))
            clients[name] = await stack.enter_async_context(TestClient(server))
        yield Services(clients["intake"], router_name, db, gated)


async def submit(client: TestClient[Any, Any], index: int) -> str:
    body = {"factory_code": "GZ-001", "text": TEXTS[index], "idempotency_key": f"reliability-key-{index:04d}"}
    response = await client.post("/api/v1/grievances", json=body)
    assert response.status == 202
    reference: str = (await response.json())["reference"]
    return reference


async def assigned_case_ids(amqp_url: str, queue: str) -> set[str]:
    """Every case id announced on escalation's queue (duplicates with the same event id allowed)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        source = await channel.get_queue(queue)
        seen: set[str] = set()
        while (message := await source.get(no_ack=True, fail=False)) is not None:
            if message.type == "case.assigned":
                seen.add(json.loads(message.body)["case_id"])
        return seen


async def test_every_accepted_grievance_exists_exactly_once_across_resends_and_a_killed_consumer(
    services: Services, amqp_url: str, amqp_namespace: str
) -> None:
    intake, db, gated = services.intake, services.db, services.gated
    half = GRIEVANCES // 2

    # The first half is accepted and delivered to the router, whose case writes are held in flight.
    first = await asyncio.gather(*(submit(intake, i) for i in range(half)))

    async def all_held() -> bool:
        return gated.waiting >= half

    await eventually(all_held, seconds=60)
    # The router's connection dies with every one of those deliveries unacknowledged: their handlers
    # are cancelled mid-write, and the broker must deliver them again once the router reconnects.
    await kill_connection(services.router_name)

    async def all_cancelled() -> bool:
        return gated.cancelled >= half

    # rabbitmqctl returns before the router has read the close: a gate opened now would let some held
    # writes through before their handlers are cancelled, and they would never come to it again.
    await eventually(all_cancelled, seconds=30)
    gated.gate.set()

    # Meanwhile the second half arrives, and every client resends everything once.
    second = await asyncio.gather(*(submit(intake, i) for i in range(half, GRIEVANCES)))
    resent = await asyncio.gather(*(submit(intake, i) for i in range(GRIEVANCES)))
    accepted = [*first, *second]
    assert resent == accepted and len(set(accepted)) == GRIEVANCES

    async def all_stored() -> bool:
        return bool(await db["cases"].count_documents({}) >= GRIEVANCES)

    await eventually(all_stored, seconds=60)
    stored = {doc["reference"]: doc["_id"] async for doc in db["cases"].find({}, {"reference": 1})}
    # The redelivered first half must be answered from the stored cases: wait for its events downstream.
    announced: set[str] = set()

    async def all_announced() -> bool:
        announced.update(await assigned_case_ids(amqp_url, amqp_namespace + "escalation.cases"))
        return announced >= set(stored.values())

    await eventually(all_announced, seconds=60)
    await asyncio.sleep(0.5)  # redeliveries still in flight must not add anything
    # The first half reached the store's gate twice: held and lost with the connection, then redelivered.
    assert gated.waiting >= GRIEVANCES + half
    assert await db["cases"].count_documents({}) == GRIEVANCES
    assert sorted(stored) == sorted(accepted)  # each exactly once: none lost, none extra
