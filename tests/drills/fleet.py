"""The services of a drill as separate OS processes, configured as a deployment configures them.

Each replica is ``python -m services.<name>`` (which is ``grievance serve <name>``) with ``GRIEVANCE_*``
variables only: the private node's AMQP URL, the lane's MongoDB with the drill's own database, the
keys, the Twilio token, a port of its own and an operational port of its own (``/readyz``,
``/metrics``: never on the public port). Its log lines go to a file of its own, which the drill
reads afterwards (personal data, warnings) and keeps when the drill fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 45.0


class ServiceError(RuntimeError):
    """A service process did not start, did not become ready, or did not stop in time."""


PR_SET_PDEATHSIG = 1


def _die_with_the_drill() -> None:
    """Run in the child before it starts: if the drill's process dies first, the kernel kills the
    replica too (Linux), so an interrupted run leaves no service behind."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Exit:
    """How a replica ended when told to: the signal, how long it took, and its exit code."""

    replica: str
    how: str
    seconds: float
    code: int | None


@dataclass
class ServiceProcess:
    """One replica: ``intake-1``, ``router-2``, ... ``start``, ``terminate`` (SIGTERM) and ``kill`` (-9)."""

    service: str
    index: int
    port: int
    ops_port: int
    environment: dict[str, str]
    log_dir: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    exits: list[Exit] = field(default_factory=list)

    @property
    def replica(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ops_url(self) -> str:
        """Where its ``/readyz`` and ``/metrics`` answer (GRIEVANCE_OPS_PORT, on loopback)."""
        return f"http://127.0.0.1:{self.ops_port}"

    @property
    def log_file(self) -> Path:
        return self.log_dir / f"{self.replica}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def launch(self) -> None:
        """Start the process (without waiting for it to serve)."""
        if self.running:
            raise ServiceError(f"{self.replica} is already running")
        self.starts += 1
        with self.log_file.open("ab") as log:
            log.write(f'{{"drill":"start {self.starts} of {self.replica}"}}\n'.encode())
            log.flush()
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"services.{self.service}",
                cwd=ROOT,
                env=self.environment,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_the_drill,
            )

    async def restart(self, session: aiohttp.ClientSession) -> float:
        await self.launch()
        return await self.wait_ready(session)

    async def wait_ready(self, session: aiohttp.ClientSession, seconds: float = READY_TIMEOUT) -> float:
        """Poll ``/readyz`` until it answers 200 (the bus can publish, the store answers)."""
        started = time.monotonic()
        while True:
            if not self.running:
                raise ServiceError(f"{self.replica} exited with {self._code()}; see {self.log_file}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{self.ops_url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return time.monotonic() - started
            if time.monotonic() - started > seconds:
                raise ServiceError(f"{self.replica} was not ready within {seconds:.0f} s")
            await asyncio.sleep(0.1)

    async def ready(self, session: aiohttp.ClientSession) -> bool:
        try:
            async with session.get(f"{self.ops_url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                return r.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def bus_ready(self, session: aiohttp.ClientSession) -> bool | None:
        """What ``/readyz`` says of the bus alone (``checks.bus``); None when it does not answer.

        Intake with a spool stays ready while the broker is away (the store decides), so its bus is
        read from the checks, not from the status.
        """
        try:
            async with session.get(f"{self.ops_url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                body = await r.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None
        return bool(body.get("checks", {}).get("bus")) if isinstance(body, dict) else None

    async def terminate(self, seconds: float) -> Exit:
        """SIGTERM, then wait up to ``seconds`` for the exit; killed (and recorded so) if it does not come."""
        return await self._signal(signal.SIGTERM, "SIGTERM", seconds)

    async def kill(self) -> Exit:
        return await self._signal(signal.SIGKILL, "SIGKILL", 10.0)

    async def _signal(self, sig: signal.Signals, how: str, seconds: float) -> Exit:
        process = self.process
        assert process is not None and self.running, f"{self.replica} is not running"
        started = time.monotonic()
        process.send_signal(sig)
        try:
            await asyncio.wait_for(process.wait(), seconds)
            exit = Exit(self.replica, how, time.monotonic() - started, process.returncode)
        except TimeoutError:
            elapsed = time.monotonic() - started
            process.kill()
            await process.wait()
            exit = Exit(self.replica, f"{how} (no exit within {seconds:.0f} s, killed)", elapsed, None)
        self.exits.append(exit)
        return exit

    def _code(self) -> int | None:
        return None if self.process is None else self.process.returncode

    async def reap(self) -> None:
        """At the end of a drill: whatever still runs is killed, by its own pid and process group."""
        if self.process is None or not self.running:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()


@dataclass
class Fleet:
    """Every replica of a drill, by name."""

    replicas: dict[str, ServiceProcess]

    def __getitem__(self, name: str) -> ServiceProcess:
        return self.replicas[name]

    def of(self, service: str) -> list[ServiceProcess]:
        return [r for r in self.replicas.values() if r.service == service]

    async def start(self, session: aiohttp.ClientSession, names: list[str] | None = None) -> None:
        chosen = [self.replicas[n] for n in names] if names else list(self.replicas.values())
        await asyncio.gather(*(replica.restart(session) for replica in chosen))

    async def stop(self, seconds: float = 20.0) -> list[Exit]:
        running = [r for r in self.replicas.values() if r.running]
        return list(await asyncio.gather(*(r.terminate(seconds) for r in running)))

    async def reap(self) -> None:
        for replica in self.replicas.values():
            await replica.reap()


def build_fleet(
    counts: dict[str, int], base_environment: dict[str, str], log_dir: Path, free_port: Callable[[], int]
) -> Fleet:
    """Replicas named ``service-N``, each with its own port in its own ``GRIEVANCE_*_PORT`` and its
    own operational port (``GRIEVANCE_OPS_PORT``)."""
    replicas = {}
    for service, count in counts.items():
        for index in range(1, count + 1):
            port, ops_port = free_port(), free_port()
            environment = {
                **base_environment,
                f"GRIEVANCE_{service.upper()}_PORT": str(port),
                "GRIEVANCE_OPS_PORT": str(ops_port),
            }
            if service == "router":  # each router replica's admin API needs a port of its own
                environment["GRIEVANCE_ADMIN_PORT"] = str(free_port())
            replica = ServiceProcess(service, index, port, ops_port, environment, log_dir)
            replicas[replica.replica] = replica
    return Fleet(replicas)
