"""End-to-end latency: from the web form's 202 to the case visible through the committee API.

The three services run as ``grievance serve intake|router|escalation`` runs each of them: three
processes (``run_service``: INFO logs as JSON, to /dev/null), sharing the real broker (a fresh
namespace, deleted afterwards) and the store (a fresh database, dropped afterwards). The example
registry is loaded and a committee token issued first. Without Twilio credentials intake's sender
records the workers' acknowledgements in the store (its development channel), as it does in any
deployment without them.

1. Intake's maximum rate: 64 clients post web forms back to back for ``--seconds`` (after a
   warm-up), with intake alone running; those grievances are then purged from the router's queue.
2. The router and escalation start; web forms arrive paced at half that rate for ``--paced-seconds``
   (short: a pipeline that cannot keep up drains the backlog afterwards, while it is measured).
   Each grievance's latency runs from its 202 to the first ``GET /api/v1/cases/{reference}`` with
   the committee's token that answers 200. Every 20 ms the four oldest pending references are
   polled, and four more of the others in turn, so the polling stays a small load; a case is
   counted visible at the moment the request that found it was sent (at most one poll late while
   the system keeps up; when it falls behind, a case that overtook older ones may be found late).
3. Once every queue is empty again, the same for four times as long at half the rate the pipeline
   delivered cases in step 2, for comparison: the latency of a pipeline that keeps up.

Target: p99 <= 500 ms in step 2. Each step prints p50/p99/max and the CPU each process spent per
grievance (the store's server too, when it can be seen). At the end, with every queue empty, the
number of cases is checked against the 202s and the dead-letter queues are counted. Run on the
real-server lane::

    .venv/bin/python -m tests.realserver.lane -- .venv/bin/python -m bench.pipeline
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.fernet import Fernet

from bench.intake import cleanup, cpu_seconds, declare, free_port, start, stop, wait_until_up
from bench.proc import server_pid

CLIENTS = 64
POLL_SECONDS, POLL_OLDEST = 0.02, 4
DRAIN_SECONDS = 240.0  # how long the pending cases may take to appear once the arrivals stop
REGISTRY = Path(__file__).resolve().parents[1] / "examples" / "registry.yaml"
COMMITTEE = "gz-001-spt"  # handles every category at GZ-001; the texts below go nowhere else
TEXTS = (
    "上个月的加班费没有发，工资也晚发了两个星期。",
    "车间晚上把安全出口锁起来了，着火怎么办？",
    "我们每天工作十二个小时，周末也不能休息。",
    "Our overtime for March was never paid.",
)
SERVICES = ("intake", "router", "escalation")


def serve(service: str, port: int, overrides: dict[str, Any]) -> None:
    """One service exactly as ``grievance serve SERVICE`` runs it, its log written to /dev/null."""
    import importlib

    from shared.serving import run_service
    from shared.settings import Settings

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    module = importlib.import_module(f"services.{service}.app")
    run_service(module.create_app, port, Settings(**overrides))


@dataclass
class Sent:
    accepted: float  # when the 202 arrived (perf_counter)
    reference: str
    visible: float | None = None


@dataclass
class Step:
    name: str
    rate: float | None  # the paced arrival rate; None for the closed loop
    sent: list[Sent] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    answered: int = 0  # every 202, the warm-up's too: the denominator of the CPU per grievance

    def latencies(self) -> list[float]:
        return sorted((s.visible - s.accepted) * 1000 for s in self.sent if s.visible is not None)

    def percentile(self, p: float) -> float:
        ordered = self.latencies()
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else float("nan")

    def delivered_rate(self) -> float:
        """Cases per second the pipeline made visible, first to last."""
        seen = sorted(s.visible for s in self.sent if s.visible is not None)
        return (len(seen) - 1) / (seen[-1] - seen[0]) if len(seen) > 1 else 0.0

    def report(self) -> None:
        visible = len(self.latencies())
        cpu = ", ".join(
            f"{name} {seconds / max(self.answered, 1) * 1e6:.0f}" for name, seconds in self.cpu.items()
        )
        print(f"{self.name}: {len(self.sent)} accepted in {self.seconds:.1f} s, failures {self.failures}")
        if self.rate is not None:
            print(
                f"    202 -> visible: p50 {self.percentile(50):7.0f} ms   p99 {self.percentile(99):7.0f} ms   "
                f"max {self.latencies()[-1] if visible else float('nan'):7.0f} ms   "
                f"({visible} of {len(self.sent)} seen; delivered {self.delivered_rate():.0f} cases/s)"
            )
        print(f"    CPU per grievance (µs): {cpu}", flush=True)


def forms(count: int, seed: int) -> Iterator[bytes]:
    rng = random.Random(seed)
    for _ in range(count):
        form = {
            "factory_code": "GZ-001",
            "text": rng.choice(TEXTS),
            "contact": f"139{rng.randrange(10**8):08d}",
        }
        yield json.dumps(form, ensure_ascii=False).encode()


async def post_forms(intake: str, step: Step, seconds: float, warmup: float, seed: int) -> None:
    """Closed loop (``step.rate`` None) or paced arrivals; keeps what was accepted after the warm-up."""
    bodies = forms(10**7, seed)
    headers = {"Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(intake, connector=connector) as session:
        begin = time.perf_counter()
        measured_from, end = begin + warmup, begin + warmup + seconds
        issued = 0

        async def client() -> None:
            nonlocal issued
            while True:
                scheduled = begin + issued / step.rate if step.rate else time.perf_counter()
                issued += 1
                if scheduled >= end:
                    return
                if (delay := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                async with session.post("/api/v1/grievances", data=next(bodies), headers=headers) as response:
                    body = await response.json() if response.status == 202 else None
                accepted = time.perf_counter()
                if body is None:
                    step.failures += 1
                    continue
                step.answered += 1
                if scheduled >= measured_from and accepted <= end:
                    step.sent.append(Sent(accepted, body["reference"]))

        await asyncio.gather(*(client() for _ in range(CLIENTS)))
    step.seconds = seconds


async def watch(router: str, token: str, step: Step, arrivals: asyncio.Task[None]) -> None:
    """Poll the oldest pending references until every case is visible (or the drain time is up)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(router, headers=headers) as session:

        async def look(sent: Sent) -> None:
            asked = time.perf_counter()
            async with session.get(f"/api/v1/cases/{sent.reference}") as response:
                await response.read()
                if response.status == 200:
                    sent.visible = asked

        deadline = None
        checked = 0  # everything before this index is visible
        rotor = 0  # where the rest of the pending references are polled next, a few per turn
        while True:
            if arrivals.done() and deadline is None:
                deadline = time.perf_counter() + DRAIN_SECONDS
            while checked < len(step.sent) and step.sent[checked].visible is not None:
                checked += 1
            pending = [s for s in step.sent[checked:] if s.visible is None]
            if arrivals.done() and not pending:
                return
            if deadline is not None and time.perf_counter() > deadline:
                return
            # The oldest first; and, turn by turn, all the others, so none that overtook them (or
            # never comes) holds up the rest.
            polled, rest = pending[:POLL_OLDEST], pending[POLL_OLDEST:]
            if rest:
                rotor %= len(rest)
                polled += rest[rotor : rotor + POLL_OLDEST]
                rotor += POLL_OLDEST
            await asyncio.gather(*(look(s) for s in polled))
            await asyncio.sleep(POLL_SECONDS)


