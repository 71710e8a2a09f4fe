"""The case store: the only router module that speaks MongoDB about cases (collection ``cases``).

It loads :class:`~services.router.case.Case` aggregates and writes their outcomes; callers never see
a document or an operator. A change is written with optimistic concurrency: every case document
carries a ``version`` (a document written before versions were kept has none and reads as 0), and
:meth:`CaseStore.save` writes only if the version is still the one read, incrementing it. The same
write appends the action's events to the case's ``outbox`` (the transactional outbox: state and
events in one document update). :meth:`CaseStore.mutate` is the one retry loop around it: read,
decide, write at the version read; another writer in between means read again, a bounded number
of times.

Publishing pulls an event from the outbox without touching the version: the outbox is the store's
bookkeeping, not case state, and a publisher must never make a committee's action fail. That is
why :meth:`save` pushes to the outbox instead of replacing it.

Filters are built from validated values only; no caller string ever lands in an operator position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from services.router.case import (
    ACK_PENDING,
    COMMITTEE_OPEN,
    OPEN_STATUSES,
    RESOLUTION_PENDING,
    Case,
    Outcome,
)
from services.router.errors import CaseNotFound, ChangedConcurrently
from services.router.progress import STATUS_FIELDS, StatusFacts
from shared.contracts import Event, parse_event
from shared.store import (
    ASCENDING,
    DESCENDING,
    Database,
    DuplicateKeyError,
    IndexModel,
    ReturnDocument,
    merge_updates,
)

log = structlog.get_logger(__name__)

CASES = "cases"
# Concurrent writers of one case are a committee, its worker and the periodic task: a few suffice.
ATTEMPTS = 5
_FACTS = {"_id": 0, **dict.fromkeys(STATUS_FIELDS, 1)}
# At most this many cases are tried for one code (a code has 31^6 values: a store holds hundreds of
# millions of cases before a code has two on average); the PIN is hashed for each, so work is bounded.
_CODE_CANDIDATES = 8
_NEWEST_FIRST = [("created_at", DESCENDING), ("_id", ASCENDING)]
# A case whose contact a channel proved (stored before the field: an SMS or WeChat case). Only these
# bind a sender's messages by reporter key (docs/router.md, "Conversation binding"); a web case
# stored before the field has the SMS key of a number nobody proved, and binds nothing.
_PROVEN = {"$or": [{"contact_proven": True}, {"contact_proven": None, "channel": {"$ne": "web"}}]}

INDEXES = {
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


class ReferenceTaken(Exception):
    """Another grievance already holds this reference."""


@dataclass(frozen=True)
class Pending:
    """Events a case's outbox still holds, oldest first."""

    case_id: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Saved:
    """A case after :meth:`CaseStore.mutate`, and what its outbox holds now (to be published)."""

    case: Case
    pending: Pending
    changed: bool


@dataclass(frozen=True)
class InboxFilter:
    """The console inbox's filters; None (or False) lets every case through."""

    status: str | None = None
    category: str | None = None
    overdue: bool = False


def _overdue(now: datetime) -> dict[str, Any]:
    """The query form of :meth:`Case.overdue`."""
    return {
        "$or": [
            {"status": {"$in": list(ACK_PENDING)}, "ack_due_at": {"$lte": now}},
            {"status": {"$in": list(RESOLUTION_PENDING)}, "resolve_due_at": {"$lte": now}},
        ]
    }


def to_document(case: Case) -> dict[str, Any]:
    """The stored form of a case, without the store's own fields (``version``, ``outbox``)."""
    doc: dict[str, Any] = {"_id": case.case_id, **_plain(case.model_dump(exclude={"version"}))}
    if doc["original_reference"] is None:
        del doc["original_reference"]  # the index on it is sparse: only collided cases carry it
    return doc


def _plain(value: Any) -> Any:
    """Tuples (immutable in the model) as the lists BSON stores."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def outbox_entry(event: Event) -> dict[str, Any]:
    """How an event waits in a case's outbox: its id, type and the exact body it will be sent as."""
    return {"id": str(event.id), "type": event.type, "body": event.to_json().decode("utf-8")}


def outbox_event(entry: dict[str, Any]) -> Event:
    return parse_event(entry["body"].encode("utf-8"), entry["type"])


def _case(doc: dict[str, Any]) -> Case:
    return Case.model_validate(doc)


def _pending(doc: dict[str, Any]) -> Pending:
    return Pending(doc["_id"], tuple(outbox_event(entry) for entry in doc.get("outbox") or ()))


