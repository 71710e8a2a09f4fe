"""The operational endpoints: never on a public port, always on the operational listener.

Each service is built as the bootstrap builds it and served through real servers: the public one,
and the operational one that a lone service (:func:`shared.serving.serve_until_stopped`) or the
embedded run (one listener for the three) starts beside it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.bootstrap import SERVICES, Service, build_app, open_runtime
from shared.ops import create_ops_app, declare_health, start_ops
from shared.runtime import Runtime
from shared.serving import Ops, serve_until_stopped
from shared.settings import ConfigurationError
from tests.conftest import make_settings
from tests.servers import ServiceServer, ops_client

OPERATIONAL = ("/readyz", "/metrics")


@pytest.fixture
async def runtime() -> AsyncIterator[Runtime]:
    async with open_runtime(make_settings()) as opened:
        yield opened


@pytest.mark.parametrize("service", SERVICES)
async def test_the_public_port_answers_404_and_the_operational_one_answers(
    runtime: Runtime, service: Service
) -> None:
    app = build_app(service, runtime.settings, runtime)
    async with TestClient(ServiceServer(app)) as public, ops_client(app) as ops:
        for path in OPERATIONAL:
            response = await public.get(path)
            assert response.status == 404, f"{service} serves {path} on its public port"
            assert response.content_type == "application/problem+json"
        health = await public.get("/healthz")
        assert health.status == 200 and await health.json() == {"status": "ok"}  # alive, no more

        ready = await ops.get("/readyz")
        assert ready.status == 200
        assert await ready.json() == {"status": "ready", "checks": {"bus": True, "store": True}}
        metrics = await ops.get("/metrics")
        assert metrics.status == 200 and metrics.content_type == "text/plain"
        assert "# TYPE grievance_http_requests_total counter" in await metrics.text()
        assert (await ops.get("/healthz")).status == 200


async def test_one_listener_reports_every_service_of_the_process() -> None:
    """``serve all``: ready only when all three are; each service's answer is there to read."""
    failing = {"value": True}

    async def passes() -> bool:
        return True

    async def fails_when_told() -> bool:
        return failing["value"]

    apps: dict[str, web.Application] = {name: web.Application() for name in SERVICES}
    declare_health(apps["intake"], [("bus", passes), ("store", passes)])
    declare_health(apps["router"], [("bus", fails_when_told), ("store", passes)])
    declare_health(apps["escalation"], [("bus", passes), ("store", passes)])
    async with TestClient(ServiceServer(create_ops_app(apps))) as ops:
        body = await (await ops.get("/readyz")).json()
        assert body["status"] == "ready" and sorted(body["services"]) == sorted(SERVICES)
        failing["value"] = False
        response = await ops.get("/readyz")
        body = await response.json()
        assert response.status == 503 and body["checks"] == {"bus": False, "store": True}
        assert body["services"]["router"]["status"] == "not_ready"
        assert body["services"]["intake"]["status"] == "ready"


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


async def _get(session: aiohttp.ClientSession, url: str) -> int:
    async with session.get(url) as response:
        return response.status


async def test_a_lone_service_serves_its_operational_endpoints_on_their_own_listener(
    runtime: Runtime,
) -> None:
    """What ``python -m services.escalation`` runs: the public port and the loopback ops port."""
    public, ops = free_ports(2)
    app = build_app("escalation", runtime.settings, runtime)
    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_until_stopped(app, "127.0.0.1", public, stop=stop, ops=Ops("127.0.0.1", ops))
    )
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                await _get(session, f"http://127.0.0.1:{public}/healthz")
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
        for path in OPERATIONAL:
            assert await _get(session, f"http://127.0.0.1:{public}{path}") == 404
            assert await _get(session, f"http://127.0.0.1:{ops}{path}") == 200
    stop.set()
    await asyncio.wait_for(serving, 10)
    with pytest.raises(OSError):  # both listeners are gone
        await asyncio.open_connection("127.0.0.1", ops)


async def test_a_taken_operational_port_names_the_setting() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigurationError, match="GRIEVANCE_OPS_PORT"):
            await start_ops({}, "127.0.0.1", port)


async def test_no_port_no_listener() -> None:
    assert await start_ops({}, "127.0.0.1", None) is None


def test_the_operational_port_can_be_turned_off() -> None:
    assert make_settings(ops_port="off").ops_port is None
    assert make_settings(ops_port="9100").ops_port == 9100
