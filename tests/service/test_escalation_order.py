"""Order tolerance under real conditions: events in every arrival order, deliveries racing each other.

A real server answers concurrent calls in no fixed order, so the consumer's promises are checked
here through a store that waits a random 0-2 ms before every call: whatever order the events of a
case arrive or finish in, the record keeps its timeline in the order things happened, the escalation
shows the case as the record now has it, and each escalation's events are published exactly once.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta
from typing import TypeVar

import pytest

from services.escalation import consumer, outbox, store
from services.escalation.outbox import escalation_id
from shared.contracts import CaseAssigned, CaseEscalated, CaseUpdated, Event, MessageOutbound
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.sla import SlaTable
from shared.store import ensure_indexes
from tests.fakes import FakeClock, memory_bus_of
from tests.service.escalation_support import (
    InterleavingDatabase,
    assigned,
    escalation_of,
    record_of,
    updated,
)

E = TypeVar("E", bound=Event)

JITTER = 0.002  # seconds: each store call waits up to this long first


@pytest.fixture
async def rt(runtime: Runtime) -> Runtime:
    await ensure_indexes(runtime.db, store.INDEXES)
    return runtime


async def racing(rt: Runtime, seed: int, event: CaseAssigned | CaseUpdated) -> None:
    """One delivery of ``event``, on a store whose calls interleave with the other deliveries'."""
    await consumer.handle_event(
        InterleavingDatabase(rt.db, JITTER, seed), rt.bus, rt.settings.sla, rt.clock, event
    )


def dispute_story(clock: FakeClock, keys: Keys) -> tuple[CaseAssigned, list[CaseUpdated]]:
    """A case recategorised, handed to another committee, resolved and then disputed by the worker.

    Every update changes something the escalation's snapshot shows, so a snapshot taken before any
    of them arrived is visibly stale.
    """
    case = assigned(clock.now, keys=keys)
    at = clock.now
    updates = [
        updated(
            case,
            "recategorised",
            at + timedelta(hours=1),
            status="assigned",
            category="harassment_abuse",
            severity="high",
        ),
        updated(case, "recused", at + timedelta(hours=2), status="assigned", committee_id="gz-001-women"),
        updated(case, "resolved", at + timedelta(hours=3)),
        updated(case, "disputed", at + timedelta(hours=5), status="reopened"),
    ]
    return case, updates


async def assert_story_told_in_order(rt: Runtime, case: CaseAssigned, updates: list[CaseUpdated]) -> None:
    record_doc = await record_of(rt.db, case.case_id)
    assert [e.event_id for e in record_doc.timeline] == [str(u.id) for u in updates]
    [escalation] = await store.escalations_of_case(rt.db, case.case_id)
    assert escalation.id == escalation_id(case.case_id, "disputed")
    view = escalation.case
    actions = ["recategorised", "recused", "resolved", "disputed"]
    assert [t.action for t in view.timeline] == actions
    assert [t.at for t in view.timeline] == [u.at for u in updates]
    high = SlaTable().for_severity("high")
    assert (view.deadlines.ack_due_at, view.deadlines.resolve_due_at) == (
        case.created_at + high.ack,
        case.created_at + high.resolve,
    )
    assert (view.category, view.severity) == ("harassment_abuse", "high")
    assert (view.committee_id, view.case_status) == ("gz-001-women", "reopened")
    assert view.record_version == record_doc.version


async def test_every_arrival_order_gives_the_same_timeline_and_snapshot(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case, updates = dispute_story(clock, keys)
    events: list[CaseAssigned | CaseUpdated] = [case, *updates]
    for order in itertools.permutations(range(len(events))):
        case, updates = dispute_story(clock, keys)
        events = [case, *updates]
        for index in order:
            await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, events[index])
        await assert_story_told_in_order(rt, case, updates)


async def test_concurrent_and_repeated_deliveries_give_the_same_timeline_and_snapshot(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    for seed in range(12):
        case, updates = dispute_story(clock, keys)
        events: list[CaseAssigned | CaseUpdated] = [case, *updates]
        # every event twice at once, as two consumers would get a redelivery while the first still runs
        await asyncio.gather(*(racing(rt, seed, e) for e in [*events, *events]))
        await assert_story_told_in_order(rt, case, updates)


async def test_a_newer_snapshot_is_never_replaced_by_an_older_one(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case, updates = dispute_story(clock, keys)
    first: list[CaseAssigned | CaseUpdated] = [updates[-1], case]
    for event in first:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, event)
    older = await record_of(rt.db, case.case_id)
    for event in updates[:-1]:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, event)
    current = await escalation_of(rt.db, escalation_id(case.case_id, "disputed"))
    # A consumer that read the record before the last updates and finishes late changes nothing.
    await outbox.ensure_escalations(rt.db, rt.bus, rt.settings.sla, rt.clock, older)
    assert await store.get_escalation(rt.db, escalation_id(case.case_id, "disputed")) == current
    await assert_story_told_in_order(rt, case, updates)


async def test_a_resolved_escalation_keeps_the_snapshot_it_was_resolved_with(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case, updates = dispute_story(clock, keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, updates[-1])
    the_id = escalation_id(case.case_id, "disputed")
    opened = await escalation_of(rt.db, the_id)
    resolved = await store.transition(rt.db, opened.resolve("handled", "ngo-token", clock.now))
    for event in updates[:-1]:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, event)
    assert await store.get_escalation(rt.db, the_id) == resolved


def published(rt: Runtime, kind: type[E]) -> list[E]:
    return [e for e in memory_bus_of(rt).published if isinstance(e, kind)]


async def test_racing_deliveries_publish_each_escalation_exactly_once(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    # A recusal leaves each case to the NGO (conflict of interest): the worker is told, once.
    cases = [assigned(clock.now, keys=keys) for _ in range(10)]
    for seed, case in enumerate(cases):
        recused = updated(
            case, "recused", clock.now + timedelta(minutes=10), status="unassigned", committee_id=None
        )
        # two consumers hold the same assignment (a redelivery) while a third applies an update
        events = (case, case, recused, recused)
        await asyncio.gather(*(racing(rt, seed, e) for e in events))
        await consumer.handle_event(
            rt.db, rt.bus, rt.settings.sla, rt.clock, case
        )  # and it comes again later
    escalated = Counter(e.escalation_id for e in published(rt, CaseEscalated))
    assert escalated == Counter({escalation_id(c.case_id, "conflict_of_interest"): 1 for c in cases})
    notices = Counter(e.case_id for e in published(rt, MessageOutbound))
    assert notices == Counter({c.case_id: 1 for c in cases})
    for case in cases:
        [doc] = await store.escalations_of_case(rt.db, case.case_id)
        assert doc.outbox == "published"
