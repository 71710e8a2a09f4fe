"""Every MongoDB call the escalation service makes (``case_clocks`` and ``escalations``).

Writes are conditional: a clock is replaced only at the version it was read at, an escalation exists
once per (case, reason) because its id is derived from both and a unique index guards the pair, and
the sweeper clears a pending deadline only while it is still due. Queries only use filters that an
index serves, so their cost follows the number of matches, not the size of the collection.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError

from shared.store import ASCENDING, DESCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

Doc = dict[str, Any]
CLOCKS = "case_clocks"
ESCALATIONS = "escalations"

INDEXES: dict[str, list[IndexModel]] = {
    CLOCKS: [
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
    ],
}


# --- case clocks ---------------------------------------------------------------------------------


async def load_clock(db: Database, case_id: str) -> Doc | None:
    doc: Doc | None = await db[CLOCKS].find_one({"case_id": case_id}, {"_id": 0})
    return doc


async def insert_clock(db: Database, doc: Doc) -> bool:
    """Create a clock; ``False`` when another consumer created it first (read it again)."""
    try:
        await db[CLOCKS].insert_one(dict(doc))
    except DuplicateKeyError:
        return False
    return True


async def replace_clock(db: Database, doc: Doc, expected_version: int) -> Doc | None:
    """Replace the clock if nobody changed it since it was read at ``expected_version``."""
    new = {**doc, "version": expected_version + 1}
    # No projection here: mongomock then finds nothing to return after the replacement.
    found: Doc | None = await db[CLOCKS].find_one_and_replace(
        {"case_id": doc["case_id"], "version": expected_version}, new, return_document=ReturnDocument.AFTER
    )
    if found is not None:
        found.pop("_id", None)
    return found


async def clocks_due(db: Database, field: str, now: datetime, limit: int) -> list[Doc]:
    """Clocks whose pending deadline ``field`` has passed, oldest first (served by a sparse index)."""
    cursor = db[CLOCKS].find({field: {"$lte": now}}, {"_id": 0}).sort(field, ASCENDING).limit(limit)
    return [doc async for doc in cursor]


async def explain_due(db: Database, field: str, now: datetime, limit: int) -> dict[str, Any] | None:
    """What the server did for :func:`clocks_due` (``None`` where the engine cannot explain)."""
    cursor = db[CLOCKS].find({field: {"$lte": now}}).sort(field, ASCENDING).limit(limit)
    explain = getattr(cursor, "explain", None)
    if explain is None:
        return None
    plan: dict[str, Any] = await explain()
    stats = plan.get("executionStats", {})
    return {
        "docs_examined": stats.get("totalDocsExamined"),
        "keys_examined": stats.get("totalKeysExamined"),
        "returned": stats.get("nReturned"),
    }


async def settle_due(db: Database, case_ids: Sequence[str], field: str, reason: str, now: datetime) -> int:
    """Stop watching ``field`` on these clocks and record ``reason`` as escalated.

    The filter repeats the due condition, so a clock whose deadline moved or whose field another
    replica already cleared is left alone. The version moves so that a consumer holding an older read
    of the clock retries instead of writing the deadline back.
    """
    if not case_ids:
        return 0
    result = await db[CLOCKS].update_many(
        # The due condition first: an engine without a planner (mongomock) then skips most clocks early.
        {field: {"$lte": now}, "case_id": {"$in": list(case_ids)}},
        {"$unset": {field: ""}, "$addToSet": {"escalated": reason}, "$inc": {"version": 1}},
    )
    return int(result.modified_count)


async def clocks_by_case(db: Database, case_ids: Iterable[str]) -> dict[str, Doc]:
    ids = list(set(case_ids))
    if not ids:
        return {}
    cursor = db[CLOCKS].find({"case_id": {"$in": ids}}, {"_id": 0})
    return {doc["case_id"]: doc async for doc in cursor}


async def clocks_for_stats(
    db: Database, factories: Sequence[str] | None, since: datetime | None
) -> list[Doc]:
    """The clock fields statistics need (never text or contact), for the caller's scope.

    The API computes its statistics on the server (:func:`stats_of`); this is the rule's plain-Python
    counterpart's input, which the tests and the statistics benchmark compare with it.
    """
    query = stats_scope(factories, since)
    fields = (
        "factory_id",
        "category",
        "committee_id",
        "created_at",
        "ack_due_at",
        "resolve_due_at",
        "acknowledged_at",
        "resolved_at",
        "disputed_at",
        "escalated",
    )
    cursor = db[CLOCKS].find(query, {"_id": 0, **dict.fromkeys(fields, 1)})
    return [doc async for doc in cursor]


# --- escalations ---------------------------------------------------------------------------------


async def insert_escalations(db: Database, docs: Sequence[Doc]) -> list[str]:
    """Insert the escalations that do not exist yet; return the ids this call created."""
    if not docs:
        return []
    try:
        await db[ESCALATIONS].insert_many([dict(d) for d in docs], ordered=False)
    except BulkWriteError as exc:
        failed = {err["index"] for err in exc.details.get("writeErrors", [])}
        if any(err.get("code") != 11000 for err in exc.details.get("writeErrors", [])):
            raise
        return [d["_id"] for i, d in enumerate(docs) if i not in failed]
    except DuplicateKeyError:
        # Engines that stop at the first duplicate: fall back to one insert at a time.
        return [d["_id"] for d in docs if await _insert_one(db, d)]
    return [d["_id"] for d in docs]


async def _insert_one(db: Database, doc: Doc) -> bool:
    try:
        await db[ESCALATIONS].insert_one(dict(doc))
    except DuplicateKeyError:
        return False
    return True


async def escalations_of_case(db: Database, case_id: str) -> list[Doc]:
    cursor = db[ESCALATIONS].find({"case_id": case_id})
    return [doc async for doc in cursor]


async def escalations_by_id(db: Database, ids: Sequence[str]) -> list[Doc]:
    cursor = db[ESCALATIONS].find({"_id": {"$in": list(ids)}})
    return [doc async for doc in cursor]


async def outbox_due(db: Database, now: datetime, limit: int) -> list[Doc]:
    cursor = db[ESCALATIONS].find({"outbox_due_at": {"$lte": now}}).sort("outbox_due_at", ASCENDING)
    return [doc async for doc in cursor.limit(limit)]


async def claim_outbox(db: Database, escalation_id: str, now: datetime, lease_until: datetime) -> bool:
    """Take the right to publish a stale outbox for a while, so two sweepers do not both publish it."""
    found = await db[ESCALATIONS].find_one_and_update(
        {"_id": escalation_id, "outbox_due_at": {"$lte": now}},
        {"$set": {"outbox_due_at": lease_until}},
    )
    return found is not None


async def mark_published(db: Database, ids: Sequence[str], now: datetime) -> None:
    if ids:
        await db[ESCALATIONS].update_many(
            {"outbox": "pending", "_id": {"$in": list(ids)}},
            {"$set": {"outbox": "published", "published_at": now}, "$unset": {"outbox_due_at": ""}},
        )


async def list_escalations(db: Database, query: Doc, skip: int, limit: int) -> tuple[list[Doc], int]:
    total = int(await db[ESCALATIONS].count_documents(query))
    cursor = db[ESCALATIONS].find(query).sort([("created_at", DESCENDING), ("_id", ASCENDING)])
    return [doc async for doc in cursor.skip(skip).limit(limit)], total


async def get_escalation(db: Database, escalation_id: str) -> Doc | None:
    doc: Doc | None = await db[ESCALATIONS].find_one({"_id": escalation_id})
    return doc


async def transition(
    db: Database, escalation_id: str, from_status: Sequence[str], changes: Doc
) -> Doc | None:
    """Change an escalation's state only if it is still in one of ``from_status``."""
    found: Doc | None = await db[ESCALATIONS].find_one_and_update(
        {"_id": escalation_id, "status": {"$in": list(from_status)}},
        {"$set": changes},
        return_document=ReturnDocument.AFTER,
    )
    return found


# --- statistics ------------------------------------------------------------------------------------


def stats_scope(factories: Sequence[str] | None, since: datetime | None) -> Doc:
    """The clocks statistics count: assigned ones, of the caller's factories, created since ``since``."""
    query: Doc = {"assigned": True}
    if factories is not None:
        query["factory_id"] = {"$in": list(factories)}
    if since is not None:
        query["created_at"] = {"$gte": since}
    return query


async def stats_of(
    db: Database, factories: Sequence[str] | None, since: datetime | None, stages: Sequence[Doc]
) -> Doc | None:
    """Run the statistics pipeline (``stages``, from :mod:`services.escalation.stats`) over the scope.

    The pipeline ends in one ``$facet``, so the answer is one document (``None`` if the engine gives
    none). Its ``$sort`` holds a small row per clock in scope; past 100 MB of rows MongoDB sorts on
    disk, which ``allowDiskUse`` permits before 6.0 too.
    """
    pipeline = [{"$match": stats_scope(factories, since)}, *stages]
    cursor = db[CLOCKS].aggregate(pipeline, allowDiskUse=True)
    async for doc in cursor:
        found: Doc = doc
        return found
    return None
