"""The README's run command as a real process: three services, one runtime, driven over HTTP."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from services.cli.demo import scenario
from shared.invocation import grievance_command
from tests.fakes import find_leaks, sensitive
from tests.polling import eventually

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "examples" / "registry.yaml"
STARTUP_DEADLINE = 30.0
for grievance in scenario.GRIEVANCES:  # the demo's workers' words, which no log line may hold
    sensitive(grievance.text)


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on right now (held open together so they differ)."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


@dataclass
class EmbeddedRun:
    process: subprocess.Popen[str]
    urls: dict[str, str]
    tokens_file: Path
    stderr_file: Path
    stdout_file: Path
    admin_url: str
    ops_url: str

    @property
    def tokens(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.tokens_file.read_text(encoding="utf-8"))
        return loaded

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not end in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(timeout=15)

    def banner(self) -> str:
        return self.stdout_file.read_text(encoding="utf-8")

    def log(self) -> str:
        return self.stderr_file.read_text(encoding="utf-8", errors="replace")


def start_embedded(
    tmp_path: Path, *extra: str, log_format: str | None = "json", here: bool = False, **settings: str
) -> EmbeddedRun:
    """Start ``grievance serve all`` on free ports with the example registry.

    With ``log_format=None`` the run chooses its log itself, as it does in a newcomer's terminal.
    With ``here`` it starts in ``tmp_path``, a folder of its own as a newcomer's may be, with a copy
    of the registry under another name than the demo's default, and both files named relative to it.
    ``settings``: more ``GRIEVANCE_*`` variables, by field name (``status_rate_limit="5"``).
    """
    intake, router, escalation, admin, ops = free_ports(5)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")},
        "GRIEVANCE_INTAKE_PORT": str(intake),
        "GRIEVANCE_ROUTER_PORT": str(router),
        "GRIEVANCE_ESCALATION_PORT": str(escalation),
        "GRIEVANCE_ADMIN_PORT": str(admin),
        "GRIEVANCE_OPS_PORT": str(ops),
    }
    env.update({f"GRIEVANCE_{name.upper()}": value for name, value in settings.items()})
    if log_format is not None:
        env["GRIEVANCE_LOG_FORMAT"] = log_format
    tokens_file = tmp_path / "tokens.json"
    stderr_file = tmp_path / "serve.log"
    stdout_file = tmp_path / "serve.out"
    registry, tokens_out, cwd = str(REGISTRY), str(tokens_file), ROOT
    if here:
        shutil.copyfile(REGISTRY, tmp_path / "factories.yaml")
        registry, tokens_out, cwd = "factories.yaml", tokens_file.name, tmp_path
    command = [sys.executable, "-m", "services.cli", "serve", "all", "--registry", registry]
    command += ["--tokens-out", tokens_out, *extra]
    with stderr_file.open("w", encoding="utf-8") as stderr, stdout_file.open("w", encoding="utf-8") as stdout:
        # The command line is this test's own, no outside input.
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr, text=True)  # noqa: S603
    urls = {
        name: f"http://127.0.0.1:{port}"
        for name, port in (("intake", intake), ("router", router), ("escalation", escalation))
    }
    return EmbeddedRun(
        process,
        urls,
        tokens_file,
        stderr_file,
        stdout_file,
        f"http://127.0.0.1:{admin}",
        f"http://127.0.0.1:{ops}",
    )


@asynccontextmanager
async def embedded_run(
    tmp_path: Path, *extra: str, log_format: str | None = "json", here: bool = False
) -> AsyncIterator[EmbeddedRun]:
    """``grievance serve all`` ready on all three services, always stopped afterwards."""
    run = start_embedded(tmp_path, *extra, log_format=log_format, here=here)
    try:
        await wait_until_ready(run)
        yield run
    finally:
        run.stop()


async def wait_until_ready(run: EmbeddedRun) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while True:
            if run.process.poll() is not None:
                pytest.fail(f"serve all exited with {run.process.returncode}: {run.log()[-2000:]}")
            ready = False
            try:
                async with http.get(f"{run.ops_url}/readyz") as response:
                    ready = response.status == 200
            except aiohttp.ClientError:
                pass
            if ready and "Stop with Ctrl-C." in run.banner():
                return
            if time.monotonic() > deadline:
                pytest.fail(f"serve all not ready within {STARTUP_DEADLINE} s: {run.log()[-2000:]}")
            await asyncio.sleep(0.1)


def committee_ids() -> list[str]:
    registry = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    return [c["id"] for f in registry["factories"] for c in f.get("committees", [])]


async def test_serve_all_runs_three_services_and_routes_a_web_grievance(tmp_path: Path) -> None:
    text = sensitive("Overtime every Sunday and no overtime pay for three months.")
    async with embedded_run(tmp_path) as run, aiohttp.ClientSession() as http:
        for url in run.urls.values():
            async with http.get(f"{url}/healthz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok"}  # alive, and nothing more
            for path in ("/readyz", "/metrics"):
                async with http.get(f"{url}{path}") as response:
                    assert response.status == 404, f"{url}{path} is served on a public port"
        async with http.get(f"{run.ops_url}/readyz") as response:
            ready = await response.json()
            assert response.status == 200 and sorted(ready["services"]) == ["escalation", "intake", "router"]
        async with http.get(f"{run.ops_url}/metrics") as response:
            assert response.status == 200 and "grievance_http_requests_total" in await response.text()

        banner = run.banner()
        for url in run.urls.values():
            assert url in banner
        assert str(run.tokens_file) in banner and "curl -s -X POST" in banner
        assert stat.S_IMODE(run.tokens_file.stat().st_mode) == 0o600
        tokens = run.tokens
        assert sorted(tokens["committees"]) == sorted(committee_ids())
        assert all(
            t.startswith("gvt_") for t in [*tokens["committees"].values(), tokens["ngo"], tokens["admin"]]
        )
        assert tokens["urls"] == run.urls and tokens["ops_url"] == run.ops_url and run.ops_url in banner
        assert tokens["public_base_url"] == run.urls["intake"]

        body = {"factory_code": "GZ-001", "text": text, "language": "en"}
        async with http.post(f"{run.urls['intake']}/api/v1/grievances", json=body) as response:
            assert response.status == 202
            receipt = await response.json()
        # The receipt leads to the worker's case page, the reference filled in, never the PIN.
        assert receipt["status_url"] == f"{run.urls['router']}/case/?ref={receipt['reference']}"

        own = {"Authorization": f"Bearer {tokens['committees']['gz-001-spt']}"}
        case = await poll_case(http, run.urls["router"], receipt["reference"], own)
        assert (case["factory_id"], case["committee_id"], case["category"]) == (
            "GZ-001",
            "gz-001-spt",
            "wages",
        )

        other = {"Authorization": f"Bearer {tokens['committees']['dg-002-wages']}"}
        async with http.get(
            f"{run.urls['router']}/api/v1/cases/{receipt['reference']}", headers=other
        ) as response:
            assert response.status == 404
        ngo = {"Authorization": f"Bearer {tokens['ngo']}"}
        async with http.get(f"{run.urls['escalation']}/api/v1/escalations", headers=ngo) as response:
            assert response.status == 200

        async with http.get(receipt["status_url"]) as response:
            assert response.status == 200 and receipt["reference"] in await response.text()
        status_api = f"{run.urls['router']}/api/v1/status/{receipt['reference']}"
        async with http.post(status_api, json={"pin": receipt["pin"]}) as response:
            assert response.status == 200

        # The committee console the banner names: its sign-in page, in plain http on loopback.
        assert f"{run.urls['router']}/console/" in banner
        async with http.get(f"{run.urls['router']}/console/sign-in") as response:
            assert response.status == 200 and "Content-Security-Policy" in response.headers
            assert "Secure" not in response.headers["Set-Cookie"]
        # And the workers' web form, on intake's own address.
        assert f"{run.urls['intake']}/  workers file a grievance" in banner
        async with http.get(f"{run.urls['intake']}/") as response:
            assert response.status == 200 and 'name="token"' in await response.text()
            assert "Secure" not in response.headers["Set-Cookie"]

        assert run.stop() == 0
    log = run.log()
    assert "embedded_run_stopping" in log
    assert not find_leaks(log), "the embedded run logged personal data"


async def test_the_terminal_tells_the_story_in_plain_lines(tmp_path: Path) -> None:
    """The summary view: no line per request, but the case and its escalation, readably."""
    text = sensitive("车间的安全出口被锁住了，晚班的工人出不去")
    async with embedded_run(tmp_path, "--demo-sla", log_format=None) as run, aiohttp.ClientSession() as http:
        body = {"factory_code": "GZ-001", "text": text}
        async with http.post(f"{run.urls['intake']}/api/v1/grievances", json=body) as response:
            assert response.status == 202
            reference = (await response.json())["reference"]
        own = {"Authorization": f"Bearer {run.tokens['committees']['gz-001-spt']}"}
        await poll_case(http, run.urls["router"], reference, own)
        for _ in range(20):
            async with http.get(f"{run.urls['router']}/healthz"):
                pass
        await eventually(lambda: "escalated to the NGO: critical" in run.log(), seconds=10)
    log = run.log()
    # The case by the reference its committee and the NGO see, not by an internal id.
    assert f"case {reference} assigned to committee gz-001-spt: health_safety, critical" in log
    assert f"case {reference} escalated to the NGO: critical" in log
    assert "http_request" not in log and not [line for line in log.splitlines() if line.startswith("{")]
    assert not find_leaks(log), "the embedded run logged personal data"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """A ``grievance`` command in its own process, as a newcomer types it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    command = [sys.executable, "-m", "services.cli", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)  # noqa: S603


