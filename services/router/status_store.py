"""Wrong PINs per reference (collection ``status_attempts``), shared by every router replica.

A limit per client address does not stop a guesser with many addresses; counting per reference does,
whatever the addresses. After :data:`MAX_FAILURES` wrong PINs a reference is locked for
:data:`FIRST_LOCK`, doubling with every further lockout up to :data:`LONGEST_LOCK`; while it is
locked no PIN opens it, the right one neither, so guessing on learns nothing. An unknown reference is
counted and locked exactly like a known one, so the answers, and the work behind them, do not tell
the two apart. A record is forgotten :data:`FORGET_AFTER` after its last attempt or the end of its
last lock (TTL).

Every write is a single-document ``$inc``/``$set``; two replicas counting the fifth failure at once
lock the reference once, because only one of them finds the count still at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.ratestore import expiry
from shared.store import ASCENDING, DESCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

ATTEMPTS = "status_attempts"
MAX_FAILURES = 5
FIRST_LOCK = timedelta(minutes=15)
LONGEST_LOCK = timedelta(hours=24)
FORGET_AFTER = timedelta(days=7)

INDEXES = {
    ATTEMPTS: [
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
        IndexModel([("last_locked_at", DESCENDING)], sparse=True),
    ],
}


def lock_duration(earlier_locks: int) -> timedelta:
    """15 minutes for the first lockout, twice as long for each one after, at most a day."""
    return min(FIRST_LOCK * (1 << min(earlier_locks, 16)), LONGEST_LOCK)


@dataclass(frozen=True)
class Lockout:
    """One reference's lockouts, as the NGO sees them (no PIN, no client address)."""

    reference: str
    locks: int
    locked_until: datetime
    last_locked_at: datetime
    refused_while_locked: int


class StatusAttempts:
    def __init__(self, db: Database) -> None:
        self._attempts = db[ATTEMPTS]

    async def locked(self, reference: str, now: datetime) -> bool:
        doc = await self._attempts.find_one({"_id": reference}, {"locked_until": 1})
        until = doc.get("locked_until") if doc else None
        return until is not None and until > now

    async def refused(self, reference: str, now: datetime) -> None:
        """An attempt on a locked reference: counted for the NGO, and it does not lengthen the lock."""
        await self._attempts.update_one(
            {"_id": reference}, {"$inc": {"refused_while_locked": 1}, "$set": {"updated_at": now}}
        )

    async def succeeded(self, reference: str, now: datetime) -> None:
        """The right PIN: the wrong ones before it no longer count (earlier lockouts still do)."""
        await self._attempts.update_one({"_id": reference}, {"$set": {"failures": 0, "updated_at": now}})

    async def failed(self, reference: str, now: datetime) -> Lockout | None:
        """Count a wrong PIN (or an unknown reference); the lockout when this failure caused one.

        Only a reference that is not locked counts: a burst of guesses that all read "not locked"
        before the first of them locked it is counted as refused, so it cannot lock it again at once.
        """
        doc = await self._count_failure(reference, now)
        if doc is None:
            await self.refused(reference, now)
            return None
        if int(doc.get("failures", 0)) < MAX_FAILURES:
            return None
        earlier = int(doc.get("locks", 0))
        until = now + lock_duration(earlier)
        won = await self._attempts.find_one_and_update(
            {"_id": reference, "failures": {"$gte": MAX_FAILURES}, **_unlocked(now)},
            {
                "$set": {
                    "failures": 0,
                    "locked_until": until,
                    "last_locked_at": now,
                    "expires_at": expiry(until - now + FORGET_AFTER),
                },
                "$inc": {"locks": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        return _lockout(won) if won else None

    async def _count_failure(self, reference: str, now: datetime) -> dict[str, Any] | None:
        """The record after counting the failure; None when the reference is locked (not counted)."""
        for attempt in range(2):
            try:
                doc: dict[str, Any] | None = await self._attempts.find_one_and_update(
                    {"_id": reference, **_unlocked(now)},
                    {
                        "$inc": {"failures": 1},
                        "$set": {"updated_at": now},
                        "$max": {"expires_at": expiry(FORGET_AFTER)},
                    },
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
            except DuplicateKeyError:
                # The record exists and is locked (the filter missed it, so the upsert inserted), or
                # two first failures raced on the insert: look again, once.
                if attempt == 0 and not await self.locked(reference, now):
                    continue
                return None
            return doc
        return None

    async def lockouts(self, limit: int = 100) -> list[Lockout]:
        """References locked at least once, the most recently locked first."""
        cursor = (
            self._attempts.find({"last_locked_at": {"$exists": True}})
            .sort([("last_locked_at", DESCENDING), ("_id", ASCENDING)])
            .limit(limit)
        )
        return [_lockout(doc) async for doc in cursor]


def _unlocked(now: datetime) -> dict[str, Any]:
    """A filter for a record that is not locked at ``now`` (never locked, or its lock is over)."""
    return {"locked_until": {"$not": {"$gt": now}}}


def _lockout(doc: dict[str, Any]) -> Lockout:
    return Lockout(
        reference=str(doc["_id"]),
        locks=int(doc.get("locks", 0)),
        locked_until=doc["locked_until"],
        last_locked_at=doc["last_locked_at"],
        refused_while_locked=int(doc.get("refused_while_locked", 0)),
    )
