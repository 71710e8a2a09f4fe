"""Store-and-forward through a real aiohttp server: fake buses that fail, the test store as the spool.

The real broker's side (a broken network path, two relays, a dead relay's claim) is in
tests/integration/test_intake_spool_broker.py; here the bus is a fake that fails on command.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from services.intake.app import create_app
from services.intake.spool import WRITE_TIMEOUT, Depth, Spool
from shared.contracts import Event, GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.messaging import PublishError, Unroutable
from shared.privacy import Keys, pin_hash
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database, open_mongo_client
from tests.conftest import MONGO_URL
from tests.fakes import FakeClock, sensitive
from tests.polling import eventually
from tests.servers import ServiceServer, ops_client
from tests.service.intake_support import (
    ACCOUNT_SID,
    FAST_RELAY,
    BreakableStore,
    FailingBus,
    LateConfirmBus,
    intake_settings,
    post_sms,
    serve,
    sms_form,
)
from tests.service.router_support import grievance
from tests.service.test_intake_sms import says_nothing
from tests.tcpproxy import tcp_proxy

PATH = "/api/v1/grievances"
WEB_TEXT = sensitive("车间的灭火器全都过期了，一直没人管")
SMS_TEXT = sensitive("Nobody on line 4 has been paid for overtime since March")
KEY = "spool-test-key-0123456789"
KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,128}$")


@pytest.fixture
def intake(settings_factory: Callable[..., Settings]) -> Settings:
    settings: Settings = intake_settings(settings_factory)
    return settings


async def depth(db: Database) -> Depth:
    return await Spool(db).depth()


class CountingBus(FailingBus):
    """A failing bus that counts every publish attempt."""

    def __init__(self) -> None:
        super().__init__()
        self.attempts = 0

    async def publish(self, event: Event) -> None:
        self.attempts += 1
        await super().publish(event)


class HangingBus(FailingBus):
    """Fails the request's publish, then never answers the relay's: a broker that stopped talking."""

    async def publish(self, event: Event) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        await asyncio.Event().wait()


class SlowBus(FailingBus):
    """A working broker whose every confirm takes a few milliseconds."""

    def __init__(self) -> None:
        super().__init__()
        self.error = None

    async def publish(self, event: Event) -> None:
        await asyncio.sleep(0.005)
        await super().publish(event)


async def test_broker_down_the_grievance_is_spooled_answered_and_relayed_later(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FailingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
        web = await client.post(PATH, json={"factory_code": "GZ-001", "text": WEB_TEXT})
        assert web.status == 202
        answer = await web.json()
        assert set(answer) == {"reference", "pin", "status_url"}
        form = sms_form(SMS_TEXT)
        sms = await post_sms(client, form)
        assert sms.status == 200 and sms.content_type == "text/xml"
        assert says_nothing(await sms.text())  # the router acknowledges once the event is relayed
        sms_reference = reference_for(grievance_id_for("twilio", ACCOUNT_SID, dict(form)["MessageSid"]))
        resent = await post_sms(client, form)  # the gateway's resend: remembered, not spooled again
        assert resent.status == 200 and await resent.text() == await sms.text()
        assert (await depth(db)).entries == 2
        await asyncio.sleep(0.3)  # the relay keeps trying while the broker is down
        assert bus.published == [] and (await depth(db)).entries == 2

        bus.error = None  # the broker is back
        await eventually(lambda: len(bus.published) == 2, seconds=10)

        async def drained() -> bool:
            return await depth(db) == Depth(0, None)

        await eventually(drained, seconds=10)
    events = {event.reference: event for event in bus.published if isinstance(event, GrievanceReceived)}
    assert set(events) == {answer["reference"], sms_reference}
    assert events[answer["reference"]].pin_hash == pin_hash(keys, answer["reference"], answer["pin"])
    assert events[answer["reference"]].text == WEB_TEXT and events[sms_reference].text == SMS_TEXT


async def test_with_a_spool_intake_stays_ready_while_the_broker_is_away(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    """A load balancer routing on /readyz keeps sending workers to intake exactly when the spool helps."""
    runtime = Runtime(settings, FailingBus(), db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client, ops_client(client.app) as ops:
        response = await ops.get("/readyz")
        assert response.status == 200
        assert (await response.json())["checks"] == {"bus": False, "store": True}
    async with (
        serve(intake, runtime) as client,
        ops_client(client.app) as ops,
    ):  # no spool: the broker must answer
        assert (await ops.get("/readyz")).status == 503


async def test_a_spooled_grievance_is_answered_exactly_as_a_published_one(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    form = sms_form(SMS_TEXT)
    submission = {"factory_code": "GZ-001", "text": WEB_TEXT, "idempotency_key": KEY}
    answers = []
    for bus in (FailingBus(), memory_bus):
        runtime = Runtime(settings, bus, db, keys, clock)
        async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
            sms = await post_sms(client, form)
            web = await client.post(PATH, json=submission)
            answers.append((sms.status, sms.content_type, await sms.text(), web.status, await web.json()))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and answers[0][3] == 202


async def test_broker_and_store_down_answers_503_with_a_key_and_a_resend_with_it_is_the_same_grievance(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = LateConfirmBus()  # the broker enqueues, but its confirm does not come in time
    store = BreakableStore(db)
    runtime = Runtime(settings, bus, store, keys, clock)
    submission = {"factory_code": "GZ-001", "text": WEB_TEXT}
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
        store.down = True
        response = await client.post(PATH, json=submission)
        assert response.status == 503 and response.content_type == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
        problem = await response.json()
        key = problem["idempotency_key"]
        assert KEY_PATTERN.match(key)
        # The text says what is true, in the worker's language (the text is Chinese): it may have
        # arrived, and a resend with the key is safe.
        assert "可能已经收到" in problem["detail"]
        assert "idempotency_key" in problem["detail"] and "不会重复登记" in problem["detail"]
        assert "reference" not in problem and "pin" not in problem
        sms = await post_sms(client, sms_form(SMS_TEXT))
        assert sms.status == 503 and int(sms.headers["Retry-After"]) > 0
        sms_problem = await sms.json()
        assert "may still have arrived" in sms_problem["detail"] and "safe" in sms_problem["detail"]
        (landed, _) = bus.published  # both reached the queue although neither was confirmed
        assert isinstance(landed, GrievanceReceived)

        store.down = False
        bus.error = None
        references = []
        for _ in range(2):
            resent = await client.post(PATH, json={**submission, "idempotency_key": key})
            assert resent.status == 202
            references.append((await resent.json())["reference"])
    assert references == [landed.reference, landed.reference]
    first, second = (e for e in bus.published if isinstance(e, GrievanceReceived) and e.channel == "web")
    assert first.grievance_id == second.grievance_id  # the router's upsert makes one case of them
    assert (await depth(db)).entries == 0


async def test_two_keyless_submissions_are_two_grievances(
    intake: Settings, runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(intake, runtime) as client:
        for _ in range(2):
            response = await client.post(PATH, json={"factory_code": "GZ-001", "text": WEB_TEXT})
            assert response.status == 202
    first, second = memory_bus.published
    assert isinstance(first, GrievanceReceived) and isinstance(second, GrievanceReceived)
    assert first.grievance_id != second.grievance_id


async def test_the_embedded_run_has_no_spool_and_keeps_503(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    assert intake.mongo_url == "memory://"  # nothing durable to spool to
    runtime = Runtime(settings, FailingBus(), db, keys, clock)
    async with serve(intake, runtime) as client:
        response = await client.post(PATH, json={"factory_code": "GZ-001", "text": WEB_TEXT})
        assert response.status == 503
        assert KEY_PATTERN.match((await response.json())["idempotency_key"])
        assert (await post_sms(client, sms_form(SMS_TEXT))).status == 503
        async with ops_client(client.app) as ops:
            metrics = await (await ops.get("/metrics")).text()
    assert "grievance_intake_spool_depth" not in metrics
    assert (await depth(db)).entries == 0


async def test_the_relay_backs_off_while_the_broker_is_down(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = CountingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
        assert (await post_sms(client, sms_form(SMS_TEXT))).status == 200
        before = bus.attempts
        await asyncio.sleep(1.0)
        attempts = bus.attempts - before
    # Waits of 0.05, 0.1, then 0.2 s (jittered down to half): about 6 attempts in a second, never
    # hundreds; and it does keep trying.
    assert 2 <= attempts <= 15, attempts
    assert (await depth(db)).entries == 1


class CountingStore:
    """The test store, counting the calls made on the spool's collection."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.calls = 0

    def __getitem__(self, name: str) -> Any:
        return self._counted(self._db[name]) if name == "intake_spool" else self._db[name]

    def get_collection(self, name: str, **options: Any) -> Any:
        return self._counted(self._db.get_collection(name, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    def _counted(self, collection: Any) -> Any:
        owner = self

        class Counted:
            def __getattr__(self, name: str) -> Any:
                owner.calls += 1
                return getattr(collection, name)

        return Counted()


async def test_a_relay_whose_entries_another_relay_holds_waits_for_the_poll(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    event = grievance(keys, WEB_TEXT)
    await Spool(db).put(event, clock())
    assert await Spool(db).claim(str(event.id), "another-relay", clock(), FAST_RELAY.lease) is not None
    store = CountingStore(db)
    runtime = Runtime(settings, memory_bus, store, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY):
        before = store.calls
        await asyncio.sleep(1.0)
        calls = store.calls - before
    # A look at the spool every 0.05 s (jittered) is about 20 passes of three calls; not thousands.
    assert calls <= 120, calls
    assert memory_bus.published == [] and (await depth(db)).entries == 1


async def test_shutdown_stops_the_relay_mid_publish_and_the_entry_stays(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = HangingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    client: TestClient[Any, Any] = TestClient(
        ServiceServer(create_app(intake, runtime, spool=True, relay=FAST_RELAY))
    )
    async with AsyncExitStack() as stack:
        await client.start_server()
        stack.push_async_callback(client.close)
        assert (await post_sms(client, sms_form(SMS_TEXT))).status == 200
        await asyncio.sleep(0.2)  # the relay has taken the entry and waits for the broker
        async with asyncio.timeout(5):  # the broker would hang it for an hour
            await stack.aclose()
    assert (await depth(db)).entries == 1  # its claim lapses with the lease; nothing is lost


async def test_a_backlog_being_relayed_does_not_hold_up_a_new_grievance(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    spool, bus = Spool(db), SlowBus()
    for _ in range(300):
        await spool.put(grievance(keys, WEB_TEXT), clock())
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
        await eventually(lambda: len(bus.published) >= 10)
        response = await post_sms(client, sms_form(SMS_TEXT))
        assert response.status == 200
        left = (await depth(db)).entries
    # 300 relayed publishes take 1.5 s or more: answered while most of them wait, the new one went
    # ahead of them instead of queueing behind.
    assert left > 100, left


async def test_metrics_show_the_spool_depth_and_the_age_of_the_oldest_event(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FailingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client, ops_client(client.app) as ops:

        async def metric(name: str) -> float:
            text = await (await ops.get("/metrics")).text()
            assert f"# TYPE {name} gauge" in text
            match = re.search(rf'^{name}{{service="intake"}} (\S+)$', text, re.MULTILINE)
            assert match is not None
            return float(match.group(1))

        assert await metric("grievance_intake_spool_depth") == 0
        assert await metric("grievance_intake_spool_oldest_age_seconds") == 0
        await post_sms(client, sms_form(SMS_TEXT))
        clock.advance(seconds=30)
        await post_sms(client, sms_form(SMS_TEXT))
        clock.advance(seconds=60)

        async def depth_shown() -> bool:
            return await metric("grievance_intake_spool_depth") == 2

        await eventually(depth_shown, seconds=10)
        assert await metric("grievance_intake_spool_oldest_age_seconds") == 90
        clock.advance(seconds=5)
        assert await metric("grievance_intake_spool_oldest_age_seconds") == 95  # as of the scrape

        bus.error = None

        async def drained() -> bool:
            return await metric("grievance_intake_spool_depth") == 0

        await eventually(drained, seconds=10)
        assert await metric("grievance_intake_spool_oldest_age_seconds") == 0
    assert len(bus.published) == 2


async def test_a_publish_error_of_any_kind_is_spooled(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    for error in (PublishError("broker refused the event"), Unroutable("no queue bound")):
        bus = FailingBus(error)
        runtime = Runtime(settings, bus, db, keys, clock)
        async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
            assert (await post_sms(client, sms_form(SMS_TEXT))).status == 200
    assert (await depth(db)).entries == 2


@pytest.mark.skipif(not MONGO_URL, reason="the store must be a real server behind a proxy (make test-mongo)")
async def test_a_store_that_stops_answering_is_waited_for_within_a_bound_then_503(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    server = URL(str(MONGO_URL))
    async with tcp_proxy(server.host or "127.0.0.1", server.port or 27017) as proxy:
        # Straight to the proxy: through the replica set's own member list the driver would go around it.
        store = open_mongo_client(f"mongodb://{proxy.address}/?directConnection=true")
        try:
            runtime = Runtime(settings, FailingBus(), store[db.name], keys, clock)
            async with serve(intake, runtime, spool=True, relay=FAST_RELAY) as client:
                assert (await post_sms(client, sms_form(SMS_TEXT))).status == 200
                proxy.blackhole()  # the store takes the write and never answers
                started = asyncio.get_running_loop().time()
                response = await post_sms(client, sms_form(SMS_TEXT))
                waited = asyncio.get_running_loop().time() - started
                proxy.restore()
                assert response.status == 503
                assert "may still have arrived" in (await response.json())["detail"]
        finally:
            store.close()
    assert WRITE_TIMEOUT - 0.5 < waited < WRITE_TIMEOUT + 2

    async def held_write_landed() -> bool:
        return (await depth(db)).entries == 2

    # The write was held, not lost: it lands once the path is back, so "may still have arrived" is true.
    await eventually(held_write_landed, seconds=10)


async def test_an_entry_spooled_by_the_earlier_encoder_is_relayed(
    intake: Settings, settings: Settings, db: Database, keys: Keys, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    # The encoder before the discriminated union wrote type and schema_version after every field.
    event = grievance(keys, WEB_TEXT)
    await Spool(db).put(event, clock())
    raw = json.loads(event.to_json())
    kind, version = raw.pop("type"), raw.pop("schema_version")
    earlier = json.dumps(
        {**raw, "type": kind, "schema_version": version}, ensure_ascii=False, separators=(",", ":")
    )
    assert earlier != event.to_json().decode("utf-8")
    await db["intake_spool"].update_one({"event_id": str(event.id)}, {"$set": {"body": earlier}})
    runtime = Runtime(settings, memory_bus, db, keys, clock)
    async with serve(intake, runtime, spool=True, relay=FAST_RELAY):

        async def drained() -> bool:
            return await depth(db) == Depth(0, None)

        await eventually(drained, seconds=10)
    assert memory_bus.published == [event]