def _at_version(version: int) -> dict[str, Any]:
    return {"version": version} if version else {"version": {"$exists": False}}


class CaseStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    @property
    def _cases(self) -> Any:
        return self._db[CASES]

    # -- writes -----------------------------------------------------------------------------------

    async def insert(self, case: Case) -> tuple[Case, bool]:
        """Insert a case once per grievance id; the stored case and whether this call created it.

        Raises :class:`ReferenceTaken` when a different grievance already holds the reference.
        """
        doc = {**to_document(case), "outbox": [], "version": 1}
        try:
            result = await self._cases.update_one(
                {"grievance_id": case.grievance_id}, {"$setOnInsert": doc}, upsert=True
            )
        except DuplicateKeyError:
            existing = await self.by_grievance(case.grievance_id)
            if existing is not None:  # a concurrent delivery of the same grievance won the race
                return existing, False
            raise ReferenceTaken(case.reference) from None
        stored = await self.by_grievance(case.grievance_id)
        assert stored is not None
        return stored, result.upserted_id is not None

    async def save(self, before: Case, outcome: Outcome) -> Saved | None:
        """Write an outcome of ``before`` and its events in one update, if the case is still at the
        version ``before`` was read at; None when another writer came first."""
        old, new = to_document(before), to_document(outcome.case)
        changed = {k: v for k, v in new.items() if k not in old or old[k] != v}
        parts: list[dict[str, Any]] = [{"$set": {**changed, "version": before.version + 1}}]
        if outcome.events:
            parts.append({"$push": {"outbox": {"$each": [outbox_entry(e) for e in outcome.events]}}})
            parts.append({"$min": {"outbox_since": min(e.occurred_at for e in outcome.events)}})
        doc = await self._cases.find_one_and_update(
            {"_id": before.case_id, **_at_version(before.version)},
            merge_updates(*parts),
            projection={"outbox": 1},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        after = outcome.case.model_copy(update={"version": before.version + 1})
        return Saved(after, _pending(doc), changed=True)

    async def mutate(self, case_id: str, change: Callable[[Case], Outcome]) -> Saved:
        """Apply ``change`` to the stored case and save it, reading again when another writer came
        first; :class:`ChangedConcurrently` after :data:`ATTEMPTS` lost races.

        ``change`` is a domain method (pure); it may raise a domain error, which propagates. When it
        changes nothing, nothing is written and the outbox is returned as read, so the caller still
        publishes what an earlier, interrupted attempt left in it.
        """
        for attempt in range(1, ATTEMPTS + 1):
            doc = await self._cases.find_one({"_id": case_id})
            if doc is None:
                raise CaseNotFound(case_id)
            case = _case(doc)
            outcome = change(case)
            if not outcome.changed:
                return Saved(case, _pending(doc), changed=False)
            saved = await self.save(case, outcome)
            if saved is not None:
                return saved
            log.info("case_changed_concurrently", case_id=case_id, attempt=attempt)
        raise ChangedConcurrently(case_id)

    async def pull_outbox(self, case_id: str, event_id: str) -> None:
        """Forget an event the broker confirmed (and the outbox's age once it is empty)."""
        await self._cases.update_one({"_id": case_id}, {"$pull": {"outbox": {"id": event_id}}})
        await self._cases.update_one({"_id": case_id, "outbox": []}, {"$unset": {"outbox_since": ""}})

    # -- reads ------------------------------------------------------------------------------------

    async def by_id(self, case_id: str) -> Case | None:
        return await self._one({"_id": case_id})

    async def by_grievance(self, grievance_id: str) -> Case | None:
        return await self._one({"grievance_id": grievance_id})

    async def committee_case(
        self, reference: str, committee_id: str, *, recused_too: bool = False
    ) -> Case | None:
        """A case of one committee (404 material when None); optionally one it recused from."""
        case = await self._one({"reference": reference, "committee_id": committee_id})
        if case is None and recused_too:
            case = await self._one({"reference": reference, "recused_by": committee_id})
        return case

    async def list_for_committee(
        self, committee_id: str, status: str | None, skip: int, limit: int
    ) -> tuple[list[Case], int]:
        """A page of a committee's cases, newest first, and how many there are in all."""
        query: dict[str, Any] = {"committee_id": committee_id}
        if status is not None:
            query["status"] = status
        total = await self._cases.count_documents(query)
        cursor = self._cases.find(query).sort(_NEWEST_FIRST).skip(skip).limit(limit)
        return [_case(d) async for d in cursor], total

    async def committee_inbox(
        self, committee_id: str, inbox: InboxFilter, now: datetime, skip: int, limit: int
    ) -> tuple[list[Case], int]:
        """A page of a committee's cases that pass the console's filters, newest first, and how many."""
        query: dict[str, Any] = {"committee_id": committee_id}
        if inbox.status is not None:
            query["status"] = inbox.status
        if inbox.category is not None:
            query["category"] = inbox.category
        if inbox.overdue:
            query.update(_overdue(now))
        total = await self._cases.count_documents(query)
        cursor = self._cases.find(query).sort(_NEWEST_FIRST).skip(skip).limit(limit)
        return [_case(d) async for d in cursor], total

    async def committee_counts(self, committee_id: str, now: datetime) -> dict[str, int]:
        """How many of a committee's cases are in each status, in all, and overdue (the inbox's counts)."""
        mine = {"committee_id": committee_id}
        counts = {"all": await self._cases.count_documents(mine)}
        for status in (*COMMITTEE_OPEN, "closed"):
            counts[status] = await self._cases.count_documents({**mine, "status": status})
        counts["overdue"] = await self._cases.count_documents({**mine, **_overdue(now)})
        return counts

    async def open_of_reporter(self, reporter_key: str, limit: int = 20) -> list[Case]:
        """A worker's open cases, newest first (what a later message of theirs may be about)."""
        query = {"reporter_key": reporter_key, "status": {"$in": list(OPEN_STATUSES)}, **_PROVEN}
        cursor = self._cases.find(query).sort(_NEWEST_FIRST).limit(limit)
        return [_case(d) async for d in cursor]

    async def ids_of_contact(self, reporter_key: str) -> list[str]:
        """Every case, open or closed, bound to this (proven) reporter key."""
        return [
            str(d["case_id"]) async for d in self._cases.find({"reporter_key": reporter_key}, {"case_id": 1})
        ]

    async def awaiting_confirmation(self, unverified_key: str, limit: int = 20) -> list[Case]:
        """The open cases whose unproven contact has this key (an SMS from the number may confirm it)."""
        query = {
            "reporter_key": unverified_key,
            "contact_proven": False,
            "status": {"$in": list(OPEN_STATUSES)},
        }
        cursor = self._cases.find(query).sort(_NEWEST_FIRST).limit(limit)
        return [_case(d) async for d in cursor]

    async def open_by_reference(self, reference: str) -> Case | None:
        """The open case a message quotes by reference, whoever opened it."""
        return await self._one({"reference": reference, "status": {"$in": list(OPEN_STATUSES)}})

    async def reporter_case(self, reporter_key: str, reference: str) -> Case | None:
        """One of a worker's cases by reference, closed ones too."""
        return await self._one({"reporter_key": reporter_key, "reference": reference, **_PROVEN})

    async def latest_factory_of(self, reporter_key: str) -> str | None:
        doc = await self._cases.find_one(
            {"reporter_key": reporter_key, "factory_id": {"$ne": None}, **_PROVEN},
            {"factory_id": 1},
            # Two cases created in the same millisecond: the id decides, not whatever the server meets first.
            sort=_NEWEST_FIRST,
        )
        return doc["factory_id"] if doc else None

    async def open_case_counts(self, committee_ids: Sequence[str]) -> dict[str, int]:
        """How many open cases each committee holds (the least busy one gets the next case)."""
        return {
            cid: await self._cases.count_documents(
                {"committee_id": cid, "status": {"$in": list(COMMITTEE_OPEN)}}
            )
            for cid in committee_ids
        }

    async def held_by(self, committee_id: str) -> list[Case]:
        """A committee's open cases, oldest first (the ones to move when it may no longer hold them).

        All of them: a member list counts as checked only once every one was looked at.
        """
        query = {"committee_id": committee_id, "status": {"$in": list(COMMITTEE_OPEN)}}
        cursor = self._cases.find(query).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_case(d) async for d in cursor]

    async def by_reference(self, reference: str) -> list[Case]:
        """The whole case holding a reference, and one given another reference on a collision."""
        found = [_case(d) async for d in self._cases.find({"reference": reference})]
        found += [_case(d) async for d in self._cases.find({"original_reference": reference})]
        return found

    async def for_status(self, reference: str) -> list[StatusFacts]:
        """The case holding a reference, and one that was given another reference on a collision:
        only the fields the status lookup reads, so a long thread costs the lookup nothing."""
        found = [
            StatusFacts.model_validate(d) async for d in self._cases.find({"reference": reference}, _FACTS)
        ]
        found += [
            StatusFacts.model_validate(d)
            async for d in self._cases.find({"original_reference": reference}, _FACTS)
        ]
        return found

    async def for_status_code(self, code: str) -> list[StatusFacts]:
        """The cases whose reference (or the one the worker was given) starts with a case code.

        A code is the reference's first six characters without the dash (:func:`shared.ids.case_code`),
        so its cases are one anchored range on the indexed reference, ``ABCDE-F`` up to ``ABCDE-F~``
        (every character of the alphabet sorts below ``~``). Codes are not unique: the caller's PIN
        decides which case, if any, is the worker's.
        """
        prefix = f"{code[:5]}-{code[5:]}"
        found: list[StatusFacts] = []
        for field in ("reference", "original_reference"):
            query = {field: {"$gte": prefix, "$lt": prefix + "~"}}
            cursor = self._cases.find(query, _FACTS).sort([(field, ASCENDING)]).limit(_CODE_CANDIDATES)
            found += [StatusFacts.model_validate(d) async for d in cursor]
        return found

    async def factories_of_references(self, references: Sequence[str]) -> dict[str, str | None]:
        """The factory of each reference that names a case (its own or its original reference)."""
        found: dict[str, str | None] = {}
        wanted = list(references)
        for field in ("reference", "original_reference"):
            cursor = self._cases.find({field: {"$in": wanted}}, {field: 1, "factory_id": 1})
            async for doc in cursor:
                found.setdefault(doc[field], doc.get("factory_id"))
        return found

    async def unanswered_resolutions(self, before: datetime, limit: int = 100) -> list[str]:
        """Ids of cases resolved at or before ``before`` and still waiting, the oldest first."""
        cursor = (
            self._cases.find({"status": "resolved", "resolved_at": {"$lte": before}}, {"_id": 1})
            .sort("resolved_at", ASCENDING)
            .limit(limit)
        )
        return [d["_id"] async for d in cursor]

    async def stale_outboxes(self, before: datetime, limit: int = 100) -> list[Pending]:
        """Outboxes waiting since ``before`` or longer, the longest first (the sparse index sorts)."""
        cursor = (
            self._cases.find({"outbox_since": {"$lte": before}}, {"outbox": 1})
            .sort("outbox_since", ASCENDING)
            .limit(limit)
        )
        return [_pending(d) async for d in cursor]

    async def _one(self, query: dict[str, Any]) -> Case | None:
        doc = await self._cases.find_one(query)
        return _case(doc) if doc is not None else None


