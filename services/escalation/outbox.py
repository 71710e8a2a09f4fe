"""Opening escalations and telling the world: ``case.escalated`` and the worker notice, exactly once.

The rules are in :mod:`services.escalation.escalations`; this module stores and publishes. Whoever
inserts an escalation publishes it; anyone else publishes a pending outbox only after claiming it
once the opener's lease is over, so a stale pending outbox is published again by the sweeper or a
redelivery, and by one of them only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import structlog

from services.escalation import store
from services.escalation.escalations import (
    OUTBOX_LEASE,
    Escalation,
    case_view,
    escalation_id,
    events_for,
    open_escalation,
)
from services.escalation.records import CaseRecord
from shared.contracts import EscalationReason
from shared.messaging import Bus
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import Database, PyMongoError, to_ms

log = structlog.get_logger(__name__)

# The id, the lease and the events are the model's (escalations.py); named here as well, where the
# callers of this module have always found them.
__all__ = [
    "OUTBOX_LEASE",
    "ensure_escalations",
    "escalation_id",
    "events_for",
    "log_opened",
    "open_escalations",
    "publish",
    "refresh",
]


async def open_escalations(
    db: Database, case_record: CaseRecord, reasons: Iterable[EscalationReason], now: datetime, sla: SlaTable
) -> list[Escalation]:
    """Create the escalations that do not exist yet; return those this call created."""
    opened = [open_escalation(case_record, reason, now, sla) for reason in reasons]
    created = set(await store.insert_escalations(db, opened))
    mine = [escalation for escalation in opened if escalation.id in created]
    for escalation in mine:
        log_opened(escalation)
    return mine


def log_opened(escalation: Escalation) -> None:
    log.info(
        "escalation_opened",
        escalation_id=escalation.id,
        case_id=escalation.case_id,
        reference=escalation.reference,
        reason=escalation.reason,
    )


async def ensure_escalations(
    db: Database, bus: Bus, sla: SlaTable, clock: Clock, case_record: CaseRecord
) -> None:
    """Make sure every reason the record lists has its escalation, current, and published once.

    Run after every event, including redelivered ones, so a crash between the record write and the
    escalation insert (or the publish) is repaired by the redelivery. What this call inserted it
    publishes; an escalation someone else inserted is published here only once its outbox is claimed
    (the opener's lease ran out or was given back), so two deliveries racing never both publish it.
    """
    reasons = list(case_record.escalated)
    if not reasons or not case_record.assigned:
        return
    now = to_ms(clock())
    existing = await store.escalations_of_case(db, case_record.case_id)
    have = {escalation.reason for escalation in existing}
    created = await open_escalations(db, case_record, [r for r in reasons if r not in have], now, sla)
    if set(reasons) - have - {escalation.reason for escalation in created}:
        # Another consumer inserted one of them meanwhile: read what it wrote, to bring it up to date.
        existing = await store.escalations_of_case(db, case_record.case_id)
    mine = {escalation.id for escalation in created}
    others = [escalation for escalation in existing if escalation.id not in mine]
    await refresh(db, case_record, others, sla)
    # Each outbox this call holds, with the end of its lease as written (the holder's token).
    held: list[tuple[Escalation, datetime | None]] = [(e, e.outbox_due_at) for e in created]
    lease = now + OUTBOX_LEASE
    for escalation in others:
        # A pending outbox here is one an earlier delivery could not finish publishing.
        if escalation.outbox == "pending" and await store.claim_outbox(db, escalation.id, now, lease):
            held.append((escalation, lease))
    try:
        await publish(db, bus, clock, [e for e, _ in held], {case_record.case_id: case_record})
    except Exception:
        # Give the leases back, so the retried delivery finishes at once instead of after the lease.
        for escalation, until in held:
            if until is not None:
                with contextlib.suppress(PyMongoError):
                    await store.release_outbox(db, escalation.id, until, now)
        raise


async def refresh(
    db: Database, case_record: CaseRecord, escalations: Iterable[Escalation], sla: SlaTable
) -> int:
    """Bring open escalations of the record's case up to its version; an older record changes nothing."""
    refreshed = 0
    for escalation in escalations:
        if escalation.follows(case_record):
            view = case_view(case_record, escalation.created_at, sla)
            refreshed += await store.refresh_escalation(db, escalation.id, view)
    return refreshed


async def publish(
    db: Database,
    bus: Bus,
    clock: Clock,
    escalations: Sequence[Escalation],
    records_by_case: Mapping[str, CaseRecord],
) -> int:
    """Publish both events of each escalation (broker-confirmed), then mark their outbox done."""
    done = []
    for escalation in escalations:
        for event in events_for(escalation, records_by_case.get(escalation.case_id)):
            await bus.publish(event)
        done.append(escalation.id)
    await store.mark_published(db, done, clock())
    return len(done)
