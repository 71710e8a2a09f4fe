"""The case store: writes at the version read, cases written before versions, the bounded retry,
and concurrent writers of one case (through a store whose calls interleave, as round trips do)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from structlog.testing import capture_logs

from services.router import actions
from services.router.app import INDEXES, Router, bootstrap
from services.router.case import Case, Outcome
from services.router.case_store import ATTEMPTS, CaseStore, InboxFilter, to_document
from services.router.decisions import FollowUp, NewCase
from services.router.errors import ChangedConcurrently
from services.router.inbound_store import InboundStore
from services.router.registry import load_registry_file
from shared.contracts import CaseUpdated
from shared.runtime import Runtime
from shared.store import ensure_indexes, to_ms
from tests.fakes import FakeClock, memory_bus_of
from tests.service.escalation_support import InterleavingDatabase
from tests.service.router_support import REGISTRY, ContendedDatabase, fresh_phone, grievance


@pytest.fixture
async def router(runtime: Runtime) -> Router:
    await ensure_indexes(runtime.db, INDEXES)
    await load_registry_file(runtime.db, REGISTRY)
    return bootstrap(runtime)


async def open_case(
    runtime: Runtime, router: Router, text: str = "工资三个月没发", phone: str | None = None
) -> Case:
    event = grievance(runtime.keys, text, phone=phone or fresh_phone())
    await router.consumer(event)
    case = await router.cases.by_grievance(str(event.grievance_id))
    assert case is not None
    return case


def acknowledging(case: Case, now: datetime, action_id: str = "ack-1") -> Outcome:
    assert case.committee_id is not None
    return case.acknowledge(by=case.committee_id, action_id=action_id, now=to_ms(now), reach_worker=True)


def updates(runtime: Runtime, case_id: str, action: str) -> list[CaseUpdated]:
    return [
        e
        for e in memory_bus_of(runtime).published
        if isinstance(e, CaseUpdated) and e.case_id == case_id and e.action == action
    ]


async def test_a_new_case_is_at_version_one_and_reads_back_as_it_was_written(
    router: Router, runtime: Runtime
) -> None:
    case = await open_case(runtime, router)
    assert case.version == 1
    assert Case.model_validate(to_document(case)) == case.model_copy(update={"version": 0})


async def test_a_write_at_a_stale_version_is_refused_and_changes_nothing(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case = await open_case(runtime, router)
    saved = await router.cases.save(case, acknowledging(case, clock()))
    assert saved is not None and saved.case.version == 2
    assert [e.type for e in saved.pending.events] == ["case.updated", "message.outbound"]
    committee = case.committee_id
    assert committee is not None
    late = case.resolve(
        by=committee, action_id="r-1", resolution="已补发", now=to_ms(clock()), reach_worker=True
    )
    assert await router.cases.save(case, late) is None
    stored = await router.cases.by_id(case.case_id)
    assert stored is not None and stored == saved.case
    assert (stored.status, stored.resolution, stored.version) == ("acknowledged", None, 2)


async def test_a_case_written_before_versions_loads_as_version_zero_and_is_written_once(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case = await open_case(runtime, router)
    # A document as the router stored it before it kept versions (the one way to get one is to write it).
    await runtime.db["cases"].update_one({"_id": case.case_id}, {"$unset": {"version": ""}})
    old = await router.cases.by_id(case.case_id)
    assert old is not None and old.version == 0
    saved = await router.cases.save(old, acknowledging(old, clock()))
    assert saved is not None and saved.case.version == 1
    assert await router.cases.save(old, acknowledging(old, clock(), "ack-2")) is None
    stored = await router.cases.by_id(case.case_id)
    assert stored is not None and stored.version == 1 and [t.id for t in stored.timeline][-1] == "ack-1"


async def test_mutate_gives_up_after_a_bounded_number_of_lost_races(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case = await open_case(runtime, router)
    contended = ContendedDatabase(runtime.db)
    with pytest.raises(ChangedConcurrently):
        await CaseStore(contended).mutate(case.case_id, partial(acknowledging, now=clock()))
    assert contended.writes_lost == ATTEMPTS
    stored = await router.cases.by_id(case.case_id)
    assert stored is not None and stored.status == "assigned" and stored.acknowledged_at is None
    assert updates(runtime, case.case_id, "acknowledged") == []


async def test_concurrent_writers_of_one_case_all_land_once(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    """A committee's replies and the worker's follow-up, all at once: as many writers as attempts,
    so each must land however the races go (a writer loses only to another writer's success)."""
    phone = fresh_phone()
    case = await open_case(runtime, router, phone=phone)
    committee = case.committee_id
    assert committee is not None
    racing = bootstrap(
        Runtime(
            runtime.settings,
            runtime.bus,
            InterleavingDatabase(runtime.db, jitter=0.005, seed=7),
            runtime.keys,
            clock,
        )
    )
    replies = [
        actions.reply(
            racing.outbox,
            clock,
            case.case_id,
            committee,
            f"第{i}次回复",
            message=f"reply-{i}",
            reach_worker=True,
        )
        for i in range(ATTEMPTS - 1)
    ]
    follow_up = racing.consumer(grievance(runtime.keys, "补充：加班费也没有", phone=phone))
    with capture_logs() as logs:
        await asyncio.gather(*replies, follow_up)
    assert any(entry["event"] == "case_changed_concurrently" for entry in logs)  # the races did happen
    stored = await router.cases.by_id(case.case_id)
    assert stored is not None
    assert sorted(m.id for m in stored.messages if m.direction == "committee") == [
        f"reply-{i}" for i in range(ATTEMPTS - 1)
    ]
    assert [m.purpose for m in stored.messages].count("message") == 1
    assert stored.version == 1 + ATTEMPTS
    assert len({e.id for e in updates(runtime, case.case_id, "replied")}) == ATTEMPTS - 1
    # Another writer's events may be published twice (each writer publishes the outbox it wrote to),
    # always with the same id: downstream drops the copy.
    assert len({e.id for e in updates(runtime, case.case_id, "worker_replied")}) == 1


async def test_one_message_delivered_twice_at_once_is_added_once(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    phone = fresh_phone()
    case = await open_case(runtime, router, phone=phone)
    racing = bootstrap(
        Runtime(
            runtime.settings,
            runtime.bus,
            InterleavingDatabase(runtime.db, jitter=0.005, seed=3),
            runtime.keys,
            clock,
        )
    )
    follow_up = grievance(runtime.keys, "宿舍也没有热水", phone=phone)
    await asyncio.gather(racing.consumer(follow_up), racing.consumer(follow_up))
    stored = await router.cases.by_id(case.case_id)
    assert stored is not None and [m.purpose for m in stored.messages] == ["grievance", "message"]
    assert len({e.id for e in updates(runtime, case.case_id, "worker_replied")}) == 1


async def test_the_first_decision_recorded_for_a_message_is_kept(db: Any, clock: FakeClock) -> None:
    inbound = InboundStore(db)
    assert await inbound.recorded("g-1") is None
    first = await inbound.record("g-1", FollowUp(case_id="case-a"), clock())
    assert first == FollowUp(case_id="case-a")
    assert await inbound.record("g-1", NewCase(supersedes=("case-b",)), clock()) == first
    assert await inbound.recorded("g-1") == first


async def test_the_inbox_filters_by_status_category_and_overdue_as_the_case_says(
    router: Router, runtime: Runtime
) -> None:
    wages = await open_case(runtime, router, "工资三个月没发")
    exit_locked = await open_case(runtime, router, "安全出口被锁了")
    committee = wages.committee_id
    assert committee is not None and exit_locked.committee_id == committee
    await router.cases.mutate(wages.case_id, lambda c: acknowledging(c, runtime.clock()))
    now = runtime.clock()

    async def inbox(
        *, status: str | None = None, category: str | None = None, overdue: bool = False
    ) -> list[str]:
        chosen = InboxFilter(status=status, category=category, overdue=overdue)
        cases, total = await router.cases.committee_inbox(committee, chosen, now, 0, 10)
        assert total == len(cases)
        return sorted(c.reference for c in cases)

    assert await inbox() == sorted([wages.reference, exit_locked.reference])
    assert await inbox(status="assigned") == [exit_locked.reference]
    assert await inbox(category="wages") == [wages.reference]
    assert await inbox(overdue=True) == []
    counts = await router.cases.committee_counts(committee, now)
    assert (counts["all"], counts["assigned"], counts["acknowledged"], counts["overdue"]) == (2, 1, 1, 0)

    # Past the acknowledgement deadline of the unacknowledged case: only that one is overdue.
    late = exit_locked.ack_due_at + timedelta(minutes=1)
    assert late < wages.resolve_due_at
    cases, _ = await router.cases.committee_inbox(committee, InboxFilter(overdue=True), late, 0, 10)
    assert [c.reference for c in cases] == [exit_locked.reference]
    stored_wages = await router.cases.by_id(wages.case_id)
    assert stored_wages is not None
    assert all(c.overdue(late) for c in cases) and not stored_wages.overdue(late)
    assert (await router.cases.committee_counts(committee, late))["overdue"] == 1
    assert (await router.cases.committee_counts("gz-001-women", late))["all"] == 0
