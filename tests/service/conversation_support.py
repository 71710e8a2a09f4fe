"""The three services on one in-memory bus, driven only through their HTTP APIs.

A worker or an attacker talks to intake (the web form, the Twilio-signed SMS webhook), a committee
to the router's API and the NGO to escalation's; what goes to workers is read from the bus.
Not a test module of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app as escalation_app
from services.intake.app import create_app as intake_app
from services.router.app import create_app as router_app
from services.router.case_store import CaseStore
from shared.contracts import MessageOutbound
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.privacy import unseal
from shared.runtime import Runtime
from tests.fakes import FakeClock
from tests.servers import ServiceServer
from tests.service.intake_support import ACCOUNT_SID, message_sid, post_sms, sms_form
from tests.service.router_support import bearer, committee_tokens


@dataclass
class Services:
    runtime: Runtime
    intake: TestClient[web.Request, web.Application]
    router: TestClient[web.Request, web.Application]
    escalation: TestClient[web.Request, web.Application]
    tokens: dict[str, str]

    @property
    def bus(self) -> MemoryBus:
        bus = self.runtime.bus
        assert isinstance(bus, MemoryBus)
        return bus

    async def web_form(self, text: str, contact: str | None, factory: str = "GZ-001") -> str:
        body: dict[str, Any] = {"factory_code": factory, "text": text}
        if contact is not None:
            body["contact"] = contact
        response = await self.intake.post("/api/v1/grievances", json=body)
        assert response.status == 202, await response.text()
        await self.bus.drain()
        reference: str = (await response.json())["reference"]
        return reference

    async def sms(self, text: str, sender: str, to: str = "+8610690000001") -> str | None:
        """An SMS as Twilio signs it, a second after the last; the reference of the case it opened,
        if it opened one (intake answers an SMS with nothing: the reference is the one its MessageSid
        derives, and it names a case only when the message was a new grievance)."""
        clock = self.runtime.clock
        assert isinstance(clock, FakeClock)
        clock.advance(seconds=1)
        sid = message_sid()
        response = await post_sms(self.intake, sms_form(text, sid=sid, sender=sender, to=to))
        assert response.status == 200, await response.text()
        await self.bus.drain()
        reference = reference_for(grievance_id_for("twilio", ACCOUNT_SID, sid))
        return reference if await CaseStore(self.runtime.db).by_reference(reference) else None

    async def holder(self, reference: str) -> str | None:
        """The committee that sees the case through its API (None: no committee does)."""
        seen = []
        for committee, token in self.tokens.items():
            if committee in ("ngo", "admin"):
                continue
            response = await self.router.get(f"/api/v1/cases/{reference}", headers=bearer(token))
            assert response.status in (200, 404)
            if response.status == 200:
                seen.append(committee)
        assert len(seen) <= 1
        return seen[0] if seen else None

    async def case(self, reference: str, committee: str) -> dict[str, Any]:
        response = await self.router.get(f"/api/v1/cases/{reference}", headers=bearer(self.tokens[committee]))
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        return body

    async def escalations(self, reference: str) -> list[dict[str, Any]]:
        response = await self.escalation.get(
            "/api/v1/escalations", params={"per_page": "200"}, headers=bearer(self.tokens["ngo"])
        )
        assert response.status == 200
        items: list[dict[str, Any]] = (await response.json())["items"]
        return [e for e in items if e["reference"] == reference]

    def texts_to(self, phone: str) -> list[MessageOutbound]:
        """Every text published for this phone number (the contact unsealed with intake's key)."""
        return [
            e
            for e in self.bus.published
            if isinstance(e, MessageOutbound)
            and e.sealed_contact
            and unseal(self.runtime.keys, e.sealed_contact) == phone
        ]


@asynccontextmanager
async def services(runtime: Runtime) -> AsyncIterator[Services]:
    tokens = await committee_tokens(runtime)
    async with AsyncExitStack() as stack:
        intake, router, escalation = [
            await stack.enter_async_context(TestClient(ServiceServer(factory(runtime.settings, runtime))))
            for factory in (intake_app, router_app, escalation_app)
        ]
        yield Services(runtime, intake, router, escalation, tokens)
