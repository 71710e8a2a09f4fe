"""``wechat_voice``: the MediaIds of voice notes workers sent, kept for a transcription of our own.

WeChat's ``Recognition`` (its speech-to-text) is being retired and is never trusted, so a voice note
opens no grievance: the worker is asked to type, and the MediaId is kept, because it is the only
handle on the recording. WeChat keeps a temporary media file for three days, so each record expires
then (a TTL index; ``expires_at``). A record holds the MediaId, its format, the reporter key (so an
unfollow forgets it) and when it arrived; never the OpenID. One record per message (``_id`` is the
message's deduplication digest), so WeChat's retries keep one.

This module is the only place that speaks to the collection.
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from services.intake.wechat_consents import INDEXES as CONSENT_INDEXES
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel

VOICE = "wechat_voice"
# WeChat's temporary media (素材管理, 临时素材) stay downloadable for three days.
MEDIA_LIFETIME = timedelta(days=3)
INDEXES = {
    VOICE: [
        IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0),
        IndexModel([("reporter_key", ASCENDING)]),
    ],
    **CONSENT_INDEXES,
}


def record_id(dedup_key: str) -> str:
    """The record's id: a digest, because the deduplication key holds the OpenID."""
    return hashlib.sha256(dedup_key.encode("utf-8")).hexdigest()


class VoiceNotes:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def keep(
        self, dedup_key: str, *, media_id: str, media_format: str, reporter_key: str, at: datetime
    ) -> None:
        """Record a voice note once (a retried push finds it there); raises when the store fails."""
        await self._db[VOICE].update_one(
            {"_id": record_id(dedup_key)},
            {
                "$setOnInsert": {
                    "media_id": media_id,
                    "format": media_format,
                    "reporter_key": reporter_key,
                    "received_at": at,
                    "expires_at": at + MEDIA_LIFETIME,
                }
            },
            upsert=True,
        )

    async def forget(self, reporter_key: str) -> int:
        """Delete every voice note of a reporter (an unfollow); how many went."""
        result = await self._db[VOICE].delete_many({"reporter_key": reporter_key})
        return int(result.deleted_count)

    async def of_reporter(self, reporter_key: str) -> list[str]:
        """The MediaIds kept for a reporter, oldest first (the transcription's input; tests read it)."""
        cursor = self._db[VOICE].find({"reporter_key": reporter_key}, {"media_id": 1}).sort("received_at", 1)
        return [str(doc["media_id"]) async for doc in cursor]


# --- the customer-service window -------------------------------------------------------------------

WINDOWS = "wechat_windows"
# WeChat lets an account answer a user by customer-service message for 48 h after the user's last
# message, a few messages per message of the user (5 today: 客服消息下发规则). One record per user
# (``_id`` the reporter key, so no index is needed), holding only that time and how many messages
# went since; an unfollow deletes it. No TTL: a closed window and a missing record mean the same.
SERVICE_WINDOW = timedelta(hours=48)


def reporter_identity(openid: str) -> str:
    """What the reporter key of a WeChat user is computed from: the OpenID, apart from every phone."""
    return f"wechat:{openid}"


class ServiceWindows:
    """When each WeChat user last wrote to the account, keyed by reporter key (never the OpenID)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def opened(self, reporter_key: str, at: datetime) -> None:
        """The user wrote at ``at``: a fresh quota. A retried or late push never moves the time back."""
        await self._db[WINDOWS].update_one(
            {"_id": reporter_key, "last_inbound_at": {"$lt": at}},
            {"$set": {"last_inbound_at": at, "sent": 0}},
        )
        with contextlib.suppress(DuplicateKeyError):  # another push of the user created it meanwhile
            await self._db[WINDOWS].update_one(
                {"_id": reporter_key},
                {"$setOnInsert": {"last_inbound_at": at, "sent": 0}},
                upsert=True,
            )

    async def last_inbound(self, reporter_key: str) -> datetime | None:
        doc = await self._db[WINDOWS].find_one({"_id": reporter_key}, {"last_inbound_at": 1})
        if doc is None:
            return None
        return _aware(doc["last_inbound_at"])

    async def reserve(self, reporter_key: str, since: datetime, messages: int, quota: int) -> bool:
        """Count ``messages`` against the quota of the window opened at ``since``; False when it is
        spent (or the user wrote again meanwhile: the caller reads the new window and asks again)."""
        taken = await self._db[WINDOWS].find_one_and_update(
            {
                "_id": reporter_key,
                "last_inbound_at": since,
                "$or": [{"sent": {"$exists": False}}, {"sent": {"$lte": quota - messages}}],
            },
            {"$inc": {"sent": messages}},
        )
        return taken is not None

    async def forget(self, reporter_key: str) -> None:
        """An unfollow closes the window (WeChat refuses customer-service messages to a non-follower)."""
        await self._db[WINDOWS].delete_one({"_id": reporter_key})


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# --- the access_token, shared by every replica -----------------------------------------------------

TOKENS = "wechat_tokens"


class TokenCache:
    """One record per AppID: the sealed access_token, until when it is trusted, the digest of the
    last token WeChat refused, the forced refreshes of the day, and a lease-based lock so that one
    replica at a time fetches (``lock_owner``, ``lock_until``)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def read(self, app_id: str) -> dict[str, Any]:
        return dict(await self._db[TOKENS].find_one({"_id": app_id}) or {})

    async def lock(self, app_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take the fetch lock unless another owner holds an unexpired one."""
        free = {
            "$or": [{"lock_until": {"$exists": False}}, {"lock_until": {"$lt": now}}, {"lock_owner": owner}]
        }
        try:
            await self._db[TOKENS].find_one_and_update(
                {"_id": app_id, **free},
                {"$set": {"lock_owner": owner, "lock_until": now + lease}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # the record exists and another owner holds the lock
        return True

    async def save(self, app_id: str, owner: str, values: dict[str, Any]) -> None:
        """Store a fetched token (``values``) and release the lock, if still ours."""
        await self._db[TOKENS].update_one(
            {"_id": app_id, "lock_owner": owner},
            {"$set": values, "$unset": {"lock_owner": "", "lock_until": ""}},
        )

    async def unlock(self, app_id: str, owner: str) -> None:
        await self._db[TOKENS].update_one(
            {"_id": app_id, "lock_owner": owner}, {"$unset": {"lock_owner": "", "lock_until": ""}}
        )

    async def reject(self, app_id: str, sealed_token: str, digest: str) -> None:
        """WeChat refused the token: remember its digest; drop it unless a replica replaced it."""
        await self._db[TOKENS].update_one({"_id": app_id}, {"$set": {"rejected": digest}})
        await self._db[TOKENS].update_one(
            {"_id": app_id, "token": sealed_token}, {"$unset": {"token": "", "valid_until": ""}}
        )
