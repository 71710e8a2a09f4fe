"""The public status lookup under attack: the PIN in the body, the lock per reference (shared by the
store), the per-client limit behind the trusted proxy, answers that do not tell a wrong PIN, an
unknown reference and a locked one apart, and the lockouts the NGO sees."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from services.router import pin_gate
from shared.ids import reference_for
from shared.privacy import PIN_DIGITS, pin_for, pin_hash
from shared.runtime import Runtime
from tests.fakes import FakeClock, memory_bus_of
from tests.service.router_support import RouterClient, bearer, committee_tokens, grievance, serve

UNKNOWN = "ABCDE-FGHJK"


def runtime_with(runtime: Runtime, **changes: Any) -> Runtime:
    settings = runtime.settings.model_copy(update={"trusted_proxies": "127.0.0.1", **changes})
    return Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)


async def web_case(runtime: Runtime, factory: str = "GZ-001") -> tuple[str, str]:
    """A web grievance's reference and PIN, its case stored by the router."""
    event = grievance(
        runtime.keys, "加班没有加班费", channel="web", to=None, factory_hint=factory, phone=None
    )
    pin = pin_for(runtime.keys, str(event.grievance_id))
    reference = reference_for(event.grievance_id)
    await runtime.bus.publish(event.model_copy(update={"pin_hash": pin_hash(runtime.keys, reference, pin)}))
    await memory_bus_of(runtime).drain()
    return reference, pin


async def look(
    client: RouterClient, reference: str, pin: str, address: str = "198.51.100.1"
) -> tuple[int, Any]:
    response = await client.post(
        f"/api/v1/status/{reference}", json={"pin": pin}, headers={"X-Forwarded-For": address}
    )
    return response.status, await response.json(content_type=None)


def wrong(pin: str, n: int) -> str:
    return f"{(int(pin) + 1 + n) % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


