"""Helpers for the router's tests: grievance events, a served router, tokens and a failing bus.

Not a test module of its own; the router's service and broker tests import it.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.router.app import create_app
from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.registry import load_registry_file
from shared.auth import issue_token
from shared.contracts import (
    Channel,
    DeliveryReason,
    DeliveryState,
    Event,
    GrievanceReceived,
    Language,
    MessageDeliveryChanged,
    MessageOutbound,
)
from shared.ids import reference_for
from shared.keywords import parse
from shared.messaging import Bus, DeadLetter, Handler, PublishError, Replayed
from shared.privacy import Keys, normalise_e164, reporter_key, seal, unseal
from shared.runtime import Runtime
from shared.store import Database
from tests.fakes import memory_bus_of, sensitive
from tests.servers import ServiceServer

REGISTRY = Path(__file__).resolve().parents[2] / "examples" / "registry.yaml"
GZ_NUMBER = "+8610690000001"
DG_NUMBER = "+8610690000002"
SZ_NUMBER = "+8610690000003"


def fresh_phone() -> str:
    """A worker number of its own, so each grievance comes from a different reporter."""
    return sensitive(f"+86139{secrets.randbelow(10**8):08d}")


def grievance(
    keys: Keys,
    text: str,
    *,
    phone: str | None = "fresh",
    channel: Channel = "sms",
    to: str | None = GZ_NUMBER,
    factory_hint: str | None = None,
    language: Language = "zh",
    received_at: datetime | None = None,
    grievance_id: uuid.UUID | None = None,
    reference: str | None = None,
    pin_hash: str | None = None,
) -> GrievanceReceived:
    """A grievance as intake would publish it; the text and phone are registered as sensitive.

    Unless a phone is given, each grievance comes from a new worker (a message from a worker with an
    open case would be a follow-up to it).
    """
    if parse(text) is None or len(text) > 12:
        sensitive(text)  # keywords such as "status" are no personal data, and common words in logs
    if phone == "fresh":
        phone = fresh_phone()
    gid = grievance_id or uuid.uuid4()
    number = normalise_e164(phone) if phone else None
    return GrievanceReceived(
        correlation_id=gid,
        grievance_id=gid,
        reference=reference or reference_for(gid),
        channel=channel,
        provider="twilio" if channel == "sms" else "web",
        provider_message_id=("SM" + gid.hex) if channel == "sms" else None,
        received_at=received_at or datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        text=text,
        language=language,
        factory_hint=factory_hint if factory_hint is not None else to,
        gateway_number=to if channel == "sms" else None,
        reporter_key=reporter_key(keys, number) if number else None,
        sealed_contact=seal(keys, number) if number else None,
        anonymous=True,
        pin_hash=pin_hash,
    )


async def committee_tokens(runtime: Runtime) -> dict[str, str]:
    """Load the example registry and issue one token per committee, plus an NGO and an admin token."""
    await load_registry_file(runtime.db, REGISTRY)
    tokens = {}
    for committee in ("gz-001-spt", "gz-001-women", "dg-002-wages", "dg-002-safety", "sz-003-spt"):
        tokens[committee], _ = await issue_token(runtime.db, "committee", committee_id=committee)
    tokens["ngo"], _ = await issue_token(runtime.db, "ngo")
    tokens["admin"], _ = await issue_token(runtime.db, "admin")
    return tokens


class RouterClient(TestClient[web.Request, web.Application]):
    """A client of the served router that also holds, in ``received``, what the router published to
    the queues it binds (escalation's and intake's outbound)."""

    def __init__(self, server: TestServer, received: list[Event]) -> None:
        super().__init__(server)
        self.received = received


@asynccontextmanager
async def serve(runtime: Runtime) -> AsyncIterator[RouterClient]:
    """The router served over HTTP; what it publishes is consumed from the bound queues into
    ``client.received`` (so the in-memory bus can drain)."""
    app = create_app(runtime.settings, runtime)
    received: list[Event] = []

    async def collect(event: Event) -> None:
        received.append(event)

    for queue in ("escalation.cases", "intake.outbound"):
        await runtime.bus.consume(queue, collect)
    async with RouterClient(ServiceServer(app), received) as client:
        yield client


async def announce_delivery(
    runtime: Runtime,
    sent: MessageOutbound,
    state: DeliveryState,
    *,
    error_code: str | None = None,
    reason: DeliveryReason | None = None,
) -> None:
    """What intake's announcer publishes of a message it handled (services/intake/announcer.py),
    delivered to the router before this returns."""
    await runtime.bus.publish(
        MessageDeliveryChanged(
            correlation_id=sent.correlation_id,
            outbound_id=sent.id,
            case_id=sent.case_id,
            reference=sent.reference,
            state=state,
            error_code=error_code,
            reason=reason,
            at=runtime.clock(),
        )
    )
    await memory_bus_of(runtime).drain()


async def stored_case(cases: CaseStore, grievance_id: uuid.UUID | str) -> Case:
    """The case of a grievance, as the case store reads it."""
    case = await cases.by_grievance(str(grievance_id))
    assert case is not None
    return case


async def pending_types(cases: CaseStore, case_id: str) -> list[str]:
    """The types of the events a case's outbox still holds, as the periodic task finds them (any age)."""
    far = (await stored_case(cases, case_id)).created_at + timedelta(days=3650)
    found = [p for p in await cases.stale_outboxes(far, limit=1000) if p.case_id == case_id]
    return [e.type for p in found for e in p.events]


