"""Router throughput from a pre-filled queue into cases, against its two ingredients, in one run.

Each round takes a fresh batch of grievances (half web forms with a factory code and a phone number,
half first SMS from new workers to a factory's gateway number, in Chinese and English, across the
example registry's factories and categories) and measures, each in a process of its own:

(b) raw aio-pika publishes with confirms (mandatory, persistent, the properties the bus sets) of the
    batch into the router's queue, from as many concurrent publishers as the router's prefetch;
(a) raw aio-pika consume and ack of that batch from the queue (the same prefetch);
(d) raw consume, one majority ``insert_one`` of the body into the store, and ack: the floor that any
    router writing each grievance durably has on this store (the batch published again, not timed);
(c) the router: the batch is published again (not timed), then ``GrievanceConsumer`` consumes it
    through its runtime (an ``AmqpBus`` and the store, as ``grievance serve router`` runs it: INFO
    logs written, as JSON, to /dev/null, the collector tuned once started) until every grievance
    is a case and both its events (``case.assigned`` and the worker's acknowledgement) are
    confirmed. Every round's router has a fresh database with the example registry loaded.

Rounds interleave (b, a, c, b, a, c, ...; three by default) so a slow spell of this shared machine
weighs on all three; the medians are compared: router / H(a, b) with 1/H = 1/a + 1/b, the rate of
doing one consume and one publish each (target >= 0.5; each round's ratio is shown too). The router
does more than that per grievance (two confirmed publishes, a handful of store calls), so the
ratio says what the rest costs. Every line shows the CPU its process spent per grievance; the
store's server and the broker run in processes of their own.

The broker is the shared one at GRIEVANCE_TEST_AMQP_URL (or 127.0.0.1:5672), used under a fresh
namespace that is deleted afterwards; nothing else on it is touched. The store is ``--mongo-url``,
else GRIEVANCE_TEST_MONGO_URL. Run on the real-server lane::

    .venv/bin/python -m tests.realserver.lane -- .venv/bin/python -m bench.router
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aio_pika
from cryptography.fernet import Fernet

from bench.intake import cleanup, declare, harmonic_rate, start
from bench.proc import cpu_seconds, server_pid
from shared.contracts import GrievanceReceived
from shared.ids import reference_for
from shared.messaging import DEAD_SUFFIX, EXCHANGE

ROUTER_QUEUE = "router.grievances"
DOWNSTREAM = ("escalation.cases", "intake.outbound")  # one event each per grievance
POLL_SECONDS, POLLS = 0.02, 30_000  # how the router's run sees its end, and for ten minutes at most
PREFETCH = 128  # the bus's default prefetch, and so the raw consumer's and publishers' concurrency
REGISTRY = Path(__file__).resolve().parents[1] / "examples" / "registry.yaml"
# (factory code, its gateway number, language, text): categories from wages to health and safety.
GRIEVANCES = (
    ("GZ-001", "+8610690000001", "zh", "工厂上个月的加班费没有发，工资也晚发了两个星期。"),
    ("GZ-001", "+8610690000011", "zh", "车间晚上把安全出口锁起来了，着火怎么办？"),
    ("DG-002", "+8610690000002", "zh", "我们每天工作十二个小时，周末也不能休息。"),
    ("DG-002", "+8610690000002", "zh", "食堂的饭菜不干净，很多人吃了拉肚子。"),
    (
        "SZ-003",
        "+8610690000003",
        "en",
        "Our overtime was not paid for March and the supervisor shouts at us.",
    ),
    ("SZ-003", "+8610690000003", "en", "The fire exit on the second floor is blocked by boxes every night."),
)


@dataclass
class Run:
    name: str
    count: int
    seconds: float
    cpu_s: float  # of the process measured
    failures: int = 0
    store_cpu_s: float | None = None  # of the store's server meanwhile, when it can be seen

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def line(self) -> str:
        store = (
            "" if self.store_cpu_s is None else f", store's server {self.store_cpu_s / self.count * 1e6:5.0f}"
        )
        return (
            f"{self.name:<36} {self.rate:6.0f} grievances/s   {self.count} in {self.seconds:6.2f} s   "
            f"CPU per grievance {self.cpu_s / self.count * 1e6:5.0f} µs{store}   failures {self.failures}"
        )


# -- the batch ---------------------------------------------------------------------------------------


def batch(count: int, contact_key: str, pseudonym_key: str, seed: int) -> list[tuple[bytes, dict[str, Any]]]:
    """``grievance.received`` bodies and the message properties the bus publishes them with."""
    from shared.privacy import load_keys, reporter_key, seal
    from shared.settings import Settings

    keys = load_keys(Settings(contact_key=contact_key, pseudonym_key=pseudonym_key))
    rng = random.Random(seed)
    messages = []
    for i in range(count):
        factory, gateway, language, text = rng.choice(GRIEVANCES)
        gid = uuid.uuid4()
        phone = f"+86139{rng.randrange(10**8):08d}"
        sms = i % 2 == 1
        event = GrievanceReceived(
            correlation_id=gid,
            grievance_id=gid,
            reference=reference_for(gid),
            channel="sms" if sms else "web",
            provider="twilio" if sms else "web",
            provider_message_id="SM" + gid.hex if sms else None,
            received_at=datetime.now(UTC),
            text=text,
            language=language,
            factory_hint=gateway if sms else factory,
            gateway_number=gateway if sms else None,
            reporter_key=reporter_key(keys, phone),
            sealed_contact=seal(keys, phone),
        )
        properties = {
            "message_id": str(event.id),
            "correlation_id": str(gid),
            "type": event.type,
            "timestamp": event.occurred_at,
        }
        messages.append((event.to_json(), properties))
    return messages


# -- (b) raw publishing, (a) raw consuming (child processes) -----------------------------------------


def raw_publisher(url: str, exchange: str, messages: list[tuple[bytes, dict[str, Any]]], out: Any) -> None:
    out.put(asyncio.run(_publish(url, exchange, messages)))


async def _publish(
    url: str, name: str, messages: list[tuple[bytes, dict[str, Any]]]
) -> tuple[float, float, int]:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(name)
        pending = iter(messages)
        failures = 0

        async def worker() -> None:
            nonlocal failures
            for body, properties in pending:
                message = aio_pika.Message(
                    body,
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    headers={"schema_version": 1},
                    **properties,
                )
                try:
                    async with asyncio.timeout(5):
                        await exchange.publish(message, routing_key="grievance.received.v1", mandatory=True)
                except Exception:
                    failures += 1

        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(PREFETCH)))
        return time.perf_counter() - started, time.process_time() - cpu, failures


def raw_consumer(url: str, queue: str, count: int, out: Any) -> None:
    out.put(asyncio.run(_consume(url, queue, count)))


async def _consume(
    url: str, name: str, count: int, store: tuple[str, str] | None = None
) -> tuple[float, float, int]:
    """Consume and ack ``count`` messages; with ``store``, insert each body first (majority write)."""
    from pymongo import WriteConcern

    from shared.bootstrap import open_store_client

    client = open_store_client(store[0]) if store else None
    collection = (
        client[store[1]].get_collection("raw", write_concern=WriteConcern("majority"))
        if client is not None and store is not None
        else None
    )
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.get_queue(name)
        done = asyncio.get_running_loop().create_future()
        acked = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal acked
            if collection is not None:
                await collection.insert_one({"_id": message.message_id, "body": message.body})
            await message.ack()
            acked += 1
            if acked == count and not done.done():
                done.set_result(None)

        cpu, started = time.process_time(), time.perf_counter()
        tag = await queue.consume(on_message)
        await done
        seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
        await queue.cancel(tag)
    if client is not None:
        client.close()
    return seconds, cpu_s, 0


def raw_storer(url: str, queue: str, count: int, mongo_url: str, db_name: str, out: Any) -> None:
    out.put(asyncio.run(_consume(url, queue, count, store=(mongo_url, db_name))))


# -- (c) the router (child process) -----------------------------------------------------------------


def router(overrides: dict[str, Any], count: int, out: Any) -> None:
    """The router's consumer through its runtime, logging as production does, to /dev/null."""
    from shared.log import configure_logging
    from shared.settings import Settings

    settings = Settings(**overrides)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    configure_logging(settings.log_level, settings.log_format)
    out.put(asyncio.run(_route(settings, count)))