async def test_the_pin_travels_in_the_body_and_opens_the_status(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        assert len(pin) == PIN_DIGITS >= 8
        status, body = await look(client, reference.lower(), pin[:3] + " " + pin[3:])
        assert status == 200
        assert body["reference"] == reference and body["status"] == "assigned"
        assert body["with_independent_organisation"] is False and body["overdue"] is None
        # No way to send the PIN in the URL: the lookup is a POST, and a query is not read.
        assert (await client.get(f"/api/v1/status/{reference}?pin={pin}")).status == 405
        response = await client.post(f"/api/v1/status/{reference}?pin={pin}", json={})
        assert response.status == 422


async def test_wrong_unknown_and_locked_are_one_answer(runtime: Runtime) -> None:
    await committee_tokens(runtime)
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        wrong_pin = await look(client, reference, wrong(pin, 0))
        unknown = await look(client, UNKNOWN, pin)
        assert wrong_pin[0] == unknown[0] == 404 and wrong_pin[1] == unknown[1]
        for n in range(1, 5):
            assert (await look(client, reference, wrong(pin, n)))[0] == 404
        locked = await look(client, reference, pin)  # the fifth wrong PIN locked it: the right one too
        assert locked == wrong_pin
        zh = await client.post(f"/api/v1/status/{UNKNOWN}", json={"pin": pin, "language": "zh"})
        assert zh.status == 404 and "密码" in (await zh.json(content_type=None))["detail"]


async def test_known_and_unknown_references_cost_the_same_work(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Known and unknown, locked by now or not, and wrong: the same answer after the same work (one
    PIN hash each, against a stand-in when no case matches), so the time tells nothing. Time itself
    is not asserted here: tests never time (bench/ does)."""
    hashed: list[str] = []
    real = pin_hash  # the one pin_gate hashes with

    def counting(*args: Any) -> str:
        hashed.append("hash")
        return real(*args)

    monkeypatch.setattr(pin_gate, "pin_hash", counting)
    await committee_tokens(runtime)
    async with serve(runtime_with(runtime, status_rate_limit=1000)) as client:
        reference, pin = await web_case(runtime)
        answers: dict[str, set[tuple[int, str]]] = {"known": set(), "unknown": set()}
        for n in range(12):  # past the lock of both references after five
            for kind, ref in (("known", reference), ("unknown", UNKNOWN)):
                hashed.clear()
                status, body = await look(client, ref, wrong(pin, n))
                answers[kind].add((status, body["detail"]))
                assert len(hashed) == 1, (kind, n)
        assert answers["known"] == answers["unknown"] and len(answers["known"]) == 1


async def test_twenty_addresses_of_thirty_guesses_never_open_a_status(
    runtime: Runtime, clock: FakeClock
) -> None:
    tokens = await committee_tokens(runtime)
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        statuses = []
        for address in range(20):
            for guess in range(29):
                statuses.append((await look(client, reference, wrong(pin, guess), f"203.0.113.{address}"))[0])
            # Every address tries the right PIN too, at its 30th guess.
            statuses.append((await look(client, reference, pin, f"203.0.113.{address}"))[0])
        assert len(statuses) == 600 and set(statuses) == {404}
        response = await client.get("/api/v1/status-lockouts", headers=bearer(tokens["ngo"]))
        (lockout,) = (await response.json())["items"]
        assert lockout["reference"] == reference and lockout["factory_id"] == "GZ-001"
        assert lockout["locks"] == 1 and lockout["locked_now"] is True
        assert lockout["refused_while_locked"] == 595
        # The worker opens the case once the lock is over; guessing during it did not lengthen it.
        clock.advance(minutes=15, seconds=1)
        assert (await look(client, reference, pin, "198.51.100.77"))[0] == 200


async def test_the_lock_grows_with_each_lockout(runtime: Runtime, clock: FakeClock) -> None:
    await committee_tokens(runtime)
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        for minutes in (15, 30, 60):
            for n in range(5):
                assert (await look(client, reference, wrong(pin, n)))[0] == 404
            clock.advance(minutes=minutes - 1)
            assert (await look(client, reference, pin))[0] == 404
            clock.advance(minutes=1, seconds=1)
        assert (await look(client, reference, pin))[0] == 200


async def test_guessing_through_the_proxy_blocks_neither_the_proxy_nor_other_workers(
    runtime: Runtime,
) -> None:
    await committee_tokens(runtime)
    async with serve(runtime_with(runtime, status_rate_limit=30)) as client:
        attacked, _ = await web_case(runtime)
        reference, pin = await web_case(runtime)
        guesses = [(await look(client, attacked, f"{n:010d}", "203.0.113.66"))[0] for n in range(40)]
        assert guesses[:30] == [404] * 30 and set(guesses[30:]) == {429}
        # Another worker behind the same proxy has a limit of their own, and their own reference.
        assert (await look(client, reference, pin, "203.0.113.67"))[0] == 200


async def test_only_the_ngo_sees_lockouts_within_its_scope(runtime: Runtime) -> None:
    from shared.auth import issue_token

    tokens = await committee_tokens(runtime)
    elsewhere, _ = await issue_token(runtime.db, "ngo", factories=["DG-002"])
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        for n in range(5):
            await look(client, reference, wrong(pin, n))
            await look(client, UNKNOWN, wrong(pin, n))
        everyone = await (await client.get("/api/v1/status-lockouts", headers=bearer(tokens["ngo"]))).json()
        assert [item["reference"] for item in everyone["items"]] == [reference]
        assert everyone["references_without_case"] == 1
        scoped = await (await client.get("/api/v1/status-lockouts", headers=bearer(elsewhere))).json()
        assert scoped == {"items": []}
        committee = await client.get("/api/v1/status-lockouts", headers=bearer(tokens["gz-001-spt"]))
        assert committee.status == 403
        assert (await client.get("/api/v1/status-lockouts")).status == 401
        bad = await client.get("/api/v1/status-lockouts?limit=0", headers=bearer(tokens["ngo"]))
        assert bad.status == 422


@pytest.mark.parametrize("body", [{"pin": 1234567890}, {"pin": ""}, {"pin": "1" * 33}, {"code": "1"}])
async def test_a_malformed_body_is_a_422(runtime: Runtime, body: dict[str, Any]) -> None:
    async with serve(runtime_with(runtime)) as client:
        response = await client.post(f"/api/v1/status/{UNKNOWN}", json=body)
        assert response.status == 422


async def test_a_burst_of_guesses_locks_once_and_no_longer(runtime: Runtime, clock: FakeClock) -> None:
    """Twenty guesses at once, each read "not locked" before any was counted: one lock of 15 minutes."""
    tokens = await committee_tokens(runtime)
    async with serve(runtime_with(runtime)) as client:
        reference, pin = await web_case(runtime)
        burst = [look(client, reference, wrong(pin, n), f"203.0.113.{n}") for n in range(20)]
        assert {status for status, _ in await asyncio.gather(*burst)} == {404}
        response = await client.get("/api/v1/status-lockouts", headers=bearer(tokens["ngo"]))
        (lockout,) = (await response.json())["items"]
        # However the twenty interleave (counted before the lock, or refused after it), one lock.
        assert lockout["locks"] == 1
        clock.advance(minutes=14)
        assert (await look(client, reference, pin))[0] == 404
        clock.advance(minutes=1, seconds=1)
        assert (await look(client, reference, pin))[0] == 200
