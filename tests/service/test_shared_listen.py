"""The listener's bounds against slow and greedy clients: raw sockets on loopback, bounded in count and
time. Each test gives the bounds a fraction of a second, so a connection that outlives its bound by
several times fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from shared.bodies import read_text_body
from shared.listen import LIMITS, ConnectionLimits, GuardedSite, runner_options
from shared.web import RUNNER_OPTIONS, json_response, new_app
from tests.polling import eventually

FAST = ConnectionLimits(
    header_timeout=0.5, body_timeout=0.5, keepalive_timeout=1.0, lingering_time=0.3, per_client=8
)
SLACK = 1.5  # seconds a closed connection may take to be noticed on a loaded two-core machine


async def echo_length(request: web.Request) -> web.Response:
    return json_response({"length": len(await read_text_body(request))})


async def ping(_: web.Request) -> web.Response:
    return json_response({"ok": True})


@pytest.fixture
async def site() -> AsyncIterator[GuardedSite]:
    app = new_app("test", body_timeout=FAST.body_timeout)
    app.router.add_post("/echo", echo_length)
    app.router.add_get("/ping", ping)
    runner = web.AppRunner(app, **{**RUNNER_OPTIONS, **runner_options(FAST)})
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, limits=FAST)
    await site.start()
    yield site
    await runner.cleanup()


async def connect(site: GuardedSite) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", site.port)


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """Everything the server sent until it closed (or reset) the connection; fails if it is still
    open after ``seconds``."""
    received = b""
    async with asyncio.timeout(seconds):
        try:
            while chunk := await reader.read(65536):
                received += chunk
        except ConnectionError:
            pass
    return received


async def served(site: GuardedSite) -> bool:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{site.port}/ping") as response,
    ):
        return response.status == 200


async def test_connections_holding_half_a_head_are_closed_and_others_still_served(site: GuardedSite) -> None:
    started = time.monotonic()
    # Spread over fewer clients than the per-client bound would refuse: the head timeout closes them.
    held = [await connect(site) for _ in range(FAST.per_client - 1)]
    for _, writer in held:
        writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Le")
        await writer.drain()
    assert await served(site)  # the last slot: a normal client is served while they hang
    for reader, writer in held:
        assert await closed_within(reader, FAST.header_timeout + SLACK) == b""
        writer.close()
    assert time.monotonic() - started < FAST.header_timeout + SLACK
    assert await served(site)


async def test_a_head_dribbled_a_byte_at_a_time_is_closed_at_the_head_timeout(site: GuardedSite) -> None:
    reader, writer = await connect(site)
    started = time.monotonic()
    head = b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    with pytest.raises((ConnectionError, TimeoutError)):  # noqa: PT012 - whichever write or read fails
        async with asyncio.timeout(FAST.header_timeout + SLACK):
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(0.02)
    assert await closed_within(reader, SLACK) == b""
    assert time.monotonic() - started < FAST.header_timeout + SLACK
    writer.close()


async def test_a_slow_body_gets_408_and_the_connection_closes(site: GuardedSite) -> None:
    reader, writer = await connect(site)
    started = time.monotonic()
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
    writer.write(b"x" * 10)
    await writer.drain()
    answer = await closed_within(reader, FAST.body_timeout + FAST.lingering_time + SLACK)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"application/problem+json" in answer
    assert time.monotonic() - started < FAST.body_timeout + FAST.lingering_time + SLACK
    writer.close()
    assert await served(site)


async def test_an_idle_keep_alive_connection_and_a_dribbled_second_head_are_closed(site: GuardedSite) -> None:
    for second_head in (b"", b"GET /ping HTTP/1.1\r\nHo"):
        reader, writer = await connect(site)
        writer.write(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n" + second_head)
        await writer.drain()
        started = time.monotonic()
        answer = await closed_within(reader, FAST.keepalive_timeout + SLACK)
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert time.monotonic() - started < FAST.keepalive_timeout + SLACK
        writer.close()


async def test_one_client_gets_at_most_its_bound_of_connections(site: GuardedSite) -> None:
    held = [await connect(site) for _ in range(FAST.per_client)]
    extra = [await connect(site) for _ in range(3)]
    for reader, writer in extra:  # refused on arrival, long before any timeout
        assert await closed_within(reader, FAST.header_timeout / 2) == b""
        writer.close()
    assert site.clients.open["127.0.0.1"] == FAST.per_client
    for _, writer in held:
        writer.close()
        await writer.wait_closed()
    await eventually(lambda: not site.clients.open, seconds=SLACK)
    assert await served(site)


async def test_a_trusted_proxy_is_not_bound_by_the_per_client_cap() -> None:
    """Behind the reverse proxy every worker's request comes from its address: a cap on it would
    refuse the 65th worker at once (the proxy bounds its upstream connections itself)."""
    import ipaddress

    proxied = ConnectionLimits(
        header_timeout=0.5, per_client=2, unbounded=(ipaddress.ip_network("127.0.0.1/32"),)
    )
    app = new_app("test")
    app.router.add_get("/ping", ping)
    runner = web.AppRunner(app, **RUNNER_OPTIONS)
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, limits=proxied)
    await site.start()
    try:
        held = [await connect(site) for _ in range(5)]
        await eventually(lambda: site.clients.open["127.0.0.1"] == 5, seconds=SLACK)
        assert await served(site)
        for _, writer in held:
            writer.close()
    finally:
        await runner.cleanup()
    assert proxied.bounds("10.1.2.3") and not proxied.bounds("127.0.0.1")


def test_every_runner_gets_the_bounds_and_they_are_the_documented_ones() -> None:
    assert RUNNER_OPTIONS["keepalive_timeout"] == LIMITS.keepalive_timeout == 75.0
    assert RUNNER_OPTIONS["lingering_time"] == LIMITS.lingering_time == 5.0
    assert (LIMITS.header_timeout, LIMITS.body_timeout, LIMITS.per_client) == (10.0, 30.0, 64)
