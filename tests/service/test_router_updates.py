"""Every composed update the router issues, run against the store, and the rule that keeps them valid.

A case change is one update built from parts (the state change, the timeline entry, what the action
pushes, the outbox record). MongoDB refuses an update that names one path twice or a path inside
another (error 40); mongomock applies it. So the parts are merged by ``outbox.merge``, which refuses
such an update before it reaches a server, and each update the router really issues runs here; the
real-server lane (``make test-mongo``) runs this module against a wire-protocol server.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.errors import OperationFailure

from services.router import actions, store
from services.router.consumer import GrievanceConsumer
from services.router.dialogue import close_unanswered
from services.router.outbox import flush_stale, merge, record
from services.router.registry import load_registry_file
from shared.contracts import CaseUpdated
from shared.runtime import Runtime
from shared.store import UpdateConflict, ensure_indexes
from tests.conftest import MONGO_URL
from tests.service.router_support import GZ_NUMBER, REGISTRY, FlakyBus, fresh_phone, grievance

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
def test_merge_refuses_a_path_named_twice_or_inside_another(parts):
    with pytest.raises(UpdateConflict, match="conflicts with"):
        merge(*parts)


def test_merge_keeps_separate_paths_and_leaves_out_empty_operators():
    merged = merge(
        {"$set": {}},
        {"$push": {"timeline": 1}},
        {"$push": {"messages": 2}},
        {"$set": {"timeline_seen": True}},  # a common prefix of characters is no path prefix
    )
    assert merged == {"$push": {"timeline": 1, "messages": 2}, "$set": {"timeline_seen": True}}


@pytest.mark.parametrize("update", RAW_CONFLICTS)
async def test_the_server_refuses_what_merge_refuses(db, update):
    if not MONGO_URL:
        pytest.skip("mongomock applies conflicting updates; the real-server lane checks this")
    await db["conflicts"].insert_one({"_id": "c", "outbox": [], "timeline": [{}], "messages": [{}]})
    with pytest.raises(OperationFailure) as refused:
        await db["conflicts"].update_one({"_id": "c"}, update)
    assert refused.value.code == 40


@pytest.fixture
async def rt(runtime):
    await ensure_indexes(runtime.db, store.INDEXES)
    await load_registry_file(runtime.db, REGISTRY)
    return runtime


class Reporter:
    """One worker's SMS, handled by the router's consumer as the queue would deliver them."""

    def __init__(self, runtime: Runtime, to: str | None = GZ_NUMBER) -> None:
        self.runtime, self.phone, self.to = runtime, fresh_phone(), to

    async def send(self, text: str) -> str:
        event = grievance(self.runtime.keys, text, phone=self.phone, to=self.to)
        await GrievanceConsumer(self.runtime)(event)
        return str(event.grievance_id)


async def stored(rt: Runtime, case_id: str) -> dict[str, Any]:
    case = await store.case_by_id(rt.db, case_id)
    assert case is not None
    return case


def published_actions(rt: Runtime, case_id: str) -> list[str]:
    return [e.action for e in rt.bus.published if isinstance(e, CaseUpdated) and e.case_id == case_id]


def assert_outbox_empty(case: dict[str, Any]) -> None:
    assert case["outbox"] == [] and "outbox_since" not in case


async def test_committee_actions_and_the_worker_confirming(rt):
    worker = Reporter(rt)
    case_id = await worker.send("工资三个月没发了")
    assert await actions.acknowledge(rt, await stored(rt, case_id))
    await actions.reply(rt, await stored(rt, case_id), "收到，正在查", "reply-1")
    await actions.resolve(rt, await stored(rt, case_id), "已经补发工资")
    await worker.send("还有加班费")  # a follow-up to the one open case
    resolved = await stored(rt, case_id)
    assert resolved["status"] == "resolved" and resolved["messages"][-1]["direction"] == "worker"
    await worker.send("是")
    case = await stored(rt, case_id)
    assert (case["status"], case["closure"]) == ("closed", "confirmed")
    timeline = [t["action"] for t in case["timeline"]]
    assert timeline == ["assigned", "acknowledged", "replied", "resolved", "worker_replied", "confirmed"]
    assert [m["purpose"] for m in case["messages"]] == [
        "grievance",
        "committee_reply",
        "resolution_check",
        "message",
        "confirm",
    ]
    assert published_actions(rt, case_id) == timeline[1:]
    assert_outbox_empty(case)


async def test_a_first_reply_acknowledges_and_a_dispute_reopens(rt):
    worker = Reporter(rt)
    case_id = await worker.send("宿舍没有热水")
    await actions.reply(rt, await stored(rt, case_id), "我们去看看", None)
    acknowledged = await stored(rt, case_id)
    assert acknowledged["status"] == "acknowledged" and acknowledged["acknowledged_at"] is not None
    await actions.resolve(rt, acknowledged, "已经修好")
    await worker.send("否")
    case = await stored(rt, case_id)
    assert case["status"] == "reopened" and case["disputed_at"] is not None
    assert [t["action"] for t in case["timeline"]][-3:] == ["replied", "resolved", "disputed"]
    assert_outbox_empty(case)


async def test_recusals_hand_the_case_on_and_then_to_the_ngo(rt):
    case_id = await Reporter(rt).send("组长辱骂工人")
    first = (await stored(rt, case_id))["committee_id"]
    await actions.recuse(rt, await stored(rt, case_id), first, "成员是当事人")
    moved = await stored(rt, case_id)
    second = moved["committee_id"]
    assert second not in (None, first) and moved["recused_by"] == [first]
    await actions.recuse(rt, moved, second, "也有利益冲突")
    case = await stored(rt, case_id)
    assert (case["committee_id"], case["status"], case["unassigned_reason"]) == (
        None,
        "unassigned",
        "conflict_of_interest",
    )
    assert [r["committee_id"] for r in case["recusals"]] == [first, second]
    assert_outbox_empty(case)


async def test_a_routed_follow_up_closes_the_unroutable_case(rt):
    worker = Reporter(rt, to=None)
    lost = await worker.send("老板不给工资")
    found = await worker.send("GZ001 老板不给工资")
    old = await stored(rt, lost)
    assert (old["status"], old["closure"], old["timeline"][-1]["action"]) == ("closed", "rerouted", "closed")
    assert (await stored(rt, found))["factory_id"] == "GZ-001"
    assert_outbox_empty(old)


async def test_an_unanswered_resolution_closes_itself(rt, clock):
    case_id = await Reporter(rt).send("食堂的饭是冷的")
    await actions.resolve(rt, await stored(rt, case_id), "已经换了厨师")
    clock.now += rt.settings.confirmation_window
    assert await close_unanswered(rt) == 1
    case = await stored(rt, case_id)
    assert (case["status"], case["closure"]) == ("closed", "unconfirmed")
    assert_outbox_empty(case)


async def test_events_wait_in_the_outbox_until_they_are_published(rt, clock):
    case_id = await Reporter(rt).send("车间太热了")
    flaky = FlakyBus(rt.bus)
    failing = Runtime(rt.settings, flaky, rt.db, rt.keys, rt.clock)
    flaky.failing = True
    with pytest.raises(Exception, match="confirm"):
        await actions.acknowledge(failing, await stored(rt, case_id))
    waiting = await stored(rt, case_id)
    assert [e["type"] for e in waiting["outbox"]] == ["case.updated", "message.outbound"]
    assert waiting["outbox_since"] == waiting["acknowledged_at"]
    clock.advance(minutes=2)
    assert await flush_stale(rt) == 1
    assert_outbox_empty(await stored(rt, case_id))


async def test_an_action_that_would_touch_a_path_twice_is_refused_before_the_store(rt):
    case_id = await Reporter(rt).send("工资没发")
    case = await stored(rt, case_id)
    with pytest.raises(UpdateConflict):
        await actions.apply_action(
            rt, case, {}, {"outbox": []}, "acknowledged", "a1", push={"messages": {"id": "m"}}
        )
    with pytest.raises(UpdateConflict):
        await actions.apply_action(rt, case, {}, {}, "replied", "a2", push={"timeline": {"id": "t"}})
    assert await stored(rt, case_id) == case
    assert record([], case["created_at"]) == {}