async def test_every_admin_command_works_against_the_embedded_run(tmp_path: Path) -> None:
    async with embedded_run(tmp_path) as run:
        remote = ("--tokens", str(run.tokens_file))
        assert run.tokens["admin_url"] == run.admin_url
        loaded = await asyncio.to_thread(cli, "registry", "load", str(REGISTRY), *remote)
        assert loaded.returncode == 0 and "committees_unchanged: 5" in loaded.stdout, loaded.stderr
        issued = await asyncio.to_thread(
            cli, "token", "issue", "--role", "committee", "--committee", "sz-003-spt", "--json", *remote
        )
        token = json.loads(issued.stdout)
        unknown = await asyncio.to_thread(
            cli, "token", "issue", "--role", "committee", "--committee", "sz-003-sp", *remote
        )
        assert unknown.returncode == 1 and unknown.stdout == "", unknown.stderr
        assert "committee sz-003-sp is not in the registry; the committees are: " in unknown.stderr
        listed = await asyncio.to_thread(cli, "token", "list", *remote)
        assert token["token_id"] in listed.stdout and token["token"] not in listed.stdout
        revoked = await asyncio.to_thread(cli, "token", "revoke", token["token_id"], *remote)
        assert revoked.returncode == 0
        letters = await asyncio.to_thread(cli, "dlq", "list", "router.grievances", *remote)
        assert letters.returncode == 0 and "no dead letters in router.grievances.dead" in letters.stdout
        without = await asyncio.to_thread(cli, "token", "list")
        assert without.returncode == 3 and "--tokens tokens.json" in without.stderr


