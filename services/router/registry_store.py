"""The registry's collections (``factories``, ``committees``): loaded from YAML, read for routing.

:mod:`services.router.registry` writes them through :class:`RegistryStore`; routing reads factories
and committees as the pure rules of :mod:`services.router.assign` take them
(:meth:`RegistryStore.routing`). Codes and ids are validated patterns, so no string from a registry
file acts as a query operator.

Every write moves the registry's version (one document in ``registry_version``) after it is made,
and every load moves it once more at its end (:meth:`RegistryStore.moved`), whatever it changed: a
load run again after one that stopped between a write and its move moves it then. So a store keeps
the routing it read between grievances and reads it again once the version moved: one small read
per grievance, and every replica routes on the registry as the last load left it. Whoever changes
these collections some other way (a restore from a backup) loads the registry again afterwards, or
restarts the routers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, Literal

from services.router.assign import DEFAULT_TIMEZONE, CommitteeInfo, FactoryInfo, Routing
from services.router.names import Member
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel

FACTORIES, COMMITTEES, VERSION = "factories", "committees", "registry_version"

INDEXES = {
    FACTORIES: [
        IndexModel([("code", ASCENDING)], unique=True),
        IndexModel([("sms_numbers", ASCENDING)]),
        IndexModel([("keywords_folded", ASCENDING)]),
    ],
    COMMITTEES: [IndexModel([("id", ASCENDING)], unique=True), IndexModel([("factory_id", ASCENDING)])],
}

Outcome = Literal["inserted", "updated", "unchanged"]
# Why no token is issued for a retired committee: its tokens were revoked when it was retired.
RETIRED = "the registry retired this committee: its cases went elsewhere and it gets no token"


@dataclass(frozen=True)
class FactoryRecord:
    """A factory as the registry file gives it, with what routing looks up by (folded keywords)."""

    code: str
    name: str
    region: str | None
    workers: int | None
    sms_numbers: tuple[str, ...]
    keywords: tuple[str, ...]
    keywords_folded: tuple[str, ...]
    timezone: str
    committees: tuple[str, ...]


@dataclass(frozen=True)
class MemberRecord:
    name: str
    aliases: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class CommitteeRecord:
    """A committee as the registry file gives it; loading one makes it active again."""

    id: str
    factory_id: str
    name: str
    categories: tuple[str, ...]
    members: tuple[MemberRecord, ...]
    active: bool = True


def _document(record: FactoryRecord | CommitteeRecord) -> dict[str, Any]:
    """The record as stored: sequences as arrays, members as sub-documents."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple):
            return [plain(item) for item in value]
        if isinstance(value, MemberRecord):
            return {"name": value.name, "aliases": list(value.aliases), "role": value.role}
        return value

    return {field.name: plain(getattr(record, field.name)) for field in fields(record)}


@dataclass(frozen=True)
class Membership:
    """An active committee whose members changed since its open cases were last checked against them.

    ``digest`` names the member list as read; :meth:`RegistryStore.mark_checked` records it, so a
    list changed again meanwhile stays unchecked for the next pass.
    """

    committee: CommitteeInfo
    digest: str


