"""The one way into a case with its PIN: the status API and the worker's case page both come here.

Three answers must not be told apart, by status, body or time: a wrong PIN, an unknown reference
and a locked reference (even with the right PIN). So each takes the same path: one count against
the client's limit, one read of the lock, one read of the cases, one keyed hash per candidate
compared in constant time (against a stand-in when there is no case), and one write to the
attempts; and the caller gives each the same answer. See :mod:`services.router.status_store` for
the lock, :mod:`shared.ratestore` for the per-client limit (the client being the one the trusted
proxy names, :mod:`shared.forwarded`).

A worker may enter the reference or the six-character case code an SMS carries
(:func:`shared.ids.case_code`). A code is not unique: every case whose reference starts with it is
a candidate and the PIN decides. The lock counts what was entered, so guessing at a code locks the
code, and guessing at a reference locks the reference.

A worker without a PIN (SMS, WeChat) enters a one-time sign-in code sent to the case's contact
instead (:mod:`services.router.sign_in_code_store`); :meth:`PinGate.check_code` takes it through the
same limit, lock and constant-time comparison, and a code opens the case once.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import structlog
from aiohttp import web

from services.router.appkeys import (
    CASES,
    CLOCK,
    PRIVACY_KEYS,
    RATES,
    SIGN_IN_CODES,
    STATUS_ATTEMPTS,
    STATUS_LIMIT,
)
from services.router.case_store import CaseStore
from services.router.progress import StatusFacts
from services.router.sign_in_code_store import NO_CODE, SignInCodes, code_hash
from services.router.status_store import StatusAttempts
from shared.ids import is_case_code, is_reference
from shared.privacy import Keys, pin_hash
from shared.ratestore import Limit, RateStore
from shared.runtime import Clock

log = structlog.get_logger(__name__)

_SEPARATORS = re.compile(r"[\s\-]")
# What a lookup without a case reads and compares instead, so it does the same work as one with a
# case: the same small document parsed, a PIN hash that no PIN gives.
_STAND_IN = {
    "reference": "ABCDE-FGHJK",
    "pin_hash": "0" * 64,
    "factory_id": "STAND-IN",
    "committee_id": "stand-in",
    "category": "other",
    "severity": "normal",
    "status": "assigned",
    "ack_due_at": datetime(2000, 1, 1, tzinfo=UTC),
    "resolve_due_at": datetime(2000, 1, 1, tzinfo=UTC),
}


@dataclass(frozen=True)
class Entered:
    """What the worker typed to name the case: a reference (``ABCDE-FGHJK``) or a case code."""

    kind: Literal["reference", "code"]
    value: str

    @classmethod
    def parse(cls, text: str, *, codes: bool = True) -> Entered | None:
        """The reference or code in ``text`` (any case, spaces ignored, the dash optional), or None."""
        folded = re.sub(r"\s", "", text).upper()
        if is_reference(folded):
            return cls("reference", folded)
        bare = folded.replace("-", "")
        if len(bare) == 10 and is_reference(f"{bare[:5]}-{bare[5:]}"):
            return cls("reference", f"{bare[:5]}-{bare[5:]}")
        if codes and is_case_code(bare):
            return cls("code", bare)
        return None


class TooManyLookups(Exception):
    """The client's limit is spent: ``wait`` seconds until its window ends."""

    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


def opened_by(cases: list[StatusFacts], keys: Keys, entered: str, pin: str) -> StatusFacts | None:
    """The case this PIN opens, hashing once per candidate (once against a stand-in when none)."""
    stand_in = not cases
    if stand_in:
        cases = [StatusFacts.model_validate(_STAND_IN)]
    opened = None
    for case in cases:
        given = pin_hash(keys, entered if stand_in else case.original_reference or case.reference, pin)
        if case.pin_hash and hmac.compare_digest(case.pin_hash, given) and opened is None:
            opened = case
    return None if stand_in else opened


