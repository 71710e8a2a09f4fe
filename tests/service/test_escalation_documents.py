"""The store's documents: laid out as they always were, so stored ones load and other readers find
their fields, with a pending deadline present only while it is watched and never a worker's contact
in an escalation.

These tests read and write the collections themselves: the layout is what they check.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from services.escalation import consumer, stats_store, store
from services.escalation.outbox import escalation_id
from services.escalation.stats import StatsRow
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.store import Database, ensure_indexes
from tests.fakes import FakeClock, present
from tests.service.escalation_support import assigned, escalation_of, record_of, safe_uuid, state_of, updated

T0 = FakeClock().now
CASE = str(safe_uuid())
REFERENCE = "K7M3P-9QXA2"


def earlier_record() -> dict[str, Any]:
    """An acknowledged case's record exactly as the service wrote it before ``received_at`` was
    carried: the facts, then the derived fields at the top level."""
    return {
        "case_id": CASE,
        "reference": REFERENCE,
        "assigned": True,
        "assignment": {
            "reference": REFERENCE,
            "factory_id": "GZ-001",
            "committee_id": "gz-001-spt",
            "unassigned_reason": None,
            "category": "wages",
            "severity": "normal",
            "ack_due_at": T0 + timedelta(hours=48),
            "resolve_due_at": T0 + timedelta(days=15),
            "created_at": T0,
            "occurred_at": T0,
        },
        "timeline": [
            {
                "event_id": "e-1",
                "at": T0 + timedelta(hours=1),
                "occurred_at": T0 + timedelta(hours=1, milliseconds=5),
                "action": "acknowledged",
                "actor_role": "committee",
                "status": "acknowledged",
                "committee_id": None,
                "category": None,
                "severity": None,
                "ack_due_at": None,
                "resolve_due_at": None,
            }
        ],
        "applied": ["a-1", "e-1"],
        "escalated": [],
        "version": 3,
        "updated_at": T0 + timedelta(hours=1),
        "text": "wages",
        "language": "zh",
        "reply_to": {"channel": "sms", "sealed_contact": None, "gateway_number": None},
        "status": "acknowledged",
        "committee_id": "gz-001-spt",
        "category": "wages",
        "severity": "normal",
        "ack_due_at": T0 + timedelta(hours=48),
        "resolve_due_at": T0 + timedelta(days=15),
        "acknowledged_at": T0 + timedelta(hours=1),
        "resolved_at": None,
        "confirmed_at": None,
        "disputed_at": None,
        "closed_at": None,
        "factory_id": "GZ-001",
        "created_at": T0,
        "resolve_pending_due": T0 + timedelta(days=15),
    }


@pytest.fixture
async def rt(runtime: Runtime) -> Runtime:
    await ensure_indexes(runtime.db, store.INDEXES)
    return runtime


async def raw_record(db: Database, case_id: str) -> dict[str, Any]:
    doc: dict[str, Any] | None = await db[store.RECORDS].find_one({"case_id": case_id}, {"_id": 0})
    return present(doc, f"the stored record of case {case_id}")


async def test_a_record_stored_earlier_loads_and_is_written_back_in_the_same_layout(rt: Runtime) -> None:
    await rt.db[store.RECORDS].insert_one(earlier_record())
    record = await record_of(rt.db, CASE)
    assert present(record.assignment).received_at is None and record.version == 3
    assert state_of(record).acknowledged_at == T0 + timedelta(hours=1)
    assert (record.pending.ack, record.pending.resolve) == (None, T0 + timedelta(days=15))
    assert await store.replace_record(rt.db, record, 3) == replace(record, version=4)
    written = earlier_record()
    written["assignment"]["received_at"] = None
    assert await raw_record(rt.db, CASE) == {**written, "version": 4}


async def test_the_fields_statistics_read_stay_at_the_top_level(rt: Runtime) -> None:
    await rt.db[store.RECORDS].insert_one(earlier_record())
    [row] = await stats_store.records_for_stats(rt.db, None, None)
    assert row == StatsRow(
        factory_id="GZ-001",
        category="wages",
        committee_id="gz-001-spt",
        created_at=T0,
        ack_due_at=T0 + timedelta(hours=48),
        resolve_due_at=T0 + timedelta(days=15),
        acknowledged_at=T0 + timedelta(hours=1),
        resolved_at=None,
        disputed_at=None,
        escalated=False,
        reopened=False,
    )


async def test_a_pending_deadline_is_in_the_document_only_while_it_is_watched(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(
        rt.db,
        rt.bus,
        rt.settings.sla,
        rt.clock,
        updated(case, "acknowledged", clock.now + timedelta(hours=1)),
    )
    waiting = await raw_record(rt.db, case.case_id)
    # Before its assignment a record has facts only: no derived fields, no deadline, no contact.
    assert waiting["assigned"] is False and waiting["assignment"] is None
    assert not {"status", "factory_id", "reply_to", "ack_pending_due", "resolve_pending_due"} & set(waiting)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    doc = await raw_record(rt.db, case.case_id)
    assert "ack_pending_due" not in doc and doc["resolve_pending_due"] == case.resolve_due_at
    assert doc["status"] == "acknowledged" and doc["factory_id"] == "GZ-001"


async def test_an_escalation_stored_before_versions_were_kept_loads_and_follows_the_record(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, severity="critical", category="health_safety")
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    the_id = escalation_id(case.case_id, "critical")
    await rt.db[store.ESCALATIONS].update_one({"_id": the_id}, {"$unset": {"clock_version": ""}})
    assert (await escalation_of(rt.db, the_id)).case.record_version == -1
    await consumer.handle_event(
        rt.db,
        rt.bus,
        rt.settings.sla,
        rt.clock,
        updated(case, "acknowledged", clock.now + timedelta(minutes=5)),
    )
    escalation = await escalation_of(rt.db, the_id)
    assert escalation.case.case_status == "acknowledged"
    assert escalation.case.record_version == (await record_of(rt.db, case.case_id)).version


async def test_an_escalation_document_holds_no_contact(rt: Runtime, clock: FakeClock, keys: Keys) -> None:
    case = assigned(clock.now, keys=keys, severity="critical", category="health_safety")
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    doc = await rt.db[store.ESCALATIONS].find_one({"_id": escalation_id(case.case_id, "critical")})
    assert not {"reply_to", "sealed_contact", "gateway_number", "reporter_key"} & set(doc)
    assert present(case.sealed_contact) not in str(doc) and present(case.gateway_number) not in str(doc)
    assert doc["text"] == case.text and doc["outbox"] == "published" and "outbox_due_at" not in doc