async def _route(settings: Any, count: int) -> tuple[float, float, float]:
    from services.router.app import bootstrap
    from services.router.consumer import QUEUE, handlers
    from shared.bootstrap import open_runtime
    from shared.serving import tune_collector

    async with open_runtime(settings) as runtime:
        tune_collector()  # what run_service does once the service has started
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            channel = await connection.channel()
            cpu, started = time.process_time(), time.perf_counter()
            await runtime.bus.consume(QUEUE, handlers(bootstrap(runtime).consumer))
            half = None
            for _ in range(POLLS):
                if half is None and await _all_downstream(channel, settings.amqp_namespace, count // 2):
                    half = time.perf_counter() - started
                if await _all_downstream(channel, settings.amqp_namespace, count):
                    break
                await asyncio.sleep(POLL_SECONDS)
            else:
                raise RuntimeError("the router did not route the whole batch in time")
            seconds, cpu_s = time.perf_counter() - started, time.process_time() - cpu
    # The second element is the time the first half of the batch took.
    return seconds, cpu_s, half or seconds


async def _all_downstream(channel: Any, namespace: str, count: int) -> bool:
    """Both events of every grievance are confirmed (the router acks each right after its last)."""
    for name in DOWNSTREAM:
        queue = await channel.declare_queue(namespace + name, passive=True)
        if queue.declaration_result.message_count < count:
            return False
    return True


# -- orchestration -------------------------------------------------------------------------------------


def in_child(target: Any, *args: Any, store_pid: int | None = None) -> tuple[Any, float | None]:
    """What ``target`` reports from a process of its own, and the store server's CPU meanwhile."""
    out = multiprocessing.get_context("spawn").SimpleQueue()
    before = cpu_seconds(store_pid) if store_pid else None
    process = start(target, *args, out)
    result = out.get()
    after = cpu_seconds(store_pid) if store_pid else None
    process.join(10)
    return result, (after - before if before is not None and after is not None else None)


async def purge(url: str, namespace: str, names: tuple[str, ...]) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await (await channel.get_queue(namespace + name)).purge()


async def prepare_store(mongo_url: str, db_name: str) -> None:
    from services.router.app import INDEXES
    from services.router.registry import load_registry_file
    from shared.bootstrap import open_store_client
    from shared.store import ensure_indexes

    client = open_store_client(mongo_url)
    db = client[db_name]
    await ensure_indexes(db, INDEXES)
    await load_registry_file(db, REGISTRY)
    client.close()


async def finish_store(mongo_url: str, db_name: str, count: int) -> None:
    from services.router.case_store import CASES
    from shared.bootstrap import open_store_client

    client = open_store_client(mongo_url)
    cases = await client[db_name][CASES].count_documents({})
    await client.drop_database(db_name)
    client.close()
    if cases != count:
        raise SystemExit(f"the router made {cases} cases of {count} grievances")


async def measure_round(
    number: int, count: int, amqp_url: str, mongo_url: str, namespace: str, keys: dict[str, str]
) -> tuple[Run, Run, Run, Run]:
    messages = batch(count, keys["contact_key"], keys["pseudonym_key"], seed=number)
    exchange = namespace + EXCHANGE
    (seconds, cpu, failures), _ = in_child(raw_publisher, amqp_url, exchange, messages)
    publish = Run("(b) raw aio-pika publish + confirm", count, seconds, cpu, failures)
    print(publish.line(), flush=True)
    (seconds, cpu, _), _ = in_child(raw_consumer, amqp_url, namespace + ROUTER_QUEUE, count)
    consume = Run("(a) raw aio-pika consume + ack", count, seconds, cpu)
    print(consume.line(), flush=True)

    db_name = f"bench_router_{uuid.uuid4().hex[:8]}"
    in_child(raw_publisher, amqp_url, exchange, messages)  # pre-filled again, for (d)
    (seconds, cpu, _), store_cpu = in_child(
        raw_storer,
        amqp_url,
        namespace + ROUTER_QUEUE,
        count,
        mongo_url,
        db_name,
        store_pid=server_pid(mongo_url),
    )
    floor = Run("(d) raw consume + one insert + ack", count, seconds, cpu, store_cpu_s=store_cpu)
    print(floor.line(), flush=True)
    await drop_database(mongo_url, db_name)

    await prepare_store(mongo_url, db_name)
    in_child(raw_publisher, amqp_url, exchange, messages)  # the queue the router finds, pre-filled
    overrides = {
        "amqp_url": amqp_url,
        "amqp_namespace": namespace,
        "mongo_url": mongo_url,
        "mongo_db": db_name,
        "log_level": "INFO",
        "log_format": "json",
        **keys,
    }
    (seconds, cpu, half), store_cpu = in_child(router, overrides, count, store_pid=server_pid(mongo_url))
    routed = Run("(c) router: grievances into cases", count, seconds, cpu, store_cpu_s=store_cpu)
    first, second = count // 2 / half, (count - count // 2) / max(seconds - half, 1e-9)
    print(routed.line() + f"   (first half {first:.0f}/s, second half {second:.0f}/s)", flush=True)
    await purge(amqp_url, namespace, (ROUTER_QUEUE, ROUTER_QUEUE + DEAD_SUFFIX, *DOWNSTREAM))
    await finish_store(mongo_url, db_name, count)
    return consume, publish, routed, floor


async def drop_database(mongo_url: str, db_name: str) -> None:
    from shared.bootstrap import open_store_client

    client = open_store_client(mongo_url)
    await client.drop_database(db_name)
    client.close()


async def main(amqp_url: str, mongo_url: str, count: int, rounds: int) -> None:
    namespace = f"bench-{uuid.uuid4().hex[:8]}."
    keys = {"contact_key": Fernet.generate_key().decode(), "pseudonym_key": "bench-pseudonym-key-0123456789"}
    print(f"{count} grievances per run; broker namespace {namespace!r}; store {mongo_url.split('?')[0]}")
    await declare(amqp_url, namespace)
    try:
        measured = []
        for number in range(1, rounds + 1):
            print(f"round {number} of {rounds}", flush=True)
            measured.append(await measure_round(number, count, amqp_url, mongo_url, namespace, keys))
    finally:
        await cleanup(amqp_url, namespace)
    consume, publish, routed, floor = (statistics.median(r[i].rate for r in measured) for i in range(4))
    harmonic = harmonic_rate(consume, publish)
    per_round = ", ".join(f"{c.rate / harmonic_rate(a.rate, b.rate):.2f}" for a, b, c, _ in measured)
    print()
    print(f"medians of {rounds} rounds: (a) {consume:.0f}, (b) {publish:.0f}, (c) {routed:.0f} grievances/s")
    print(f"H = 1/(1/a + 1/b)              {harmonic:8.0f} grievances/s")
    print(f"router / H                     {routed / harmonic:5.2f}   (target >= 0.50; rounds: {per_round})")
    print(
        f"router / (d)                   {routed / floor:5.2f}   (d) = {floor:.0f}/s: the store's floor, one "
        "majority write per grievance and nothing else"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="grievances per run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (b), (a) and (c)")
    parser.add_argument(
        "--amqp-url", default=os.environ.get("GRIEVANCE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    )
    parser.add_argument("--mongo-url", default=os.environ.get("GRIEVANCE_TEST_MONGO_URL"))
    options = parser.parse_args()
    if not options.mongo_url:
        parser.error("give --mongo-url or run on the real-server lane (GRIEVANCE_TEST_MONGO_URL)")
    asyncio.run(main(options.amqp_url, options.mongo_url, options.count, options.rounds))
