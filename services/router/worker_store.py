"""What the router knows about reaching a worker: their opt-out and the delivery of its texts.

``optouts`` (keyed by reporter key) is the router's own: ``active`` while the worker wants no texts.
``outbound_messages`` is intake's sender's record of each ``message.outbound`` it handled; the router
only reads it, to show a committee whether its message reached the worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.router.case import Message
from shared.store import Database

OPTOUTS = "optouts"
OUTBOUND_MESSAGES = "outbound_messages"
# Intake's own send states, as a committee reads them.
_SEND_STATES = {"claimed": "sending", "released": "sending"}


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

    async def delivery_statuses(self, messages: Sequence[Message]) -> dict[str, str]:
        """Delivery status per committee message id, from the records intake's sender keeps.

        Intake's ``outbound_messages`` holds one record per ``message.outbound`` event id: ``status``
        is its send state (claimed, sent, failed, undeliverable), ``delivery_status`` the provider's
        report, which says more when there is one.
        """
        by_outbound = {m.outbound_id: m.id for m in messages if m.outbound_id}
        if not by_outbound:
            return {}
        cursor = self._db[OUTBOUND_MESSAGES].find(
            {"event_id": {"$in": list(by_outbound)}}, {"event_id": 1, "status": 1, "delivery_status": 1}
        )
        found = {}
        async for doc in cursor:
            state = doc.get("delivery_status") or _SEND_STATES.get(doc.get("status", ""), doc.get("status"))
            if state:
                found[by_outbound[doc["event_id"]]] = str(state)
        return found
