"""What was told to whom, per (event, recipient, channel): the ``notify_deliveries`` collection.

A consumer claims each channel before it sends and records the outcome before it acks, so a
redelivered event, a replayed dead letter or a second replica with the same event sends nothing
twice. A claim is a lease: a process that died mid-send leaves a claim that runs out, and then the
channel may be tried again (at most one duplicate, after a crash between the provider's answer and
the record, which no protocol without the provider's help can rule out). A channel is ``sent`` or
``refused`` (a permanent failure, not tried again) for good; a transient failure gives the claim
back at once, so the redelivery tries that channel, and only that one, again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from services.notify.config import Channel
from services.notify.model import Recipient
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel

DELIVERIES = "notify_deliveries"
# Records are kept a month: long past any redelivery or replay of the event they guard. The server
# removes them by its own wall clock, so ``expire_at`` is wall time, not the service's clock.
RETENTION = timedelta(days=30)
INDEXES = {DELIVERIES: [IndexModel([("expire_at", ASCENDING)], expireAfterSeconds=0)]}
# Longer than one send with all its tries (3 x 10 s plus backoff), so a live sender keeps its claim.
LEASE = timedelta(minutes=2)

Claim = Literal["mine", "done", "busy"]


def record_id(key: str, recipient: Recipient, channel: Channel) -> str:
    return f"{key}|{recipient.kind}:{recipient.id}|{channel}"


class Ledger:
    def __init__(self, db: Database, clock: Callable[[], datetime], lease: timedelta = LEASE) -> None:
        self._db = db
        self._clock = clock
        self._lease = lease

    async def claim(self, key: str, recipient: Recipient, channel: Channel) -> Claim:
        """``mine`` to send now; ``done`` when it was sent or refused; ``busy`` while another holds it."""
        now = self._clock()
        rid = record_id(key, recipient, channel)
        try:
            await self._db[DELIVERIES].insert_one(
                {
                    "_id": rid,
                    "state": "sending",
                    "lease_until": now + self._lease,
                    "created_at": now,
                    "expire_at": datetime.now(UTC) + RETENTION,
                }
            )
            return "mine"
        except DuplicateKeyError:
            pass
        taken = await self._db[DELIVERIES].update_one(
            {"_id": rid, "state": "sending", "lease_until": {"$lte": now}},
            {"$set": {"lease_until": now + self._lease}},
        )
        if taken.modified_count:
            return "mine"
        found = await self._db[DELIVERIES].find_one({"_id": rid}, {"state": 1})
        return "done" if found is not None and found["state"] in ("sent", "refused") else "busy"

    async def settle(
        self,
        key: str,
        recipient: Recipient,
        channel: Channel,
        state: Literal["sent", "refused"],
        code: str | None,
    ) -> None:
        """Record the outcome for good (the write is acknowledged before this returns)."""
        update = {"state": state, "settled_at": self._clock(), **({"code": code} if code else {})}
        await self._db[DELIVERIES].update_one(
            {"_id": record_id(key, recipient, channel)}, {"$set": update, "$unset": {"lease_until": ""}}
        )

    async def release(self, key: str, recipient: Recipient, channel: Channel) -> None:
        """Give a claim back after a transient failure, so the next delivery may try at once."""
        await self._db[DELIVERIES].update_one(
            {"_id": record_id(key, recipient, channel), "state": "sending"},
            {"$set": {"lease_until": self._clock()}},
        )

    async def state(self, key: str, recipient: Recipient, channel: Channel) -> str | None:
        """The recorded state of one channel (for tests and operators), None if never claimed."""
        found = await self._db[DELIVERIES].find_one({"_id": record_id(key, recipient, channel)}, {"state": 1})
        return str(found["state"]) if found else None
