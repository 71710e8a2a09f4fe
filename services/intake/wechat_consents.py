"""``wechat_consents``: the one-time subscription messages workers agreed to, one message each.

A worker who opens WeChat's confirm page from the worker page and agrees gives the account the right
to send one subscription message of that template (一次性订阅消息). The record says whose (the reporter
key: the message goes to the case's own contact, so the OpenID is not kept), for which case (its code)
and template, and, once used, for which outbound message. A used consent is deleted 30 days later,
an unused one after a year (WeChat keeps none that long in practice) or when the worker unfollows:
a TTL on ``expires_at``, counted from the wall clock as the TTL monitor reads it.

This module is the only place that speaks to the collection.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.ratestore import expiry
from shared.store import ASCENDING, Database, IndexModel

CONSENTS = "wechat_consents"
USED_KEPT = timedelta(days=30)
UNUSED_KEPT = timedelta(days=365)
INDEXES = {
    CONSENTS: [
        IndexModel([("reporter_key", ASCENDING), ("code", ASCENDING), ("consented_at", ASCENDING)]),
        IndexModel([("used_for", ASCENDING)], sparse=True),
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
    ]
}


class Consents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(
        self, consent_id: str, *, reporter_key: str, code: str, template_id: str, at: datetime
    ) -> None:
        """Keep one consent; WeChat's redirect shown twice (a reload) keeps one (``consent_id``)."""
        await self._db[CONSENTS].update_one(
            {"_id": consent_id},
            {
                "$setOnInsert": {
                    "reporter_key": reporter_key,
                    "code": code,
                    "template_id": template_id,
                    "consented_at": at,
                    "expires_at": expiry(UNUSED_KEPT),
                }
            },
            upsert=True,
        )

    async def take(
        self, *, reporter_key: str, code: str, template_id: str, event_id: str, at: datetime
    ) -> str | None:
        """Use the oldest unused consent of the worker for the case; its id, or None if there is none.

        The same message asking again (a retry after a send that failed) gets its own consent back.
        """
        mine = await self._db[CONSENTS].find_one({"used_for": event_id}, {"_id": 1})
        if mine is not None:
            return str(mine["_id"])
        taken = await self._db[CONSENTS].find_one_and_update(
            {
                "reporter_key": reporter_key,
                "code": code,
                "template_id": template_id,
                "used_at": {"$exists": False},
            },
            {"$set": {"used_at": at, "used_for": event_id, "expires_at": expiry(USED_KEPT)}},
            sort=[("consented_at", ASCENDING)],
        )
        return None if taken is None else str(taken["_id"])

    async def give_back(self, consent_id: str, event_id: str) -> None:
        """The message did not go (a transient failure): the consent is unused again."""
        await self._db[CONSENTS].update_one(
            {"_id": consent_id, "used_for": event_id},
            {"$unset": {"used_at": "", "used_for": ""}, "$set": {"expires_at": expiry(UNUSED_KEPT)}},
        )

    async def unused(self, reporter_key: str) -> int:
        """How many unused consents a worker holds (the subscribed page and tests read it)."""
        return int(
            await self._db[CONSENTS].count_documents(
                {"reporter_key": reporter_key, "used_at": {"$exists": False}}
            )
        )

    async def forget(self, reporter_key: str) -> None:
        """An unfollow: WeChat would refuse them anyway."""
        await self._db[CONSENTS].delete_many({"reporter_key": reporter_key})
