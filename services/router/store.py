"""Every MongoDB call of the router (design section 6), so a driver change stays in one module.

Writes are idempotent: a case is inserted with ``$setOnInsert`` keyed by its grievance id, and state
changes are ``find_one_and_update`` calls with the expected state in the filter. Filters are built
here from validated values only; no caller string ever lands in an operator position.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from services.router.assign import CommitteeInfo, FactoryInfo
from shared.store import ASCENDING, DESCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

FACTORIES, COMMITTEES, CASES, INBOUND, OPTOUTS = (
    "factories",
    "committees",
    "cases",
    "router_inbound",
    "optouts",
)
OPEN_STATUSES = ["assigned", "unassigned", "acknowledged", "resolved", "reopened"]
COMMITTEE_OPEN = ["assigned", "acknowledged", "resolved", "reopened"]

INDEXES = {
    FACTORIES: [
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel([("sms_numbers", ASCENDING)]),
        IndexModel([("keywords_folded", ASCENDING)]),
    ],
    COMMITTEES: [IndexModel([("id", ASCENDING)], unique=True), IndexModel([("factory_id", ASCENDING)])],
    CASES: [
        IndexModel([("grievance_id", ASCENDING)], unique=True),
        IndexModel([("reference", ASCENDING)], unique=True),
        IndexModel([("committee_id", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("reporter_key", ASCENDING), ("status", ASCENDING)]),
        IndexModel([("factory_id", ASCENDING)]),
        IndexModel([("original_reference", ASCENDING)], sparse=True),
        IndexModel([("status", ASCENDING), ("resolved_at", ASCENDING)]),
        IndexModel([("outbox_since", ASCENDING)], sparse=True),
        IndexModel([("messages.id", ASCENDING)]),
    ],
}

Outcome = Literal["inserted", "updated", "unchanged"]


class ReferenceTaken(Exception):
    """Another grievance already holds this reference."""


# -- registry -----------------------------------------------------------------------------------------


async def _upsert(db: Database, collection: str, key: str, doc: dict[str, Any]) -> Outcome:
    result = await db[collection].update_one({key: doc[key]}, {"$set": doc}, upsert=True)
    if result.upserted_id is not None:
        return "inserted"
    return "updated" if result.modified_count else "unchanged"


async def upsert_factory(db: Database, doc: dict[str, Any]) -> Outcome:
    return await _upsert(db, FACTORIES, "code", doc)


async def upsert_committee(db: Database, doc: dict[str, Any]) -> Outcome:
    return await _upsert(db, COMMITTEES, "id", doc)


async def retire_committees(db: Database, factory_id: str, keep: Sequence[str]) -> int:
    result = await db[COMMITTEES].update_many(
        {"factory_id": factory_id, "active": True, "id": {"$nin": list(keep)}}, {"$set": {"active": False}}
    )
    return int(result.modified_count)


async def factories(db: Database) -> list[FactoryInfo]:
    """Every factory, by code: routing takes the first factory that matches, so the order is fixed."""
    cursor = (
        db[FACTORIES].find({}, {"_id": 0, "code": 1, "sms_numbers": 1, "keywords": 1}).sort("code", ASCENDING)
    )
    return [
        FactoryInfo(d["code"], tuple(d.get("sms_numbers", ())), tuple(d.get("keywords", ())))
        async for d in cursor
    ]


async def committees_of(db: Database, factory_id: str) -> list[CommitteeInfo]:
    """A factory's active committees, by id (the case keeps the ones skipped, in this order)."""
    cursor = db[COMMITTEES].find({"factory_id": factory_id, "active": True}, {"_id": 0}).sort("id", ASCENDING)
    found = []
    async for d in cursor:
        names = tuple(n for m in d.get("members", ()) for n in (m["name"], *m.get("aliases", ())))
        found.append(CommitteeInfo(d["id"], d["factory_id"], tuple(d["categories"]), names))
    return found


async def committee_exists(db: Database, committee_id: str) -> bool:
    return await db[COMMITTEES].find_one({"id": committee_id}, {"_id": 1}) is not None


