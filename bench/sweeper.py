"""Sweep cost against the share of overdue cases: 100,000 records with 1% overdue, then with 10%.

The sweeper's queries read the sparse ``ack_pending_due`` index with ``{$lte: now}``, so on MongoDB a
sweep should cost what its overdue cases cost: about ten times more for ten times as many overdue
cases (target: 10% / 1% sweep time <= 12), and nothing for the cases still within their deadlines.
Run::

    .venv/bin/python -m tests.realserver.lane -- .venv/bin/python -m bench.sweeper   # SecantusDB
    .venv/bin/python -m bench.sweeper --mongo-url mongodb://127.0.0.1:27017          # a real MongoDB
    .venv/bin/python -m bench.sweeper --mongo-url memory://                          # mongomock

The store is ``--mongo-url``, else ``GRIEVANCE_TEST_MONGO_URL`` (the real-server lane sets it), else
the in-memory engine. On a server, before each sweep, ``store.explain_due`` explains the sweep's
query for each watched deadline over everything the sweep will read (its batches of 500 together):
the documents it examines should be the overdue records and no others, and after the sweep none.
SecantusDB executes the explained query and reports, for an index scan, one document examined per
match (a collection scan reports the whole collection), so there the numbers show the plan and the
match count; MongoDB counts what it examined. mongomock has no query planner: every query and every
update scans the whole collection, so there the time per overdue case includes a scan of all
100,000 records and the absolute numbers say little about MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet

from services.escalation import documents, records, store
from services.escalation.policy import SWEPT_REASONS
from services.escalation.records import CaseRecord
from services.escalation.sweeper import BATCH, sweep_once
from shared.bootstrap import open_store_client
from shared.contracts import CaseAssigned, EscalationReason
from shared.log import configure_logging
from shared.memorybus import MemoryBus
from shared.privacy import load_keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import ensure_indexes

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SWEPT = SWEPT_REASONS  # the reasons whose pending deadlines a sweep reads


def template(settings: Settings) -> CaseRecord:
    """One record as the consumer writes it, to be copied with other ids and deadlines."""
    gid = uuid.uuid4()
    event = CaseAssigned(
        correlation_id=gid,
        case_id=str(gid),
        reference="ABCDE-FGHJK",
        factory_id="GZ-001",
        committee_id="gz-001-spt",
        category="wages",
        severity="normal",
        ack_due_at=NOW,
        resolve_due_at=NOW + timedelta(days=15),
        channel="sms",
        language="zh",
        text="bench",
        sealed_contact="sealed-bench-contact",
        created_at=NOW - timedelta(days=2),
    )
    record = records.merge(None, event, settings.sla, NOW)
    assert record is not None and record.assignment is not None and record.state is not None
    return record


def record_docs(settings: Settings, total: int, overdue: int) -> list[dict[str, Any]]:
    """The records as the store writes them (documents.record_document), each with its own deadline."""
    base = template(settings)
    assert base.assignment is not None and base.state is not None
    docs = []
    for i in range(total):
        # Overdue ones passed their deadline up to a few hours ago, one a second; the others have
        # hours to go.
        due = NOW - timedelta(seconds=1 + i) if i < overdue else NOW + timedelta(hours=1, seconds=i)
        record = dataclasses.replace(
            base,
            case_id=str(uuid.uuid4()),
            assignment=dataclasses.replace(base.assignment, ack_due_at=due),
            state=dataclasses.replace(base.state, ack_due_at=due),
            pending=dataclasses.replace(base.pending, ack=due),
        )
        docs.append(documents.record_document(record))
    return docs


@dataclass
class Bench:
    """One collection of records, 10% overdue at NOW; earlier, at ``low_now``, only 1% are."""

    db: Any
    settings: Settings
    docs: list[dict[str, Any]]
    real: bool
    total: int
    batch: int

    @property
    def low_now(self) -> datetime:
        overdue, low = self.total // 10, self.total // 100
        return NOW - timedelta(seconds=overdue - low + 0.5)

    async def fill(self) -> float:
        started = time.perf_counter()
        for i in range(0, self.total, 10_000):
            await self.db[store.RECORDS].insert_many(self.docs[i : i + 10_000], ordered=False)
        return time.perf_counter() - started

    async def restore(self) -> float:
        """Put back what a sweep changed: the watched deadlines, the reasons, no escalations.

        On a server one update does it (an update with a pipeline: MongoDB 4.2+); mongomock cannot
        run that one and fills its collections again, which is quick in memory.
        """
        started = time.perf_counter()
        if self.real:
            await self.db[store.ESCALATIONS].delete_many({})
            await self.db[store.RECORDS].update_many(
                {"escalated": "ack_overdue"},
                [
                    {
                        "$set": {
                            "ack_pending_due": "$ack_due_at",
                            "escalated": {"$setDifference": ["$escalated", ["ack_overdue"]]},
                        }
                    }
                ],
            )
        else:  # dropped, not emptied: mongomock deletes one document at a time
            await self.db[store.ESCALATIONS].drop()
            await self.db[store.RECORDS].drop()
            await self.fill()
        return time.perf_counter() - started

    async def sweep(self, now: datetime, overdue: int) -> dict[str, Any]:
        # What the sweep's queries will examine, all batches together; then what is left after it.
        explained = {field: await self.explain(field, now) for field in SWEPT} if self.real else None
        bus = MemoryBus()
        await bus.start()
        runtime = Runtime(self.settings, bus, self.db, load_keys(self.settings), lambda: now)
        started = time.perf_counter()
        opened = await sweep_once(
            runtime.db, runtime.bus, runtime.settings.sla, runtime.clock, batch=self.batch
        )
        sweep = time.perf_counter() - started
        await bus.close()
        left = {field: await self.explain(field, now) for field in SWEPT} if self.real else None
        assert opened == overdue, (opened, overdue)
        return {
            "total": self.total,
            "overdue": overdue,
            "sweep_s": sweep,
            "explain": explained,
            "after": left,
        }

    async def explain(self, reason: EscalationReason, now: datetime) -> store.QueryCost | None:
        """``explain`` of the sweep's query for ``reason`` for every record it matches (not one batch)."""
        return await store.explain_due(self.db, reason, now, self.total)


