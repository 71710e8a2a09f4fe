"""What a failed exchange with a provider says about delivery: not sent, or perhaps sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from services.intake.channels.delivery import TransientDeliveryError
from services.intake.channels.provider_http import AmbiguousDeliveryError, ProviderRequest, exchange
from tests.servers import ServiceServer


async def slow(_: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.json_response({})


async def bad_gateway(_: web.Request) -> web.Response:
    return web.Response(status=502, text="upstream gone")


async def not_json(_: web.Request) -> web.Response:
    return web.Response(text="<html>ok</html>")


async def json_array(_: web.Request) -> web.Response:
    return web.json_response([1, 2])


@pytest.fixture
async def server() -> AsyncIterator[ServiceServer]:
    app = web.Application()
    app.router.add_post("/slow", slow)
    app.router.add_post("/502", bad_gateway)
    app.router.add_post("/html", not_json)
    app.router.add_post("/array", json_array)
    server = ServiceServer(app)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def post(server: ServiceServer, path: str) -> ProviderRequest:
    return ProviderRequest("POST", str(server.make_url(path)), {}, b"{}")


async def test_a_timeout_after_sending_is_ambiguous(
    server: ServiceServer, session: aiohttp.ClientSession
) -> None:
    with pytest.raises(AmbiguousDeliveryError):
        await exchange(session, post(server, "/slow"), limits=aiohttp.ClientTimeout(total=0.2))


async def test_a_5xx_is_ambiguous(server: ServiceServer, session: aiohttp.ClientSession) -> None:
    with pytest.raises(AmbiguousDeliveryError) as raised:
        await exchange(session, post(server, "/502"))
    assert raised.value.args == ("http_502",)


async def test_no_connection_means_nothing_was_sent(session: aiohttp.ClientSession) -> None:
    app = web.Application()
    gone = ServiceServer(app)
    await gone.start_server()
    url = str(gone.make_url("/x"))
    await gone.close()
    with pytest.raises(TransientDeliveryError) as raised:
        await exchange(session, ProviderRequest("POST", url, {}, b""))
    assert not isinstance(raised.value, AmbiguousDeliveryError)


async def test_an_answer_that_is_not_a_json_object_reads_as_empty(
    server: ServiceServer, session: aiohttp.ClientSession
) -> None:
    for path in ("/html", "/array"):
        answer = await exchange(session, post(server, path))
        assert (answer.status, answer.payload) == (200, {})
