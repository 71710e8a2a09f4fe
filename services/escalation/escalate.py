"""Opening escalations and telling the world: the NGO snapshot, ``case.escalated``, the worker notice.

An escalation's id and the ids of the two events it publishes are derived from (case, reason), so
whoever opens it, a consumer or one of several sweepers, and however often a publish is retried after
a crash, the same escalation and the same event ids come out. The escalation carries an outbox state:
``pending`` until both events are confirmed by the broker. Its opener holds the outbox for a lease
(``outbox_due_at``); anyone else publishes it only after claiming it once that lease is over, so a
stale pending outbox is published again by the sweeper or a redelivery, and by one of them only.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog

from services.escalation import clocks, policy, store
from services.escalation.texts import escalation_notice
from shared.contracts import CaseEscalated, Event, MessageOutbound
from shared.runtime import Runtime
from shared.sla import SlaTable
from shared.store import PyMongoError, to_ms

log = structlog.get_logger(__name__)

Doc = dict[str, Any]
_NAMESPACE = uuid.UUID("0b6f3f0e-5d1e-4c8e-9a57-3c2e4f1d7a90")
# How long the opener of an escalation has to publish it before a sweeper publishes it instead.
OUTBOX_LEASE = timedelta(seconds=60)


def escalation_id(case_id: str, reason: str) -> str:
    """32 hex digits, derived from the case and the reason, so every opener computes the same id."""
    return uuid.uuid5(_NAMESPACE, f"{case_id}\x1f{reason}").hex


def snapshot(clock: Doc, reason: str, now: datetime, sla: SlaTable) -> Doc:
    """The escalation document: what the NGO needs to act, and never the contact or reporter key."""
    now = to_ms(now)
    return {
        "_id": escalation_id(clock["case_id"], reason),
        "case_id": clock["case_id"],
        "reason": reason,
        "level": "ngo",
        "status": "open",
        "reference": clock["reference"],
        "factory_id": clock.get("factory_id"),
        "language": clock.get("language"),
        "text": clock.get("text"),
        "case_created_at": clock.get("created_at"),
        **case_fields(clock, now, sla),
        "created_at": now,
        "outbox": "pending",
        "outbox_due_at": now + OUTBOX_LEASE,
    }


def case_fields(clock: Doc, escalated_at: datetime, sla: SlaTable) -> Doc:
    """The part of an escalation that shows the case as its clock has it, at the clock's version.

    Kept current while the escalation is open (:func:`refresh`), because the events of a case arrive
    in any order: a dispute may open its escalation before the resolution it disputes has arrived.
    The deadlines missed are those missed by the time of the escalation, by everything now known.
    """
    state = clocks.state_of(clock, sla)
    return {
        "committee_id": state.committee_id,
        "category": state.category,
        "severity": state.severity,
        "case_status": state.status,
        "deadlines": {"ack_due_at": state.ack_due_at, "resolve_due_at": state.resolve_due_at},
        "deadlines_missed": policy.missed_deadlines(state, escalated_at),
        "timeline": [_timeline_item(e) for e in clocks.in_order(clock.get("timeline", []))],
        "clock_version": clock.get("version", 0),
    }


def _timeline_item(entry: Doc) -> Doc:
    return {k: entry.get(k) for k in ("at", "action", "actor_role", "status")}


async def open_escalations(runtime: Runtime, clock: Doc, reasons: Iterable[str]) -> list[Doc]:
    """Create the escalations that do not exist yet; return those this call created."""
    now = runtime.clock()
    docs = [snapshot(clock, reason, now, runtime.settings.sla) for reason in reasons]
    created = set(await store.insert_escalations(runtime.db, docs))
    for doc in docs:
        if doc["_id"] in created:
            log.info(
                "escalation_opened", escalation_id=doc["_id"], case_id=doc["case_id"], reason=doc["reason"]
            )
    return [doc for doc in docs if doc["_id"] in created]


async def ensure_escalations(runtime: Runtime, clock: Doc) -> None:
    """Make sure every reason the clock records has its escalation, current, and published once.

    Run after every event, including redelivered ones, so a crash between the clock write and the
    escalation insert (or the publish) is repaired by the redelivery. What this call inserted it
    publishes; an escalation someone else inserted is published here only once its outbox is claimed
    (the opener's lease ran out or was given back), so two deliveries racing never both publish it.
    """
    reasons = list(clock.get("escalated", []))
    if not reasons or not clock.get("assigned"):
        return
    db, now = runtime.db, to_ms(runtime.clock())
    existing = await store.escalations_of_case(db, clock["case_id"])
    have = {doc["reason"] for doc in existing}
    created = await open_escalations(runtime, clock, [r for r in reasons if r not in have])
    if set(reasons) - have - {doc["reason"] for doc in created}:
        # Another consumer inserted one of them meanwhile: read what it wrote, to bring it up to date.
        existing = await store.escalations_of_case(db, clock["case_id"])
    mine = {doc["_id"] for doc in created}
    others = [doc for doc in existing if doc["_id"] not in mine]
    await refresh(runtime, clock, others)
    held = [(doc, doc["outbox_due_at"]) for doc in created]
    lease = now + OUTBOX_LEASE
    for doc in others:
        # A pending outbox here is one an earlier delivery could not finish publishing.
        if doc.get("outbox") == "pending" and await store.claim_outbox(db, doc["_id"], now, lease):
            held.append((doc, lease))
    try:
        await publish(runtime, [doc for doc, _ in held], {clock["case_id"]: clock})
    except Exception:
        # Give the leases back, so the retried delivery finishes at once instead of after the lease.
        for doc, until in held:
            with contextlib.suppress(PyMongoError):
                await store.release_outbox(db, doc["_id"], until, now)
        raise


async def refresh(runtime: Runtime, clock: Doc, escalations: Iterable[Doc]) -> int:
    """Bring open escalations of the clock's case up to its version; an older clock changes nothing."""
    version = clock.get("version", 0)
    refreshed = 0
    for doc in escalations:
        if doc.get("status") == "resolved" or doc.get("clock_version", -1) >= version:
            continue
        fields = case_fields(clock, doc["created_at"], runtime.settings.sla)
        refreshed += await store.refresh_escalation(runtime.db, doc["_id"], fields)
    return refreshed


async def publish(runtime: Runtime, escalations: Sequence[Doc], clocks_by_case: dict[str, Doc]) -> int:
    """Publish both events of each escalation (broker-confirmed), then mark their outbox done."""
    done = []
    for doc in escalations:
        for event in events_for(doc, clocks_by_case.get(doc["case_id"])):
            await runtime.bus.publish(event)
        done.append(doc["_id"])
    await store.mark_published(runtime.db, done, runtime.clock())
    return len(done)


def events_for(doc: Doc, clock: Doc | None) -> list[Event]:
    """``case.escalated`` and, when the worker can be reached, the notice in their language."""
    correlation = _correlation(doc["case_id"])
    events: list[Event] = [
        CaseEscalated(
            id=uuid.uuid5(_NAMESPACE, f"{doc['_id']}\x1fcase.escalated"),
            occurred_at=doc["created_at"],
            correlation_id=correlation,
            case_id=doc["case_id"],
            reference=doc["reference"],
            escalation_id=doc["_id"],
            reason=doc["reason"],
            factory_id=doc.get("factory_id"),
            at=doc["created_at"],
        )
    ]
    reply_to = (clock or {}).get("reply_to") or {}
    if reply_to.get("sealed_contact"):
        language = "zh" if doc.get("language") == "zh" else "en"
        events.append(
            MessageOutbound(
                id=uuid.uuid5(_NAMESPACE, f"{doc['_id']}\x1fescalation_notice"),
                occurred_at=doc["created_at"],
                correlation_id=correlation,
                channel=reply_to["channel"],
                sealed_contact=reply_to["sealed_contact"],
                gateway_number=reply_to.get("gateway_number"),
                text=escalation_notice(language, doc["reference"], doc["reason"]),
                language=language,
                reference=doc["reference"],
                case_id=doc["case_id"],
                purpose="escalation_notice",
            )
        )
    return events


def _correlation(case_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(case_id)
    except ValueError:
        return uuid.uuid5(_NAMESPACE, case_id)