# -- key rotation (``grievance keys rotate``) ---------------------------------------------------------


async def reseal_cases(db: Database, new_seal: Callable[[str], str | None]) -> tuple[int, int]:
    """Seal every case's contact, and those inside its outbox's pending events, with the current key.

    ``new_seal`` gives a contact sealed with the current key, or None when nothing is to be written
    (already current, or opened by no key). Returns how many contacts were rewritten and how many
    lost a race with the router (left for the next pass; a rotation is safe to repeat).

    The contact is written only at the version read, and the version moves, so a committee's action
    that read the case before this write reads it again and its events carry the new seal. An outbox
    entry is rewritten only while its body is still the one read (a publisher may pull it meanwhile);
    the event keeps its id, so a consumer that saw the old body already drops the new one.
    """
    rewritten = raced = 0
    cases = db[CASES]
    query = {"$or": [{"sealed_contact": {"$ne": None}}, {"outbox.0": {"$exists": True}}]}
    async for doc in cases.find(query, {"sealed_contact": 1, "version": 1, "outbox": 1}):
        sealed = doc.get("sealed_contact")
        fresh = new_seal(sealed) if sealed else None
        if fresh is not None:
            result = await cases.update_one(
                {"_id": doc["_id"], "sealed_contact": sealed, **_at_version(doc.get("version", 0))},
                {"$set": {"sealed_contact": fresh}, "$inc": {"version": 1}},
            )
            rewritten, raced = rewritten + result.modified_count, raced + 1 - result.modified_count
        for entry in doc.get("outbox") or ():
            event = outbox_event(entry)
            held = getattr(event, "sealed_contact", None)
            fresh = new_seal(held) if held else None
            if fresh is None:
                continue
            body = outbox_entry(event.model_copy(update={"sealed_contact": fresh}))["body"]
            result = await cases.update_one(
                {"_id": doc["_id"], "outbox": {"$elemMatch": {"id": entry["id"], "body": entry["body"]}}},
                {"$set": {"outbox.$.body": body}},
            )
            rewritten, raced = rewritten + result.modified_count, raced + 1 - result.modified_count
    return rewritten, raced