def opened_by_code(
    cases: list[StatusFacts], live: dict[str, str], keys: Keys, code: str
) -> tuple[StatusFacts, str] | None:
    """The case this one-time code opens and the stored hash it matched, hashing once per candidate
    (once against a stand-in when none), like :func:`opened_by`."""
    candidates: list[tuple[str, StatusFacts | None]] = [(c.case_id, c) for c in cases if c.case_id]
    candidates = candidates or [(_STAND_IN_ID, None)]
    opened = None
    for case_id, case in candidates:
        stored = live.get(case_id, NO_CODE)
        if hmac.compare_digest(stored, code_hash(keys, case_id, code)) and opened is None and case:
            opened = (case, stored)
    return opened


_STAND_IN_ID = "stand-in"


@dataclass(frozen=True)
class PinGate:
    """The status lookup's limit, lock and constant-time PIN check on the router's stores."""

    cases: CaseStore
    attempts: StatusAttempts
    rates: RateStore
    limit: Limit
    keys: Keys
    clock: Clock
    codes: SignInCodes

    async def open(self, client: str, entered: Entered | None, pin: str) -> StatusFacts | None:
        """:meth:`admit` the client, then :meth:`check` the PIN."""
        await self.admit(client)
        return await self.check(entered, pin)

    async def admit(self, client: str) -> None:
        """Count one lookup against the client's limit; :class:`TooManyLookups` when it is spent.

        The status API counts a request before it reads the body, so that malformed ones count too.
        """
        wait = await self.rates.hit(self.limit, client)
        if wait is not None:
            raise TooManyLookups(wait)

    async def check(self, entered: Entered | None, pin: str) -> StatusFacts | None:
        """The case ``entered`` and ``pin`` open, or None (wrong, unknown and locked alike).

        Text that is neither a reference nor a code (``None``) opens nothing and is not counted
        against any case: its pattern is public, there is nothing to hide and nothing to lock.
        """
        if entered is None:
            return None
        now = self.clock()
        locked = await self.attempts.locked(entered.value, now)
        candidates = await self.candidates(entered)
        opened = opened_by(candidates, self.keys, entered.value, _SEPARATORS.sub("", pin))
        return await self._settle(entered, opened, locked=locked, now=now)

    async def check_code(self, entered: Entered | None, code: str) -> StatusFacts | None:
        """The case a one-time sign-in code opens, or None (wrong, expired, spent, unknown and locked
        alike): the lock and the candidates as for a PIN, one read of their live codes, one keyed
        hash per candidate, and one write to the codes besides the attempts."""
        if entered is None:
            return None
        now = self.clock()
        locked = await self.attempts.locked(entered.value, now)
        candidates = await self.candidates(entered)
        ids = [case.case_id for case in candidates if case.case_id] or [_STAND_IN_ID]
        live = await self.codes.live(ids, now)
        matched = opened_by_code(candidates, live, self.keys, _SEPARATORS.sub("", code))
        opened = None
        if matched is not None and not locked:
            case, hashed = matched
            opened = case if case.case_id and await self.codes.use(case.case_id, hashed, now) else None
        else:
            await self.codes.failed(ids)
        return await self._settle(entered, opened, locked=locked, now=now)

    async def candidates(self, entered: Entered) -> list[StatusFacts]:
        """The cases a reference or a code may name (a code: every case whose reference starts with it)."""
        if entered.kind == "reference":
            return await self.cases.for_status(entered.value)
        return await self.cases.for_status_code(entered.value)

    async def _settle(
        self, entered: Entered, opened: StatusFacts | None, *, locked: bool, now: datetime
    ) -> StatusFacts | None:
        """Count the attempt against what was entered: refused while locked, else success or failure."""
        if locked:
            await self.attempts.refused(entered.value, now)
            return None
        if opened is not None:
            await self.attempts.succeeded(entered.value, now)
            return opened
        lockout = await self.attempts.failed(entered.value, now)
        if lockout is not None:
            minutes = int((lockout.locked_until - now).total_seconds() // 60)
            log.warning(
                "status_reference_locked", reference=entered.value, locks=lockout.locks, minutes=minutes
            )
        return None


def pin_gate(app: web.Application) -> PinGate:
    """The gate on the stores the composition root opened (both edges build it the same way)."""
    return PinGate(
        cases=app[CASES],
        attempts=app[STATUS_ATTEMPTS],
        rates=app[RATES],
        limit=app[STATUS_LIMIT],
        keys=app[PRIVACY_KEYS],
        clock=app[CLOCK],
        codes=app[SIGN_IN_CODES],
    )
