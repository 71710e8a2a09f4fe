"""The store-backed limits: every replica counts into one number, concurrent first hits included, and
no key is stored as given."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared.privacy import Keys
from shared.ratestore import Limit, RateStore, indexes
from shared.store import Database, ensure_indexes
from tests.fakes import FakeClock

MINUTE = Limit("test", 10, timedelta(minutes=1))


async def test_concurrent_hits_from_several_replicas_allow_exactly_the_limit(
    db: Database, keys: Keys
) -> None:
    clock = FakeClock()
    await ensure_indexes(db, indexes("rates"))
    replicas = [RateStore(db, "rates", keys, clock) for _ in range(3)]
    answers = await asyncio.gather(*(replicas[n % 3].hit(MINUTE, "198.51.100.9") for n in range(25)))
    assert sum(answer is None for answer in answers) == 10
    assert all(answer is None or 1 <= answer <= 60 for answer in answers)


async def test_a_new_window_starts_afresh_and_keys_are_kept_apart(db: Database, keys: Keys) -> None:
    clock = FakeClock()
    rates = RateStore(db, "rates", keys, clock)
    for _ in range(10):
        assert await rates.hit(MINUTE, "a") is None
    wait = await rates.hit(MINUTE, "a")
    assert wait is not None and wait == 60 - clock().second
    assert await rates.hit(MINUTE, "b") is None
    assert await rates.hit(Limit("other", 10, timedelta(minutes=1)), "a") is None
    clock.advance(minutes=1)
    assert await rates.hit(MINUTE, "a") is None
    stored = [doc async for doc in db["rates"].find({})]
    assert stored and not any(":a:" in doc["_id"] or ":b:" in doc["_id"] for doc in stored)
