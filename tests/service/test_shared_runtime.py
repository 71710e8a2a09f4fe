"""The cycle collector settings every service process runs with."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.listen import ConnectionLimits
from shared.serving import COLLECT_EVERY, prepare_service, serve_until_stopped, tune_collector
from shared.settings import Settings
from tests.servers import ServiceServer


@pytest.fixture
def collector() -> Iterator[None]:
    """Python's default threshold and nothing frozen during the test; the threshold back afterwards."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, *threshold[1:])
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_tuned_collector_runs_less_often_and_has_frozen_what_was_built(collector: None) -> None:
    tune_collector()
    assert gc.get_threshold()[0] == COLLECT_EVERY
    assert gc.get_freeze_count() > 0


async def test_a_service_tunes_the_collector_once_the_app_has_started(
    collector: None, settings: Settings
) -> None:
    opened = []

    async def open_resources(_: web.Application) -> Any:
        opened.append(gc.get_freeze_count())  # the runtime opens before the collector is tuned
        yield

    def create_app(_: Any) -> web.Application:
        app = web.Application()
        app.cleanup_ctx.append(open_resources)
        return app

    async with TestClient(ServiceServer(prepare_service(create_app, settings))):
        assert opened == [0]
        assert gc.get_threshold()[0] == COLLECT_EVERY
        assert gc.get_freeze_count() > 0


async def test_a_lone_service_listens_through_the_guarded_site_and_stops_cleanly(
    unused_tcp_port: int,
) -> None:
    """The listener of ``grievance serve X``: a head that never ends is closed after the bound, a
    normal request is served, and the stop ends it (as SIGTERM does)."""
    import asyncio

    import aiohttp

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    stop = asyncio.Event()
    limits = ConnectionLimits(header_timeout=0.5)
    serving = asyncio.create_task(
        serve_until_stopped(app, "127.0.0.1", unused_tcp_port, limits=limits, stop=stop)
    )
    for _ in range(100):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", unused_tcp_port)
            break
        except OSError:
            await asyncio.sleep(0.05)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
    assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the head bound
    writer.close()
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{unused_tcp_port}/healthz") as response,
    ):
        assert response.status == 200
    stop.set()
    await asyncio.wait_for(serving, 10)