@asynccontextmanager
async def measured_cpu(step: Step, pids: dict[str, int | None]) -> Any:
    before = {name: cpu_seconds(pid) for name, pid in pids.items() if pid}
    yield
    for name, was in before.items():
        now = cpu_seconds(pids[name])
        if was is not None and now is not None:
            step.cpu[name] = now - was


async def prepare_store(mongo_url: str, db_name: str) -> str:
    from services.router.registry import load_registry_file
    from shared.auth import issue_token
    from shared.bootstrap import open_store_client

    client = open_store_client(mongo_url)
    await load_registry_file(client[db_name], REGISTRY)
    token, _ = await issue_token(client[db_name], "committee", committee_id=COMMITTEE)
    client.close()
    return token


async def drop_store(mongo_url: str, db_name: str) -> None:
    from shared.bootstrap import open_store_client

    client = open_store_client(mongo_url)
    await client.drop_database(db_name)
    client.close()


async def settle(amqp_url: str, namespace: str) -> float:
    """Wait until every service has worked off its queue (escalation and the sender lag behind)."""
    import aio_pika

    started = time.perf_counter()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for _ in range(int(DRAIN_SECONDS / 0.5)):
            counts = []
            for name in ("router.grievances", "escalation.cases", "intake.outbound"):
                queue = await channel.declare_queue(namespace + name, passive=True)
                counts.append(queue.declaration_result.message_count)
            if not any(counts):
                break
            await asyncio.sleep(0.5)
    return time.perf_counter() - started


async def account(amqp_url: str, namespace: str, mongo_url: str, db_name: str, answered: int) -> None:
    """Every 202 is a case once the queues are empty, and no queue dead-lettered anything."""
    import aio_pika

    from services.router.case_store import CASES
    from shared.bootstrap import open_store_client
    from shared.messaging import DEAD_SUFFIX, QUEUES

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        dead = {}
        for name in QUEUES:
            queue = await channel.declare_queue(namespace + name + DEAD_SUFFIX, passive=True)
            dead[name] = queue.declaration_result.message_count
    client = open_store_client(mongo_url)
    for _ in range(60):  # a last grievance may still be in a handler: queues count only ready ones
        cases = await client[db_name][CASES].count_documents({})
        if cases >= answered:
            break
        await asyncio.sleep(0.5)
    client.close()
    print(
        f"accounting: {answered} web forms answered 202 while the router ran, {cases} cases; dead letters {dead}"
    )


