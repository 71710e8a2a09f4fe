"""``intake_spool``: events the broker did not confirm, kept durably until the relay publishes them.

Twilio does not retry an SMS webhook answered 503, so a broker outage would lose every message sent
during it. When the broker does not confirm a ``grievance.received`` event within the publish
timeout, intake writes the event here instead (write concern majority) and answers as if it had been
published; the relay (:mod:`services.intake.relay`) publishes it once the broker is back.

One document per event:

- ``event_id``, unique: writing the same event twice is harmless;
- ``type`` and ``body``: the event's JSON, exactly what the bus would have sent, so the relay
  publishes the same event (same id) and a double publish is dropped downstream;
- ``reference``, so log lines can name the grievance without its text;
- ``spooled_at``, the order the relay follows (oldest first) and what the age gauge reads;
- the claim: ``claimed_until``, ``claimed_by``, ``attempts``.

An entry is free once ``claimed_until`` has passed; a new entry is free at once. A relay lists the
oldest free entries (one sorted query per batch, not per entry) and takes each with one conditional
update on its ``event_id`` that moves ``claimed_until`` a lease ahead, so two replicas never publish
the same entry at the same time, and the claim of a replica that died lapses with its lease. An
entry is deleted only after the broker confirmed it.

This module is the only place that speaks to the collection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import WriteConcern

from shared.contracts import Event, GrievanceReceived, parse_event
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel, PyMongoError, ReturnDocument

SPOOL = "intake_spool"
INDEXES = {
    SPOOL: [
        IndexModel([("event_id", ASCENDING)], unique=True),
        IndexModel([("spooled_at", ASCENDING)]),
    ]
}
# How long the request path waits for the store before it gives up and answers 503. With the publish
# timeout (5 s by default) in front of it, a webhook is answered within Twilio's 15 s.
WRITE_TIMEOUT = 5.0


class SpoolUnavailable(Exception):
    """The store did not confirm the write in time (down, unreachable, or no majority)."""


@dataclass(frozen=True)
class Entry:
    """A spooled event as the relay takes it."""

    event_id: str
    type: str
    body: bytes
    reference: str | None
    spooled_at: datetime
    attempts: int


@dataclass(frozen=True)
class Depth:
    """How many events wait in the spool, and since when the oldest waits."""

    entries: int
    oldest: datetime | None


class Spool:
    """The spool collection of one database."""

    def __init__(self, db: Database, write_timeout: float = WRITE_TIMEOUT) -> None:
        self._db = db
        self._write_timeout = write_timeout
        # Majority: an entry only the primary holds can vanish in a failover, and the answer that
        # went out promised the grievance was kept.
        self._durable = db.get_collection(
            SPOOL, write_concern=WriteConcern(w="majority", wtimeout=int(write_timeout * 1000))
        )

    async def ensure_indexes(self) -> None:
        await self._db[SPOOL].create_indexes(INDEXES[SPOOL])

    async def put(self, event: Event, now: datetime) -> None:
        """Keep ``event`` until the relay publishes it; raise :class:`SpoolUnavailable` if not confirmed.

        A write that timed out may still land: the answer then says the grievance may have arrived.
        """
        document: dict[str, Any] = {
            "event_id": str(event.id),
            "type": event.type,
            "body": event.to_json().decode("utf-8"),
            "reference": event.reference if isinstance(event, GrievanceReceived) else None,
            "spooled_at": now,
            "claimed_until": now,
            "claimed_by": None,
            "attempts": 0,
        }
        try:
            async with asyncio.timeout(self._write_timeout):
                await self._durable.insert_one(document)
        except DuplicateKeyError:
            return  # already spooled: a retried write whose first attempt landed
        except (PyMongoError, TimeoutError) as exc:
            raise SpoolUnavailable(exc.__class__.__name__) from None

    async def free(self, now: datetime, limit: int) -> list[str]:
        """The event ids of up to ``limit`` free entries, oldest first, for :meth:`claim` to take."""
        cursor = (
            self._db[SPOOL]
            .find({"claimed_until": {"$lte": now}}, {"event_id": 1, "_id": 0})
            .sort([("spooled_at", ASCENDING)])
            .limit(limit)
        )
        return [document["event_id"] async for document in cursor]

    async def claim(self, event_id: str, holder: str, now: datetime, lease: timedelta) -> Entry | None:
        """Take one entry for ``lease`` if it is still free; None when another relay took it first.

        One conditional update on the unique ``event_id``: of two relays trying at once, one wins.
        """
        document = await self._db[SPOOL].find_one_and_update(
            {"event_id": event_id, "claimed_until": {"$lte": now}},
            {"$set": {"claimed_until": now + lease, "claimed_by": holder}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return None
        return Entry(
            event_id=document["event_id"],
            type=document["type"],
            body=document["body"].encode("utf-8"),
            reference=document.get("reference"),
            spooled_at=document["spooled_at"],
            attempts=document["attempts"],
        )

    async def release(self, entry: Entry, holder: str, now: datetime) -> None:
        """Free an entry this holder could not publish, so it stays first in line for any relay."""
        await self._db[SPOOL].update_one(
            {"event_id": entry.event_id, "claimed_by": holder}, {"$set": {"claimed_until": now}}
        )

    async def remove(self, entry: Entry) -> None:
        """Forget an entry the broker confirmed; whoever holds the claim, its work is done."""
        await self._db[SPOOL].delete_one({"event_id": entry.event_id})

    async def depth(self) -> Depth:
        entries = await self._db[SPOOL].count_documents({})
        oldest = await self._db[SPOOL].find_one({}, {"spooled_at": 1}, sort=[("spooled_at", ASCENDING)])
        return Depth(entries, oldest["spooled_at"] if oldest else None)


async def reseal_spool(db: Database, new_seal: Callable[[str], str | None]) -> tuple[int, int]:
    """Seal the contact of every spooled ``grievance.received`` with the current key (key rotation).

    ``new_seal`` gives the contact sealed with the current key, or None when nothing is to be written.
    An entry is rewritten only while its body is the one read; the event keeps its id. Returns how
    many were rewritten and how many the relay published (and removed) in between.
    """
    rewritten = raced = 0
    kind = GrievanceReceived.event_type()
    async for document in db[SPOOL].find({"type": kind}, {"event_id": 1, "body": 1}):
        event = parse_event(document["body"].encode("utf-8"), kind)
        sealed = getattr(event, "sealed_contact", None)
        fresh = new_seal(sealed) if sealed else None
        if fresh is None:
            continue
        body = event.model_copy(update={"sealed_contact": fresh}).to_json().decode("utf-8")
        result = await db[SPOOL].update_one(
            {"event_id": document["event_id"], "body": document["body"]}, {"$set": {"body": body}}
        )
        rewritten, raced = rewritten + result.modified_count, raced + 1 - result.modified_count
    return rewritten, raced
