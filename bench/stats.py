"""``GET /api/v1/stats`` over 100,000 cases against a bare ``count_documents`` of the same records.

The statistics are an aggregation pipeline (:mod:`services.escalation.stats`): the server counts and
picks the medians, a few rows come back. The baseline is the cheapest thing that still reads every
record in scope: ``count_documents`` with the same filter on the same collection. Measured, in
interleaved rounds (a, b, c, a, b, c, ...; medians over the rounds, each round's ratio shown too):

(a) ``count_documents`` of the statistics' scope (all assigned records);
(b) ``GET /api/v1/stats`` with an NGO token for all factories, through the escalation service as
    ``create_app`` builds it (a real aiohttp server on a free port; its consumer and sweeper run too,
    with nothing to do);
(c) the former way, for comparison: fetch the record fields (``stats_store.records_for_stats``) and compute
    in Python (``stats.compute``).

Target: (b) / (a) <= 20. In every round the answer of (b) is checked to be exactly what (c)
computes over the same records. Each line also shows the CPU this process spent: the client's share
of (a) and (c), and the whole of (b) but the store's server.

The records are varied: six factories and the unroutable (no factory), every category and severity,
some never held by a committee, acknowledged on time or late or not yet, resolved or not, disputed,
reopened, recategorised. They are made as the consumer makes them (``records.merge`` of the router's
events), with every deadline that was already overdue settled as a sweep settles it, so the service's
sweeper finds nothing to do while it is measured. Run::

    .venv/bin/python -m tests.realserver.lane -- .venv/bin/python -m bench.stats   # SecantusDB
    .venv/bin/python -m bench.stats --mongo-url mongodb://127.0.0.1:27017           # a real MongoDB
    .venv/bin/python -m bench.stats --mongo-url memory:// --total 10000               # mongomock

The store is ``--mongo-url``, else ``GRIEVANCE_TEST_MONGO_URL``, else the in-memory engine; the
collection lives in a fresh database that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import dataclasses
import json
import os
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from cryptography.fernet import Fernet

from services.escalation import documents, policy, records, stats, stats_store, store
from services.escalation.app import create_app
from shared.auth import issue_token
from shared.bootstrap import open_store_client
from shared.contracts import CATEGORIES, CaseAssigned, CaseUpdated, Severity
from shared.ids import reference_for
from shared.log import configure_logging
from shared.memorybus import MemoryBus
from shared.privacy import load_keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes
from shared.web import RUNNER_OPTIONS

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
FACTORIES = ("GZ-001", "GZ-002", "SZ-001", "SZ-002", "DG-001", "FS-001")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "normal")
TEMPLATES = 2000  # distinct records; the collection holds copies of them under fresh case ids


# -- the records --------------------------------------------------------------------------------------


# The status a case is left in by an action whose name is not a status.
STATUS_AFTER = {"recategorised": "acknowledged", "replied": "acknowledged", "disputed": "reopened"}


def varied_record(rng: random.Random, settings: Settings) -> dict[str, Any]:
    """One record as the consumer leaves it after the router's events of a plausible case history."""
    gid = uuid.uuid4()
    created = NOW - timedelta(days=rng.uniform(0, 120))
    severity = rng.choice(SEVERITIES)
    category = rng.choice(CATEGORIES)
    picked: str = rng.choice(FACTORIES)
    factory: str | None = picked
    committee: str | None = f"{picked.lower()}-spt"
    reason = None
    if rng.random() < 0.03:
        factory, committee, reason = None, None, "unroutable"
    elif rng.random() < 0.03:
        committee, reason = None, "conflict_of_interest"
    deadlines = settings.sla.for_severity(severity)
    assigned = CaseAssigned(
        correlation_id=gid,
        occurred_at=created,
        case_id=str(gid),
        reference=reference_for(gid),
        factory_id=factory,
        committee_id=committee,
        unassigned_reason=reason,
        category=category,
        severity=severity,
        ack_due_at=created + deadlines.ack,
        resolve_due_at=created + deadlines.resolve,
        channel="sms",
        language="zh",
        text="工资没有按时发放，加班费也没有算。",
        sealed_contact="sealed-bench-contact",
        gateway_number="+8610690000001",
        created_at=created,
    )
    record = records.merge(None, assigned, settings.sla, NOW)
    assert record is not None and record.state is not None
    at = created
    for action, chance, actor, spread in (
        ("recategorised", 0.05, "committee", 1.0),
        ("acknowledged", 0.75, "committee", 3.0),
        ("replied", 0.5, "committee", 2.0),
        ("resolved", 0.6, "committee", 20.0),
        ("disputed", 0.08, "worker", 2.0),
        ("reopened", 0.5, "committee", 1.0),
    ):
        resolved = record.state is not None and record.state.resolved_at is not None
        if rng.random() >= chance or (action in ("disputed", "reopened") and not resolved):
            continue
        at += timedelta(days=rng.uniform(0, spread))
        if at > NOW:
            break
        extra: dict[str, Any] = {}
        if action == "recategorised":
            extra = {"category": rng.choice(CATEGORIES), "severity": rng.choice(SEVERITIES)}
        update = CaseUpdated(
            correlation_id=gid,
            occurred_at=at,
            case_id=str(gid),
            reference=assigned.reference,
            action=action,
            actor_role=actor,
            at=at,
            status=STATUS_AFTER.get(action, action),
            **extra,
        )
        record = records.merge(record, update, settings.sla, NOW) or record
    # What a sweep at NOW leaves behind: overdue deadlines escalated and no longer watched.
    overdue = sorted(policy.overdue_reasons(record.fold(settings.sla), record.escalated, NOW))
    record = dataclasses.replace(record, escalated=(*record.escalated, *overdue)).derive(settings.sla)
    return documents.record_document(record)


