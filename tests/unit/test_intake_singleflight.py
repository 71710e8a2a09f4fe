"""The single-flight memory that makes a resent grievance publish once per process."""

from __future__ import annotations

import asyncio

import pytest

from services.intake.singleflight import SingleFlight


class FakeWork:
    """Counts runs; each run waits for the gate so tests control the interleaving."""

    def __init__(self, result: str = "done", fail: bool = False) -> None:
        self.runs = 0
        self.gate = asyncio.Event()
        self.result, self.fail = result, fail

    async def __call__(self) -> str:
        self.runs += 1
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("broker down")
        return self.result


async def test_concurrent_duplicates_share_one_run() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = FakeWork()
    waiters = [asyncio.ensure_future(flights.run("k", work)) for _ in range(5)]
    await asyncio.sleep(0)
    work.gate.set()
    assert await asyncio.gather(*waiters) == ["done"] * 5
    assert work.runs == 1
    assert await flights.run("k", work) == "done"
    assert work.runs == 1


async def test_a_failure_reaches_every_waiter_and_is_not_remembered() -> None:
    flights: SingleFlight[str] = SingleFlight()
    failing = FakeWork(fail=True)
    waiters = [asyncio.ensure_future(flights.run("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    failing.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) for r in results)
    assert len(flights) == 0
    working = FakeWork()
    working.gate.set()
    assert await flights.run("k", working) == "done"
    assert working.runs == 1


async def test_a_cancelled_duplicate_does_not_cancel_the_shared_run() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = FakeWork()
    first = asyncio.ensure_future(flights.run("k", work))
    second = asyncio.ensure_future(flights.run("k", work))
    await asyncio.sleep(0)
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    work.gate.set()
    assert await first == "done"
    assert work.runs == 1


async def test_a_duplicate_takes_over_when_the_running_caller_is_cancelled() -> None:
    flights: SingleFlight[str] = SingleFlight()
    work = FakeWork()
    first = asyncio.ensure_future(flights.run("k", work))
    second = asyncio.ensure_future(flights.run("k", work))
    third = asyncio.ensure_future(flights.run("k", work))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    work.gate.set()
    assert list(await asyncio.gather(second, third)) == ["done", "done"]
    assert work.runs == 2  # the cancelled run, then one run for both duplicates
    assert await flights.run("k", work) == "done"
    assert work.runs == 2


async def test_memory_is_bounded_oldest_first() -> None:
    flights: SingleFlight[str] = SingleFlight(capacity=2)
    for key in ("a", "b", "c"):
        work = FakeWork(result=key)
        work.gate.set()
        await flights.run(key, work)
    assert len(flights) == 2
    again = FakeWork(result="a again")
    again.gate.set()
    assert await flights.run("a", again) == "a again"
    remembered = FakeWork(result="c again")
    assert await flights.run("c", remembered) == "c"
    assert remembered.runs == 0
