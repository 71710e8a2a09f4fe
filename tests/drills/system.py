"""One drill's whole system: a private RabbitMQ node, the lane's store, the services as processes.

:func:`drill_system` builds it, hands it to the drill and takes it down again whatever happened:
every service process is stopped (SIGTERM, then SIGKILL by its own pid), the node is stopped and its
folder removed, the drill's database dropped. The services' logs are kept under
``.pytest_cache/drills/<drill>/`` and read for personal data and for warnings.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp

from services.router.registry import load_registry_file
from shared.auth import issue_token
from shared.messaging import DEAD_SUFFIX, QUEUES
from shared.store import Database, open_mongo_client
from tests.drills.evidence import LogReport, event_counts, read_logs
from tests.drills.fleet import ROOT, Fleet, build_fleet
from tests.drills.node import RabbitNode, free_port
from tests.drills.oracle import SETTLE_SECONDS, Numbers, complete, holdings, judge
from tests.drills.traffic import PUBLIC_BASE_URL, TWILIO_TOKEN, DrillClock, Grievance, Load, Sender
from tests.tcpproxy import TcpProxy

REGISTRY = ROOT / "examples" / "registry.yaml"
LOGS = ROOT / ".pytest_cache" / "drills"
PUBLISH_TIMEOUT = 2.0
# What a request may take beyond the publish timeout on this shared 2-core machine: parsing,
# sealing, the access log, and a scheduler that is busy with five services, a broker and the load.
LATENCY_MARGIN = 2.0
PUBLISH_BOUND = PUBLISH_TIMEOUT + LATENCY_MARGIN
COMMITTEE = "gz-001-spt"  # the committee the drills' grievances (GZ-001, category "other") go to
# The queues a service consumes: every one of them (escalation tells notifications.escalations).
LIVE_QUEUES = set(QUEUES)

_KEYS: dict[str, str] = {}


def deployment_keys() -> dict[str, str]:
    """Keys as an operator makes them: ``grievance keys`` (once per run; every drill shares them)."""
    if not _KEYS:
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", "keys"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        for line in out.splitlines():
            name, _, value = line.partition("=")
            if name.startswith("GRIEVANCE_"):
                _KEYS[name] = value
    return dict(_KEYS)


@dataclass
class DrillSystem:
    name: str
    node: RabbitNode
    fleet: Fleet
    db: Database
    session: aiohttp.ClientSession
    clock: DrillClock
    sender: Sender
    token: str
    log_dir: Path
    proxy: TcpProxy | None = None
    failures: list[str] = field(default_factory=list)

    # -- driving -----------------------------------------------------------------------------------

    def intakes(self, *names: str) -> list[tuple[str, str]]:
        chosen = [self.fleet[n] for n in names] if names else self.fleet.of("intake")
        return [(r.replica, r.url) for r in chosen]

    def load(self, grievances: list[Grievance], **options: Any) -> Load:
        return Load(self.sender, self.intakes(), grievances, **options)

    @property
    def router_url(self) -> str:
        running = [r for r in self.fleet.of("router") if r.running]
        return (running or self.fleet.of("router"))[0].url

    async def amqp(self) -> aio_pika.abc.AbstractConnection:
        """A connection of the drill's own to the private node (never through the proxy)."""
        return await aio_pika.connect(self.node.url)

    # -- checking ----------------------------------------------------------------------------------

    def expect(self, condition: bool, message: str) -> None:
        """Record an expectation; the drill fails at the end with every one that did not hold."""
        if not condition:
            self.failures.append(message)

    async def verdict(
        self, grievances: list[Grievance], *, heal: str | None = None, settle_seconds: float = SETTLE_SECONDS
    ) -> Numbers:
        """Wait for the backlog, then judge every answer against the store and the committee API."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while loop.time() - started < settle_seconds:
            if complete(grievances, await holdings(self.db, None, None, self.session)):
                break
            await asyncio.sleep(0.5)
        waited = loop.time() - started
        held = await holdings(self.db, self.router_url, self.token, self.session)
        numbers = judge(self.name, grievances, held, self.clock, heal=heal)
        numbers.extra["settle_s"] = round(waited, 1)
        numbers.extra["events"] = await event_counts(self.session, self.fleet.replicas.values())
        cases = sum(len(held.cases_by_text.get(g.text, [])) for g in grievances)
        published = numbers.extra["events"].get("published case.assigned", 0)
        # Each case announces itself once; every redelivery of its grievance announces it again.
        numbers.extra["case_assigned_published_per_case"] = round(published / cases, 2) if cases else None
        if numbers.lost or numbers.records_missing:
            # Lost, or only slow? What the queues still hold at this moment tells them apart.
            depths = await self.node.queue_depths()
            numbers.extra["queues_at_verdict"] = {q: d for q, d in depths.items() if sum(d)}
        return numbers

    def expect_invariants(self, numbers: Numbers, *, bound: float = PUBLISH_BOUND) -> None:
        """What must hold in every drill: nothing lost, nothing twice, only 2xx/503, bounded waits."""
        queued = numbers.extra.get("queues_at_verdict")
        still = (
            f" {numbers.extra.get('settle_s')} s after the load (still queued: {queued})" if queued else ""
        )
        self.expect(numbers.lost == 0, f"{numbers.lost} grievance(s) answered 2xx are not a case{still}")
        self.expect(numbers.duplicated == 0, f"{numbers.duplicated} grievance(s) became more than one case")
        self.expect(not numbers.other, f"answers other than 2xx and 503: {numbers.other}")
        self.expect(
            numbers.max_latency <= bound,
            f"a request waited {numbers.max_latency:.2f} s, past the publish bound of {bound:.1f} s",
        )
        self.expect(
            numbers.records_missing == 0,
            f"{numbers.records_missing} case(s) have no escalation record (case.assigned lost){still}",
        )
        self.expect(
            numbers.committee_api_mismatch == 0,
            f"the committee API and the store disagree on {numbers.committee_api_mismatch} reference(s)"
            if numbers.committee_api_mismatch > 0
            else "the committee API did not answer",
        )

    async def expect_queues_drained(self, dead: dict[str, int] | None = None, seconds: float = 20.0) -> None:
        """Every service queue ends empty (nothing unacknowledged, nothing stuck) and the dead-letter
        queues hold exactly ``dead`` (nothing, unless the drill sent poison)."""
        wanted = dead or {}
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            depths = await self.node.queue_depths()
            busy = {q: d for q, d in depths.items() if q in LIVE_QUEUES and d[0] + d[1]}
            letters = {q: d[0] + d[1] for q, d in depths.items() if q.endswith(DEAD_SUFFIX) and d[0] + d[1]}
            if not busy and letters == wanted:
                return
            if asyncio.get_running_loop().time() > deadline:
                self.expect(not busy, f"queues not drained (ready, unacknowledged): {busy}")
                self.expect(letters == wanted, f"dead letters {letters}, expected {wanted}")
                return
            await asyncio.sleep(1)

    def conclude(self, numbers: Numbers, record: Callable[[Numbers], Numbers]) -> None:
        """After the system is down: read its logs, keep the numbers, fail with every broken expectation."""
        report = read_logs(self.log_dir)
        self.expect_clean_logs(report)
        numbers.extra["warnings"] = dict(report.warnings)
        record(numbers)
        assert not self.failures, "\n".join(self.failures)

    def expect_clean_logs(self, report: LogReport) -> None:
        self.expect(not report.leaks, f"personal data in the services' logs: {report.leaks[:3]}")
        self.expect(
            report.delivery_tag_warnings == 0,
            f'{report.delivery_tag_warnings} "Delivery tag ... was ignored" warning(s) in the logs',
        )


@asynccontextmanager
async def drill_system(
    name: str,
    *,
    intakes: int = 1,
    routers: int = 2,
    escalations: int = 2,
    through_proxy: bool = False,
    environment: dict[str, str] | None = None,
) -> AsyncIterator[DrillSystem]:
    """The system for drill ``name``; torn down (and its logs kept) however the drill ends."""
    mongo_url = _mongo_url()
    log_dir = LOGS / name
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    node = RabbitNode(name.replace("_", "-")[:20])
    client = open_mongo_client(mongo_url)
    database = f"drill_{name[:30]}_{secrets.token_hex(4)}"
    db = client[database]
    proxy: TcpProxy | None = None
    fleet: Fleet | None = None
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=False))
    phases: dict[str, float] = {}
    began = time.monotonic()
    try:
        phases["node_start_s"] = await node.start()
        amqp_port = node.port
        if through_proxy:
            proxy = await TcpProxy("127.0.0.1", node.port).start()
            amqp_port = proxy.port
        await load_registry_file(db, REGISTRY)
        token, _ = await issue_token(db, "committee", committee_id=COMMITTEE, label="drill")
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GRIEVANCE_", "RABBITMQ_"))},
            **deployment_keys(),
            "GRIEVANCE_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{amqp_port}/",
            "GRIEVANCE_MONGO_URL": mongo_url,
            "GRIEVANCE_MONGO_DB": database,
            "GRIEVANCE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "GRIEVANCE_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "GRIEVANCE_AMQP_PUBLISH_TIMEOUT": str(PUBLISH_TIMEOUT),
            "GRIEVANCE_SWEEP_INTERVAL": "1",
            "GRIEVANCE_LOG_FORMAT": "json",
            # The drill's load generator stands for the reverse proxy that carries every client's
            # requests in a deployment: its address is not bound by the per-client connection cap.
            "GRIEVANCE_TRUSTED_PROXIES": "127.0.0.1/32",
            # ... and it names no client, so the web form's per-client limit would count it as one.
            "GRIEVANCE_WEBFORM_CLIENT_LIMIT": "1000000000",
            "GRIEVANCE_LOG_LEVEL": "INFO",
            "GRIEVANCE_HOST": "127.0.0.1",
            **(environment or {}),
        }
        counts = {"intake": intakes, "router": routers, "escalation": escalations}
        fleet = build_fleet(counts, base, log_dir, free_port)
        started = time.monotonic()
        await fleet.start(session)
        phases["services_start_s"] = time.monotonic() - started
        clock = DrillClock()
        system = DrillSystem(
            name, node, fleet, db, session, clock, Sender(session, clock), token, log_dir, proxy
        )
        phases["setup_s"] = time.monotonic() - began
        yield system
        phases["drill_s"] = clock.now()
    finally:
        ending = time.monotonic()
        try:
            if fleet is not None:
                await fleet.stop(20.0)
                await fleet.reap()
            phases["services_stop_s"] = time.monotonic() - ending
        finally:
            if proxy is not None:
                await proxy.close()
            await session.close()
            await node.remove(keep_logs_in=log_dir / "rabbitmq")
            await client.drop_database(database)
            client.close()
            phases["teardown_s"] = time.monotonic() - ending
            (log_dir / "phases.json").write_text(json.dumps({k: round(v, 1) for k, v in phases.items()}))


def _mongo_url() -> str:
    url = os.environ.get("GRIEVANCE_TEST_MONGO_URL")
    if not url:
        raise RuntimeError(
            "the drills need a real MongoDB wire-protocol server: run them with `make drills`, which "
            "starts the real-server lane and sets GRIEVANCE_TEST_MONGO_URL"
        )
    return url


async def sleep_until(clock: DrillClock, at: float) -> None:
    """Sleep until the drill's clock reads ``at`` seconds."""
    delay = at - clock.now()
    if delay > 0:
        await asyncio.sleep(delay)
