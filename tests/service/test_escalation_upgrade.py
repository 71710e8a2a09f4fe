"""A store an earlier version left: its ``case_clocks`` becomes ``case_records`` as escalation starts,
once, whichever replica gets there first, and the records in it read as they did.

These tests make the earlier collection themselves: what was stored under the former name is what
they check.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from pymongo.errors import OperationFailure

from services.escalation import documents, store
from services.escalation.app import create_app
from services.escalation.records import CaseRecord, merge
from services.escalation.upgrade import FORMER_RECORDS, rename_former_records
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.sla import SlaTable
from shared.store import Database
from tests.fakes import FakeClock, present
from tests.servers import ServiceServer
from tests.service.escalation_support import (
    InterleavingDatabase,
    assigned,
    consume_downstream,
    record_of,
    updated,
)


async def earlier_store(db: Database, clock: FakeClock, keys: Keys) -> list[CaseRecord]:
    """Two cases' records in ``case_clocks``, with the indexes the earlier version made there."""
    made: list[CaseRecord] = []
    for severity in ("critical", "normal"):
        case = assigned(clock.now, keys=keys, severity=severity)
        record = present(merge(None, case, SlaTable(), clock.now), "a new record")
        record = present(record.merge(updated(case, "acknowledged", clock.now), SlaTable(), clock.now), "")
        made.append(record)
    await db[FORMER_RECORDS].create_indexes(store.INDEXES[store.RECORDS])
    await db[FORMER_RECORDS].insert_many([documents.record_document(r) for r in made])
    return made


async def index_keys(db: Database, collection: str) -> list[Any]:
    info: dict[str, dict[str, Any]] = await db[collection].index_information()
    return sorted(str(index["key"]) for index in info.values())


async def test_the_former_collection_is_renamed_with_its_records_and_indexes(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(db, clock, keys)
    indexes = await index_keys(db, FORMER_RECORDS)
    assert await rename_former_records(db) is True
    names = await db.list_collection_names()
    assert FORMER_RECORDS not in names and store.RECORDS in names
    assert [await record_of(db, r.case_id) for r in made] == made
    assert await index_keys(db, store.RECORDS) == indexes
    # The sweeper's query finds the renamed records, both overdue for resolution a month on.
    due = await store.records_due(db, "resolution_overdue", clock.now + timedelta(days=30), 10)
    assert {r.case_id for r in due} == {r.case_id for r in made}


async def test_a_second_run_and_a_store_without_the_former_collection_change_nothing(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    assert await rename_former_records(db) is False  # a new store: nothing to rename
    assert FORMER_RECORDS not in await db.list_collection_names()
    made = await earlier_store(db, clock, keys)
    assert await rename_former_records(db) is True
    assert await rename_former_records(db) is False
    assert [await record_of(db, r.case_id) for r in made] == made


async def test_two_replicas_starting_at_once_rename_it_once_and_both_start(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(db, clock, keys)
    # Each replica's store calls yield, as round trips do: both find case_clocks, both try to rename.
    replicas = [InterleavingDatabase(db), InterleavingDatabase(db)]
    renamed = await asyncio.gather(*(rename_former_records(replica) for replica in replicas))
    assert sorted(renamed) == [False, True]
    assert [await record_of(db, r.case_id) for r in made] == made
    assert FORMER_RECORDS not in await db.list_collection_names()


class RenamedMeanwhile:
    """The store as a replica sees it when another renames ``case_clocks`` just after it looked."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_collection_names(self) -> list[str]:
        names: list[str] = await self._db.list_collection_names()
        if FORMER_RECORDS in names:
            await self._db[FORMER_RECORDS].rename(store.RECORDS)  # the other replica's rename
        return names

    def __getitem__(self, name: str) -> Any:
        return self._db[name]


async def test_a_rename_refused_because_another_replica_renamed_first_counts_as_done(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(db, clock, keys)
    assert await rename_former_records(RenamedMeanwhile(db)) is False
    assert [await record_of(db, r.case_id) for r in made] == made


class RenameRefused:
    """A store whose user may not rename collections (a role without ``renameCollectionSameDB``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def list_collection_names(self) -> list[str]:
        names: list[str] = await self._db.list_collection_names()
        return names

    def __getitem__(self, name: str) -> Any:
        return Unrenamable(self._db[name])


class Unrenamable:
    def __init__(self, collection: Any) -> None:
        self._collection = collection

    async def rename(self, new_name: str) -> None:
        raise OperationFailure(f"not authorized to rename {self._collection.name} to {new_name}", 13)


async def test_a_rename_refused_for_another_reason_stops_the_start_and_changes_nothing(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(db, clock, keys)
    with pytest.raises(OperationFailure):
        await rename_former_records(RenameRefused(db))
    assert await db[FORMER_RECORDS].count_documents({}) == len(made)
    assert store.RECORDS not in await db.list_collection_names()


async def test_records_left_in_both_collections_are_left_where_they_are(
    db: Database, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(db, clock, keys)
    await db[store.RECORDS].insert_one(documents.record_document(made[0]))
    assert await rename_former_records(db) is False
    assert await db[FORMER_RECORDS].count_documents({}) == 2
    assert await db[store.RECORDS].count_documents({}) == 1


async def test_the_service_renames_the_former_collection_as_it_starts(
    runtime: Runtime, clock: FakeClock, keys: Keys
) -> None:
    made = await earlier_store(runtime.db, clock, keys)
    await consume_downstream(runtime.bus)
    async with TestClient(ServiceServer(create_app(runtime.settings, runtime))):
        assert FORMER_RECORDS not in await runtime.db.list_collection_names()
        assert [await record_of(runtime.db, r.case_id) for r in made] == made
