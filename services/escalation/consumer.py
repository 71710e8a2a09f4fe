"""The consumer of ``escalation.cases``: case events become records, and records become escalations.

Each event is merged into the case's record with an optimistic write (the record is replaced only at
the version it was read at), then every escalation the record calls for is made to exist and
published. The message is acknowledged only after all of that succeeded; any failure leaves it
unacked and the retry repeats the whole, idempotent, sequence.
"""

from __future__ import annotations

from functools import partial

import structlog

from services.escalation import outbox, records, store
from services.escalation.escalations import escalation_id
from services.escalation.records import CaseRecord
from shared.contracts import CaseAssigned, CaseUpdated
from shared.handlers import Handlers
from shared.messaging import Bus
from shared.runtime import Clock
from shared.sla import SlaTable
from shared.store import Database

log = structlog.get_logger(__name__)

QUEUE = "escalation.cases"
# Concurrent writers of one record are rare (a handful of events per case); a few retries suffice.
MAX_ATTEMPTS = 20


class RecordContention(RuntimeError):
    """The record kept changing under this writer; the delivery is retried later."""


def handler_for(db: Database, bus: Bus, sla: SlaTable, clock: Clock) -> Handlers:
    """The queue's handlers: an assignment and an update alike become the case's record."""
    handle = partial(handle_event, db, bus, sla, clock)
    return Handlers(QUEUE).on(CaseAssigned, handle).on(CaseUpdated, handle)


async def handle_event(
    db: Database, bus: Bus, sla: SlaTable, clock: Clock, event: CaseAssigned | CaseUpdated
) -> None:
    """The event into its case's record, then the escalations that record calls for (published on ``bus``)."""
    case_record = await apply_event(db, sla, clock, event)
    await outbox.ensure_escalations(db, bus, sla, clock, case_record)
    if isinstance(event, CaseUpdated) and event.action == "closed" and event.closure == "rerouted":
        await settle_unroutable(db, event)


async def settle_unroutable(db: Database, event: CaseUpdated) -> None:
    """The worker named their factory and the router opened a routed case in place of this one:
    the monitor no longer needs to find the factory, so the ``unroutable`` escalation is resolved."""
    escalation = await store.get_escalation(db, escalation_id(event.case_id, "unroutable"))
    settled = escalation.settle_rerouted(event.at) if escalation else None
    if settled is not None and await store.transition(db, settled) is not None:
        log.info("escalation_settled", case_id=event.case_id, reference=event.reference, reason="unroutable")


async def apply_event(
    db: Database, sla: SlaTable, clock: Clock, event: CaseAssigned | CaseUpdated
) -> CaseRecord:
    """Merge the event into its case's record and return the record as stored."""
    for _ in range(MAX_ATTEMPTS):
        current = await store.load_record(db, event.case_id)
        new = records.merge(current, event, sla, clock())
        if new is None:
            assert current is not None
            log.info("clock_event_repeated", case_id=event.case_id)
            return current
        if current is None:
            if await store.insert_record(db, new):
                log.info("clock_created", case_id=event.case_id, assigned=new.assigned)
                return new
            continue
        stored = await store.replace_record(db, new, current.version)
        if stored is not None:
            log.info(
                "clock_updated", case_id=event.case_id, status=stored.state.status if stored.state else None
            )
            return stored
    raise RecordContention(event.case_id)
