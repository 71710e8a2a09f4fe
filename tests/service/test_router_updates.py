"""Every change the router writes, run against the store, and the rule that keeps its updates valid.

A case change is one update: the fields the action changed, the next version and the events for
the outbox. MongoDB refuses an update that names one path twice or a path inside another (error
40); mongomock applies it. So the case store composes its update with ``shared.store.merge_updates``,
which refuses such an update before it reaches a server, and every action of the case aggregate
runs here through the store; the real-server lane (``make test-mongo``) runs this module against a
wire-protocol server.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure

from services.router import actions
from services.router.app import INDEXES, Router, bootstrap
from services.router.case import Case
from services.router.registry import load_registry_file
from shared.contracts import CaseUpdated, MessageOutbound
from shared.messaging import PublishError
from shared.runtime import Runtime
from shared.store import UpdateConflict, ensure_indexes, merge_updates
from tests.conftest import MONGO_URL
from tests.fakes import FakeClock, memory_bus_of
from tests.service.router_support import GZ_NUMBER, REGISTRY, FlakyBus, fresh_phone, grievance, pending_types

# Parts that cannot form one update: the same path under two operators, twice under one operator,
# or a path inside another.
CONFLICTS = [
    ({"$set": {"outbox": []}}, {"$push": {"outbox": {"$each": []}}}),
    ({"$push": {"timeline": 1}}, {"$push": {"timeline": 2}}),
    ({"$set": {"timeline": []}}, {"$push": {"timeline.0.notes": "x"}}),
    ({"$set": {"messages.0.text": "x"}}, {"$unset": {"messages": ""}}),
    ({"$set": {"status": "closed", "status.at": 1}},),
]
# The same conflicts written as one document, as a careless caller would send them.
RAW_CONFLICTS = [
    {"$set": {"outbox": []}, "$push": {"outbox": {"$each": []}}},
    {"$set": {"timeline": []}, "$push": {"timeline.0.notes": "x"}},
    {"$set": {"messages.0.text": "x"}, "$unset": {"messages": ""}},
    {"$min": {"outbox_since": 1}, "$set": {"outbox_since": 2}},
]


@pytest.mark.parametrize("parts", CONFLICTS)
def test_merge_refuses_a_path_named_twice_or_inside_another(
    parts: tuple[dict[str, dict[str, Any]], ...],
) -> None:
    with pytest.raises(UpdateConflict, match="conflicts with"):
        merge_updates(*parts)


def test_merge_keeps_separate_paths_and_leaves_out_empty_operators() -> None:
    merged = merge_updates(
        {"$set": {}},
        {"$push": {"timeline": 1}},
        {"$push": {"messages": 2}},
        {"$set": {"timeline_seen": True}},  # a common prefix of characters is no path prefix
    )
    assert merged == {"$push": {"timeline": 1, "messages": 2}, "$set": {"timeline_seen": True}}


@pytest.mark.parametrize("update", RAW_CONFLICTS)
async def test_the_server_refuses_what_merge_refuses(db: Any, update: dict[str, dict[str, Any]]) -> None:
    if not MONGO_URL:
        pytest.skip("mongomock applies conflicting updates; the real-server lane checks this")
    await db["conflicts"].insert_one({"_id": "c", "outbox": [], "timeline": [{}], "messages": [{}]})
    with pytest.raises(OperationFailure) as refused:
        await db["conflicts"].update_one({"_id": "c"}, update)
    assert refused.value.code == 40


@pytest.fixture
async def router(runtime: Runtime) -> Router:
    await ensure_indexes(runtime.db, INDEXES)
    await load_registry_file(runtime.db, REGISTRY)
    return bootstrap(runtime)


class Reporter:
    """One worker's SMS, handled by the router's consumer as the queue would deliver them."""

    def __init__(self, runtime: Runtime, router: Router, to: str | None = GZ_NUMBER) -> None:
        self.runtime, self.router, self.phone, self.to = runtime, router, fresh_phone(), to

    async def send(self, text: str) -> str:
        event = grievance(self.runtime.keys, text, phone=self.phone, to=self.to)
        await self.router.consumer(event)
        return str(event.grievance_id)


async def stored(router: Router, case_id: str) -> Case:
    case = await router.cases.by_id(case_id)
    assert case is not None
    return case


def published_actions(runtime: Runtime, case_id: str) -> list[str]:
    return [
        e.action
        for e in memory_bus_of(runtime).published
        if isinstance(e, CaseUpdated) and e.case_id == case_id
    ]


async def committee_of(router: Router, case_id: str) -> str:
    committee = (await stored(router, case_id)).committee_id
    assert committee is not None
    return committee


async def test_committee_actions_and_the_worker_confirming(router: Router, runtime: Runtime) -> None:
    worker = Reporter(runtime, router)
    case_id = await worker.send("工资三个月没发了")
    spt, clock = await committee_of(router, case_id), runtime.clock
    await actions.acknowledge(router.outbox, clock, case_id, spt, reach_worker=True)
    await actions.reply(
        router.outbox, clock, case_id, spt, "收到，正在查", message="reply-1", reach_worker=True
    )
    await actions.resolve(router.outbox, clock, case_id, spt, "已经补发工资", reach_worker=True)
    await worker.send("还有加班费")  # a follow-up to the one open case
    resolved = await stored(router, case_id)
    assert resolved.status == "resolved" and resolved.messages[-1].direction == "worker"
    await worker.send("是")
    case = await stored(router, case_id)
    assert (case.status, case.closure) == ("closed", "confirmed")
    timeline = [t.action for t in case.timeline]
    assert timeline == ["assigned", "acknowledged", "replied", "resolved", "worker_replied", "confirmed"]
    assert [m.purpose for m in case.messages] == [
        "grievance",
        "committee_reply",
        "resolution_check",
        "message",
        "confirm",
    ]
    assert published_actions(runtime, case_id) == timeline[1:]
    assert case.version == len(timeline)  # the insert and one write per action
    assert await pending_types(router.cases, case_id) == []


async def test_a_first_reply_acknowledges_and_a_dispute_reopens(router: Router, runtime: Runtime) -> None:
    worker = Reporter(runtime, router)
    case_id = await worker.send("宿舍没有热水")
    committee, clock = await committee_of(router, case_id), runtime.clock
    await actions.reply(
        router.outbox, clock, case_id, committee, "我们去看看", message="m1", reach_worker=True
    )
    acknowledged = await stored(router, case_id)
    assert acknowledged.status == "acknowledged" and acknowledged.acknowledged_at is not None
    await actions.resolve(router.outbox, clock, case_id, committee, "已经修好", reach_worker=True)
    await worker.send("否")
    case = await stored(router, case_id)
    assert case.status == "reopened" and case.disputed_at is not None
    assert [t.action for t in case.timeline][-3:] == ["replied", "resolved", "disputed"]
    assert await pending_types(router.cases, case_id) == []


async def test_recusals_hand_the_case_on_and_then_to_the_ngo(router: Router, runtime: Runtime) -> None:
    case_id = await Reporter(runtime, router).send("组长辱骂工人")
    first = await committee_of(router, case_id)
    parts = (router.outbox, router.cases, router.registry, runtime.clock)
    await actions.recuse(*parts, await stored(router, case_id), first, "成员是当事人")
    moved = await stored(router, case_id)
    second = moved.committee_id
    assert second not in (None, first) and moved.recused_by == (first,)
    assert second is not None
    await actions.recuse(*parts, moved, second, "也有利益冲突")
    case = await stored(router, case_id)
    assert (case.committee_id, case.status, case.unassigned_reason) == (
        None,
        "unassigned",
        "conflict_of_interest",
    )
    assert [r.committee_id for r in case.recusals] == [first, second]
    assert await pending_types(router.cases, case_id) == []


async def test_a_recategorisation_moves_the_deadlines_and_retaliation_leaves_the_committee(
    router: Router, runtime: Runtime
) -> None:
    case_id = await Reporter(runtime, router).send("食堂的饭菜不好吃")
    committee, sla = await committee_of(router, case_id), runtime.settings.sla
    await actions.recategorise(router.outbox, runtime.clock, sla, case_id, committee, "child_labour", None)
    case = await stored(router, case_id)
    critical = sla.for_severity("critical")
    assert (case.category, case.severity) == ("child_labour", "critical")
    assert case.ack_due_at == case.received_at + critical.ack
    await actions.recategorise(router.outbox, runtime.clock, sla, case_id, committee, "retaliation", "high")
    case = await stored(router, case_id)
    assert (case.status, case.committee_id, case.unassigned_reason) == ("unassigned", None, "retaliation")
    assert published_actions(runtime, case_id) == ["recategorised", "recategorised"]
    assert await pending_types(router.cases, case_id) == []


async def test_a_routed_follow_up_closes_the_unroutable_case(router: Router, runtime: Runtime) -> None:
    worker = Reporter(runtime, router, to=None)
    lost = await worker.send("老板不给工资")
    found = await worker.send("GZ001 老板不给工资")
    old = await stored(router, lost)
    assert (old.status, old.closure, old.timeline[-1].action) == ("closed", "rerouted", "closed")
    assert (await stored(router, found)).factory_id == "GZ-001"
    assert await pending_types(router.cases, lost) == []


async def test_an_unanswered_resolution_closes_itself(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case_id = await Reporter(runtime, router).send("食堂的饭是冷的")
    committee = await committee_of(router, case_id)
    await actions.resolve(router.outbox, clock, case_id, committee, "已经换了厨师", reach_worker=True)
    clock.now += runtime.settings.confirmation_window
    assert (await router.periodic_pass())["resolutions_closed"] == 1
    case = await stored(router, case_id)
    assert (case.status, case.closure) == ("closed", "unconfirmed")
    assert await pending_types(router.cases, case_id) == []


async def test_events_wait_in_the_outbox_until_they_are_published(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case_id = await Reporter(runtime, router).send("车间太热了")
    committee = await committee_of(router, case_id)
    flaky = FlakyBus(runtime.bus)
    failing = bootstrap(Runtime(runtime.settings, flaky, runtime.db, runtime.keys, clock))
    flaky.failing = True
    with pytest.raises(PublishError, match="confirm"):
        await actions.acknowledge(failing.outbox, clock, case_id, committee, reach_worker=True)
    assert await pending_types(router.cases, case_id) == ["case.updated", "message.outbound"]
    # Nothing older than a minute yet: the periodic pass leaves a request time to come back.
    assert (await router.periodic_pass())["outboxes_flushed"] == 0
    clock.advance(minutes=2)
    assert (await router.periodic_pass())["outboxes_flushed"] == 1
    assert await pending_types(router.cases, case_id) == []
    told = [
        e
        for e in memory_bus_of(runtime).published
        if isinstance(e, MessageOutbound) and e.purpose == "status"
    ]
    assert len(told) == 1


async def test_a_repeated_action_publishes_what_an_interrupted_one_left(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    case_id = await Reporter(runtime, router).send("车间太吵了")
    committee = await committee_of(router, case_id)
    flaky = FlakyBus(runtime.bus)
    failing = bootstrap(Runtime(runtime.settings, flaky, runtime.db, runtime.keys, clock))
    flaky.failing = True
    with pytest.raises(PublishError):
        await actions.acknowledge(failing.outbox, clock, case_id, committee, reach_worker=True)
    before = len(memory_bus_of(runtime).published)
    await actions.acknowledge(router.outbox, clock, case_id, committee, reach_worker=True)
    again = memory_bus_of(runtime).published[before:]
    assert [e.type for e in again] == ["case.updated", "message.outbound"]
    assert published_actions(runtime, case_id) == ["acknowledged"]
    assert await pending_types(router.cases, case_id) == []