def report(result: dict[str, Any]) -> None:
    per_case = result["sweep_s"] / max(result["overdue"], 1) * 1000
    print(
        f"{result['total']:>7} records, {result['overdue']:>6} overdue: "
        f"sweep {result['sweep_s']:7.3f} s ({per_case:.3f} ms per escalation)",
        flush=True,
    )
    if result["explain"]:
        examined = sum(e.docs_examined or 0 for e in result["explain"].values() if e)
        for field, before in result["explain"].items():
            print(f"    {field:<20} before the sweep {before}; after it {result['after'][field]}")
        verdict = "equal to" if examined == result["overdue"] else "NOT equal to"
        print(f"    documents examined by the sweep's queries: {examined}, {verdict} the overdue records")


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mongo-url", default=os.environ.get("GRIEVANCE_TEST_MONGO_URL", "memory://"))
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--rounds", type=int, default=1, help="interleaved rounds of 1%% and 10%% overdue")
    args = parser.parse_args()
    configure_logging("WARNING", "console")  # one line per escalation would be timed too
    settings = Settings(contact_key=Fernet.generate_key().decode(), pseudonym_key="bench-pseudonym-key")
    client = open_store_client(args.mongo_url)
    name = f"bench_{uuid.uuid4().hex[:8]}"
    real = args.mongo_url != "memory://"
    bench = Bench(
        client[name],
        settings,
        record_docs(settings, args.total, args.total // 10),
        real,
        args.total,
        args.batch,
    )
    lows, highs = [], []
    try:
        # mongomock checks a unique index by scanning the collection on every insert (quadratic
        # fill) and never uses an index to answer; the escalation ids are unique `_id`s, so
        # exactly-once still holds there without them.
        if real:
            await ensure_indexes(bench.db, store.INDEXES)
        print(f"{args.total} records filled in {await bench.fill():.1f} s", flush=True)
        for number in range(1, args.rounds + 1):
            print(f"round {number} of {args.rounds}", flush=True)
            lows.append(await bench.sweep(bench.low_now, args.total // 100))
            report(lows[-1])
            print(f"    restored in {await bench.restore():.1f} s", flush=True)
            highs.append(await bench.sweep(NOW, args.total // 10))
            report(highs[-1])
            if number < args.rounds:
                print(f"    restored in {await bench.restore():.1f} s", flush=True)
    finally:
        if real:
            await client.drop_database(name)
        client.close()
    low = statistics.median(r["sweep_s"] for r in lows)
    high = statistics.median(r["sweep_s"] for r in highs)
    per_round = ", ".join(f"{h['sweep_s'] / lo['sweep_s']:.1f}" for lo, h in zip(lows, highs, strict=True))
    print(
        f"sweep time ratio 10% / 1% overdue: {high / low:.1f} (overdue ratio 10.0; target <= 12; rounds: {per_round})"
    )
    if not real:
        print(
            "documents examined: mongomock cannot explain; it scans every record per query. On MongoDB "
            "the sweep query is an index range scan on the sparse ack_pending_due index, so it examines "
            "only the records it returns (run on the real-server lane or with --mongo-url to see it)."
        )


if __name__ == "__main__":
    asyncio.run(main())