async def purge_grievances(amqp_url: str, namespace: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await (await channel.get_queue(namespace + "router.grievances")).purge()


async def main(amqp_url: str, mongo_url: str, seconds: float, overload: float, warmup: float) -> None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}."
    db_name = f"bench_pipeline_{uuid.uuid4().hex[:8]}"
    ports = {service: free_port() for service in SERVICES}
    overrides = {
        "amqp_url": amqp_url,
        "amqp_namespace": namespace,
        "mongo_url": mongo_url,
        "mongo_db": db_name,
        "contact_key": Fernet.generate_key().decode(),
        "pseudonym_key": "bench-pseudonym-key-0123456789",
        # The load comes from one client: the web form's per-client limit would stop it at once.
        "webform_client_limit": 10**9,
        "public_base_url": f"http://127.0.0.1:{ports['intake']}",
        "public_status_url": f"http://127.0.0.1:{ports['router']}",
        "log_level": "INFO",
        "log_format": "json",
        "host": "127.0.0.1",
    }
    url = {service: f"http://127.0.0.1:{port}" for service, port in ports.items()}
    print(f"three processes; broker namespace {namespace!r}; store {mongo_url.split('?')[0]}", flush=True)
    await declare(amqp_url, namespace)
    token = await prepare_store(mongo_url, db_name)
    processes: dict[str, multiprocessing.process.BaseProcess] = {}
    try:
        processes["intake"] = start(serve, "intake", ports["intake"], overrides)
        await wait_until_up(ports["intake"])
        pids = {"intake": processes["intake"].pid, "store": server_pid(mongo_url)}
        maximum = Step("1. intake alone, 64 clients back to back", None)
        async with measured_cpu(maximum, pids):
            await post_forms(url["intake"], maximum, seconds, warmup, seed=1)
        maximum.report()
        await purge_grievances(amqp_url, namespace)
        top = len(maximum.sent) / seconds
        print(f"    intake's maximum rate: {top:.0f} web forms/s", flush=True)

        for service in ("router", "escalation"):
            processes[service] = start(serve, service, ports[service], overrides)
            await wait_until_up(ports[service])
        pids = {service: process.pid for service, process in processes.items()}
        pids["store"] = server_pid(mongo_url)

        name = f"2. at half intake's maximum, {top / 2:.0f}/s"
        half = await paced(name, top / 2, url, token, pids, overload, warmup)
        half.report()
        print(f"p99 at half intake's maximum rate: {half.percentile(99):.0f} ms (target <= 500 ms)")
        print(f"    then the services worked off their queues in {await settle(amqp_url, namespace):.0f} s")
        answered = half.answered
        kept = half.delivered_rate() / 2
        if kept > 0:
            name = f"3. at half the rate the pipeline delivered in 2, {kept:.1f}/s"
            calm = await paced(name, kept, url, token, pids, seconds * 4, warmup)
            calm.report()
            await settle(amqp_url, namespace)
            answered += calm.answered
        await account(amqp_url, namespace, mongo_url, db_name, answered)
    finally:
        for process in processes.values():
            stop(process)
        await cleanup(amqp_url, namespace)
        await drop_store(mongo_url, db_name)


async def paced(
    name: str,
    rate: float,
    url: dict[str, str],
    token: str,
    pids: dict[str, int | None],
    seconds: float,
    warmup: float,
) -> Step:
    step = Step(name, rate)
    async with measured_cpu(step, pids):
        arrivals = asyncio.create_task(post_forms(url["intake"], step, seconds, warmup, seed=int(rate)))
        await watch(url["router"], token, step, arrivals)
        await arrivals
    return step


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per step")
    parser.add_argument(
        "--paced-seconds",
        type=float,
        default=2.0,
        help="measured seconds of step 2 (its backlog drains after)",
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each step")
    parser.add_argument(
        "--amqp-url", default=os.environ.get("GRIEVANCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--mongo-url", default=os.environ.get("GRIEVANCE_TEST_MONGO_URL"))
    options = parser.parse_args()
    if not options.mongo_url:
        parser.error("give --mongo-url or run on the real-server lane (GRIEVANCE_TEST_MONGO_URL)")
    asyncio.run(
        main(options.amqp_url, options.mongo_url, options.seconds, options.paced_seconds, options.warmup)
    )
