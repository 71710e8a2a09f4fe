"""The statistics pipeline gives exactly the answer of the rule in plain Python, on every engine.

``GET /api/v1/stats`` runs :func:`stats_store.stages` on the server; :func:`stats.compute` is the same
rule over fetched rows. Both read the same store here (mongomock, or the real server on the real-server
lane), over records made as the consumer makes them from varied case histories, plus records with the
fields that only a damaged or much older document would lack.
"""

from __future__ import annotations

import dataclasses
import random
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.escalation import documents, records, stats, stats_store, store
from shared.contracts import CATEGORIES, CaseAssigned, CaseUpdated, Severity
from shared.ids import reference_for
from shared.settings import SlaTable
from shared.store import Database
from tests.fakes import FakeClock
from tests.service.escalation_support import STATUS_AFTER

SLA = SlaTable()
FACTORIES = ("GZ-001", "GZ-002", "SZ-002")
ACTIONS = (
    "acknowledged",
    "replied",
    "resolved",
    "disputed",
    "reopened",
    "confirmed",
    "closed",
    "recategorised",
)


def history(rng: random.Random, now: datetime) -> dict[str, Any]:
    """A record after the router's events of a random case: any order, any spacing, some in the future."""
    gid = uuid.uuid4()
    created = now - timedelta(hours=rng.uniform(-24, 24 * 30))
    factory = rng.choice([*FACTORIES, None])
    committee = rng.choice([f"{factory}-spt".lower(), None]) if factory else None
    severities: tuple[Severity, ...] = ("critical", "high", "normal")
    severity = rng.choice(severities)
    deadlines = SLA.for_severity(severity)
    record = records.merge(
        None,
        CaseAssigned(
            correlation_id=gid,
            occurred_at=created,
            case_id=str(gid),
            reference=reference_for(gid),
            factory_id=factory,
            committee_id=committee,
            unassigned_reason=None if committee else rng.choice(("unroutable", "conflict_of_interest")),
            category=rng.choice(CATEGORIES),
            severity=severity,
            ack_due_at=created + deadlines.ack,
            resolve_due_at=created + deadlines.resolve,
            channel="sms",
            language="zh",
            text="stats",
            created_at=created,
        ),
        SLA,
        now,
    )
    assert record is not None
    for _ in range(rng.randrange(0, 5)):
        action = rng.choice(ACTIONS)
        # Milliseconds and microseconds, so durations are not round numbers of days.
        at = created + timedelta(seconds=rng.uniform(0, 86400 * 20), microseconds=rng.randrange(10**6))
        extra: dict[str, Any] = {}
        if action == "recategorised":
            extra = {"category": rng.choice(CATEGORIES), "severity": rng.choice(("critical", "normal"))}
        event = CaseUpdated(
            correlation_id=gid,
            occurred_at=at,
            case_id=str(gid),
            reference=record.reference,
            action=action,
            actor_role="worker" if action in ("disputed", "confirmed") else "committee",
            at=at,
            status=STATUS_AFTER.get(action, action),
            **extra,
        )
        record = records.merge(record, event, SLA, now) or record
    if rng.random() < 0.3:
        record = dataclasses.replace(
            record, escalated=(*record.escalated, rng.choice(("ack_overdue", "resolution_overdue")))
        )
    return documents.record_document(record)


def damaged(rng: random.Random, now: datetime) -> dict[str, Any]:
    """A record missing fields or holding nulls where the rule reads ``None`` for both."""
    doc: dict[str, Any] = {"case_id": str(uuid.uuid4()), "assigned": True}
    choices: dict[str, list[Any]] = {
        "factory_id": [FACTORIES[0], None],
        "category": ["wages", "", None],
        "committee_id": ["gz-001-spt", None],
        "escalated": [[], ["critical"]],
        "timeline": [
            None,
            [],
            [{"action": "replied"}],
            [{"action": "disputed", "status": "reopened"}],
            [{"action": "reopened"}, {"status": None}],
        ],
    }
    for name, values in choices.items():
        if rng.random() < 0.7:
            doc[name] = rng.choice(values)
    for name in (
        "created_at",
        "ack_due_at",
        "resolve_due_at",
        "acknowledged_at",
        "resolved_at",
        "disputed_at",
    ):
        if (pick := rng.random()) < 0.5:
            doc[name] = now + timedelta(hours=rng.uniform(-500, 100))
        elif pick < 0.7:
            doc[name] = None
    return doc


def on_the_deadline(now: datetime) -> list[dict[str, Any]]:
    """Records exactly at a deadline: met on the dot, and due at the very moment of the question."""
    base = {"assigned": True, "factory_id": FACTORIES[0], "category": "wages", "committee_id": "gz-001-spt"}
    due = now - timedelta(days=1)
    return [
        {**base, "case_id": str(uuid.uuid4()), "created_at": due - timedelta(days=2), "ack_due_at": due}
        | {"acknowledged_at": due, "resolve_due_at": due, "resolved_at": due},
        {**base, "case_id": str(uuid.uuid4()), "created_at": now - timedelta(days=2), "ack_due_at": now}
        | {"resolve_due_at": now},
    ]