def record_docs(settings: Settings, total: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    templates = [varied_record(rng, settings) for _ in range(min(TEMPLATES, total))]
    docs = []
    for i in range(total):
        doc = copy.copy(templates[i % len(templates)])
        doc["case_id"] = str(uuid.uuid4())
        docs.append(doc)
    return docs


# -- measuring ---------------------------------------------------------------------------------------


@dataclass
class Timing:
    """One measurement's wall-clock seconds per round, and the CPU this process spent in each.

    This process is the client of (a) and (c) and serves (b); the store's server (SecantusDB or
    MongoDB) runs in its own process, so its CPU is not in here.
    """

    name: str
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    async def run(self, call: Callable[[], Awaitable[Any]]) -> Any:
        cpu, started = time.process_time(), time.perf_counter()
        result = await call()
        self.seconds.append(time.perf_counter() - started)
        self.cpu.append(time.process_time() - cpu)
        return result

    def last(self) -> str:
        return f"{self.name} {self.seconds[-1] * 1000:7.0f} ms (CPU here {self.cpu[-1] * 1000:5.0f} ms)"


async def serve(runtime: Runtime) -> tuple[web.AppRunner, str]:
    """The escalation service as ``create_app`` builds it, on a free port of this machine."""
    runner = web.AppRunner(create_app(runtime.settings, runtime), **RUNNER_OPTIONS)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def fill(db: Any, settings: Settings, total: int, seed: int, indexes: bool) -> float:
    started = time.perf_counter()
    if indexes:
        await ensure_indexes(db, store.INDEXES)
    docs = record_docs(settings, total, seed)
    for i in range(0, total, 5000):
        await db[store.RECORDS].insert_many(docs[i : i + 5000], ordered=False)
    return time.perf_counter() - started


async def measure(runtime: Runtime, rounds: int) -> list[Timing]:
    """(a), (b) and (c) in interleaved rounds; every round checks (b) against (c)."""
    db = runtime.db
    runner, base = await serve(runtime)
    token, _ = await issue_token(db, "ngo")
    scope = stats_store.stats_scope(None, None)
    timings = [Timing("(a) count_documents"), Timing("(b) GET /api/v1/stats"), Timing("(c) fetch + Python")]
    try:
        async with aiohttp.ClientSession(base, headers={"Authorization": f"Bearer {token}"}) as http:

            async def count() -> int:
                return int(await db[store.RECORDS].count_documents(scope))

            async def api() -> dict[str, Any]:
                async with http.get("/api/v1/stats") as response:
                    assert response.status == 200, response.status
                    body: dict[str, Any] = await response.json()
                    return body

            async def python() -> dict[str, Any]:
                return stats.compute(await stats_store.records_for_stats(db, None, None), NOW).answer()

            for number in range(1, rounds + 1):
                counted, served, computed = [
                    await timing.run(call) for timing, call in zip(timings, (count, api, python), strict=True)
                ]
                print(f"round {number} of {rounds}: " + "   ".join(t.last() for t in timings), flush=True)
                served.pop("since")
                if served != json.loads(json.dumps(computed)) or counted != served["total"]["received"]:
                    raise SystemExit("the pipeline's answer differs from the Python computation")
    finally:
        await runner.cleanup()
    print(f"answers of (b) and (c) identical in every round; total {served['total']}")
    return timings


def report(timings: list[Timing]) -> None:
    a, b, c = timings
    per_round = ", ".join(f"{y / x:.1f}" for x, y in zip(a.seconds, b.seconds, strict=True))
    print()
    for timing in timings:
        cpu = statistics.median(timing.cpu) * 1000
        print(f"{timing.name:<24} median {timing.median * 1000:7.0f} ms   CPU here {cpu:6.0f} ms")
    print(f"(b) / (a)   {b.median / a.median:6.1f}   (target <= 20; rounds: {per_round})")
    print(f"(c) / (a)   {c.median / a.median:6.1f}")


async def main(url: str, total: int, rounds: int, seed: int) -> None:
    settings = Settings(contact_key=Fernet.generate_key().decode(), pseudonym_key="bench-pseudonym-key")
    client = open_store_client(url)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    bus = MemoryBus()
    await bus.start()
    runtime = Runtime(settings, bus, client[name], load_keys(settings), lambda: NOW)
    real = url != "memory://"
    try:
        # mongomock checks a unique index by scanning the collection on every insert: none there.
        seconds = await fill(runtime.db, settings, total, seed, indexes=real)
        print(f"{total} records in a fresh database ({url.split('?')[0]}), filled in {seconds:.1f} s")
        timings = await measure(runtime, rounds)
    finally:
        await bus.close()
        if real:
            await client.drop_database(name)
        client.close()
    report(timings)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mongo-url", default=os.environ.get("GRIEVANCE_TEST_MONGO_URL", "memory://"))
    parser.add_argument("--total", type=int, default=100_000, help="records in the collection")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of (a), (b) and (c)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the varied records")
    options = parser.parse_args()
    configure_logging("WARNING", "console")
    asyncio.run(main(options.mongo_url, options.total, options.rounds, options.seed))
