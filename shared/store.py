"""The MongoDB connection, for the real server or the in-memory engine (``memory://``).

Only this module and the per-service store modules touch the driver, so a move from Motor to
PyMongo's ``AsyncMongoClient`` stays local. Queries are kept to what both MongoDB and mongomock
support: equality and range filters, ``$set``/``$setOnInsert``/``$push``/``$inc`` updates,
``find_one_and_update`` with the expected state in the filter, and unique indexes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.settings import Settings

__all__ = [
    "ASCENDING",
    "DESCENDING",
    "Database",
    "DuplicateKeyError",
    "IndexModel",
    "PyMongoError",
    "ReturnDocument",
    "ensure_indexes",
    "open_client",
    "ping",
    "to_ms",
]

Database = Any  # AsyncIOMotorDatabase or its mongomock twin; they share the interface we use.


def to_ms(at: datetime) -> datetime:
    """MongoDB keeps milliseconds; truncate first so a value read back equals the one written."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def open_client(url: str) -> Any:
    """A client for ``mongodb://`` URLs or the in-memory engine; datetimes come back timezone-aware."""
    if url == "memory://":
        from mongomock_motor import AsyncMongoMockClient

        return AsyncMongoMockClient(tz_aware=True)
    if url.startswith(("mongodb://", "mongodb+srv://")):
        from motor.motor_asyncio import AsyncIOMotorClient

        return AsyncIOMotorClient(
            url, tz_aware=True, serverSelectionTimeoutMS=5000, uuidRepresentation="standard"
        )
    raise ValueError("GRIEVANCE_MONGO_URL must be memory:// or mongodb://")


def open_database(settings: Settings) -> tuple[Any, Database]:
    client = open_client(settings.mongo_url)
    return client, client[settings.mongo_db]


async def ensure_indexes(db: Database, indexes: Mapping[str, Sequence[IndexModel]]) -> None:
    """Create the indexes a service relies on (idempotent; run at start-up)."""
    for collection, models in indexes.items():
        if models:
            await db[collection].create_indexes(list(models))


async def ping(db: Database) -> bool:
    try:
        await db.command("ping")
    except PyMongoError:
        return False
    return True
