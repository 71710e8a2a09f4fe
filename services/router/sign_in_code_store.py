"""One-time sign-in codes of the worker page (collection ``sign_in_codes``), for workers without a PIN.

Only a web-form worker gets a PIN; an SMS or WeChat worker proves who they are by holding the
case's contact instead. So the case page sends a fresh six-digit code to the contact of the case
(:mod:`services.router.code_sign_in`), and the worker types it back. A code is kept as a keyed hash
(:func:`code_hash`, under the service keys like a PIN), one per case: asking again replaces it. It
opens the case once, for :data:`LIFETIME` (checked on read; the TTL index removes the record
later), and takes :data:`MAX_ATTEMPTS` wrong codes before it opens nothing.

A case is sent at most one code per :data:`RESEND_AFTER` (kept here, in the record's ``sent_at``,
so every replica sees it) and :data:`PER_DAY` a day (a counter of :mod:`shared.ratestore`, in the
router's rate counters).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from shared.contracts import SIGN_IN_CODE_LIFETIME
from shared.privacy import Keys, keyed_digest
from shared.ratestore import Limit, expiry
from shared.store import ASCENDING, Database, DuplicateKeyError, IndexModel

CODES = "sign_in_codes"
LIFETIME = SIGN_IN_CODE_LIFETIME
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
PER_DAY = Limit("sign_in_code_case", 5, timedelta(days=1))
DIGITS = 6
# What a check without a live code compares against: a hash no code gives.
NO_CODE = "0" * 64

INDEXES = {CODES: [IndexModel([("expires_at", ASCENDING)], expireAfterSeconds=0)]}


def new_code() -> str:
    """Six digits from the system's secure source (never derived: each request its own)."""
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hash(keys: Keys, case_id: str, code: str) -> str:
    """What the store keeps of a code: bound to its case, so one case's code opens no other."""
    return keyed_digest(keys, "sign-in-code", case_id, code)


class SignInCodes:
    def __init__(self, db: Database, keys: Keys) -> None:
        self._codes = db[CODES]
        self._keys = keys

    async def issue(self, case_id: str, now: datetime) -> str | None:
        """A new code for the case, replacing any earlier one; None when one went out too recently."""
        code = new_code()
        record = {
            "hash": code_hash(self._keys, case_id, code),
            "sent_at": now,
            "valid_until": now + LIFETIME,
            "attempts": 0,
            "expires_at": expiry(LIFETIME),
        }
        try:
            await self._codes.update_one(
                {"_id": case_id, "sent_at": {"$not": {"$gt": now - RESEND_AFTER}}},
                {"$set": record},
                upsert=True,
            )
        except DuplicateKeyError:  # the record exists and was sent within the last minute
            return None
        return code

    async def too_soon(self, case_id: str, now: datetime) -> bool:
        """Whether the case was sent a code within :data:`RESEND_AFTER` (read before the day's count,
        so that a request held back for it does not spend one of the day's codes)."""
        doc = await self._codes.find_one({"_id": case_id, "sent_at": {"$gt": now - RESEND_AFTER}}, {"_id": 1})
        return doc is not None

    async def live(self, case_ids: Sequence[str], now: datetime) -> dict[str, str]:
        """The hashes of the codes that may still open these cases (unexpired, attempts left)."""
        cursor = self._codes.find(
            {"_id": {"$in": list(case_ids)}, "valid_until": {"$gt": now}, "attempts": {"$lt": MAX_ATTEMPTS}},
            {"hash": 1},
        )
        return {str(doc["_id"]): str(doc["hash"]) async for doc in cursor}

    async def use(self, case_id: str, hashed: str, now: datetime) -> bool:
        """Spend the code: True for the one request that removes it while it is still good."""
        doc: dict[str, Any] | None = await self._codes.find_one_and_delete(
            {"_id": case_id, "hash": hashed, "valid_until": {"$gt": now}, "attempts": {"$lt": MAX_ATTEMPTS}}
        )
        return doc is not None

    async def failed(self, case_ids: Sequence[str]) -> None:
        """A wrong code for these cases: one attempt fewer for each (one write, with or without them)."""
        await self._codes.update_many({"_id": {"$in": list(case_ids)}}, {"$inc": {"attempts": 1}})
