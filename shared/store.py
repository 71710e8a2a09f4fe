"""The MongoDB connection, to a real server or to the in-memory engine (which :mod:`shared.bootstrap` picks).

Only this module and the per-service store modules touch the driver, so a move from Motor to
PyMongo's ``AsyncMongoClient`` stays local. Queries are kept to what both MongoDB and mongomock
support: equality and range filters, ``$set``/``$setOnInsert``/``$push``/``$inc`` updates,
``find_one_and_update`` with the expected state in the filter, and unique indexes. Where mongomock is
more lenient than MongoDB, the stricter rule holds: an update names each path once
(:func:`merge_updates`), and a find whose order matters sorts on a unique key last, because MongoDB
returns an unsorted find in no defined order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

__all__ = [
    "ASCENDING",
    "DESCENDING",
    "Database",
    "DuplicateKeyError",
    "IndexModel",
    "PyMongoError",
    "ReturnDocument",
    "UpdateConflict",
    "ensure_indexes",
    "merge_updates",
    "open_memory_client",
    "open_mongo_client",
    "ping",
    "to_ms",
]

Database = Any  # AsyncIOMotorDatabase or its mongomock twin; they share the interface we use.


class UpdateConflict(ValueError):
    """One update would touch a path twice: MongoDB refuses it (error 40, "would create a conflict")."""


def merge_updates(*updates: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """One update document from several (``{"$set": ...}``, ``{"$push": ...}``, ...).

    MongoDB refuses an update that names a path under two operators, or a path and a path inside it
    (``timeline`` and ``timeline.0.note``), while mongomock applies it. Merging dictionaries would
    also silently drop the first of two values for the same path under one operator. So a path may
    occur once, and never inside another: anything else raises :class:`UpdateConflict` here, before
    it reaches a server. Operators with nothing to do are left out.
    """
    merged: dict[str, dict[str, Any]] = {}
    seen: dict[str, str] = {}
    for update in updates:
        for operator, fields in update.items():
            for path in fields:
                for other, other_operator in seen.items():
                    if path == other or path.startswith(other + ".") or other.startswith(path + "."):
                        raise UpdateConflict(
                            f"{operator} {path!r} conflicts with {other_operator} {other!r} in one update"
                        )
                seen[path] = operator
            if fields:
                merged.setdefault(operator, {}).update(fields)
    return merged


def to_ms(at: datetime) -> datetime:
    """MongoDB keeps milliseconds; truncate first so a value read back equals the one written."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def open_mongo_client(url: str) -> Any:
    """A Motor client for a ``mongodb://`` URL; datetimes come back timezone-aware."""
    from motor.motor_asyncio import AsyncIOMotorClient

    return AsyncIOMotorClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000, uuidRepresentation="standard"
    )


def open_memory_client() -> Any:
    """The in-memory engine (mongomock), with the interface and the timezone-aware datetimes of Motor's."""
    from mongomock_motor import AsyncMongoMockClient

    return AsyncMongoMockClient(tz_aware=True)


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
