"""The grievance consumer through the in-memory bus: cases, routing, events, idempotency, DLQ."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from services.router.appkeys import ROUTER
from shared.contracts import CaseAssigned, Event, MessageOutbound
from shared.ids import reference_for
from shared.runtime import Runtime
from tests.fakes import ENGLISH_WORKER_PHONE, OTHER_WORKER_PHONE, WORKER_PHONE, memory_bus_of, sensitive
from tests.service.router_support import (
    DG_NUMBER,
    GZ_NUMBER,
    assert_no_contact,
    bearer,
    committee_tokens,
    grievance,
    serve,
    stored_case,
)

E = TypeVar("E", bound=Event)


def published(runtime: Runtime, kind: type[E]) -> list[E]:
    return [e for e in memory_bus_of(runtime).published if isinstance(e, kind)]


async def deliver(runtime: Runtime, event: Event) -> None:
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()


async def test_chinese_sms_to_factory_number_reaches_the_right_committee_only(runtime: Runtime) -> None:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(
            runtime.keys, "车间的安全出口被锁了，晚上加班时出不去", to=GZ_NUMBER, phone=WORKER_PHONE
        )
        await deliver(runtime, event)

        assigned = published(runtime, CaseAssigned)
        assert len(assigned) == 1
        case = assigned[0]
        assert (case.factory_id, case.committee_id) == ("GZ-001", "gz-001-spt")
        assert (case.category, case.severity) == ("health_safety", "critical")
        assert case.ack_due_at == event.received_at + timedelta(hours=2)
        assert case.resolve_due_at == event.received_at + timedelta(days=3)
        ack = published(runtime, MessageOutbound)
        assert [m.purpose for m in ack] == ["ack"]
        assert ack[0].reference == event.reference and event.reference in ack[0].text
        assert ack[0].language == "zh" and event.reference in ack[0].text and "北京时间" in ack[0].text
        assert ack[0].sealed_contact == event.sealed_contact and ack[0].gateway_number == GZ_NUMBER

        response = await client.get(f"/api/v1/cases/{event.reference}", headers=bearer(tokens["gz-001-spt"]))
        assert response.status == 200
        body = await response.json()
        assert body["category"] == "health_safety" and body["severity"] == "critical"
        assert body["status"] == "assigned" and body["text"] == event.text
        assert_no_contact(body, WORKER_PHONE)
        for other in ("gz-001-women", "dg-002-wages", "dg-002-safety", "sz-003-spt"):
            response = await client.get(f"/api/v1/cases/{event.reference}", headers=bearer(tokens[other]))
            assert response.status == 404
            listing = await (await client.get("/api/v1/cases", headers=bearer(tokens[other]))).json()
            assert listing["total"] == 0


async def test_the_same_event_twice_makes_one_case_and_the_same_event_ids(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime):
        event = grievance(runtime.keys, "工资拖欠了两个月", to=DG_NUMBER)
        await deliver(runtime, event)
        await deliver(runtime, event)
        assert await runtime.db["cases"].count_documents({}) == 1
        caused = [e for e in memory_bus_of(runtime).published if not isinstance(e, type(event))]
        ids = [e.id for e in caused]
        assert len(ids) == 4 and len(set(ids)) == 2  # republished with the same ids
        # The first delivery's events (built as the case was opened) are the stored case's, exactly.
        assert [e.model_dump() for e in caused[:2]] == [e.model_dump() for e in caused[2:]]
        case = published(runtime, CaseAssigned)[0]
        assert (case.committee_id, case.category, case.severity) == ("dg-002-wages", "wages", "high")


async def test_a_malformed_event_is_dead_lettered_and_the_next_is_processed(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime):
        memory_bus_of(runtime).inject(
            "router.grievances", b'{"type": "grievance.received", "text": 5}', "grievance.received"
        )
        memory_bus_of(runtime).inject("router.grievances", b"\xff not json", "grievance.received")
        await deliver(runtime, grievance(runtime.keys, "DG002 每天加班到十二点", to=None))
        dead = await runtime.bus.dead_letters("router.grievances")
        assert len(dead) == 2
        assert await runtime.db["cases"].count_documents({}) == 1
        case = published(runtime, CaseAssigned)[0]
        assert (case.factory_id, case.category) == ("DG-002", "working_hours")


async def test_factory_resolution_order(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    phone = sensitive("+8613700000001")
    async with serve(runtime):
        # web form: the factory code
        await deliver(
            runtime,
            grievance(
                runtime.keys,
                "canteen food is cold",
                channel="web",
                to=None,
                factory_hint="sz-003",
                language="en",
                phone=None,
            ),
        )
        # first word, full-width and lower case, no To number
        await deliver(runtime, grievance(runtime.keys, "ｇｚ００１ 宿舍没有热水", to=None, phone=phone))
        # nothing at all: the reporter's latest case (NEW: a second grievance, not a follow-up)
        await deliver(runtime, grievance(runtime.keys, "新投诉 还有食堂的问题", to=None, phone=phone))
        # nothing and no history: unroutable, the worker is asked for the factory code
        await deliver(runtime, grievance(runtime.keys, "老板不给钱", to=None, phone=OTHER_WORKER_PHONE))
        factories = [e.factory_id for e in published(runtime, CaseAssigned)]
        assert factories == ["SZ-003", "GZ-001", "GZ-001", None]
        last = published(runtime, CaseAssigned)[-1]
        assert (last.committee_id, last.unassigned_reason) == (None, "unroutable")
        asks = published(runtime, MessageOutbound)
        assert "工厂编号" in asks[-1].text
        # the web grievance had no contact: nothing to send
        assert len(asks) == 3


async def test_conflict_of_interest_skips_the_named_committee_and_escalates_when_none_is_left(
    runtime: Runtime,
) -> None:
    await committee_tokens(runtime)
    async with serve(runtime):
        # harassment at GZ-001: both committees handle it; the women's committee has Liu as a member
        await deliver(runtime, grievance(runtime.keys, "刘经理经常辱骂我们", to=GZ_NUMBER))
        # the SPT's member is named by an alias: only the women's committee is left
        await deliver(runtime, grievance(runtime.keys, "王主任对女工动手动脚，性骚扰", to=GZ_NUMBER))
        # members of both committees named: nobody left
        await deliver(runtime, grievance(runtime.keys, "娜姐和陈姐都骂人", to=GZ_NUMBER))
        # English alias, case-insensitive
        await deliver(
            runtime,
            grievance(
                runtime.keys,
                "Boss zhao has not paid our wages",
                to=DG_NUMBER,
                language="en",
                phone=ENGLISH_WORKER_PHONE,
            ),
        )
        cases = published(runtime, CaseAssigned)
        assert [(c.committee_id, c.unassigned_reason) for c in cases] == [
            ("gz-001-spt", None),
            ("gz-001-women", None),
            (None, "conflict_of_interest"),
            (None, "conflict_of_interest"),
        ]
        acks = published(runtime, MessageOutbound)
        assert "独立机构" in acks[2].text and "independent" in acks[3].text


async def test_retaliation_goes_to_no_factory_committee(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(runtime.keys, "因为投诉了加班问题，组长打击报复我", to=GZ_NUMBER)
        await deliver(runtime, event)
        case = published(runtime, CaseAssigned)[0]
        assert (case.factory_id, case.committee_id) == ("GZ-001", None)
        assert (case.category, case.unassigned_reason, case.severity) == (
            "retaliation",
            "retaliation",
            "high",
        )
        stored = await stored_case(client.app[ROUTER].cases, event.grievance_id)
        assert stored.status == "unassigned"


async def test_fewest_open_cases_wins_among_several_committees(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime):
        await deliver(runtime, grievance(runtime.keys, "组长辱骂工人", to=GZ_NUMBER))
        await deliver(runtime, grievance(runtime.keys, "主管辱骂工人", to=GZ_NUMBER))
        await deliver(runtime, grievance(runtime.keys, "经理辱骂工人", to=GZ_NUMBER))
        committees = [c.committee_id for c in published(runtime, CaseAssigned)]
        assert committees == ["gz-001-spt", "gz-001-women", "gz-001-spt"]


async def test_a_reference_collision_gets_a_new_reference_and_keeps_the_old_one_for_status(
    runtime: Runtime,
) -> None:
    await committee_tokens(runtime)
    async with serve(runtime) as client:
        first = grievance(runtime.keys, "工资没发", to=GZ_NUMBER)
        await deliver(runtime, first)
        clash = grievance(runtime.keys, "加班太多", to=GZ_NUMBER, reference=first.reference)
        await deliver(runtime, clash)
        await deliver(runtime, clash)
        cases = published(runtime, CaseAssigned)
        assert len({c.case_id for c in cases}) == 2
        assert cases[1].reference != first.reference and cases[1].reference == cases[2].reference
        stored = await stored_case(client.app[ROUTER].cases, clash.grievance_id)
        assert stored.original_reference == first.reference
        assert published(runtime, MessageOutbound)[-1].reference == cases[1].reference
        assert reference_for(clash.grievance_id) != cases[1].reference