async def pasted(line: str, folder: Path, seconds: float = 60) -> subprocess.CompletedProcess[str]:
    """A line of the banner pasted into bash in ``folder``, outside any ``GRIEVANCE_*`` setting."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIEVANCE_")}
    return await asyncio.to_thread(
        subprocess.run,
        ["bash", "-euo", "pipefail", "-c", line],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds,
        check=False,
    )


async def test_the_banners_commands_run_as_printed_in_the_folder_of_the_run(tmp_path: Path) -> None:
    """Started in a folder of its own, on a registry of another name than the demo's default: the
    admin line lists this run's tokens and the demo line plays the demo on it, both as printed."""
    async with embedded_run(tmp_path, "--demo-sla", here=True) as run:
        banner = run.banner()
        tried = [line.strip() for line in banner.split("Try it:", 1)[1].splitlines()]
        ours = [line for line in tried if line.startswith(grievance_command())]
        assert len(ours) == 2, banner
        listing = next(line for line in ours if " token list " in line)
        listed = await pasted(listing, tmp_path)
        assert listed.returncode == 0, f"{listing}\n{listed.stderr}"
        assert "admin" in listed.stdout and "gz-001-spt" in listed.stdout and "active" in listed.stdout
        assert run.tokens["admin"] not in listed.stdout
        demo = next(line for line in ours if " demo " in line)
        played = await pasted(demo, tmp_path, seconds=180)
        assert played.returncode == 0, f"{demo}\n{played.stdout[-3000:]}\n{played.stderr[-3000:]}"
        assert "Every expected outcome happened." in played.stdout
        assert run.stop() == 0
    assert not find_leaks(run.log()), "the embedded run logged personal data"


async def poll_case(
    http: aiohttp.ClientSession, router: str, reference: str, headers: dict[str, str]
) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while True:
        async with http.get(f"{router}/api/v1/cases/{reference}", headers=headers) as response:
            if response.status == 200:
                case: dict[str, Any] = await response.json()
                return case
        if time.monotonic() > deadline:
            pytest.fail(f"case {reference} never reached its committee")
        await asyncio.sleep(0.1)


async def test_a_taken_port_is_a_clear_configuration_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {
            **os.environ,
            "GRIEVANCE_ROUTER_PORT": str(port),
            "GRIEVANCE_INTAKE_PORT": str(free_ports(1)[0]),
        }
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "services.cli", "serve", "all"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port} for router" in result.stderr
    assert "GRIEVANCE_ROUTER_PORT" in result.stderr
