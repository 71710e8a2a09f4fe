"""The sweeper: flags cases whose acknowledgement or resolution deadline passed unmet.

A record carries ``ack_pending_due`` / ``resolve_pending_due`` only while that deadline is watched, and
both fields have sparse indexes, so ``{field: {$lte: now}}`` reads the overdue cases and nothing else:
a sweep costs what the overdue cases cost, however many cases are open.

Several replicas may sweep at once. For each batch the escalations are inserted first (their ids
come from (case, reason) and a unique index guards the pair, so only one insert per case and reason
wins), then the pending field is cleared with the due condition repeated in the filter, and the
reason noted on the record. Inserting before clearing means a crash between the two only leaves a
field that the next sweep clears; the escalation is never lost. A consumer may write a record between
the sweeper's read and its insert, so the escalations it opened are then brought up to the records
as they are. Each replica publishes what it inserted; a stale outbox (a crash after the insert) is
claimed and published again here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import structlog

from services.escalation import outbox, policy, store
from services.escalation.escalations import OUTBOX_LEASE, CaseView, Escalation, case_view, open_escalation
from services.escalation.records import CaseRecord
from shared.contracts import EscalationReason
from shared.messaging import Bus
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import Database

log = structlog.get_logger(__name__)

BATCH = 500
# Guards against a sweep that never ends if records kept turning up (each batch clears what it read).
MAX_BATCHES = 10_000


async def sweep_once(db: Database, bus: Bus, sla: SlaTable, clock: Clock, batch: int = BATCH) -> int:
    """One sweep at ``clock()``; returns how many escalations this call opened."""
    now = clock()
    opened = 0
    for reason in policy.SWEPT_REASONS:
        for _ in range(MAX_BATCHES):
            due = await store.records_due(db, reason, now, batch)
            if not due:
                break
            confirmed, created = await _escalate_batch(db, bus, clock, sla, due, reason, now)
            opened += created
            # A batch with nothing confirmed would come back unchanged: leave it to the next sweep.
            if len(due) < batch or not confirmed:
                break
    await retry_outbox(db, bus, clock, now, batch)
    if opened:
        log.info("sweep_done", opened=opened)
    return opened


async def _escalate_batch(
    db: Database,
    bus: Bus,
    clock: Clock,
    sla: SlaTable,
    due: list[CaseRecord],
    reason: EscalationReason,
    now: datetime,
) -> tuple[int, int]:
    # The index found them; the policy confirms each one is really overdue in its current state.
    confirmed = [
        case_record
        for case_record in due
        if case_record.assigned
        and reason in policy.overdue_reasons(case_record.fold(sla), case_record.escalated, now)
    ]
    opened = [open_escalation(case_record, reason, now, sla) for case_record in confirmed]
    created = set(await store.insert_escalations(db, opened))
    await store.settle_due(db, [case_record.case_id for case_record in confirmed], reason, now)
    mine = [escalation for escalation in opened if escalation.id in created]
    for escalation in mine:
        outbox.log_opened(escalation)
    # The records were read before the insert, and a consumer may have written one since: read them
    # again and bring each escalation's view up to the record as it is now, as the consumer does.
    current = await store.records_settled(db, (escalation.case_id for escalation in mine), reason)
    for escalation in mine:
        case_record = current.get(escalation.case_id)
        view = _view_behind(escalation, case_record, sla) if case_record else None
        if view is not None:
            await store.refresh_escalation(db, escalation.id, view)
    by_case = {case_record.case_id: case_record for case_record in confirmed}
    await outbox.publish(db, bus, clock, mine, {**by_case, **current})
    return len(confirmed), len(mine)


def _view_behind(escalation: Escalation, case_record: CaseRecord, sla: SlaTable) -> CaseView | None:
    """The view to write over the one ``escalation`` was opened with; ``None`` when that one still
    shows ``case_record``.

    This sweep's own settle moved the record's version by one without changing anything a view
    shows, so a view that shows the same and is one version behind is left as it is: a sweep costs
    no extra write per escalation. A view that shows something else is written, and so is one
    further behind, so that a consumer finishing late with a record in between finds a newer version
    in place and changes nothing.
    """
    view = case_view(case_record, escalation.created_at, sla)
    moved = case_record.version - escalation.case.record_version
    return view if moved > 1 or not view.shows_the_same(escalation.case) else None


async def retry_outbox(db: Database, bus: Bus, clock: Clock, now: datetime, batch: int = BATCH) -> int:
    """Publish escalations whose opener did not confirm publishing within the lease."""
    stale = await store.outbox_due(db, now, batch)
    claimed = [
        escalation
        for escalation in stale
        if await store.claim_outbox(db, escalation.id, now, now + OUTBOX_LEASE)
    ]
    if not claimed:
        return 0
    by_case = await store.records_by_case(db, (escalation.case_id for escalation in claimed))
    published = await outbox.publish(db, bus, clock, claimed, by_case)
    log.info("outbox_republished", count=published)
    return published


async def run(db: Database, bus: Bus, sla: SlaTable, clock: Clock, interval: timedelta) -> None:
    """Sweep every ``interval`` (the sweep interval) until cancelled; a failed sweep is logged and retried."""
    pause = max(interval.total_seconds(), 0.05)
    while True:
        try:
            await sweep_once(db, bus, sla, clock)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("sweep_failed", error=exc.__class__.__name__)
        await asyncio.sleep(pause)