# -- cases --------------------------------------------------------------------------------------------


async def open_case_counts(db: Database, committee_ids: Sequence[str]) -> dict[str, int]:
    return {
        cid: await db[CASES].count_documents({"committee_id": cid, "status": {"$in": COMMITTEE_OPEN}})
        for cid in committee_ids
    }


async def latest_factory_of(db: Database, reporter_key: str) -> str | None:
    doc = await db[CASES].find_one(
        {"reporter_key": reporter_key, "factory_id": {"$ne": None}},
        {"factory_id": 1},
        # Two cases created in the same millisecond: the id decides, not whatever the server meets first.
        sort=[("created_at", DESCENDING), ("_id", ASCENDING)],
    )
    return doc["factory_id"] if doc else None


async def case_by_grievance(db: Database, grievance_id: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[CASES].find_one({"grievance_id": grievance_id})
    return doc


async def case_by_id(db: Database, case_id: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[CASES].find_one({"_id": case_id})
    return doc


async def insert_case(db: Database, doc: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Insert a case once per grievance id; return the stored case and whether this call created it.

    Raises :class:`ReferenceTaken` when a different grievance already holds the reference.
    """
    try:
        result = await db[CASES].update_one(
            {"grievance_id": doc["grievance_id"]}, {"$setOnInsert": doc}, upsert=True
        )
    except DuplicateKeyError:
        existing = await case_by_grievance(db, doc["grievance_id"])
        if existing is not None:  # a concurrent delivery of the same grievance won the race
            return existing, False
        raise ReferenceTaken(doc["reference"]) from None
    stored = await case_by_grievance(db, doc["grievance_id"])
    assert stored is not None
    return stored, result.upserted_id is not None


async def committee_case(
    db: Database, reference: str, committee_id: str, *, recused_too: bool = False
) -> dict[str, Any] | None:
    """A case of one committee (404 material when None); optionally one it recused from."""
    doc: dict[str, Any] | None = await db[CASES].find_one(
        {"reference": reference, "committee_id": committee_id}
    )
    if doc is None and recused_too:
        doc = await db[CASES].find_one({"reference": reference, "recused_by": committee_id})
    return doc


async def list_cases(
    db: Database, committee_id: str, status: str | None, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    query: dict[str, Any] = {"committee_id": committee_id}
    if status is not None:
        query["status"] = status
    total = await db[CASES].count_documents(query)
    cursor = (
        db[CASES].find(query).sort([("created_at", DESCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
    )
    return [d async for d in cursor], total


async def update_case(
    db: Database, case_id: str, expected: dict[str, Any], update: dict[str, Any]
) -> dict[str, Any] | None:
    """Apply ``update`` only if the case is still in the ``expected`` state; None when it is not."""
    doc: dict[str, Any] | None = await db[CASES].find_one_and_update(
        {"_id": case_id, **expected}, update, return_document=ReturnDocument.AFTER
    )
    return doc


async def pull_outbox(db: Database, case_id: str, event_id: str) -> None:
    await db[CASES].update_one({"_id": case_id}, {"$pull": {"outbox": {"id": event_id}}})
    await db[CASES].update_one({"_id": case_id, "outbox": []}, {"$unset": {"outbox_since": ""}})


async def cases_with_stale_outbox(db: Database, before: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """The cases whose outbox waits longest first (the sparse index serves the sort), ``limit`` at most."""
    cursor = db[CASES].find({"outbox_since": {"$lte": before}}).sort("outbox_since", ASCENDING).limit(limit)
    return [d async for d in cursor]


async def cases_for_status(db: Database, reference: str) -> list[dict[str, Any]]:
    """The case holding a reference, and one that was given another reference on a collision."""
    found = [d async for d in db[CASES].find({"reference": reference})]
    found += [d async for d in db[CASES].find({"original_reference": reference})]
    return found


# -- worker preferences and delivery --------------------------------------------------------------------


async def reaches_worker(db: Database, reporter_key: str | None) -> bool:
    """False when the worker sent STOP: the router then publishes no text for them."""
    if not reporter_key:
        return True
    return await db[OPTOUTS].find_one({"_id": reporter_key, "active": True}, {"_id": 1}) is None


OUTBOUND_MESSAGES = "outbound_messages"


async def delivery_statuses(db: Database, case: dict[str, Any]) -> dict[str, str]:
    """Delivery status per committee message id, from the records intake's sender keeps.

    Intake's ``outbound_messages`` holds one record per ``message.outbound`` event id: ``status`` is
    its send state (claimed, sent, failed, undeliverable), ``delivery_status`` the provider's report.
    """
    by_outbound = {m["outbound_id"]: m["id"] for m in case.get("messages", []) if m.get("outbound_id")}
    if not by_outbound:
        return {}
    cursor = db[OUTBOUND_MESSAGES].find(
        {"event_id": {"$in": list(by_outbound)}}, {"event_id": 1, "status": 1, "delivery_status": 1}
    )
    found = {}
    async for doc in cursor:
        # The provider's report (delivered, failed, ...) says more than intake's own send state.
        state = doc.get("delivery_status") or _SEND_STATES.get(doc.get("status", ""), doc.get("status"))
        if state:
            found[by_outbound[doc["event_id"]]] = str(state)
    return found


_SEND_STATES = {"claimed": "sending", "released": "sending"}


# -- dialogue -------------------------------------------------------------------------------------------


async def open_cases_of(db: Database, reporter_key: str, limit: int = 20) -> list[dict[str, Any]]:
    cursor = (
        db[CASES]
        .find({"reporter_key": reporter_key, "status": {"$in": OPEN_STATUSES}})
        .sort([("created_at", DESCENDING), ("_id", ASCENDING)])
        .limit(limit)
    )
    return [d async for d in cursor]


async def reporter_case(db: Database, reporter_key: str, reference: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[CASES].find_one(
        {"reporter_key": reporter_key, "reference": reference}
    )
    return doc


async def inbound(db: Database, grievance_id: str) -> dict[str, Any] | None:
    doc: dict[str, Any] | None = await db[INBOUND].find_one({"_id": grievance_id})
    return doc


async def record_inbound(db: Database, decision: dict[str, Any]) -> dict[str, Any]:
    """Keep the first decision taken for an inbound message; a concurrent or later one reads it back."""
    await db[INBOUND].update_one({"_id": decision["_id"]}, {"$setOnInsert": decision}, upsert=True)
    stored = await inbound(db, decision["_id"])
    assert stored is not None
    return stored


async def opt_out(db: Database, reporter_key: str, grievance_id: str, at: datetime) -> bool:
    """Record STOP; True when this message (and not an earlier one) switched messages off."""
    await db[OPTOUTS].update_one(
        {"_id": reporter_key},
        {"$setOnInsert": {"active": True, "since": at, "by": grievance_id}},
        upsert=True,
    )
    await db[OPTOUTS].update_one(
        {"_id": reporter_key, "active": False}, {"$set": {"active": True, "since": at, "by": grievance_id}}
    )
    doc = await db[OPTOUTS].find_one({"_id": reporter_key})
    return bool(doc and doc.get("by") == grievance_id)


async def opt_in(db: Database, reporter_key: str, grievance_id: str, at: datetime) -> bool:
    """Record START; True when this message switched messages back on."""
    await db[OPTOUTS].update_one(
        {"_id": reporter_key, "active": True}, {"$set": {"active": False, "until": at, "by": grievance_id}}
    )
    doc = await db[OPTOUTS].find_one({"_id": reporter_key})
    return bool(doc and doc.get("by") == grievance_id and not doc.get("active"))


async def unanswered_resolutions(db: Database, before: datetime, limit: int = 100) -> list[dict[str, Any]]:
    """Resolutions left unanswered since ``before``, the oldest first (served by (status, resolved_at))."""
    cursor = (
        db[CASES]
        .find({"status": "resolved", "resolved_at": {"$lte": before}})
        .sort("resolved_at", ASCENDING)
        .limit(limit)
    )
    return [d async for d in cursor]
