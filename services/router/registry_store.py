"""The registry's collections (``factories``, ``committees``): loaded from YAML, read for routing.

:mod:`services.router.registry` writes them through :class:`RegistryStore`; routing reads factories
and committees as the pure rules of :mod:`services.router.assign` take them. Codes and ids are
validated patterns, so no string from a registry file acts as a query operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from services.router.assign import CommitteeInfo, FactoryInfo
from shared.store import ASCENDING, Database, IndexModel

FACTORIES, COMMITTEES = "factories", "committees"
# The first deployment is China; a factory elsewhere names its zone in the registry (``timezone``).
DEFAULT_TIMEZONE = "Asia/Shanghai"

INDEXES = {
    FACTORIES: [
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel([("sms_numbers", ASCENDING)]),
        IndexModel([("keywords_folded", ASCENDING)]),
    ],
    COMMITTEES: [IndexModel([("id", ASCENDING)], unique=True), IndexModel([("factory_id", ASCENDING)])],
}

Outcome = Literal["inserted", "updated", "unchanged"]


class RegistryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _upsert(self, collection: str, key: str, doc: dict[str, Any]) -> Outcome:
        result = await self._db[collection].update_one({key: doc[key]}, {"$set": doc}, upsert=True)
        if result.upserted_id is not None:
            return "inserted"
        return "updated" if result.modified_count else "unchanged"

    async def upsert_factory(self, doc: dict[str, Any]) -> Outcome:
        return await self._upsert(FACTORIES, "code", doc)

    async def upsert_committee(self, doc: dict[str, Any]) -> Outcome:
        return await self._upsert(COMMITTEES, "id", doc)

    async def retire_committees(self, factory_id: str, keep: Sequence[str]) -> int:
        """Mark a factory's committees that are not in ``keep`` inactive; how many were."""
        result = await self._db[COMMITTEES].update_many(
            {"factory_id": factory_id, "active": True, "id": {"$nin": list(keep)}},
            {"$set": {"active": False}},
        )
        return int(result.modified_count)

    async def factories(self) -> list[FactoryInfo]:
        """Every factory, by code: routing takes the first factory that matches, so the order is fixed."""
        cursor = (
            self._db[FACTORIES]
            .find({}, {"_id": 0, "code": 1, "sms_numbers": 1, "keywords": 1})
            .sort("code", ASCENDING)
        )
        return [
            FactoryInfo(d["code"], tuple(d.get("sms_numbers", ())), tuple(d.get("keywords", ())))
            async for d in cursor
        ]

    async def timezone_of(self, factory_id: str | None) -> str:
        """The zone a factory's workers are told times in (the default one for an unknown factory)."""
        if factory_id is None:
            return DEFAULT_TIMEZONE
        doc = await self._db[FACTORIES].find_one({"code": factory_id}, {"_id": 0, "timezone": 1})
        return str((doc or {}).get("timezone") or DEFAULT_TIMEZONE)

    async def committees_of(self, factory_id: str) -> list[CommitteeInfo]:
        """A factory's active committees, by id (the case keeps the ones skipped, in this order)."""
        cursor = (
            self._db[COMMITTEES]
            .find({"factory_id": factory_id, "active": True}, {"_id": 0})
            .sort("id", ASCENDING)
        )
        found = []
        async for d in cursor:
            names = tuple(n for m in d.get("members", ()) for n in (m["name"], *m.get("aliases", ())))
            found.append(CommitteeInfo(d["id"], d["factory_id"], tuple(d["categories"]), names))
        return found
