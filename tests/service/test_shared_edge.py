"""The per-client bound behind the reverse proxy: the proxy's connections are not capped by the
listener, so each client it names may hold only its bound of requests at once. Raw sockets on
loopback play the proxy, each upload sent slowly as a slow client's would be passed on."""

from __future__ import annotations

import asyncio
import ipaddress
import json
from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from aiohttp import web

from shared.bodies import read_text_body
from shared.edge import edge_middlewares
from shared.forwarded import Network
from shared.listen import ConnectionLimits, GuardedSite, runner_options
from shared.web import RUNNER_OPTIONS, json_response, new_app
from tests.polling import eventually
from tests.service.test_shared_listen import SLACK, closed_within, connect

PROXY = (ipaddress.ip_network("127.0.0.1/32"),)
BOUND = 4
LIMITS = ConnectionLimits(
    header_timeout=0.5,
    body_timeout=1.0,
    keepalive_timeout=1.0,
    lingering_time=0.3,
    per_client=BOUND,
    unbounded=PROXY,
)


async def echo_length(request: web.Request) -> web.Response:
    return json_response({"length": len(await read_text_body(request))})


async def serve(trusted: Sequence[Network]) -> tuple[web.AppRunner, GuardedSite]:
    app = new_app("test", middlewares=edge_middlewares(trusted, BOUND), body_timeout=LIMITS.body_timeout)
    app.router.add_post("/echo", echo_length)
    runner = web.AppRunner(app, **{**RUNNER_OPTIONS, **runner_options(LIMITS)})
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, limits=LIMITS)
    await site.start()
    return runner, site


@pytest.fixture
async def proxied() -> AsyncIterator[GuardedSite]:
    runner, site = await serve(PROXY)
    yield site
    await runner.cleanup()


async def slow_upload(site: GuardedSite, client: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A request whose head names ``client`` and whose body has only begun to arrive."""
    reader, writer = await connect(site)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n"
        + f"X-Forwarded-For: {client}\r\n\r\n".encode()
        + b"x" * 10
    )
    await writer.drain()
    return reader, writer


async def post(
    site: GuardedSite, client: str, accept_language: str | None = None
) -> tuple[int, dict[str, object], str]:
    headers = {"X-Forwarded-For": client}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{site.port}/echo", data="hello", headers=headers) as response,
    ):
        return response.status, json.loads(await response.text()), response.headers.get("Retry-After", "")


async def test_a_client_behind_the_proxy_holds_at_most_its_bound_and_others_are_served(
    proxied: GuardedSite,
) -> None:
    held = [await slow_upload(proxied, "198.51.100.7") for _ in range(BOUND)]
    await asyncio.sleep(0.1)  # every head read, every handler waiting for its body
    status, body, retry_after = await post(proxied, "198.51.100.7")
    assert (status, body["status"], retry_after) == (429, 429, "1")
    assert "at most 4 requests at once" in str(body["detail"])
    assert (await post(proxied, "198.51.100.8"))[:2] == (200, {"length": 5})  # another client, same proxy
    for reader, writer in held:  # the body timeout ends each slow upload, and frees its place
        answer = await closed_within(reader, LIMITS.body_timeout + LIMITS.lingering_time + SLACK)
        assert answer.startswith(b"HTTP/1.1 408 ")
        writer.close()
    assert (await post(proxied, "198.51.100.7"))[:2] == (200, {"length": 5})


@pytest.mark.parametrize(
    ("accept_language", "detail"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "同一地址同时最多只能有 4 个请求，请稍后再试。"),
        ("en-GB,zh;q=0.5", "at most 4 requests at once from one address"),
        (None, "at most 4 requests at once from one address"),
    ],
)
async def test_the_refusal_is_in_the_language_the_client_prefers(
    proxied: GuardedSite, accept_language: str | None, detail: str
) -> None:
    held = [await slow_upload(proxied, "198.51.100.9") for _ in range(BOUND)]
    await asyncio.sleep(0.1)
    try:
        status, body, _ = await post(proxied, "198.51.100.9", accept_language)
        assert (status, body["title"], body["detail"]) == (429, "Too Many Requests", detail)
    finally:
        for _, writer in held:
            writer.close()


async def test_the_count_follows_requests_in_progress_not_requests_made(proxied: GuardedSite) -> None:
    for _ in range(3 * BOUND):
        assert (await post(proxied, "198.51.100.7"))[0] == 200


async def test_without_a_trusted_proxy_the_header_names_no_one() -> None:
    """A client that writes X-Forwarded-For itself is counted as the address it comes from."""
    runner, site = await serve(())
    try:
        held = [await slow_upload(site, f"198.51.100.{n}") for n in range(BOUND)]
        await eventually(lambda: site.clients.open["127.0.0.1"] == BOUND, seconds=SLACK)
        await asyncio.sleep(0.1)
        assert (await post(site, "198.51.100.99"))[0] == 429
        for _, writer in held:
            writer.close()
    finally:
        await runner.cleanup()


async def test_the_proxys_own_requests_are_not_counted(proxied: GuardedSite) -> None:
    """A request from the trusted proxy that names no client is the proxy's own (it carries
    everyone's, as the listener's uncounted connections do): the bound is for the clients it names."""
    held = []
    for _ in range(BOUND + 2):
        _, writer = await connect(proxied)
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n"
            + b"x" * 10
        )
        await writer.drain()
        held.append(writer)
    await asyncio.sleep(0.1)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{proxied.port}/echo", data="hi") as r,
    ):
        assert r.status == 200
    for writer in held:
        writer.close()
