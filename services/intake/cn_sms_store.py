"""``sms_uplinks``: the Chinese SMS uplinks already made durable, so a repeated push is answered at once.

Alibaba repeats a push up to ten times, Tencent retries too, and each repeat may reach another
replica. Each uplink's grievance id is derived from the provider's dedup key, so a repeat is the
same event and the router files it once whatever happens here; this record spares the repeats the
bus (and the spool) in every replica. One document per uplink: ``_id`` is a keyed digest of the
provider and its dedup key (the key holds the phone number; the digest does not), ``at`` when it
became durable, forgotten after :data:`KEEP` (providers stop repeating within hours).

The record is written only after the event is durable, so a record always means "filed"; a store
that does not answer costs a publish, never a message.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from shared.privacy import Keys, keyed_digest
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel

UPLINKS = "sms_uplinks"
KEEP = timedelta(days=7)
INDEXES = {UPLINKS: [IndexModel([("at", ASCENDING)], expireAfterSeconds=int(KEEP.total_seconds()))]}


def uplink_id(keys: Keys, provider: str, dedup_key: str) -> str:
    return keyed_digest(keys, "sms-uplink", provider, dedup_key)


class Uplinks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def filed(self, ids: list[str]) -> set[str]:
        """Which of these uplinks are already durable."""
        cursor = self._db[UPLINKS].find({"_id": {"$in": ids}}, {"_id": 1})
        return {str(document["_id"]) async for document in cursor}

    async def mark_filed(self, uplink: str) -> None:
        # The wall clock, not the service's: the database server expires the record by its own.
        at = datetime.now(UTC)
        with contextlib.suppress(DuplicateKeyError):  # another replica filed the same repeat
            await self._db[UPLINKS].insert_one({"_id": uplink, "at": at})
