"""Contact key rotation: ``grievance keys rotate`` re-seals what the services keep, and a worker is
reached afterwards by an intake that holds only the new key.

The contacts sit where a live system keeps them: a case and the events still in its outbox (the broker
did not confirm them), escalation's record of the case, and intake's spool.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet

from services.cli import run_admin
from services.escalation import consumer as escalation_consumer
from services.escalation import store as escalation_store
from services.escalation.documents import record_document
from services.escalation.records import merge
from services.escalation.upgrade import FORMER_RECORDS, rename_former_records
from services.intake import store as intake_store
from services.intake.channels.twilio_api import TwilioApi
from services.intake.sender import Sender, handlers
from services.intake.spool import SPOOL, Spool
from services.router import app as router_app
from services.router.case_store import CASES, INDEXES, outbox_event
from shared.contracts import CaseAssigned, Event, GrievanceReceived, parse_event
from shared.invocation import grievance_command
from shared.memorybus import MemoryBus
from shared.messaging import Handler, PublishError
from shared.privacy import Keys, UnsealError, load_keys, unseal
from shared.runtime import Runtime
from shared.settings import Settings
from shared.sla import SlaTable
from shared.store import Database, ensure_indexes
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, present
from tests.servers import ServiceServer
from tests.service.escalation_support import assigned as escalation_assigned
from tests.service.intake_support import OUTBOUND_ACCOUNT_SID, PUBLIC_BASE_URL, TWILIO_TOKEN, FakeTwilio
from tests.service.router_support import GZ_NUMBER, FlakyBus, bearer, committee_tokens, grievance

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


async def rotate(settings: Settings, runtime: Runtime) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = await run_admin(["keys", "rotate"], settings=settings, runtime=runtime, out=out)
    return code, out.getvalue().splitlines()


async def live_contacts(db: Database) -> list[str]:
    """Every sealed contact the three services keep, wherever it is."""
    found: list[str] = []
    async for case in db[CASES].find({}):
        found.append(case["sealed_contact"])
        found += [getattr(outbox_event(e), "sealed_contact", None) or "" for e in case.get("outbox", [])]
    async for record in db[escalation_store.RECORDS].find({}):
        found.append(record["reply_to"]["sealed_contact"])
    async for entry in db[SPOOL].find({}):
        event = parse_event(entry["body"].encode(), entry["type"])
        assert isinstance(event, GrievanceReceived) and event.sealed_contact
        found.append(event.sealed_contact)
    return [f for f in found if f]


def collect_into(events: list[Event]) -> Handler:
    async def collect(event: Event) -> None:
        events.append(event)

    return collect


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as fake:
        yield fake


async def test_rotation_reseals_live_contacts_and_the_worker_is_reached_with_only_the_new_key(
    settings_factory: Callable[..., Settings],
    db: Database,
    clock: FakeClock,
    memory_bus: MemoryBus,
    twilio: FakeTwilio,
) -> None:
    before = settings_factory(contact_key=OLD)
    old_keys = load_keys(before)
    bus = FlakyBus(memory_bus)
    runtime = Runtime(before, bus, db, old_keys.only(contact=False, pseudonym=True), clock)
    await ensure_indexes(db, {**INDEXES, **escalation_store.INDEXES, **intake_store.INDEXES})
    tokens = await committee_tokens(runtime)
    router = router_app.bootstrap(runtime)
    received = grievance(old_keys, "车间安全出口被锁了", to=GZ_NUMBER, phone=WORKER_PHONE)

    # While the broker confirms nothing: the grievance becomes a case, escalation keeps its record of
    # the case, the committee's reply waits in the case's outbox, another grievance waits in the spool.
    bus.failing = True
    with pytest.raises(PublishError):
        await router.consumer(received)
    case = await router.cases.by_grievance(str(received.grievance_id))
    assert case is not None and case.committee_id is not None
    assigned = next(e for e in case.creation_events(reach_worker=True) if isinstance(e, CaseAssigned))
    escalation_bus = MemoryBus()  # escalation's own broker connection: its notice left before the rotation
    await escalation_bus.start()
    await escalation_consumer.handle_event(db, escalation_bus, before.sla, clock, assigned)
    await escalation_bus.close()
    reply = {"text": "我们明天去检查安全出口"}
    committee = bearer(tokens[case.committee_id])
    async with TestClient(ServiceServer(router_app.create_app(before, runtime))) as client:
        url = f"/api/v1/cases/{case.reference}/messages"
        assert (await client.post(url, json=reply, headers=committee)).status == 503
    await Spool(db).put(grievance(old_keys, "食堂的饭菜每天都是冷的", phone=OTHER_WORKER_PHONE), clock())
    assert len(await live_contacts(db)) == 4  # the case, the reply in its outbox, the record, the spool

    # The new key seals, the old one still opens; one pass re-seals everything, a second finds it done.
    rotating = settings_factory(contact_key=NEW, contact_key_previous=OLD)
    code, lines = await rotate(rotating, runtime)
    assert code == 0, lines
    assert lines == [
        "cases: 2 resealed, 0 already current, 0 unreadable, 0 changed meanwhile",
        "case_records: 1 resealed, 0 already current, 0 unreadable, 0 changed meanwhile",
        "intake_spool: 1 resealed, 0 already current, 0 unreadable, 0 changed meanwhile",
        "outbound_messages: 0 resealed, 0 already current, 0 unreadable, 0 changed meanwhile",
    ]
    code, lines = await rotate(rotating, runtime)
    assert code == 0 and lines[0] == "cases: 0 resealed, 2 already current, 0 unreadable, 0 changed meanwhile"
    new_only = load_keys(settings_factory(contact_key=NEW))
    resealed = await live_contacts(db)
    assert sorted(unseal(new_only, c) for c in resealed) == sorted([WORKER_PHONE] * 3 + [OTHER_WORKER_PHONE])
    with pytest.raises(UnsealError):
        unseal(old_keys, resealed[0])
    case_record = await escalation_store.load_record(db, case.case_id)
    assert case_record is not None and case_record.reply_to is not None
    assert unseal(new_only, str(case_record.reply_to.sealed_contact)) == WORKER_PHONE

    # The old key is dropped and the broker is back. A sender holding only the new key delivers the
    # acknowledgement (the grievance redelivered), the reply that waited in the outbox, and the
    # committee's next message.
    intake = Runtime(settings_factory(contact_key=NEW), memory_bus, db, new_only, clock)
    bus.failing = False
    async with aiohttp.ClientSession() as session:
        channel = TwilioApi(
            session,
            api_base=twilio.base_url,
            account_sid=OUTBOUND_ACCOUNT_SID,
            auth_token=TWILIO_TOKEN,
            status_callback=f"{PUBLIC_BASE_URL}/webhooks/twilio/status",
        )
        await memory_bus.consume(
            "intake.outbound", handlers(Sender(intake.db, intake.keys, intake.clock, channel, None).handle)
        )
        downstream: list[Event] = []
        for queue in ("escalation.cases", "notifications.escalations"):
            await memory_bus.consume(queue, collect_into(downstream))
        await router.consumer(received)
        assert await router.outbox.flush_stale(clock() + timedelta(days=1)) == 1
        async with TestClient(ServiceServer(router_app.create_app(before, runtime))) as client:
            later = {"text": "检查已经完成"}
            response = await client.post(
                f"/api/v1/cases/{case.reference}/messages", json=later, headers=committee
            )
            assert response.status in (200, 201), await response.text()
            await memory_bus.drain()
    sent = [(r["form"]["To"], r["form"]["Body"]) for r in twilio.requests]
    assert [to for to, _ in sent] == [WORKER_PHONE] * 3
    assert any(reply["text"] in body for _, body in sent) and any("检查已经完成" in body for _, body in sent)


async def test_rotation_without_the_previous_key_counts_what_it_cannot_open(
    settings_factory: Callable[..., Settings], db: Database, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    old_keys = load_keys(settings_factory(contact_key=OLD))
    await Spool(db).put(grievance(old_keys, "宿舍没有热水", to=GZ_NUMBER, phone=WORKER_PHONE), clock())
    runtime = Runtime(settings_factory(), memory_bus, db, Keys(), clock)
    code, lines = await rotate(settings_factory(contact_key=NEW), runtime)
    assert code == 1
    assert "intake_spool: 0 resealed, 0 already current, 1 unreadable, 0 changed meanwhile" in lines
    (entry,) = [e async for e in db[SPOOL].find({})]
    spooled = parse_event(entry["body"].encode(), entry["type"])
    assert isinstance(spooled, GrievanceReceived)
    assert unseal(old_keys, present(spooled.sealed_contact, "the spooled contact")) == WORKER_PHONE


async def test_rotation_reseals_records_an_earlier_escalation_still_keeps_in_case_clocks(
    settings_factory: Callable[..., Settings], db: Database, clock: FakeClock, memory_bus: MemoryBus
) -> None:
    """Rotating while escalation runs a version from before ``case_records``: its collection is
    re-sealed where it is and not renamed under it (the new version renames it as it starts)."""
    old_keys = load_keys(settings_factory(contact_key=OLD))
    case = escalation_assigned(clock.now, keys=old_keys)
    record = present(merge(None, case, SlaTable(), clock.now), "the case's record")
    await db[FORMER_RECORDS].insert_one(record_document(record))
    runtime = Runtime(settings_factory(), memory_bus, db, Keys(), clock)
    code, lines = await rotate(settings_factory(contact_key=NEW, contact_key_previous=OLD), runtime)
    assert code == 0, lines
    assert lines[1] == "case_records: 0 resealed, 0 already current, 0 unreadable, 0 changed meanwhile"
    assert lines[-1] == "case_clocks: 1 resealed, 0 already current, 0 unreadable, 0 changed meanwhile"
    assert FORMER_RECORDS in await db.list_collection_names()
    stored = present(await db[FORMER_RECORDS].find_one({"case_id": case.case_id}), "the former record")
    assert (
        unseal(load_keys(settings_factory(contact_key=NEW)), stored["reply_to"]["sealed_contact"])
        == WORKER_PHONE
    )
    assert stored["version"] == record.version + 1
    # Once renamed (or on a store that never had it), rotation names case_clocks no more.
    _, lines = await rotate(settings_factory(contact_key=NEW, contact_key_previous=OLD), runtime)
    assert lines[-1].startswith("case_clocks: 0 resealed, 1 already current")
    await rename_former_records(db)
    _, lines = await rotate(settings_factory(contact_key=NEW, contact_key_previous=OLD), runtime)
    assert not any(line.startswith("case_clocks") for line in lines)
    assert lines[1] == "case_records: 0 resealed, 1 already current, 0 unreadable, 0 changed meanwhile"


def test_rotate_needs_the_systems_store_and_a_current_key(settings_factory: Callable[..., Settings]) -> None:
    from services.cli import run
    from services.cli.errors import CONFIG

    err = io.StringIO()
    assert run(["keys", "rotate"], settings=settings_factory(), err=err) == CONFIG
    assert f"`{grievance_command()} keys rotate` needs a MongoDB store" in err.getvalue()
    err = io.StringIO()
    no_key = settings_factory(contact_key=None, mongo_url="mongodb://127.0.0.1:1/")
    assert run(["keys", "rotate"], settings=no_key, err=err) == CONFIG
    assert "GRIEVANCE_CONTACT_KEY must be set" in err.getvalue()
