"""Builders for the router's events as the escalation service receives them (imported by its tests)."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from services.escalation import store
from services.escalation.escalations import Escalation
from services.escalation.records import CaseRecord, CaseState
from shared.contracts import CaseAssigned, CaseUpdated, Event
from shared.ids import reference_for
from shared.messaging import Bus
from shared.privacy import Keys, seal
from shared.sla import SlaTable
from shared.store import Database
from tests.fakes import WORKER_PHONE, present, sensitive

LOCKED_EXIT_TEXT = sensitive("晚上安全出口被锁，工厂着火怎么办")
WAGES_TEXT = sensitive("My wages for March were not paid at all")


def safe_uuid() -> uuid.UUID:
    """A random UUID whose last group is not all digits.

    The run's privacy oracle takes any free-standing run of 11-15 digits for a phone number, and one
    random UUID in ~300 ends in twelve digits; ids the tests generate (and so log) avoid that.
    """
    while True:
        value = uuid.uuid4()
        if not str(value).rsplit("-", 1)[1].isdigit():
            return value


def assigned(
    now: datetime,
    *,
    keys: Keys | None = None,
    phone: str | None = WORKER_PHONE,
    severity: str = "normal",
    category: str = "wages",
    language: str = "zh",
    text: str = WAGES_TEXT,
    factory_id: str | None = "GZ-001",
    committee_id: str | None = "gz-001-spt",
    unassigned_reason: str | None = None,
    sla: SlaTable | None = None,
    grievance_id: uuid.UUID | None = None,
    **extra: Any,
) -> CaseAssigned:
    """A ``case.assigned`` with deadlines from ``sla`` (the default table) counted from ``now``."""
    gid = grievance_id or safe_uuid()
    # Tests pass severities as plain strings (parametrised, or wrong on purpose): the table's own
    # lookup is what rejects an unknown one.
    deadlines = (sla or SlaTable()).for_severity(severity)  # type: ignore[arg-type]
    return CaseAssigned(
        id=safe_uuid(),
        correlation_id=gid,
        occurred_at=now,
        case_id=str(gid),
        reference=reference_for(gid),
        factory_id=factory_id,
        committee_id=committee_id,
        unassigned_reason=unassigned_reason,
        category=category,
        severity=severity,
        ack_due_at=now + deadlines.ack,
        resolve_due_at=now + deadlines.resolve,
        channel="sms",
        language=language,
        text=text,
        sealed_contact=seal(keys, phone) if keys and phone else None,
        gateway_number="+8610690000001" if keys and phone else None,
        created_at=now,
        **extra,
    )


# The status a case has after each action, as the router sets it for a case its committee holds.
STATUS_AFTER = {
    "replied": "acknowledged",
    "worker_replied": "acknowledged",
    "confirmed": "closed",
    "disputed": "reopened",
    "recategorised": "acknowledged",
    "recused": "assigned",
    "contact_confirmed": "assigned",
}


def updated(
    case: CaseAssigned, action: str, at: datetime, *, status: str | None = None, **extra: Any
) -> CaseUpdated:
    """A ``case.updated`` for ``case``; ``status`` defaults to the one the action leaves."""
    actor = "worker" if action in ("worker_replied", "confirmed", "disputed") else "committee"
    return CaseUpdated(
        id=safe_uuid(),
        correlation_id=case.correlation_id,
        occurred_at=at + timedelta(milliseconds=5),
        case_id=case.case_id,
        reference=case.reference,
        action=action,
        actor_role=extra.pop("actor_role", actor),
        at=at,
        status=status or STATUS_AFTER.get(action, action),
        **extra,
    )


async def record_of(db: Database, case_id: str) -> CaseRecord:
    """The stored record of a case the test made."""
    return present(await store.load_record(db, case_id), f"the record of case {case_id}")


def state_of(record: CaseRecord) -> CaseState:
    """The derived state of a record whose case was assigned."""
    return present(record.state, f"the state of case {record.case_id} (not assigned yet)")


async def escalation_of(db: Database, escalation_id: str) -> Escalation:
    """A stored escalation the test expects."""
    return present(await store.get_escalation(db, escalation_id), f"escalation {escalation_id}")


async def consume_downstream(bus: Bus) -> list[Event]:
    """Stand in for intake's sender and the NGO notifier, so the in-memory bus can drain."""
    received: list[Event] = []

    async def keep(event: Event) -> None:
        received.append(event)

    await bus.consume("intake.outbound", keep)
    await bus.consume("notifications.escalations", keep)
    return received


class InterleavingDatabase:
    """The test store, yielding to the event loop before every call as a network round trip would.

    mongomock answers without ever yielding, so two coroutines "racing" on it would in fact take
    turns; through this wrapper their store calls interleave, and races become real. With ``jitter``
    (seconds) each call first waits a random time up to that long, as round trips of varying length
    would, so concurrent writers also finish in every order.
    """

    def __init__(self, db: Database, jitter: float = 0.0, seed: int | None = None) -> None:
        self._db = db
        self._pause = _Pause(jitter, random.Random(seed))

    def __getitem__(self, name: str) -> _Collection:
        return _Collection(self._db[name], self._pause)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


class _Pause:
    def __init__(self, jitter: float, rng: random.Random) -> None:
        self._jitter, self._rng = jitter, rng

    async def __call__(self) -> None:
        await asyncio.sleep(self._rng.uniform(0, self._jitter) if self._jitter else 0)


class _Collection:
    def __init__(self, collection: Any, pause: _Pause) -> None:
        self._collection, self._pause = collection, pause

    def find(self, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor(self._collection.find(*args, **kwargs), self._pause)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            await self._pause()
            return await method(*args, **kwargs)

        return call


class _Cursor:
    def __init__(self, cursor: Any, pause: _Pause) -> None:
        self._cursor, self._pause = cursor, pause

    def sort(self, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor(self._cursor.sort(*args, **kwargs), self._pause)

    def skip(self, count: int) -> _Cursor:
        return _Cursor(self._cursor.skip(count), self._pause)

    def limit(self, count: int) -> _Cursor:
        return _Cursor(self._cursor.limit(count), self._pause)

    async def __aiter__(self) -> Any:
        await self._pause()
        async for doc in self._cursor:
            yield doc


class InterruptedDatabase:
    """The test store, letting another writer in at one exact point: ``action`` runs once, just
    before the first ``method`` call on ``collection`` goes out, as a concurrent writer getting in
    between a reader and its write would."""

    def __init__(
        self, db: Database, collection: str, method: str, action: Callable[[], Awaitable[None]]
    ) -> None:
        self._db, self._collection, self._method, self._action = db, collection, method, action
        self.interrupted = False

    def __getitem__(self, name: str) -> Any:
        collection = self._db[name]
        return _Interrupted(collection, self) if name == self._collection else collection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    async def _interrupt(self) -> None:
        if not self.interrupted:
            self.interrupted = True
            await self._action()


class _Interrupted:
    def __init__(self, collection: Any, db: InterruptedDatabase) -> None:
        self._collection, self._db = collection, db

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)
        if name != self._db._method:
            return method

        async def call(*args: Any, **kwargs: Any) -> Any:
            await self._db._interrupt()
            return await method(*args, **kwargs)

        return call
