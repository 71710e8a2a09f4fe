"""Intake throughput and latency against its two ingredients, measured in one run.

Three measurements, each with 64 concurrent clients and each server in its own process (the load
generator runs in this process), and (c) once for each way the bus can publish:

(a) a bare aiohttp handler that reads the same webhook form and answers 200;
(b) raw aio-pika publishes with confirms (mandatory, persistent) of the same event body with the same
    message properties as intake's bus sets, from a separate process, into the same quorum queue
    topology;
(c) intake itself, served as ``grievance serve intake`` serves it (the access log is written, to
    /dev/null): validly signed Twilio webhooks (unique MessageSids), published through RabbitMQ,
    coalesced as production publishes when aiormq's internals are there;
(c') the same intake publishing through aio-pika's public API, as it does when they are not
    (shared/amqp_publish.py): the child process makes the start-up check fail, so the fallback is
    chosen, and warned about, exactly as it would be after an aiormq upgrade.

They run in interleaved rounds (a, b, c, c', a, b, c, c', ...; three by default), so that a slow
spell of the shared machine weighs on all of them. Each line gives requests per second, p50/p99
latency and the CPU the server (or the publisher) spent per request. Then come the medians over the
rounds, the ratios, and each intake against the harmonic combination H = 1/(1/a + 1/b) of (a) and
(b) (target >= 0.7; each round's own ratio is shown too), and last p99 of intake at half its
maximum rate (paced arrivals; latency counts from the scheduled send time, so queueing is included).
``--paths coalesced`` or ``--paths public`` measures one of (c) and (c') only.
Everything runs in a fresh namespace on the broker that is deleted afterwards.

Run: ``.venv/bin/python -m bench.intake`` (RabbitMQ at GRIEVANCE_TEST_AMQP_URL or localhost).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aio_pika
import aiohttp
from cryptography.fernet import Fernet
from multidict import MultiDict
from twilio.request_validator import RequestValidator

SMS_PATH = "/webhooks/twilio/sms"
TOKEN = "bench-twilio-token-0123456789abcdef"  # noqa: S105 - a throwaway token for a local run
PUBLIC = "https://intake.bench.example"
ACCOUNT = "AC" + "0" * 32
CONCURRENCY = 64
TEXT = "工厂晚上把安全出口锁起来了，上个月的加班费也没有发。The fire exit is locked at night."


def percentile_ms(seconds: list[float], p: float) -> float:
    """The ``p``-th percentile of durations in seconds, in milliseconds (NaN for none)."""
    if not seconds:
        return float("nan")
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]
    failures: int
    # CPU the server (or the raw publisher) spent per request over the whole run, warm-up included.
    cpu_us: float | None = None
    completed: int = 0  # responses over the whole run, warm-up included

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        return percentile_ms(self.latencies, p)

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rate:9.0f} req/s   p50 {self.percentile(50):7.2f} ms   "
            f"p99 {self.percentile(99):7.2f} ms   failures {self.failures}"
            + (f"   CPU {self.cpu_us:4.0f} µs/req" if self.cpu_us is not None else "")
        )


# -- servers (child processes) -----------------------------------------------------------------------


def serve_bare(port: int) -> None:
    from aiohttp import web

    async def webhook(request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(text=f"{len(form)}")

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=64 * 1024)
    app.router.add_post(SMS_PATH, webhook)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_intake(port: int, overrides: dict[str, Any], path: str = "coalesced") -> None:
    """Intake exactly as ``grievance serve intake`` runs it, access log included.

    ``path="public"``: the check of aiormq's internals reports one missing, so the bus falls back
    to aio-pika's public API by the same decision an aiormq release without them would cause.
    """
    from functools import partial

    from shared import coalesced_publish
    from shared.bootstrap import service_app
    from shared.serving import run_service
    from shared.settings import Settings

    if path == "public":
        coalesced_publish.missing_internals = _missing_for_the_bench
    settings = Settings(**overrides)
    # Logs are formatted and written as in production, to /dev/null so they do not drown the report.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    run_service(partial(service_app, "intake"), port, settings)


def _missing_for_the_bench(channel: object) -> list[str]:
    return ["(the bench measures the public path)"]


def raw_publisher(url: str, exchange: str, body: bytes, seconds: float, warmup: float, out: Any) -> None:
    out.put(asyncio.run(_raw_publish(url, exchange, body, seconds, warmup)))


async def _raw_publish(
    url: str, name: str, body: bytes, seconds: float, warmup: float
) -> tuple[int, list[float], int, float]:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(name)
        start = time.perf_counter()
        begin, end = start + warmup, start + warmup + seconds
        latencies: list[float] = []
        failures = published = 0
        cpu_start = time.process_time()

        async def worker() -> None:
            nonlocal failures, published
            while (now := time.perf_counter()) < end:
                # The same properties as intake's bus publishes, so both put the same frames on the wire.
                grievance = uuid.uuid4()
                message = aio_pika.Message(
                    body,
                    message_id=str(uuid.uuid4()),
                    correlation_id=str(grievance),
                    type="grievance.received",
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    timestamp=datetime.now(UTC),
                    headers={"schema_version": 1},
                )
                try:
                    async with asyncio.timeout(5):
                        await exchange.publish(message, routing_key="grievance.received.v1", mandatory=True)
                except Exception:
                    failures += 1
                    continue
                published += 1
                done = time.perf_counter()
                if now >= begin and done <= end:
                    latencies.append(done - now)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        cpu_us = (time.process_time() - cpu_start) / max(published, 1) * 1e6
        return len(latencies), latencies, failures, cpu_us


# -- load generation (this process) ------------------------------------------------------------------


def signed_requests(count: int, base: str = PUBLIC) -> list[tuple[bytes, dict[str, str]]]:
    """Webhooks as Twilio sends them, each with its own MessageSid, signed with Twilio's validator."""
    validator = RequestValidator(TOKEN)
    requests = []
    for _ in range(count):
        form = [
            ("ToCountry", "CN"),
            ("MessageSid", "SM" + uuid.uuid4().hex),
            ("AccountSid", ACCOUNT),
            ("From", f"+86139{uuid.uuid4().int % 10**8:08d}"),
            ("To", "+8610690000001"),
            ("Body", TEXT),
            ("NumMedia", "0"),
            ("NumSegments", "2"),
            ("ApiVersion", "2010-04-01"),
        ]
        signature = validator.compute_signature(base + SMS_PATH, MultiDict(form))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}
        requests.append((urlencode(form).encode(), headers))
    return requests