def unsealed(keys: Keys, sealed: str | None) -> str | None:
    """The contact an event's sealed field holds (``None`` when it holds none)."""
    return None if sealed is None else unseal(keys, sealed)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def digits_of(value: str) -> str:
    return re.sub(r"\D", "", value)


def assert_no_contact(body: object, *phones: str) -> None:
    """No answer holds a phone number in any format, a sealed contact, reporter key or PIN hash."""
    text = json.dumps(body, ensure_ascii=False)
    for field in ("sealed_contact", "reporter_key", "pin_hash", "gateway_number", "recusals", "outbound_id"):
        assert field not in text
    for phone in phones:
        national = digits_of(phone)[-11:]
        assert national not in digits_of(text)
        assert phone not in text
    assert "gAAAA" not in text  # a Fernet token


B = TypeVar("B", bound=Bus)


class FlakyBus(Generic[B]):
    """Wraps a bus; while ``failing`` is set every publish raises like an unconfirmed publish."""

    def __init__(self, inner: B) -> None:
        self.inner = inner
        self.failing = False

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    def is_ready(self) -> bool:
        return self.inner.is_ready()

    async def publish(self, event: Event) -> None:
        if self.failing:
            raise PublishError("broker did not confirm in time")
        await self.inner.publish(event)

    async def consume(self, queue: str, handler: Handler) -> None:
        await self.inner.consume(queue, handler)

    async def dead_letters(self, queue: str, limit: int = 100) -> list[DeadLetter]:
        return await self.inner.dead_letters(queue, limit)

    async def dead_letter(self, queue: str, letter_id: str) -> tuple[DeadLetter, bytes] | None:
        return await self.inner.dead_letter(queue, letter_id)

    async def replay(self, queue: str, limit: int | None = None, *, force: bool = False) -> Replayed:
        return await self.inner.replay(queue, limit, force=force)

    async def discard(self, queue: str, letter_ids: Collection[str] | None) -> int:
        return await self.inner.discard(queue, letter_ids)


class ContendedDatabase:
    """The test store with another writer that always wins: just before each conditional write of
    a case (``find_one_and_update``), that case's version moves on, so the write finds it changed."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.writes_lost = 0

    def __getitem__(self, name: str) -> Any:
        return _ContendedCases(self, self._db[name]) if name == "cases" else self._db[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


class _ContendedCases:
    def __init__(self, owner: ContendedDatabase, collection: Any) -> None:
        self._owner, self._collection = owner, collection

    async def find_one_and_update(self, query: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        await self._collection.update_one({"_id": query["_id"]}, {"$inc": {"version": 1}})
        found = await self._collection.find_one_and_update(query, *args, **kwargs)
        self._owner.writes_lost += found is None
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)
