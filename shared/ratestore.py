"""Request limits shared by every replica: counters per key and fixed window, kept in the store.

A limit kept in one process's memory lets N replicas allow N times it, and forgets everything at a
restart; an attacker who spreads guesses over replicas or waits for a deploy gets more. Here each
(key, window) is one document whose count one ``$inc`` upsert raises and returns, so every replica
counts into the same number with one write per request. Windows are fixed (the current minute, hour
or day), which allows at most twice the limit across a window's edge; a TTL index removes a window's
document once it is over.

Keys are never stored as given: a client's address or a worker's phone number goes in as an HMAC
under the pseudonym key, so the collection names nobody.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.privacy import Keys, keyed_digest
from shared.runtime import Clock
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel, ReturnDocument

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def expiry(left: timedelta) -> datetime:
    """When a TTL index may remove a document needed for ``left`` more. The TTL monitor reads the
    server's clock, not the injected one, so the time left is counted from the wall clock."""
    return datetime.now(UTC) + left


def indexes(collection: str) -> dict[str, list[IndexModel]]:
    """The TTL index that removes a counter once its window is over."""
    return {collection: [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]}


@dataclass(frozen=True)
class Limit:
    """At most ``count`` hits per ``window`` for one key of ``scope``."""

    scope: str
    count: int
    window: timedelta


class RateStore:
    """Fixed-window counters in ``collection``; :meth:`hit` counts one request and says whether it may go."""

    def __init__(self, db: Database, collection: str, keys: Keys, clock: Clock) -> None:
        self._counters = db[collection]
        self._keys, self._clock = keys, clock

    async def hit(self, limit: Limit, key: str) -> int | None:
        """Count a request for ``key``; None when within the limit, else the seconds until the window ends."""
        now = self._clock()
        seconds = limit.window.total_seconds()
        index = math.floor((now - _EPOCH).total_seconds() / seconds)
        ends = _EPOCH + timedelta(seconds=(index + 1) * seconds)
        counter = f"{limit.scope}:{keyed_digest(self._keys, 'rate', limit.scope, key)}:{index}"
        count = await self._increment(counter, expiry(ends - now))
        if count <= limit.count:
            return None
        return max(1, math.ceil((ends - now).total_seconds()))

    async def _increment(self, counter: str, expires_at: datetime) -> int:
        # An increment of an existing counter, else the insert of a new one; two first hits that
        # race on the insert make the loser increment. Each step is one atomic write, so the count is
        # exact on any server (an upserting find-and-modify raced by replicas is where wire-compatible
        # servers differ from MongoDB).
        for _ in range(3):
            doc = await self._counters.find_one_and_update(
                {"_id": counter}, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER
            )
            if doc is not None:
                return int(doc["count"])
            try:
                await self._counters.insert_one({"_id": counter, "count": 1, "expires_at": expires_at})
            except DuplicateKeyError:
                continue
            return 1
        raise RuntimeError("the counter could not be written")  # pragma: no cover - a server fault
