"""Every MongoDB call the escalation service makes (``case_records``, ``escalations``, ``deadline_reminders``).

The escalation service's repository: it loads and saves the typed :class:`CaseRecord` and
:class:`Escalation` (laid out by :mod:`services.escalation.documents`), and no other module of the
service speaks MongoDB. Writes are conditional: a record is replaced only at the version it was read
at, an escalation exists once per (case, reason) because its id is derived from both and a unique
index guards the pair, and the sweeper clears a pending deadline only while it is still due. Queries
only use filters that an index serves, so their cost follows the number of matches, not the size of
the collection.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import BulkWriteError

from services.escalation.documents import (
    PENDING_FIELDS,
    VERSION_FIELD,
    decision_fields,
    escalation_document,
    escalation_from,
    record_document,
    record_from,
    view_fields,
)
from services.escalation.escalations import MAY_FOLLOW, CaseView, Escalation, EscalationStatus
from services.escalation.records import CaseRecord
from shared.contracts import EscalationReason
from shared.store import ASCENDING, DESCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

Doc = dict[str, Any]
RECORDS = "case_records"
ESCALATIONS = "escalations"
REMINDERS = "deadline_reminders"

INDEXES: dict[str, list[IndexModel]] = {
    RECORDS: [
        IndexModel([("case_id", ASCENDING)], unique=True),
        # Present only while a deadline is watched: the sweeper's range query reads overdue cases only.
        IndexModel([("ack_pending_due", ASCENDING)], sparse=True),
        IndexModel([("resolve_pending_due", ASCENDING)], sparse=True),
        IndexModel([("factory_id", ASCENDING), ("created_at", ASCENDING)]),
    ],
    ESCALATIONS: [
        IndexModel([("case_id", ASCENDING), ("reason", ASCENDING)], unique=True),
        IndexModel([("status", ASCENDING), ("factory_id", ASCENDING)]),
        IndexModel([("created_at", DESCENDING)]),
        IndexModel([("outbox_due_at", ASCENDING)], sparse=True),
        # The console's case page and actions, the API's ?reference= and the case-code prefix find by it.
        IndexModel([("reference", ASCENDING)]),
    ],
    REMINDERS: [IndexModel([("published", ASCENDING), ("claimed_at", ASCENDING)])],
}


@dataclass(frozen=True)
class EscalationQuery:
    """Which escalations a list shows; ``factories`` ``None`` for every factory."""

    status: EscalationStatus | None = None
    reason: EscalationReason | None = None
    factories: tuple[str, ...] | None = None
    reference: str | None = None


@dataclass(frozen=True)
class QueryCost:
    """What the server examined to answer a query (``explain``'s execution statistics)."""

    docs_examined: int | None
    keys_examined: int | None
    returned: int | None


# --- case records --------------------------------------------------------------------------------


async def load_record(db: Database, case_id: str) -> CaseRecord | None:
    doc: Doc | None = await db[RECORDS].find_one({"case_id": case_id}, {"_id": 0})
    return None if doc is None else record_from(doc)


async def insert_record(db: Database, record: CaseRecord) -> bool:
    """Create a record; ``False`` when another consumer created it first (read it again)."""
    try:
        await db[RECORDS].insert_one(record_document(record))
    except DuplicateKeyError:
        return False
    return True


async def replace_record(db: Database, record: CaseRecord, expected_version: int) -> CaseRecord | None:
    """Replace the record if nobody changed it since it was read at ``expected_version``; the record
    as stored (at the next version), or ``None`` when someone did (read it again)."""
    new = {**record_document(record), "version": expected_version + 1}
    # No projection here: mongomock then finds nothing to return after the replacement.
    found: Doc | None = await db[RECORDS].find_one_and_replace(
        {"case_id": record.case_id, "version": expected_version}, new, return_document=ReturnDocument.AFTER
    )
    return None if found is None else record_from(found)


async def records_due(db: Database, reason: EscalationReason, now: datetime, limit: int) -> list[CaseRecord]:
    """Records whose pending deadline for ``reason`` has passed, oldest first (a sparse index serves it)."""
    field = PENDING_FIELDS[reason]
    cursor = db[RECORDS].find({field: {"$lte": now}}, {"_id": 0}).sort(field, ASCENDING).limit(limit)
    return [record_from(doc) async for doc in cursor]


async def records_with_ack_due(
    db: Database, after: datetime, until: datetime, limit: int
) -> list[CaseRecord]:
    """Records whose watched acknowledgement deadline falls in (``after``, ``until``], soonest first
    (the sparse index of pending deadlines serves the range)."""
    field = PENDING_FIELDS["ack_overdue"]
    cursor = (
        db[RECORDS]
        .find({field: {"$gt": after, "$lte": until}}, {"_id": 0})
        .sort([(field, ASCENDING), ("case_id", ASCENDING)])
        .limit(limit)
    )
    return [record_from(doc) async for doc in cursor]


async def published_reminders(db: Database, reminder_ids: Iterable[str]) -> set[str]:
    """Which of these reminders were published already."""
    cursor = db[REMINDERS].find({"_id": {"$in": list(reminder_ids)}, "published": True}, {"_id": 1})
    return {str(doc["_id"]) async for doc in cursor}


async def claim_reminder(
    db: Database, reminder_id: str, case_id: str, now: datetime, lease: timedelta
) -> bool:
    """Take the right to publish one reminder: the first to insert it, or the one that takes over a
    claim left unpublished for longer than ``lease``."""
    try:
        await db[REMINDERS].insert_one(
            {"_id": reminder_id, "case_id": case_id, "published": False, "claimed_at": now}
        )
        return True
    except DuplicateKeyError:
        pass
    taken = await db[REMINDERS].update_one(
        {"_id": reminder_id, "published": False, "claimed_at": {"$lte": now - lease}},
        {"$set": {"claimed_at": now}},
    )
    return bool(taken.modified_count)


async def reminder_published(db: Database, reminder_id: str, now: datetime) -> None:
    await db[REMINDERS].update_one({"_id": reminder_id}, {"$set": {"published": True, "published_at": now}})


async def explain_due(db: Database, reason: EscalationReason, now: datetime, limit: int) -> QueryCost | None:
    """What the server did for :func:`records_due` (``None`` where the engine cannot explain)."""
    field = PENDING_FIELDS[reason]
    cursor = db[RECORDS].find({field: {"$lte": now}}).sort(field, ASCENDING).limit(limit)
    explain = getattr(cursor, "explain", None)
    if explain is None:
        return None
    plan: Doc = await explain()
    stats = plan.get("executionStats", {})
    return QueryCost(stats.get("totalDocsExamined"), stats.get("totalKeysExamined"), stats.get("nReturned"))


async def settle_due(db: Database, case_ids: Sequence[str], reason: EscalationReason, now: datetime) -> int:
    """Stop watching ``reason``'s deadline on these records, whose escalations exist, and list
    ``reason`` as escalated; return how many deadlines were cleared.

    The filter repeats the due condition, so a record whose deadline moved or whose field another
    replica already cleared keeps its field. The reason is recorded on each of them all the same (a
    committee may have acknowledged just after the sweeper read the record): its escalation exists,
    and the record's reasons are what later events follow to keep the escalation current and its
    outbox finished. The version moves so that a consumer holding an older read of the record retries
    instead of writing the deadline back.
    """
    if not case_ids:
        return 0
    field, ids = PENDING_FIELDS[reason], list(case_ids)
    result = await db[RECORDS].update_many(
        # The batch's ids first: MongoDB's planner takes the unique case_id index whatever the order,
        # but an engine that evaluates a filter as written (the test server) would otherwise read
        # every record still overdue for each batch, and a sweep would cost the square of its size.
        {"case_id": {"$in": ids}, field: {"$lte": now}},
        {"$unset": {field: ""}, "$addToSet": {"escalated": reason}, "$inc": {"version": 1}},
    )
    cleared = int(result.modified_count)
    if cleared < len(ids):
        await db[RECORDS].update_many(
            {"case_id": {"$in": ids}, "escalated": {"$ne": reason}},
            {"$addToSet": {"escalated": reason}, "$inc": {"version": 1}},
        )
    return cleared


async def records_by_case(db: Database, case_ids: Iterable[str]) -> dict[str, CaseRecord]:
    ids = list(set(case_ids))
    if not ids:
        return {}
    cursor = db[RECORDS].find({"case_id": {"$in": ids}}, {"_id": 0})
    return {doc["case_id"]: record_from(doc) async for doc in cursor}


_COMMITTEE_FIELDS = (
    "committee_id",
    "assignment.committee_id",
    "timeline.committee_id",
    "assignment.conflicts.committee_id",
    "timeline.conflicts.committee_id",
)


async def committees_of_factory(db: Database, factory_id: str) -> list[str]:
    """Every committee a record of the factory names: holding a case now, at its assignment, in its
    timeline (a transfer, a recusal) or passed over for a member the worker named; sorted.

    Served by the ``factory_id`` index; linear in the factory's cases, as one NGO page can afford.
    """
    found: set[str] = set()
    for field in _COMMITTEE_FIELDS:
        found.update(v for v in await db[RECORDS].distinct(field, {"factory_id": factory_id}) if v)
    return sorted(found)


async def records_settled(
    db: Database, case_ids: Iterable[str], reason: EscalationReason
) -> dict[str, CaseRecord]:
    """The records of these cases as they are now, once :func:`settle_due` recorded ``reason`` on them.

    The same answer as :func:`records_by_case`; the recorded reason comes first in the filter so that
    an engine without a planner (mongomock) skips the other records early, while a server reads the
    ``case_id`` index.
    """
    ids = list(set(case_ids))
    if not ids:
        return {}
    cursor = db[RECORDS].find({"escalated": reason, "case_id": {"$in": ids}}, {"_id": 0})
    return {doc["case_id"]: record_from(doc) async for doc in cursor}


# --- escalations ---------------------------------------------------------------------------------


async def insert_escalations(db: Database, escalations: Sequence[Escalation]) -> list[str]:
    """Insert the escalations that do not exist yet; return the ids this call created."""
    if not escalations:
        return []
    try:
        await db[ESCALATIONS].insert_many([escalation_document(e) for e in escalations], ordered=False)
    except BulkWriteError as exc:
        failed = {err["index"] for err in exc.details.get("writeErrors", [])}
        if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
            raise
        return [e.id for i, e in enumerate(escalations) if i not in failed]
    except DuplicateKeyError:
        # Engines that stop at the first duplicate: fall back to one insert at a time.
        return [e.id for e in escalations if await _insert_one(db, e)]
    return [e.id for e in escalations]


async def _insert_one(db: Database, escalation: Escalation) -> bool:
    try:
        await db[ESCALATIONS].insert_one(escalation_document(escalation))
    except DuplicateKeyError:
        return False
    return True


async def escalations_of_case(db: Database, case_id: str) -> list[Escalation]:
    """A case's escalations, oldest first (a handful per case: sorted without an index)."""
    cursor = db[ESCALATIONS].find({"case_id": case_id}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
    return [escalation_from(doc) async for doc in cursor]


async def refresh_escalation(db: Database, escalation_id: str, view: CaseView) -> bool:
    """Replace an open escalation's view of its case by one from a newer record; never by an older one.

    ``view.record_version`` is the version of the record the view comes from (stored as
    ``clock_version``, :data:`documents.VERSION_FIELD`); the filter lets the update through only while
    the escalation holds an older version (or, written before versions were kept, none), so
    concurrent consumers finishing in any order leave the newest view.
    """
    version = view.record_version
    result = await db[ESCALATIONS].update_one(
        {
            "_id": escalation_id,
            "status": {"$in": ["open", "acknowledged"]},
            "$or": [{VERSION_FIELD: {"$lt": version}}, {VERSION_FIELD: {"$exists": False}}],
        },
        {"$set": view_fields(view)},
    )
    return bool(result.modified_count)


async def outbox_due(db: Database, now: datetime, limit: int) -> list[Escalation]:
    cursor = db[ESCALATIONS].find({"outbox_due_at": {"$lte": now}}).sort("outbox_due_at", ASCENDING)
    return [escalation_from(doc) async for doc in cursor.limit(limit)]


async def claim_outbox(db: Database, escalation_id: str, now: datetime, lease_until: datetime) -> bool:
    """Take the right to publish a stale outbox for a while, so two publishers never both publish it."""
    found = await db[ESCALATIONS].find_one_and_update(
        {"_id": escalation_id, "outbox_due_at": {"$lte": now}},
        {"$set": {"outbox_due_at": lease_until}},
    )
    return found is not None


async def release_outbox(db: Database, escalation_id: str, lease_until: datetime, now: datetime) -> None:
    """Give back a lease this caller holds (``lease_until``, as written) so it can be claimed at once.

    The lease's end is the holder's token: once it has run out and someone else claimed the outbox,
    the value differs (a later ``now``) and nothing changes.
    """
    await db[ESCALATIONS].update_one(
        {"_id": escalation_id, "outbox": "pending", "outbox_due_at": lease_until},
        {"$set": {"outbox_due_at": now}},
    )


async def mark_published(db: Database, ids: Sequence[str], now: datetime) -> None:
    if ids:
        await db[ESCALATIONS].update_many(
            {"outbox": "pending", "_id": {"$in": list(ids)}},
            {"$set": {"outbox": "published", "published_at": now}, "$unset": {"outbox_due_at": ""}},
        )


async def list_escalations(
    db: Database, query: EscalationQuery, skip: int, limit: int
) -> tuple[list[Escalation], int]:
    """One page of the escalations ``query`` selects, newest first, and how many it selects in all."""
    found = _selection(query)
    total = int(await db[ESCALATIONS].count_documents(found))
    cursor = db[ESCALATIONS].find(found).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
    return [escalation_from(doc) async for doc in cursor.skip(skip).limit(limit)], total


def _selection(query: EscalationQuery) -> Doc:
    found: Doc = {}
    if query.status is not None:
        found["status"] = query.status
    if query.reason is not None:
        found["reason"] = query.reason
    if query.factories is not None:
        found["factory_id"] = {"$in": list(query.factories)}
    if query.reference is not None:
        found["reference"] = query.reference
    return found


async def list_case_groups(
    db: Database, query: EscalationQuery, skip: int, limit: int
) -> tuple[list[list[Escalation]], int]:
    """One page of the cases whose escalations ``query`` selects, each with those escalations.

    A case comes once, with every selected reason; cases are ordered by their latest escalation,
    newest first, and the escalations of a case oldest first. The total counts cases.
    """
    found = _selection(query)
    case_ids: list[str] = []
    latest: dict[str, datetime] = {}
    async for doc in db[ESCALATIONS].find(found, {"case_id": 1, "created_at": 1}):
        at = doc["created_at"]
        if doc["case_id"] not in latest or at > latest[doc["case_id"]]:
            latest[doc["case_id"]] = at
    case_ids = sorted(latest, key=lambda case_id: (-latest[case_id].timestamp(), case_id))
    page = case_ids[skip : skip + limit]
    grouped: dict[str, list[Escalation]] = {case_id: [] for case_id in page}
    cursor = (
        db[ESCALATIONS]
        .find({**found, "case_id": {"$in": page}})
        .sort([("created_at", ASCENDING), ("_id", ASCENDING)])
    )
    async for doc in cursor:
        grouped[doc["case_id"]].append(escalation_from(doc))
    return list(grouped.values()), len(case_ids)


async def references_with_code(
    db: Database, code: str, factories: Sequence[str] | None, limit: int = 20
) -> list[str]:
    """The references of escalated cases that start with a six-character case code (what an SMS
    worker is given, ``shared.ids.case_code``), in those factories; sorted, at most ``limit``."""
    prefix = f"{code[:5]}-{code[5:]}"
    found: Doc = {"reference": {"$regex": f"^{re.escape(prefix)}"}}
    if factories is not None:
        found["factory_id"] = {"$in": list(factories)}
    references: list[str] = await db[ESCALATIONS].distinct("reference", found)
    return sorted(references)[:limit]


async def get_escalation(db: Database, escalation_id: str) -> Escalation | None:
    doc: Doc | None = await db[ESCALATIONS].find_one({"_id": escalation_id})
    return None if doc is None else escalation_from(doc)


async def transition(db: Database, escalation: Escalation) -> Escalation | None:
    """Store the escalation's new state while the stored one may still move to it
    (:data:`escalations.MAY_FOLLOW`); the escalation as stored, or ``None`` when it may not."""
    found: Doc | None = await db[ESCALATIONS].find_one_and_update(
        {"_id": escalation.id, "status": {"$in": list(MAY_FOLLOW.get(escalation.status, ()))}},
        {"$set": decision_fields(escalation)},
        return_document=ReturnDocument.AFTER,
    )
    return None if found is None else escalation_from(found)


# --- key rotation (``grievance keys rotate``) ----------------------------------------------------


async def reseal_records(
    db: Database, new_seal: Callable[[str], str | None], collection: str = RECORDS
) -> tuple[int, int]:
    """Seal the worker's contact of every record (``reply_to.sealed_contact``) with the current key.

    ``new_seal`` gives the contact sealed with the current key, or None when nothing is to be written.
    Returns how many were rewritten and how many a consumer changed in between (the next pass takes
    them). The version moves, so a consumer holding an older read replaces nothing and reads again;
    the escalation notice is built from the record when it is published, so it carries the new seal.
    ``collection``: another that holds records in the same layout (``upgrade.FORMER_RECORDS``).
    """
    rewritten = raced = 0
    query = {"reply_to.sealed_contact": {"$ne": None}}
    async for doc in db[collection].find(query, {"_id": 0, "case_id": 1, "reply_to": 1}):
        sealed = doc["reply_to"]["sealed_contact"]
        fresh = new_seal(sealed)
        if fresh is None:
            continue
        result = await db[collection].update_one(
            {"case_id": doc["case_id"], "reply_to.sealed_contact": sealed},
            {"$set": {"reply_to.sealed_contact": fresh}, "$inc": {"version": 1}},
        )
        rewritten, raced = rewritten + result.modified_count, raced + 1 - result.modified_count
    return rewritten, raced