async def load(
    name: str,
    url: str,
    requests: list[tuple[bytes, dict[str, str]]],
    seconds: float,
    warmup: float,
    rate: float | None = None,
) -> Result:
    """Closed-loop load with CONCURRENCY clients, or paced arrivals at ``rate`` per second."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        begin, end = start + warmup, start + warmup + seconds
        latencies: list[float] = []
        failures = 0
        issued = 0
        completed = 0

        async def worker() -> None:
            nonlocal failures, issued, completed
            while True:
                index = issued
                issued += 1
                scheduled = start + index / rate if rate else time.perf_counter()
                if scheduled >= end:
                    return
                if rate and (delay := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                body, headers = requests[index % len(requests)]
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
                done = time.perf_counter()
                completed += 1
                if not ok:
                    failures += 1
                elif scheduled >= begin and done <= end:
                    latencies.append(done - scheduled)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return Result(name, len(latencies), seconds, latencies, failures, completed=completed)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def wait_until_up(port: int, path: str = "/healthz") -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("server did not come up")


# -- orchestration -------------------------------------------------------------------------------------


async def declare(url: str, namespace: str) -> None:
    from shared.amqp import AmqpBus

    bus = AmqpBus(url, namespace=namespace)
    await bus.start()
    await bus.close()


async def purge(url: str, namespace: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(namespace + "router.grievances")
        await queue.purge()


async def cleanup(url: str, namespace: str) -> None:
    from shared.messaging import DEAD_LETTER_EXCHANGE, DEAD_SUFFIX, EXCHANGE, QUEUES

    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for queue in QUEUES:
            await channel.queue_delete(namespace + queue)
            await channel.queue_delete(namespace + queue + DEAD_SUFFIX)
        for exchange in (EXCHANGE, DEAD_LETTER_EXCHANGE):
            await channel.exchange_delete(namespace + exchange)


def start(target: Any, *args: Any) -> multiprocessing.process.BaseProcess:
    process = multiprocessing.get_context("spawn").Process(target=target, args=args, daemon=True)
    process.start()
    return process


def stop(process: multiprocessing.process.BaseProcess) -> None:
    process.terminate()
    process.join(5)


async def measure_http(
    name: str,
    target: Any,
    args: tuple[Any, ...],
    port: int,
    requests: Any,
    seconds: float,
    warmup: float,
    rate: float | None = None,
) -> Result:
    process = start(target, port, *args)
    try:
        await wait_until_up(port)
        before = cpu_seconds(process.pid)
        result = await load(name, f"http://127.0.0.1:{port}{SMS_PATH}", requests, seconds, warmup, rate)
        after = cpu_seconds(process.pid)
        if before is not None and after is not None and result.completed:
            result.cpu_us = (after - before) / result.completed * 1e6
        return result
    finally:
        stop(process)


def cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU of a process (Linux), or None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def main(
    seconds: float, warmup: float, url: str, log_level: str, rounds: int, paths: tuple[str, ...]
) -> None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}."
    await declare(url, namespace)
    overrides = {
        "amqp_url": url,
        "amqp_namespace": namespace,
        "twilio_auth_token": TOKEN,
        "public_base_url": PUBLIC,
        "contact_key": Fernet.generate_key().decode(),
        "pseudonym_key": "bench-pseudonym-key-0123456789",
        "log_level": log_level,
        "log_format": "json",
        "host": "127.0.0.1",
    }
    try:
        # Rounds interleave (a), (b) and (c), so that a slow spell of this shared machine weighs on
        # all three alike; the medians of the rounds are compared.
        measured: list[Round] = []
        for number in range(1, rounds + 1):
            print(f"round {number} of {rounds}", flush=True)
            measured.append(await measure_round(seconds, warmup, url, namespace, overrides, paths))
        bare = statistics.median(r.bare.rate for r in measured)
        raw = statistics.median(r.raw.rate for r in measured)
        harmonic = harmonic_rate(bare, raw)
        intakes = {path: statistics.median(r.intakes[path].rate for r in measured) for path in paths}
        print()
        print(
            f"medians of {rounds} rounds: (a) {bare:.0f}, (b) {raw:.0f}, "
            + ", ".join(f"{LABELS[path]} {rate:.0f}" for path, rate in intakes.items())
            + " req/s"
        )
        print(f"H = 1/(1/a + 1/b)              {harmonic:9.0f} req/s")
        for path, intake in intakes.items():
            per_round = ", ".join(
                f"{r.intakes[path].rate / harmonic_rate(r.bare.rate, r.raw.rate):.2f}" for r in measured
            )
            print(f"{path} publishes {LABELS[path]}")
            print(f"  intake / bare aiohttp        {intake / bare:5.2f}")
            print(f"  intake / raw publish         {intake / raw:5.2f}")
            print(
                f"  intake / H                   {intake / harmonic:5.2f}   "
                f"(target >= 0.70; rounds: {per_round})"
            )
        if len(paths) == 2:
            ratios = ", ".join(
                f"{r.intakes['public'].rate / r.intakes['coalesced'].rate:.2f}" for r in measured
            )
            print(
                f"public / coalesced             {intakes['public'] / intakes['coalesced']:5.2f}   "
                f"(rounds: {ratios})"
            )

        path = paths[0]  # the coalesced path when it was measured: what production runs
        half = intakes[path] / 2
        paced = await measure_http(
            f"(d) intake ({path}) at half max ({half:.0f}/s)",
            serve_intake,
            (overrides, path),
            free_port(),
            signed_requests(int(half * (seconds + warmup)) + 1000),
            seconds,
            warmup,
            rate=half,
        )
        print()
        print(paced.line())
        print(f"p99 at half the maximum rate   {paced.percentile(99):7.2f} ms   (target <= 250 ms)")
    finally:
        await cleanup(url, namespace)


def harmonic_rate(a: float, b: float) -> float:
    """H: the rate of doing both, one after the other, at rates a and b."""
    return 1 / (1 / a + 1 / b)


LABELS = {"coalesced": "(c)", "public": "(c')"}


@dataclass
class Round:
    bare: Result
    raw: Result
    intakes: dict[str, Result]  # by publishing path


async def measure_round(
    seconds: float,
    warmup: float,
    url: str,
    namespace: str,
    overrides: dict[str, Any],
    paths: tuple[str, ...],
) -> Round:
    """(a), (b), (c) and (c') once each, in this order."""
    bare = await measure_http(
        "(a) bare aiohttp, same form", serve_bare, (), free_port(), signed_requests(2000), seconds, warmup
    )
    print(bare.line(), flush=True)

    out = multiprocessing.get_context("spawn").SimpleQueue()
    publisher = start(raw_publisher, url, namespace + "grievances", _event_body(), seconds, warmup, out)
    count, latencies, failures, publisher_cpu = out.get()
    publisher.join(5)
    raw = Result("(b) raw aio-pika publish+confirm", count, seconds, latencies, failures, publisher_cpu)
    print(raw.line(), flush=True)
    await purge(url, namespace)

    needed = int(min(bare.rate, raw.rate) * (seconds + warmup) * 1.5) + 1000
    intakes = {}
    for path in paths:
        intake = intakes[path] = await measure_http(
            f"{LABELS[path]} intake, {path} publishes",
            serve_intake,
            (overrides, path),
            free_port(),
            signed_requests(needed),
            seconds,
            warmup,
        )
        print(intake.line(), flush=True)
        await purge(url, namespace)
    return Round(bare, raw, intakes)


def _event_body() -> bytes:
    from shared.contracts import GrievanceReceived
    from shared.ids import reference_for

    grievance_id = uuid.uuid4()
    key = Fernet.generate_key()
    event = GrievanceReceived(
        correlation_id=grievance_id,
        grievance_id=grievance_id,
        reference=reference_for(grievance_id),
        channel="sms",
        provider="twilio",
        provider_message_id="SM" + uuid.uuid4().hex,
        received_at=datetime.now(UTC),
        text=TEXT,
        language="zh",
        factory_hint="+8610690000001",
        gateway_number="+8610690000001",
        reporter_key="0" * 64,
        sealed_contact=Fernet(key).encrypt(b"+8613912345678").decode(),
    )
    return event.to_json()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each run")
    parser.add_argument(
        "--amqp-url", default=os.environ.get("GRIEVANCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument(
        "--log-level", default="INFO", help="intake's log level (INFO is what production runs)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (a), (b), (c), (c')")
    parser.add_argument(
        "--paths",
        choices=("both", "coalesced", "public"),
        default="both",
        help="which publishing paths of intake to measure: (c) coalesced, (c') aio-pika's public API",
    )
    options = parser.parse_args()
    paths = ("coalesced", "public") if options.paths == "both" else (options.paths,)
    asyncio.run(
        main(options.seconds, options.warmup, options.amqp_url, options.log_level, options.rounds, paths)
    )