def members_digest(members: Sequence[Mapping[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(list(members), sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _committee_info(doc: Mapping[str, Any]) -> CommitteeInfo:
    # Each member with their own aliases and role, so a match says "alias" for an alias and the NGO
    # learns the member's role.
    people = doc.get("members", ())
    names = tuple(n for m in people for n in (m["name"], *m.get("aliases", ())))
    members = tuple(Member(m["name"], tuple(m.get("aliases", ())), m.get("role")) for m in people)
    return CommitteeInfo(doc["id"], doc["factory_id"], tuple(doc["categories"]), names, members)


class RegistryStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._routing: tuple[int, Routing] | None = None  # and the version it was read at

    async def moved(self) -> None:
        """Move the registry's version: every router reads the registry again at its next grievance."""
        move = {"$inc": {"n": 1}}
        try:
            await self._db[VERSION].update_one({"_id": "registry"}, move, upsert=True)
        except DuplicateKeyError:  # a concurrent first write created it: move it once more
            await self._db[VERSION].update_one({"_id": "registry"}, move)

    async def _version(self) -> int:
        doc = await self._db[VERSION].find_one({"_id": "registry"})
        return int(doc["n"]) if doc else 0

    async def _upsert(self, collection: str, key: str, record: FactoryRecord | CommitteeRecord) -> Outcome:
        doc = _document(record)
        result = await self._db[collection].update_one({key: doc[key]}, {"$set": doc}, upsert=True)
        if result.upserted_id is None and not result.modified_count:
            return "unchanged"
        await self.moved()
        return "inserted" if result.upserted_id is not None else "updated"

    async def upsert_factory(self, record: FactoryRecord) -> Outcome:
        return await self._upsert(FACTORIES, "code", record)

    async def upsert_committee(self, record: CommitteeRecord) -> Outcome:
        return await self._upsert(COMMITTEES, "id", record)

    async def retire_committees(self, factory_id: str, keep: Sequence[str]) -> int:
        """Mark a factory's committees that are not in ``keep`` inactive; how many were."""
        result = await self._db[COMMITTEES].update_many(
            {"factory_id": factory_id, "active": True, "id": {"$nin": list(keep)}},
            {"$set": {"active": False}},
        )
        if result.modified_count:
            await self.moved()
        return int(result.modified_count)

    async def routing(self) -> Routing:
        """Every factory, its active committees and its time zone, as routing reads them.

        Read again only when the registry's version moved since the last read (the version is read
        first, so a write that lands meanwhile is read at the next grievance at the latest).
        """
        version = await self._version()
        if self._routing is not None and self._routing[0] == version:
            return self._routing[1]
        factories = [
            d
            async for d in self._db[FACTORIES]
            .find({}, {"_id": 0, "code": 1, "sms_numbers": 1, "keywords": 1, "timezone": 1})
            .sort("code", ASCENDING)
        ]
        committees: dict[str, list[CommitteeInfo]] = {}
        async for doc in self._db[COMMITTEES].find({"active": True}, {"_id": 0}).sort("id", ASCENDING):
            committees.setdefault(doc["factory_id"], []).append(_committee_info(doc))
        routing = Routing(
            factories=tuple(
                FactoryInfo(d["code"], tuple(d.get("sms_numbers", ())), tuple(d.get("keywords", ())))
                for d in factories
            ),
            committees={code: tuple(found) for code, found in committees.items()},
            zones={d["code"]: str(d.get("timezone") or DEFAULT_TIMEZONE) for d in factories},
        )
        self._routing = (version, routing)
        return routing

    async def timezone_of(self, factory_id: str | None) -> str:
        """The zone a factory's workers are told times in (the default one for an unknown factory)."""
        return (await self.routing()).zone_of(factory_id)

    async def committees_of(self, factory_id: str) -> list[CommitteeInfo]:
        """A factory's active committees, by id (the case keeps the ones skipped, in this order)."""
        return list((await self.routing()).committees_of(factory_id))

    async def committee_name(self, committee_id: str) -> str | None:
        """The name a committee's members know it by (the console's header), or None if unknown."""
        found = await self._db[COMMITTEES].find_one({"id": committee_id}, {"_id": 0, "name": 1})
        return str(found["name"]) if found and found.get("name") else None

    async def factory_codes(self) -> list[str]:
        """Every factory's code, sorted (what a token's factories may name)."""
        cursor = self._db[FACTORIES].find({}, {"_id": 0, "code": 1}).sort("code", ASCENDING)
        return [str(d["code"]) async for d in cursor]

    async def committee_ids(self) -> list[str]:
        """The ids of every active committee, sorted (what a committee token may name)."""
        cursor = self._db[COMMITTEES].find({"active": True}, {"_id": 0, "id": 1}).sort("id", ASCENDING)
        return [str(d["id"]) async for d in cursor]

    async def committee_factory(self, committee_id: str) -> tuple[str, bool] | None:
        """A committee's factory code and whether it is active, or None for an id never loaded."""
        found = await self._db[COMMITTEES].find_one(
            {"id": str(committee_id)}, {"_id": 0, "factory_id": 1, "active": 1}
        )
        return None if found is None else (str(found["factory_id"]), bool(found.get("active", True)))

    async def retired(self) -> list[str]:
        """The ids of every retired committee (their tokens and open cases are settled at each load)."""
        cursor = self._db[COMMITTEES].find({"active": False}, {"_id": 0, "id": 1}).sort("id", ASCENDING)
        return [d["id"] async for d in cursor]

    async def is_retired(self, committee_id: str) -> bool:
        """Whether the registry retired this committee (an id never loaded is not retired)."""
        found = await self._db[COMMITTEES].find_one({"id": str(committee_id), "active": False}, {"_id": 1})
        return found is not None

    async def unchecked(self) -> list[Membership]:
        """Active committees whose open cases were not yet checked against their current members."""
        cursor = self._db[COMMITTEES].find({"active": True}, {"_id": 0}).sort("id", ASCENDING)
        found = []
        async for d in cursor:
            digest = members_digest(d.get("members", ()))
            if d.get("members_checked") != digest:
                found.append(Membership(_committee_info(d), digest))
        return found

    async def mark_checked(self, committee_id: str, digest: str) -> None:
        """Record that the committee's open cases were checked against the member list ``digest`` names."""
        await self._db[COMMITTEES].update_one({"id": committee_id}, {"$set": {"members_checked": digest}})
