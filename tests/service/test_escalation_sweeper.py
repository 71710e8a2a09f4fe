"""The sweeper flags missed deadlines once per case and reason, even with replicas racing or crashing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from services.escalation import consumer, outbox, store
from services.escalation.sweeper import BATCH, sweep_once
from shared.contracts import CaseEscalated, Event, MessageOutbound
from shared.messaging import Bus, PublishError
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.store import ensure_indexes
from tests.fakes import FakeClock, memory_bus_of
from tests.service.escalation_support import (
    InterleavingDatabase,
    InterruptedDatabase,
    assigned,
    record_of,
    state_of,
    updated,
)

E = TypeVar("E", bound=Event)


@pytest.fixture
async def rt(runtime: Runtime) -> Runtime:
    await ensure_indexes(runtime.db, store.INDEXES)
    return runtime


def published(rt: Runtime, kind: type[E]) -> list[E]:
    return [e for e in memory_bus_of(rt).published if isinstance(e, kind)]


async def test_an_unacknowledged_case_is_flagged_once_when_its_deadline_passes(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    clock.now = case.ack_due_at - timedelta(seconds=1)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0
    clock.now = case.ack_due_at
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 1
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0
    [doc] = await store.escalations_of_case(rt.db, case.case_id)
    assert doc.reason == "ack_overdue" and doc.outbox == "published"
    assert [m.deadline for m in doc.case.deadlines_missed] == ["acknowledge"]
    assert [e.reason for e in published(rt, CaseEscalated)] == ["ack_overdue"]
    [notice] = published(rt, MessageOutbound)
    assert notice.purpose == "escalation_notice" and case.reference in notice.text
    record_doc = await record_of(rt.db, case.case_id)
    assert record_doc.pending.ack is None and record_doc.escalated == ("ack_overdue",)


async def test_resolution_overdue_follows_and_an_acknowledged_case_is_not_ack_overdue(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    await consumer.handle_event(
        rt.db,
        rt.bus,
        rt.settings.sla,
        rt.clock,
        updated(case, "acknowledged", clock.now + timedelta(hours=1)),
    )
    clock.now = case.resolve_due_at + timedelta(minutes=1)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 1
    assert [d.reason for d in await store.escalations_of_case(rt.db, case.case_id)] == ["resolution_overdue"]


async def test_a_case_resolved_in_time_is_never_flagged(rt: Runtime, clock: FakeClock, keys: Keys) -> None:
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    await consumer.handle_event(
        rt.db, rt.bus, rt.settings.sla, rt.clock, updated(case, "resolved", clock.now + timedelta(hours=5))
    )
    clock.advance(days=30)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0


async def test_updates_after_an_escalation_do_not_rearm_the_deadline(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    clock.now = case.ack_due_at + timedelta(minutes=5)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 1
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, updated(case, "replied", clock.now))
    await consumer.handle_event(
        rt.db, rt.bus, rt.settings.sla, rt.clock, updated(case, "recategorised", clock.now, severity="high")
    )
    doc = await record_of(rt.db, case.case_id)
    assert doc.pending.ack is None and doc.escalated == ("ack_overdue",)
    clock.advance(days=1)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0


async def test_recategorisation_to_a_shorter_deadline_is_swept_on_the_new_one(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, severity="normal")
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    await consumer.handle_event(
        rt.db,
        rt.bus,
        rt.settings.sla,
        rt.clock,
        updated(case, "recategorised", clock.now, category="wages", severity="high"),
    )
    clock.now += timedelta(hours=24, seconds=1)  # past the high ack deadline, before the normal one
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 1


async def test_two_sweepers_racing_over_1000_overdue_cases_open_exactly_1000(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    cases = [assigned(clock.now, keys=keys) for _ in range(1000)]
    for case in cases:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    clock.advance(hours=49)
    replica = Runtime(rt.settings, rt.bus, InterleavingDatabase(rt.db), rt.keys, rt.clock)
    first, second = await asyncio.gather(
        sweep_once(replica.db, replica.bus, replica.settings.sla, replica.clock, batch=200),
        sweep_once(replica.db, replica.bus, replica.settings.sla, replica.clock, batch=300),
    )
    assert first + second == 1000
    overdue = store.EscalationQuery(reason="ack_overdue")
    assert (await store.list_escalations(rt.db, overdue, 0, 1))[1] == 1000
    escalated = published(rt, CaseEscalated)
    assert len(escalated) == 1000 and len({e.id for e in escalated}) == 1000
    assert len(published(rt, MessageOutbound)) == 1000
    assert await store.records_due(rt.db, "ack_overdue", clock.now, 10) == []
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0


class FlakyBus:
    """A bus that refuses the next ``failures`` publishes, as a broker going away mid-publish would."""

    def __init__(self, inner: Bus, failures: int) -> None:
        self.inner, self.failures = inner, failures

    async def publish(self, event: Event) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise PublishError("broker unavailable")
        await self.inner.publish(event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_crash_after_the_insert_neither_loses_nor_duplicates_the_notice(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    flaky = Runtime(rt.settings, FlakyBus(rt.bus, failures=1), rt.db, rt.keys, rt.clock)
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock, case)
    clock.now = case.ack_due_at
    with pytest.raises(PublishError):
        await sweep_once(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock)
    [doc] = await store.escalations_of_case(rt.db, case.case_id)
    assert doc.outbox == "pending" and published(rt, CaseEscalated) == []
    # The escalation exists and the deadline is settled: the next sweeps open nothing new.
    assert await sweep_once(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock) == 0
    assert published(rt, CaseEscalated) == []
    # Once the opener's lease has run out, a sweeper publishes the outbox, once.
    clock.now += outbox.OUTBOX_LEASE
    await sweep_once(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock)
    await sweep_once(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock)
    assert [e.reason for e in published(rt, CaseEscalated)] == ["ack_overdue"]
    assert len(published(rt, MessageOutbound)) == 1
    [doc] = await store.escalations_of_case(rt.db, case.case_id)
    assert doc.outbox == "published"


async def test_a_redelivered_event_finishes_an_unfinished_publish(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    flaky = Runtime(rt.settings, FlakyBus(rt.bus, failures=1), rt.db, rt.keys, rt.clock)
    case = assigned(clock.now, keys=keys, severity="critical", category="health_safety")
    with pytest.raises(PublishError):
        await consumer.handle_event(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock, case)
    await consumer.handle_event(
        flaky.db, flaky.bus, flaky.settings.sla, flaky.clock, case
    )  # the broker redelivers the unacked event
    await consumer.handle_event(flaky.db, flaky.bus, flaky.settings.sla, flaky.clock, case)
    # No notice: the router's acknowledgement of a critical case tells the worker the monitor follows it.
    assert len(published(rt, CaseEscalated)) == 1 and published(rt, MessageOutbound) == []
    escalated = published(rt, CaseEscalated)[0]
    assert (
        escalated.id
        == outbox.events_for((await store.escalations_of_case(rt.db, case.case_id))[0], None)[0].id
    )


async def test_an_escalation_opened_as_its_record_moves_on_shows_the_record_as_it_is_now(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    """A recategorisation lands between the sweeper reading an overdue record and inserting its
    escalation: the escalation must not keep the older view (the next event may be days away)."""
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    clock.now = case.ack_due_at + timedelta(minutes=1)
    recategorised = updated(
        case,
        "recategorised",
        clock.now - timedelta(minutes=30),
        status="assigned",
        category="harassment_abuse",
        severity="high",
    )

    async def committee_recategorises() -> None:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, recategorised)

    racing = InterruptedDatabase(rt.db, store.ESCALATIONS, "insert_many", committee_recategorises)
    sweeper = Runtime(rt.settings, rt.bus, racing, rt.keys, rt.clock)
    assert (
        await sweep_once(sweeper.db, sweeper.bus, sweeper.settings.sla, sweeper.clock) == 1
        and racing.interrupted
    )
    [escalation] = await store.escalations_of_case(rt.db, case.case_id)
    now = await record_of(rt.db, case.case_id)
    assert (escalation.case.category, escalation.case.severity) == ("harassment_abuse", "high")
    assert (
        escalation.case.deadlines.ack_due_at
        == state_of(now).ack_due_at
        == case.created_at + timedelta(hours=24)
    )
    assert [item.action for item in escalation.case.timeline] == ["recategorised"]
    assert escalation.case.record_version == now.version


async def test_an_escalation_opened_as_the_case_is_acknowledged_late_keeps_following_its_case(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    """The committee acknowledges, late, between the sweeper reading the record and inserting the
    escalation: the deadline is no longer watched, yet the escalation exists and must stay current
    (the record must list the reason, or no later event brings the escalation up to date)."""
    case = assigned(clock.now, keys=keys)
    await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, case)
    clock.now = case.ack_due_at + timedelta(minutes=1)
    late = updated(case, "acknowledged", clock.now - timedelta(seconds=30))

    async def committee_acknowledges() -> None:
        await consumer.handle_event(rt.db, rt.bus, rt.settings.sla, rt.clock, late)

    racing = InterruptedDatabase(rt.db, store.ESCALATIONS, "insert_many", committee_acknowledges)
    assert await sweep_once(racing, rt.bus, rt.settings.sla, rt.clock) == 1
    [escalation] = await store.escalations_of_case(rt.db, case.case_id)
    assert escalation.case.case_status == "acknowledged"
    [missed] = escalation.case.deadlines_missed
    assert (missed.deadline, missed.met_at) == ("acknowledge", late.at)
    assert (await record_of(rt.db, case.case_id)).escalated == ("ack_overdue",)
    await consumer.handle_event(
        rt.db, rt.bus, rt.settings.sla, rt.clock, updated(case, "resolved", clock.advance(days=1))
    )
    [escalation] = await store.escalations_of_case(rt.db, case.case_id)
    assert escalation.case.case_status == "resolved"
    assert escalation.case.record_version == (await record_of(rt.db, case.case_id)).version
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 0


async def test_a_sweep_examines_the_overdue_records_and_no_other(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    """The sparse index answers the sweep's query, on a server with a query planner (the real-server
    lane): what a sweep reads grows with the overdue cases, not with the open ones."""
    start = clock.now
    for i in range(60):
        # One case in six was received two days ago: its acknowledgement deadline has just passed.
        await consumer.handle_event(
            rt.db,
            rt.bus,
            rt.settings.sla,
            rt.clock,
            assigned(start - timedelta(hours=49 if i % 6 == 0 else 1), keys=keys),
        )
    cost = await store.explain_due(rt.db, "ack_overdue", clock.now, BATCH)
    if cost is None:
        pytest.skip("the in-memory engine has no query planner to explain (make test-mongo runs this)")
    assert (cost.docs_examined, cost.returned) == (10, 10)
    assert await sweep_once(rt.db, rt.bus, rt.settings.sla, rt.clock) == 10
    after = await store.explain_due(rt.db, "ack_overdue", clock.now, BATCH)
    assert after is not None and (after.docs_examined, after.returned) == (0, 0)
