"""Bearer tokens for committees, NGOs and administrators (design sections 7 and 9).

A token is 256 random bits behind a ``gvt_`` prefix (the log redactor recognises it). Only its
SHA-256 is stored; a high-entropy secret needs no slow hash. The token is shown once, at issue.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web

from shared.store import ASCENDING, Database, IndexModel, to_ms
from shared.web import Problem

Role = Literal["committee", "ngo", "admin"]
# Tokens expire: a token copied from an old laptop or a former member's phone stops working on its own.
LIFETIME = timedelta(days=180)
COLLECTION = "api_tokens"
PREFIX = "gvt_"
INDEXES = {
    COLLECTION: [
        IndexModel([("token_hash", ASCENDING)], unique=True),
        IndexModel([("token_id", ASCENDING)], unique=True),
    ]
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a committee (one committee's cases), an NGO (some or all factories), an admin."""

    token_id: str
    role: Role
    committee_id: str | None = None
    factories: tuple[str, ...] | None = None  # None: every factory

    def sees_factory(self, factory_id: str | None) -> bool:
        return self.factories is None or (factory_id is not None and factory_id in self.factories)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue_token(
    db: Database,
    role: Role,
    *,
    committee_id: str | None = None,
    factories: list[str] | None = None,
    label: str | None = None,
    lifetime: timedelta = LIFETIME,
) -> tuple[str, dict[str, Any]]:
    """Create a token; return it (the only time it exists in clear) with its stored record."""
    if role == "committee" and not committee_id:
        raise ValueError("a committee token needs a committee id")
    if lifetime <= timedelta(0):
        raise ValueError("a token's lifetime must be positive")
    token = PREFIX + secrets.token_urlsafe(32)
    now = to_ms(datetime.now(UTC))
    record = {
        "token_id": secrets.token_hex(6),
        "token_hash": hash_token(token),
        "role": role,
        "committee_id": committee_id if role == "committee" else None,
        "factories": factories if role == "ngo" else None,
        "label": label,
        "created_at": now,
        "expires_at": now + lifetime,
        "revoked_at": None,
    }
    await db[COLLECTION].insert_one(dict(record))
    return token, record


async def revoke_token(db: Database, token_id: str) -> bool:
    result = await db[COLLECTION].update_one(
        {"token_id": str(token_id), "revoked_at": None}, {"$set": {"revoked_at": datetime.now(UTC)}}
    )
    return bool(result.modified_count)


async def revoke_committee_tokens(db: Database, committee_ids: Sequence[str]) -> int:
    """Revoke every live token of these committees (retired ones); how many were still live."""
    if not committee_ids:
        return 0
    result = await db[COLLECTION].update_many(
        {"role": "committee", "committee_id": {"$in": [str(c) for c in committee_ids]}, "revoked_at": None},
        {"$set": {"revoked_at": datetime.now(UTC)}},
    )
    return int(result.modified_count)


async def list_tokens(db: Database) -> list[dict[str, Any]]:
    """Token records without their hashes, for the admin CLI, in the order they were issued.

    Tokens issued in the same millisecond (a registry load issues several) are ordered by ``_id``,
    which the driver generates increasing within a process.
    """
    order = [("created_at", ASCENDING), ("_id", ASCENDING)]
    cursor = db[COLLECTION].find({}, {"_id": 0, "token_hash": 0}).sort(order)
    return [doc async for doc in cursor]


async def live_token_ids(db: Database, role: Role, *, committee_id: str | None = None) -> list[str]:
    """Ids of the tokens of ``role`` that still work, with the widest scope of the role: a committee
    token of ``committee_id``, an NGO token for every factory, an admin token."""
    query: dict[str, Any] = {"role": role, "revoked_at": None}
    if role == "committee":
        query["committee_id"] = str(committee_id)
    if role == "ngo":
        query["factories"] = None
    now = datetime.now(UTC)
    cursor = db[COLLECTION].find(query, {"_id": 0, "token_hash": 0}).sort("created_at", ASCENDING)
    return [r["token_id"] async for r in cursor if expires_at(r) > now]


async def live_principal(db: Database, token_id: str) -> Principal | None:
    """The principal of the token with this id while it still works (not revoked, not expired).

    A console session keeps the token's id, never the token: each request looks it up, so revoking
    the token ends the sessions it opened, and a narrowed scope applies at once.
    """
    record = await db[COLLECTION].find_one({"token_id": token_id, "revoked_at": None}, {"token_hash": 0})
    if record is None or expires_at(record) <= datetime.now(UTC):
        return None
    return _principal(record)


async def authenticate(db: Database, header: str | None) -> Principal:
    """The principal behind an ``Authorization: Bearer`` header, or a 401 problem."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 128:
        raise _unauthorised()
    digest = hash_token(token)
    record = await db[COLLECTION].find_one({"token_hash": digest, "revoked_at": None})
    if record is None or not hmac.compare_digest(record["token_hash"], digest):
        raise _unauthorised()
    if expires_at(record) <= datetime.now(UTC):
        raise _unauthorised()
    return _principal(record)


def _principal(record: dict[str, Any]) -> Principal:
    factories = record.get("factories")
    return Principal(
        token_id=record["token_id"],
        role=record["role"],
        committee_id=record.get("committee_id"),
        factories=tuple(factories) if factories is not None else None,
    )


async def require(request: web.Request, db: Database, *roles: Role) -> Principal:
    """Authenticate the request and insist on one of ``roles`` (403 for a valid token of another role)."""
    principal = await authenticate(db, request.headers.get("Authorization"))
    if principal.role not in roles:
        raise Problem(403, "Forbidden", "this token may not use this API")
    return principal


def expires_at(record: dict[str, Any]) -> datetime:
    """When a token stops working; tokens issued before expiry was recorded last the default."""
    stored: datetime | None = record.get("expires_at")
    return stored if stored is not None else record["created_at"] + LIFETIME


def _unauthorised() -> Problem:
    problem = Problem(401, "Unauthorized", "a valid bearer token is required")
    problem.headers["WWW-Authenticate"] = 'Bearer realm="grievance"'
    return problem
