"""What the stores return in order comes out the same whatever order the documents were written in.

MongoDB returns an unsorted find, and the ties of a sort, in no defined order (mongomock: in
insertion order, which hides it). Each list a caller takes the first of, pages through or shows is
sorted on a key that ends in a unique field; each test writes the same documents in two orders and
expects one answer.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from services.escalation import store as escalation_store
from services.escalation.escalations import open_escalation
from services.escalation.records import merge
from services.intake import store as intake_store
from services.router.assign import Hints, resolve_factory
from services.router.case_store import CASES, CaseStore
from services.router.registry_store import COMMITTEES, FACTORIES, RegistryStore
from shared.auth import issue_token, list_tokens
from shared.contracts import MessageOutbound
from shared.sla import SlaTable
from shared.store import Database, ensure_indexes
from tests.fakes import FakeClock, present
from tests.service.escalation_support import assigned, safe_uuid


async def in_both_orders(db: Database, collection: str, docs: list[dict[str, Any]], read: Any) -> Any:
    """``read()`` after writing ``docs`` in their order and again in the reverse order; both answers."""
    answers = []
    for written in (docs, docs[::-1]):
        await db[collection].delete_many({})
        await db[collection].insert_many([dict(d) for d in written])
        answers.append(await read())
    return answers


async def test_routing_by_a_name_two_factories_share_does_not_depend_on_the_write_order(db: Database) -> None:
    # "GZ-001 ..." opens with the code of one factory and with the keyword "GZ" of the other.
    factories = [
        {"code": "GZ-001", "sms_numbers": [], "keywords": []},
        {"code": "AB-002", "sms_numbers": [], "keywords": ["GZ"]},
    ]

    async def route() -> str | None:
        found, _ = resolve_factory(
            Hints("sms", "GZ-001 工资没发"), (await RegistryStore(db).routing()).factories, None
        )
        return found

    first, second = await in_both_orders(db, FACTORIES, factories, route)
    assert first == second == "AB-002"


async def test_a_factorys_committees_come_by_id(db: Database) -> None:
    committees = [
        {"id": f"gz-001-{name}", "factory_id": "GZ-001", "categories": ["all"], "active": True}
        for name in ("women", "spt", "safety")
    ]

    async def ids() -> list[str]:
        return [c.id for c in await RegistryStore(db).committees_of("GZ-001")]

    first, second = await in_both_orders(db, COMMITTEES, committees, ids)
    assert first == second == ["gz-001-safety", "gz-001-spt", "gz-001-women"]


async def test_the_latest_factory_of_a_reporter_is_one_answer_when_two_cases_share_a_moment(
    db: Database,
) -> None:
    now = FakeClock().now
    cases = [
        {"_id": case_id, "reporter_key": "r1", "factory_id": factory, "created_at": now}
        for case_id, factory in (("case-b", "SZ-003"), ("case-a", "GZ-001"))
    ]

    async def latest() -> str | None:
        return await CaseStore(db).latest_factory_of("r1")

    first, second = await in_both_orders(db, CASES, cases, latest)
    assert first == second == "GZ-001"


async def test_periodic_work_takes_the_oldest_first(db: Database) -> None:
    now = FakeClock().now
    cases = [
        {
            "_id": f"case-{age}",
            "status": "resolved",
            "resolved_at": now - timedelta(days=age),
            "outbox_since": now - timedelta(minutes=age),
        }
        for age in (8, 9, 10)
    ]

    async def oldest() -> tuple[list[str], list[str]]:
        stale = await CaseStore(db).stale_outboxes(now, limit=2)
        unanswered = await CaseStore(db).unanswered_resolutions(now, limit=2)
        return [p.case_id for p in stale], unanswered

    first, second = await in_both_orders(db, CASES, cases, oldest)
    assert first == second == (["case-10", "case-9"], ["case-10", "case-9"])


async def test_a_cases_escalations_come_oldest_first_then_by_id(db: Database) -> None:
    now = FakeClock().now
    case = assigned(now, severity="critical", category="health_safety")
    record = present(merge(None, case, SlaTable(), now), "the case's record")
    opened = [
        open_escalation(record, reason, now, SlaTable()) for reason in ("critical", "disputed", "retaliation")
    ]
    opened.append(open_escalation(record, "ack_overdue", now - timedelta(hours=1), SlaTable()))

    async def reasons() -> list[str]:
        return [e.reason for e in await escalation_store.escalations_of_case(db, case.case_id)]

    answers = []
    for written in (opened, opened[::-1]):
        await db[escalation_store.ESCALATIONS].delete_many({})
        for escalation in written:
            await escalation_store.insert_escalations(db, [escalation])
        answers.append(await reasons())
    tied = sorted(opened[:3], key=lambda e: e.id)
    assert answers[0] == answers[1] == ["ack_overdue", *(e.reason for e in tied)]


def two_part_message(event_id: Any) -> MessageOutbound:
    return MessageOutbound(
        id=event_id,
        correlation_id=safe_uuid(),
        channel="sms",
        sealed_contact="sealed",
        text="x",
        language="zh",
        purpose="committee_reply",
        reference="ABCDE-FGHJK",
        case_id="case",
    )


async def test_dev_outbox_keeps_the_parts_of_messages_sent_at_one_moment_together(db: Database) -> None:
    await ensure_indexes(db, intake_store.INDEXES)
    now = FakeClock().now
    first, second = sorted((safe_uuid(), safe_uuid()), key=str)
    # The later message is recorded first, and both in the same millisecond.
    for event_id in (second, first):
        for part in (1, 2):
            await intake_store.record_dev(db, two_part_message(event_id), part, 2, f"part {part}", now)
    listed = [(m["text"], m["part"]) for m in await intake_store.dev_outbox(db)]
    assert listed == [("part 1", 1), ("part 2", 2), ("part 1", 1), ("part 2", 2)]
    ids = [m["event_id"] for m in await intake_store.dev_outbox(db)]
    assert ids == [str(first), str(first), str(second), str(second)]


async def test_tokens_are_listed_in_the_order_they_were_issued(db: Database) -> None:
    issued = [(await issue_token(db, "committee", committee_id=f"c-{i}"))[1] for i in range(12)]
    assert [t["token_id"] for t in await list_tokens(db)] == [t["token_id"] for t in issued]
