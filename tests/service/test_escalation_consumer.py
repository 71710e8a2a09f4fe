"""Case events become records and immediate escalations, idempotently and in any order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from structlog.testing import capture_logs

from services.escalation import consumer, store
from services.escalation.outbox import escalation_id
from shared.contracts import CaseAssigned, CaseEscalated, CaseUpdated, Event, MessageOutbound
from shared.logview import render_summary
from shared.messaging import Rejected
from shared.privacy import Keys, unseal
from shared.runtime import Runtime
from shared.store import ensure_indexes
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, memory_bus_of, present
from tests.service.escalation_support import (
    LOCKED_EXIT_TEXT,
    InterleavingDatabase,
    assigned,
    consume_downstream,
    escalation_of,
    record_of,
    state_of,
    updated,
)

E = TypeVar("E", bound=Event)


@pytest.fixture
async def rt(runtime: Runtime) -> Runtime:
    await ensure_indexes(runtime.db, store.INDEXES)
    await runtime.bus.consume(
        consumer.QUEUE, consumer.handler_for(runtime.db, runtime.bus, runtime.settings.sla, runtime.clock)
    )
    await consume_downstream(runtime.bus)
    return runtime


async def deliver(rt: Runtime, *events: Event) -> None:
    for event in events:
        await rt.bus.publish(event)
    await memory_bus_of(rt).drain()


def published(rt: Runtime, kind: type[E]) -> list[E]:
    return [e for e in memory_bus_of(rt).published if isinstance(e, kind)]


async def test_an_assignment_creates_a_record_with_the_sla_deadlines(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await deliver(rt, case)
    doc = await record_of(rt.db, case.case_id)
    assert doc.pending.ack == case.ack_due_at
    assert doc.pending.resolve == case.resolve_due_at
    assert state_of(doc).status == "assigned" and doc.factory_id == "GZ-001"
    assert await store.escalations_of_case(rt.db, case.case_id) == []


async def test_a_locked_fire_exit_is_escalated_critical_at_once_and_the_worker_told_in_chinese(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(
        clock.now, keys=keys, severity="critical", category="health_safety", text=LOCKED_EXIT_TEXT
    )
    await deliver(rt, case)
    escalation = await escalation_of(rt.db, escalation_id(case.case_id, "critical"))
    assert escalation.reason == "critical" and escalation.status == "open"
    assert escalation.text == LOCKED_EXIT_TEXT and escalation.outbox == "published"
    assert "sealed_contact" not in str(escalation) and present(case.sealed_contact) not in str(escalation)
    [escalated] = published(rt, CaseEscalated)
    assert (escalated.case_id, escalated.reason, escalated.escalation_id) == (
        case.case_id,
        "critical",
        escalation.id,
    )
    # The router's acknowledgement of a critical case already says the monitor follows it: one text.
    assert published(rt, MessageOutbound) == []


async def test_a_case_found_critical_later_is_told_to_the_worker_in_chinese(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    later = updated(
        case, "recategorised", clock.now + timedelta(hours=1), status="assigned", category="health_safety"
    )
    later = later.model_copy(update={"severity": "critical"})
    await deliver(rt, case, later)
    [notice] = published(rt, MessageOutbound)
    assert notice.purpose == "escalation_notice" and notice.language == "zh"
    assert case.reference in notice.text and "独立监督机构" in notice.text and "严重" in notice.text
    assert unseal(keys, present(notice.sealed_contact)) == WORKER_PHONE
    assert notice.gateway_number == case.gateway_number and notice.channel == "sms"


async def test_the_notice_is_in_english_for_an_english_speaking_worker(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, phone=ENGLISH_WORKER_PHONE, language="en")
    recused = updated(case, "recused", clock.now + timedelta(hours=1), status="unassigned", committee_id=None)
    await deliver(rt, case, recused)
    [notice] = published(rt, MessageOutbound)
    assert notice.language == "en"
    assert notice.text.startswith(f"An independent monitor now follows case {case.reference}.")
    assert "conflict of interest" in notice.text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"committee_id": None, "unassigned_reason": "conflict_of_interest"},
        {"category": "retaliation", "committee_id": None, "unassigned_reason": "retaliation"},
        {"factory_id": None, "committee_id": None, "unassigned_reason": "unroutable"},
        {"severity": "critical", "category": "child_labour"},
    ],
)
async def test_what_the_routers_acknowledgement_told_gets_no_second_text(
    rt: Runtime, clock: FakeClock, keys: Keys, kwargs: Any
) -> None:
    await deliver(rt, assigned(clock.now, keys=keys, **kwargs))
    assert len(published(rt, CaseEscalated)) == 1 and published(rt, MessageOutbound) == []


async def test_no_notice_without_a_contact(rt: Runtime, clock: FakeClock) -> None:
    case = assigned(clock.now, phone=None, factory_id=None, committee_id=None, unassigned_reason="unroutable")
    await deliver(rt, case)
    assert [e.reason for e in published(rt, CaseEscalated)] == ["unroutable"]
    assert published(rt, MessageOutbound) == []


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        (
            {"category": "retaliation", "committee_id": None, "unassigned_reason": "retaliation"},
            "retaliation",
        ),
        ({"committee_id": None, "unassigned_reason": "conflict_of_interest"}, "conflict_of_interest"),
        ({"factory_id": None, "committee_id": None, "unassigned_reason": "unroutable"}, "unroutable"),
        ({"severity": "critical", "category": "child_labour"}, "critical"),
    ],
)
async def test_each_immediate_reason_opens_one_escalation(
    rt: Runtime, clock: FakeClock, keys: Keys, kwargs: Any, reason: Any
) -> None:
    case = assigned(clock.now, keys=keys, **kwargs)
    await deliver(rt, case)
    docs = await store.escalations_of_case(rt.db, case.case_id)
    assert [d.reason for d in docs] == [reason]


async def test_a_dispute_escalates(rt: Runtime, clock: FakeClock, keys: Keys) -> None:
    case = assigned(clock.now, keys=keys)
    await deliver(
        rt,
        case,
        updated(case, "resolved", clock.now + timedelta(hours=3)),
        updated(case, "disputed", clock.now + timedelta(hours=5)),
    )
    docs = await store.escalations_of_case(rt.db, case.case_id)
    assert [d.reason for d in docs] == ["disputed"]
    assert [a.action for a in docs[0].case.timeline] == ["resolved", "disputed"]


async def test_the_same_event_twice_changes_the_record_once_and_escalates_once(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys, severity="critical", category="health_safety")
    ack = updated(case, "acknowledged", clock.now + timedelta(minutes=10))
    await deliver(rt, case, ack)
    before = await record_of(rt.db, case.case_id)
    await deliver(rt, case, ack, case)
    after = await record_of(rt.db, case.case_id)
    assert after == before and after.version == 1
    assert len(await store.escalations_of_case(rt.db, case.case_id)) == 1
    assert len(published(rt, CaseEscalated)) == 1 and published(rt, MessageOutbound) == []


async def test_an_update_before_its_assignment_is_kept_and_applied(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await deliver(rt, updated(case, "acknowledged", clock.now + timedelta(hours=1)))
    waiting = await record_of(rt.db, case.case_id)
    assert waiting.assigned is False and len(waiting.timeline) == 1
    assert waiting.pending.ack is None
    await deliver(rt, case)
    doc = await record_of(rt.db, case.case_id)
    assert (
        state_of(doc).acknowledged_at == clock.now + timedelta(hours=1)
        and state_of(doc).status == "acknowledged"
    )
    assert doc.pending.ack is None and doc.pending.resolve == case.resolve_due_at


async def test_a_dispute_before_its_assignment_escalates_when_the_assignment_arrives(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    case = assigned(clock.now, keys=keys)
    await deliver(rt, updated(case, "disputed", clock.now + timedelta(days=1)))
    assert await store.escalations_of_case(rt.db, case.case_id) == []
    await deliver(rt, case)
    assert [d.reason for d in await store.escalations_of_case(rt.db, case.case_id)] == ["disputed"]


async def test_recategorisation_moves_the_clock(rt: Runtime, clock: FakeClock, keys: Keys) -> None:
    case = assigned(clock.now, keys=keys, severity="normal")
    await deliver(
        rt,
        case,
        updated(
            case,
            "recategorised",
            clock.now + timedelta(hours=1),
            category="harassment_abuse",
            severity="high",
        ),
    )
    doc = await record_of(rt.db, case.case_id)
    assert (state_of(doc).category, state_of(doc).severity) == ("harassment_abuse", "high")
    assert doc.pending.ack == clock.now + timedelta(hours=24)


async def test_concurrent_updates_of_one_case_are_all_kept(
    runtime: Runtime, clock: FakeClock, keys: Keys
) -> None:
    await ensure_indexes(runtime.db, store.INDEXES)
    racing = InterleavingDatabase(runtime.db)
    case = assigned(clock.now, keys=keys)
    events = [updated(case, "replied", clock.now + timedelta(minutes=i)) for i in range(1, 11)]
    arrivals: list[CaseAssigned | CaseUpdated] = [*events, case, *events]
    await asyncio.gather(*(consumer.apply_event(racing, runtime.settings.sla, clock, e) for e in arrivals))
    doc = await record_of(runtime.db, case.case_id)
    assert len(doc.timeline) == 10 and doc.assigned and state_of(doc).acknowledged_at == events[0].at


async def test_an_event_of_another_type_is_refused_for_the_dead_letter_queue(
    rt: Runtime, clock: FakeClock
) -> None:
    stray = CaseEscalated(
        correlation_id=assigned(clock.now).correlation_id,
        case_id="x",
        reference="ABCDE-FGHJK",
        escalation_id="e",
        reason="critical",
        at=clock.now,
    )
    with pytest.raises(Rejected, match=r"^case\.escalated does not belong on escalation\.cases$"):
        await consumer.handler_for(rt.db, rt.bus, rt.settings.sla, rt.clock)(stray)
    assert await store.load_record(rt.db, "x") is None


async def test_a_rerouted_unroutable_case_settles_its_escalation_and_nothing_else(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    lost = assigned(clock.now, keys=keys, factory_id=None, committee_id=None, unassigned_reason="unroutable")
    other = assigned(clock.now, keys=keys, factory_id=None, committee_id=None, unassigned_reason="unroutable")
    await deliver(rt, lost, other)
    closed = updated(lost, "closed", clock.advance(minutes=5), actor_role="system", note="rerouted")
    await deliver(rt, closed, closed)
    settled = await escalation_of(rt.db, escalation_id(lost.case_id, "unroutable"))
    assert settled.status == "resolved" and settled.resolved_by == "system"
    untouched = await escalation_of(rt.db, escalation_id(other.case_id, "unroutable"))
    assert untouched.status == "open"
    # A case closed for any other reason keeps its escalation for the monitor to judge.
    await deliver(
        rt,
        updated(other, "closed", clock.advance(minutes=1), actor_role="system", note="resolved_unconfirmed"),
    )
    assert (await escalation_of(rt.db, escalation_id(other.case_id, "unroutable"))).status == "open"


async def test_the_log_names_an_escalation_by_the_reference_the_ngo_sees(
    rt: Runtime, clock: FakeClock, keys: Keys
) -> None:
    """The embedded run's terminal (``shared.logview``) shows the case by its reference."""
    lost = assigned(clock.now, keys=keys, factory_id=None, committee_id=None, unassigned_reason="unroutable")
    with capture_logs() as logs:
        await deliver(rt, lost)
        await deliver(
            rt, updated(lost, "closed", clock.advance(minutes=5), actor_role="system", note="rerouted")
        )
    lines = {entry["event"]: entry for entry in logs if entry["event"].startswith("escalation_")}
    opened, settled = lines["escalation_opened"], lines["escalation_settled"]
    assert opened["reference"] == settled["reference"] == lost.reference
    assert render_summary(None, "info", dict(opened)).endswith(
        f"case {lost.reference} escalated to the NGO: unroutable"
    )
    assert render_summary(None, "info", dict(settled)).endswith(
        f"case {lost.reference} escalation settled: unroutable"
    )
