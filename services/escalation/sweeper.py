"""The sweeper: flags cases whose acknowledgement or resolution deadline passed unmet.

A clock carries ``ack_pending_due`` / ``resolve_pending_due`` only while that deadline is watched, and
both fields have sparse indexes, so ``{field: {$lte: now}}`` reads the overdue cases and nothing else:
a sweep costs what the overdue cases cost, however many cases are open.

Several replicas may sweep at once. For each batch the escalations are inserted first (their ids
come from (case, reason) and a unique index guards the pair, so only one insert per case and reason
wins), then the pending field is cleared with the due condition repeated in the filter. Inserting
before clearing means a crash between the two only leaves a field that the next sweep clears; the
escalation is never lost. Each replica publishes what it inserted; a stale outbox (a crash after the
insert) is claimed and published again here.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import structlog

from services.escalation import clocks, escalate, policy, store
from shared.runtime import Runtime

log = structlog.get_logger(__name__)

BATCH = 500
# Guards against a sweep that never ends if clocks kept turning up (each batch clears what it read).
MAX_BATCHES = 10_000


async def sweep_once(runtime: Runtime, batch: int = BATCH) -> int:
    """One sweep at ``runtime.clock()``; returns how many escalations this call opened."""
    now = runtime.clock()
    opened = 0
    for reason, field in policy.SWEPT_REASONS.items():
        for _ in range(MAX_BATCHES):
            due = await store.clocks_due(runtime.db, field, now, batch)
            if not due:
                break
            confirmed, created = await _escalate_batch(runtime, due, reason, field, now)
            opened += created
            # A batch with nothing confirmed would come back unchanged: leave it to the next sweep.
            if len(due) < batch or not confirmed:
                break
    await retry_outbox(runtime, now, batch)
    if opened:
        log.info("sweep_done", opened=opened)
    return opened


async def _escalate_batch(
    runtime: Runtime, due: list[dict[str, Any]], reason: str, field: str, now: datetime
) -> tuple[int, int]:
    sla = runtime.settings.sla
    # The index found them; the policy confirms each one is really overdue in its current state.
    confirmed = [
        clock
        for clock in due
        if clock.get("assigned")
        and reason in policy.overdue_reasons(clocks.state_of(clock, sla), clock.get("escalated", []), now)
    ]
    docs = [escalate.snapshot(clock, reason, now, sla) for clock in confirmed]
    created = await store.insert_escalations(runtime.db, docs)
    await store.settle_due(runtime.db, [clock["case_id"] for clock in confirmed], field, reason, now)
    mine = set(created)
    for doc in docs:
        if doc["_id"] in mine:
            log.info("escalation_opened", escalation_id=doc["_id"], case_id=doc["case_id"], reason=reason)
    by_case = {clock["case_id"]: clock for clock in confirmed}
    await escalate.publish(runtime, [doc for doc in docs if doc["_id"] in mine], by_case)
    return len(confirmed), len(mine)


async def retry_outbox(runtime: Runtime, now: datetime, batch: int = BATCH) -> int:
    """Publish escalations whose opener did not confirm publishing within the lease."""
    stale = await store.outbox_due(runtime.db, now, batch)
    claimed = [
        doc
        for doc in stale
        if await store.claim_outbox(runtime.db, doc["_id"], now, now + escalate.OUTBOX_LEASE)
    ]
    if not claimed:
        return 0
    by_case = await store.clocks_by_case(runtime.db, (doc["case_id"] for doc in claimed))
    published = await escalate.publish(runtime, claimed, by_case)
    log.info("outbox_republished", count=published)
    return published


async def run(runtime: Runtime) -> None:
    """Sweep every ``settings.sweep_interval`` until cancelled; a failed sweep is logged and retried."""
    interval = max(runtime.settings.sweep_interval.total_seconds(), 0.05)
    while True:
        try:
            await sweep_once(runtime)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("sweep_failed", error=exc.__class__.__name__)
        await asyncio.sleep(interval)
