"""Tokens: random, stored hashed, revocable, scoped by role."""

from __future__ import annotations

from typing import Any

import pytest

from shared.auth import INDEXES, authenticate, hash_token, issue_token, list_tokens, revoke_token
from shared.store import Database, ensure_indexes
from shared.web import Problem


@pytest.fixture
async def tokens_db(db: Database) -> Database:
    await ensure_indexes(db, INDEXES)
    return db


async def test_issued_tokens_are_random_and_stored_only_as_hashes(tokens_db: Database) -> None:
    token, record = await issue_token(tokens_db, "committee", committee_id="gz-001-spt")
    other, _ = await issue_token(tokens_db, "committee", committee_id="gz-001-spt")
    assert token != other and token.startswith("gvt_") and len(token) >= 40
    stored = await tokens_db.api_tokens.find_one({"token_id": record["token_id"]})
    assert token not in str(stored) and stored["token_hash"] == hash_token(token)
    listed = await list_tokens(tokens_db)
    assert all("token_hash" not in t for t in listed) and len(listed) == 2


async def test_authenticate_returns_the_scoped_principal(tokens_db: Database) -> None:
    token, _ = await issue_token(tokens_db, "ngo", factories=["GZ-001"])
    principal = await authenticate(tokens_db, f"Bearer {token}")
    assert principal.role == "ngo" and principal.factories == ("GZ-001",)
    assert principal.sees_factory("GZ-001") and not principal.sees_factory("SZ-002")
    everything, _ = await issue_token(tokens_db, "ngo")
    assert (await authenticate(tokens_db, f"Bearer {everything}")).sees_factory("SZ-002")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Basic abc", "Bearer gvt_unknown", "Bearer " + "x" * 500]
)
async def test_bad_credentials_are_401(tokens_db: Database, header: Any) -> None:
    with pytest.raises(Problem) as caught:
        await authenticate(tokens_db, header)
    assert caught.value.status == 401


async def test_revoked_tokens_stop_working(tokens_db: Database) -> None:
    token, record = await issue_token(tokens_db, "admin")
    assert await revoke_token(tokens_db, record["token_id"])
    assert not await revoke_token(tokens_db, record["token_id"])
    with pytest.raises(Problem):
        await authenticate(tokens_db, f"Bearer {token}")


async def test_committee_tokens_need_a_committee(tokens_db: Database) -> None:
    with pytest.raises(ValueError):
        await issue_token(tokens_db, "committee")


async def test_a_token_stops_working_when_it_expires(tokens_db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    token, record = await issue_token(tokens_db, "admin", lifetime=timedelta(minutes=5))
    assert record["expires_at"] - record["created_at"] == timedelta(minutes=5)
    assert (await authenticate(tokens_db, f"Bearer {token}")).role == "admin"
    # The clock passes the expiry: moved on the record, so a slow server cannot make the check flaky.
    await tokens_db.api_tokens.update_one(
        {"token_id": record["token_id"]},
        {"$set": {"expires_at": datetime.now(UTC) - timedelta(milliseconds=1)}},
    )
    with pytest.raises(Problem) as refused:
        await authenticate(tokens_db, f"Bearer {token}")
    assert refused.value.status == 401


async def test_the_default_lifetime_is_180_days_and_old_records_get_it_too(tokens_db: Database) -> None:
    from datetime import UTC, datetime, timedelta

    token, record = await issue_token(tokens_db, "ngo")
    assert record["expires_at"] - record["created_at"] == timedelta(days=180)
    # A record from before expiry was kept: it lasts 180 days from its creation.
    await tokens_db.api_tokens.update_one(
        {"token_id": record["token_id"]},
        {"$unset": {"expires_at": ""}, "$set": {"created_at": datetime.now(UTC) - timedelta(days=181)}},
    )
    with pytest.raises(Problem):
        await authenticate(tokens_db, f"Bearer {token}")
