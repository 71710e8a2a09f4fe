"""The committee is told before its acknowledgement deadline: ``case.deadline_soon``, once per deadline.

A reminder is due at a fraction of the acknowledgement window (``GRIEVANCE_NOTIFY_REMIND_AT``,
0.75 by default): from the worker's message to ``ack_due_at``, as the router counts deadlines. It is
only for a case a committee holds and has not acknowledged, whose deadline the sweeper still
watches (``ack_pending_due``), so the candidates come from that field's sparse index, by range: the
records whose deadline falls within the last part of the longest acknowledgement window. A sweep
costs what the cases near their deadline cost, however many cases are open.

Once per record and deadline, across sweeps and replicas: the reminder is claimed in the store
(``deadline_reminders``, one document per case and deadline, inserted once) before the event is
published, and marked published after the broker confirmed it. A claim whose publisher died is
taken over after a lease, and the event it publishes has the same id (derived from the case and
the deadline), so the notifier, which records each event id it told, tells nobody twice. A
recategorisation that moves the deadline makes a new deadline, with a reminder of its own.

Publishing, not sending: the notifications go out from ``notifications.escalations``
(:mod:`services.escalation.notices`), so a mail server that is down never holds up a sweep.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import structlog

from services.escalation import store
from services.escalation.records import CaseRecord
from shared.contracts import CaseDeadlineSoon
from shared.messaging import Bus
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import Database, to_ms

log = structlog.get_logger(__name__)

# A claim not marked published after this long is taken to be a publisher that died.
CLAIM_LEASE = timedelta(seconds=30)
BATCH = 500
MAX_BATCHES = 1_000
_NAMESPACE = uuid.UUID("6f1f5e0c-55a4-4c1e-9a53-0c1d7e1b7a75")


def remind_at(record: CaseRecord, fraction: float) -> datetime | None:
    """When the committee holding the case is reminded of its acknowledgement deadline (pure);
    None when no reminder is due for this record (no committee, acknowledged, not watched)."""
    due, state, assignment = record.pending.ack, record.state, record.assignment
    if due is None or state is None or assignment is None or state.committee_id is None:
        return None
    if state.acknowledged_at is not None or state.status in ("unassigned", "closed", "resolved"):
        return None
    start = assignment.received_at or assignment.created_at
    return start + (due - start) * fraction


def reminder_event(record: CaseRecord) -> CaseDeadlineSoon:
    """The event of the reminder of the record's watched acknowledgement deadline (same id each time)."""
    assert record.state is not None and record.assignment is not None and record.state.committee_id
    due = record.pending.ack
    assert due is not None
    return CaseDeadlineSoon(
        id=uuid.uuid5(_NAMESPACE, reminder_id(record.case_id, due)),
        correlation_id=uuid.uuid5(_NAMESPACE, record.case_id),
        case_id=record.case_id,
        reference=record.reference,
        committee_id=record.state.committee_id,
        category=record.state.category,
        due_at=due,
    )


def reminder_id(case_id: str, due: datetime) -> str:
    return f"{case_id}:acknowledge:{to_ms(due).isoformat()}"


def lookahead(sla: SlaTable, fraction: float) -> timedelta:
    """How far before its deadline the earliest reminder of any severity falls."""
    longest = max(sla.for_severity(s).ack for s in ("critical", "high", "normal"))
    return longest * (1 - fraction)


async def remind_once(db: Database, bus: Bus, sla: SlaTable, now: datetime, fraction: float) -> int:
    """One pass at ``now``: publish every reminder now due and not yet published; how many were."""
    after, until, published = now, now + lookahead(sla, fraction), 0
    for _ in range(MAX_BATCHES):
        records = await store.records_with_ack_due(db, after, until, BATCH)
        due = [c for c in records if (at := remind_at(c, fraction)) is not None and at <= now]
        published += await _publish_due(db, bus, due, now)
        if len(records) < BATCH:
            break
        # Deadlines that share the last instant of a full batch are read again next time: harmless.
        last = records[-1].pending.ack
        assert last is not None
        after = last if last > after else after + timedelta(milliseconds=1)
    if published:
        log.info("deadline_reminders_published", count=published)
    return published


async def _publish_due(db: Database, bus: Bus, records: list[CaseRecord], now: datetime) -> int:
    if not records:
        return 0
    ids = {c.case_id: reminder_id(c.case_id, c.pending.ack) for c in records if c.pending.ack}
    done = await store.published_reminders(db, ids.values())
    count = 0
    for record in records:
        rid = ids[record.case_id]
        if rid in done or not await store.claim_reminder(db, rid, record.case_id, now, CLAIM_LEASE):
            continue
        await bus.publish(reminder_event(record))
        await store.reminder_published(db, rid, now)
        count += 1
    return count


async def run(
    db: Database, bus: Bus, sla: SlaTable, clock: Clock, interval: timedelta, fraction: float
) -> None:
    """A reminder pass every ``interval`` (the sweep interval) until cancelled; failures are logged."""
    pause = max(interval.total_seconds(), 0.05)
    while True:
        try:
            await remind_once(db, bus, sla, clock(), fraction)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("deadline_reminders_failed", error=exc.__class__.__name__)
        await asyncio.sleep(pause)