async def both(
    db: Database,
    factories: list[str] | None,
    since: datetime | None,
    now: datetime,
    scope: stats_store.StatsScope | None = None,
) -> tuple[Any, Any]:
    """The API's answer both ways; the typed tables (cohorts included) must agree as well."""
    served_table = await stats_store.figures(db, factories, since, now, scope)
    fetched = await stats_store.records_for_stats(db, factories, since, scope)
    computed_table = stats.compute(fetched, now)
    assert served_table == computed_table
    return served_table.answer(), computed_table.answer()


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_pipeline_answers_exactly_what_python_computes(db: Database, seed: int) -> None:
    rng = random.Random(seed)
    clock = FakeClock()
    docs = [history(rng, clock.now) for _ in range(150)] + [damaged(rng, clock.now) for _ in range(40)]
    # Not counted at all: records of events whose assignment has not arrived yet.
    docs += [{"case_id": str(uuid.uuid4()), "assigned": False, "factory_id": FACTORIES[0]}]
    docs += on_the_deadline(clock.now)
    for doc in docs:
        await db[store.RECORDS].insert_one(dict(doc))  # raw: the damaged ones are not CaseRecords
    for now in (clock.now - timedelta(days=10), clock.now, clock.now + timedelta(days=30)):
        for factories in (None, [FACTORIES[0]], [FACTORIES[1], FACTORIES[2]], ["NO-SUCH"]):
            for since in (None, clock.now - timedelta(days=7)):
                served, computed = await both(db, factories, since, now)
                assert served == computed, (now, factories, since)
    until = clock.now - timedelta(days=3)
    for scope in (
        stats_store.StatsScope(until=until),
        stats_store.StatsScope(until=until, category="wages"),
        stats_store.StatsScope(category="other"),
    ):
        served, computed = await both(db, None, clock.now - timedelta(days=20), clock.now, scope)
        assert served == computed, scope
        if scope.category:
            assert {g["category"] for g in served["groups"]} == {scope.category}
    served, _ = await both(db, None, None, clock.now)
    assert served["total"]["received"] == len(docs) - 1
    # The records are varied enough to decide something both ways at every level.
    assert 0 < served["total"]["acknowledged_on_time_pct"] < 100
    assert 0 < served["total"]["resolved_on_time_pct"] < 100
    assert {g["factory_id"] for g in served["groups"]} == {*FACTORIES, None}
    assert any(g["category"] == "other" for g in served["groups"])
    # Disputes reopen a case (the router leaves it "reopened"); damaged timelines count either way.
    assert 0 < served["total"]["reopened"] < served["total"]["received"]
    assert served["total"]["disputed"] > 0


async def test_the_median_of_an_even_count_is_the_mean_of_the_two_middle_values(db: Database) -> None:
    """What ``statistics.median`` does and ``$median`` (approximate) would not."""
    clock = FakeClock()
    created = clock.now - timedelta(days=30)
    for days in (1, 2, 4, 10):
        doc = {
            "case_id": str(uuid.uuid4()),
            "assigned": True,
            "factory_id": FACTORIES[0],
            "category": "wages",
        }
        doc |= {"created_at": created, "resolved_at": created + timedelta(days=days)}
        await db[store.RECORDS].insert_one(dict(doc))
    served, computed = await both(db, None, None, clock.now)
    assert served == computed
    assert served["total"]["median_days_to_resolve"] == 3.0
    doc = {"case_id": str(uuid.uuid4()), "assigned": True, "factory_id": FACTORIES[1], "category": "wages"}
    doc |= {"created_at": created, "resolved_at": created + timedelta(days=7, hours=12)}
    await db[store.RECORDS].insert_one(dict(doc))
    served, computed = await both(db, None, None, clock.now)
    assert served == computed
    assert served["total"]["median_days_to_resolve"] == 4.0
    assert [f["median_days_to_resolve"] for f in served["factories"]] == [3.0, 7.5]


async def test_no_record_in_scope_gives_zeros_and_nulls(db: Database) -> None:
    clock = FakeClock()
    served, computed = await both(db, None, None, clock.now)
    assert served == computed == stats_store.table_from_pipeline(None).answer()
    assert served == {
        "groups": [],
        "factories": [],
        "total": {
            "received": 0,
            "acknowledged_on_time_pct": None,
            "resolved_on_time_pct": None,
            "median_days_to_resolve": None,
            "escalated": 0,
            "disputed": 0,
            "reopened": 0,
        },
    }


async def test_a_case_reopened_or_disputed_counts_once_as_reopened(db: Database) -> None:
    """A timeline entry ``reopened`` (action or the status it left) counts the case, however many."""
    clock = FakeClock()
    base = {"assigned": True, "factory_id": FACTORIES[0], "category": "wages", "created_at": clock.now}
    timelines: list[Any] = [
        [{"action": "resolved", "status": "resolved"}, {"action": "disputed", "status": "reopened"}],
        [{"action": "reopened", "status": "assigned"}, {"action": "reopened", "status": "assigned"}],
        [{"action": "resolved", "status": "resolved"}],
        None,
    ]
    for timeline in timelines:
        await db[store.RECORDS].insert_one({**base, "case_id": str(uuid.uuid4()), "timeline": timeline})
    served, computed = await both(db, None, None, clock.now)
    assert served == computed
    assert (served["total"]["received"], served["total"]["reopened"]) == (4, 2)


async def test_the_factories_of_the_scope_are_those_with_counted_records(db: Database) -> None:
    clock = FakeClock()
    for factory, assigned in (("GZ-002", True), ("GZ-001", True), ("SZ-002", False), (None, True)):
        doc = {"case_id": str(uuid.uuid4()), "assigned": assigned, "factory_id": factory}
        await db[store.RECORDS].insert_one(doc | {"created_at": clock.now})
    assert await stats_store.stats_factories(db, None) == ["GZ-001", "GZ-002"]
    assert await stats_store.stats_factories(db, ["GZ-002", "SZ-002"]) == ["GZ-002"]
