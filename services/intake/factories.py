"""Whether a web form names a factory of the registry, so that a typo gets an answer at once.

The registry lives in the router's ``factories`` collection, loaded by ``grievance registry load`` or
the admin API into the database every service shares. Intake reads only the factory codes from it
(:func:`services.intake.store.factory_codes`), a few hundred strings, and keeps them for
:data:`FRESH` seconds; a code it does not know makes it read again (at most once a second), so a
factory just added is known within a second. Should the store not answer, the form is taken all the
same: the router routes it or leaves it to the NGO as unroutable, which loses nothing.
"""

from __future__ import annotations

import time

import structlog

from services.intake import store
from shared.store import Database, PyMongoError

log = structlog.get_logger(__name__)

FRESH = 30.0
RETRY_MISS = 1.0


class FactoryCodes:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._codes: set[str] = set()
        self._read_at: float | None = None

    async def known(self, code: str) -> bool:
        """Whether ``code`` (case-insensitive) is a factory of the registry; True when unsure."""
        folded = code.casefold()
        age = None if self._read_at is None else time.monotonic() - self._read_at
        if age is not None and age < FRESH and folded in self._codes:
            return True
        if age is None or age >= RETRY_MISS:
            try:
                self._codes = await store.factory_codes(self._db)
            except PyMongoError:
                log.warning("factory_codes_unreadable")
                return True
            self._read_at = time.monotonic()
        return folded in self._codes
