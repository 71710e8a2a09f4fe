"""What the router knows about reaching a worker: their opt-out and the delivery of its texts.

The collections are the router's own. ``optouts`` (keyed by reporter key) is ``active`` while the
worker wants no texts. ``contact_confirmations`` holds, per unverified contact and day, the one case
whose confirmation request went to it, and per case the wrong codes tried on the web. ``message_deliveries`` (keyed by the ``message.outbound`` event id) holds the
latest delivery state intake announced for each message (``message.delivery``) and, for one that did
not arrive, the reason, so a committee sees whether its message reached the worker, and why not,
without the router reading intake's records.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from services.router.case import Message
from services.router.views import DeliveryStatus
from shared.contracts import DELIVERY_REASONS, MessageDeliveryChanged, delivery_rank
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

OPTOUTS = "optouts"
DELIVERIES = "message_deliveries"
CONFIRMATIONS = "contact_confirmations"
INDEXES = {CONFIRMATIONS: [IndexModel([("key", ASCENDING)], sparse=True)]}
# Codes a case takes on the web before only an SMS from the number can confirm it.
CONFIRM_ATTEMPTS = 5


class WorkerStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def reaches(self, reporter_key: str | None) -> bool:
        """False when the worker sent STOP: the router then publishes no text for them."""
        if not reporter_key:
            return True
        return await self._db[OPTOUTS].find_one({"_id": reporter_key, "active": True}, {"_id": 1}) is None

    async def opt_out(self, reporter_key: str, grievance_id: str, at: datetime) -> bool:
        """Record STOP; True when this message (and not an earlier one) switched messages off."""
        optouts = self._db[OPTOUTS]
        await optouts.update_one(
            {"_id": reporter_key},
            {"$setOnInsert": {"active": True, "since": at, "by": grievance_id}},
            upsert=True,
        )
        await optouts.update_one(
            {"_id": reporter_key, "active": False},
            {"$set": {"active": True, "since": at, "by": grievance_id}},
        )
        doc = await optouts.find_one({"_id": reporter_key})
        return bool(doc and doc.get("by") == grievance_id)

    async def opt_in(self, reporter_key: str, grievance_id: str, at: datetime) -> bool:
        """Record START; True when this message switched messages back on."""
        optouts = self._db[OPTOUTS]
        await optouts.update_one(
            {"_id": reporter_key, "active": True},
            {"$set": {"active": False, "until": at, "by": grievance_id}},
        )
        doc = await optouts.find_one({"_id": reporter_key})
        return bool(doc and doc.get("by") == grievance_id and not doc.get("active"))

    async def confirmation_slot(self, unverified_key: str, day: str, case_id: str) -> bool:
        """Whether this case sends the day's one confirmation request to the contact (first one wins).

        The slot is taken once and kept, so a redelivery of the same case answers as before and a
        second case naming the number that day sends nothing.
        """
        slot = f"{unverified_key}:{day}"
        confirmations = self._db[CONFIRMATIONS]
        # A concurrent first insert of the same slot collides: whoever holds it is read below.
        with contextlib.suppress(DuplicateKeyError):
            await confirmations.update_one(
                {"_id": slot}, {"$setOnInsert": {"case_id": case_id, "key": unverified_key}}, upsert=True
            )
        doc = await confirmations.find_one({"_id": slot})
        return bool(doc and doc.get("case_id") == case_id)

    async def requested_for(self, unverified_key: str) -> set[str]:
        """The cases whose confirmation request went to this contact (any day)."""
        cursor = self._db[CONFIRMATIONS].find({"key": unverified_key}, {"case_id": 1})
        return {str(doc["case_id"]) async for doc in cursor}

    async def confirm_attempt(self, case_id: str) -> bool:
        """Count a code tried on the web for a case; False once more than the allowed were tried.

        One atomic increment in the store, before the code is compared: however many replicas or
        concurrent requests try, no more than :data:`CONFIRM_ATTEMPTS` codes are ever compared.
        """
        try:
            doc = await self._db[CONFIRMATIONS].find_one_and_update(
                {"_id": f"attempts:{case_id}"},
                {"$inc": {"tried": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:  # two first attempts at once: the other one inserted it
            doc = await self._db[CONFIRMATIONS].find_one_and_update(
                {"_id": f"attempts:{case_id}"}, {"$inc": {"tried": 1}}, return_document=ReturnDocument.AFTER
            )
        return int(doc["tried"]) <= CONFIRM_ATTEMPTS

    async def fold_delivery(self, event: MessageDeliveryChanged, now: datetime) -> bool:
        """Keep the announced state unless a later one is held already; True when it was taken.

        One conditional upsert keyed by the outbound id matches only a record of a lower rank (or
        none), so of two announcements arriving in any order the higher stays, and a redelivered
        one changes nothing. When a record exists that it does not match, the upsert's insert
        collides with it on ``_id``. That collision also happens to the loser of two first
        announcements racing on two replicas, whatever their ranks, so the conditional update is
        made once more without the insert: now the record exists, and the rank alone decides.
        """
        rank = delivery_rank(event.state)
        match = {"_id": str(event.outbound_id), "rank": {"$lt": rank}}
        update = {
            "$set": {
                "state": event.state,
                "rank": rank,
                "error_code": event.error_code,
                "reason": event.reason,
                "at": event.at,
                "case_id": event.case_id,
                "reference": event.reference,
                "event_id": str(event.id),
                "updated_at": now,
            }
        }
        deliveries = self._db[DELIVERIES]
        try:
            result = await deliveries.update_one(match, update, upsert=True)
        except DuplicateKeyError:
            result = await deliveries.update_one(match, update)
        return bool(result.modified_count or result.upserted_id is not None)

    async def delivery_statuses(self, messages: Sequence[Message]) -> dict[str, DeliveryStatus]:
        """The latest delivery state per committee message id, and why it did not arrive (none yet:
        the view says pending). Only these two fields are read: never the time, nor the code."""
        by_outbound = {m.outbound_id: m.id for m in messages if m.outbound_id}
        if not by_outbound:
            return {}
        cursor = self._db[DELIVERIES].find({"_id": {"$in": list(by_outbound)}}, {"state": 1, "reason": 1})
        return {by_outbound[doc["_id"]]: _status(doc) async for doc in cursor}


def _status(doc: dict[str, Any]) -> DeliveryStatus:
    # A record folded before reasons were announced has none.
    reason = doc.get("reason")
    return DeliveryStatus(str(doc["state"]), reason if reason in DELIVERY_REASONS else None)
