"""The Caddyfile of docker-compose.yml, served by a real Caddy in front of a recording upstream.

The sites listen on loopback over plain HTTP here (the compose stack gives them names and TLS); the
routes, limits and headers are the deployed file's. Skipped where Caddy is not installed
(``apt-get install caddy``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
pytestmark = pytest.mark.skipif(shutil.which("caddy") is None, reason="caddy is not installed")


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
    ports = {name: free_port() for name in ("INTAKE", "ROUTER", "ESCALATION")}
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ACME_EMAIL": "ops@example.org",
        "CADDY_ADMIN": "off",
        **{f"{name}_HOST": f"http://127.0.0.1:{port}" for name, port in ports.items()},
        **{f"{name}_UPSTREAM": f"127.0.0.1:{upstream.port}" for name in ports},
    }
    with (tmp_path / "caddy.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            "caddy",
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
        recorded.urls = {name.lower(): f"http://127.0.0.1:{port}" for name, port in ports.items()}
        yield recorded
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
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
        "caddy",
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
