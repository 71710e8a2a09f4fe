"""Intake and the router on one runtime, for the tests of delivery states seen by a committee.

A worker texts intake (a signed Twilio webhook), the router opens the case, the committee answers
through its API, intake's sender hands the answer to a local server that speaks Twilio's Messages
API, and Twilio's status callbacks come back to intake. Every step crosses the bus the runtime has:
the in-memory bus in the service tests, the real RabbitMQ in the broker test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

from services.intake.app import create_app as intake_app
from services.router.app import create_app as router_app
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import sensitive
from tests.polling import eventually
from tests.servers import ServiceServer
from tests.service.intake_support import (
    GATEWAY,
    OUTBOUND_ACCOUNT_SID,
    FakeTwilio,
    intake_settings,
    post_sms,
    sms_form,
)
from tests.service.router_support import bearer, committee_tokens, fresh_phone

STATUS_PATH = "/webhooks/twilio/status"
COMMITTEE = "gz-001-spt"
GRIEVANCE = sensitive("车间的安全出口晚上被锁了，我们很害怕")
ANSWER = sensitive("收到，我们今晚去检查那个门")


@dataclass
class Pair:
    runtime: Runtime
    twilio: FakeTwilio
    intake: TestClient[Any, Any]
    router: TestClient[Any, Any]
    token: dict[str, str]
    phone: str = ""
    reference: str = ""

    async def a_case(self, *, acknowledged: bool = True) -> str:
        """A worker's SMS becomes a case; returns once the acknowledgement went out (``acknowledged``:
        there is a provider to send it)."""
        self.phone = fresh_phone()
        response = await post_sms(self.intake, sms_form(GRIEVANCE, sender=self.phone, to=GATEWAY))
        assert response.status == 200

        async def listed() -> str | None:
            answer = await self.router.get("/api/v1/cases", headers=self.token)
            items = (await answer.json())["items"]
            return str(items[0]["reference"]) if items else None

        self.reference = await eventually(listed)
        if acknowledged:
            await eventually(lambda: len(self.twilio.requests) == 1)  # the acknowledgement
        return self.reference

    async def answer(self, sid: str | None = None, *, error: int | None = None) -> str:
        """The committee answers; Twilio takes it under ``sid`` (or refuses it with ``error``)."""
        sid = sid or "SM" + uuid.uuid4().hex
        if error is None:
            self.twilio.script.append((201, {"sid": sid, "status": "queued"}, {}))
        else:
            self.twilio.error(400, error)
        url = f"/api/v1/cases/{self.reference}/messages"
        response = await self.router.post(url, json={"text": ANSWER}, headers=self.token)
        assert response.status in (200, 201), await response.text()
        return sid

    async def delivery_states(self) -> list[str]:
        """What the committee sees of its messages' delivery, oldest first."""
        return [state for state, _ in await self.deliveries()]

    async def deliveries(self) -> list[tuple[str, str | None]]:
        """Each committee message's delivery state and the reason it did not arrive, oldest first."""
        response = await self.router.get(f"/api/v1/cases/{self.reference}", headers=self.token)
        assert response.status == 200
        text = await response.text()
        assert self.phone not in text and self.phone[-11:] not in text
        body = await response.json()
        committee = [m for m in body["messages"] if m["direction"] == "committee"]
        return [(m["delivery_status"], m["delivery_reason"]) for m in committee]

    async def sees(self, *states: str) -> list[str]:
        async def seen() -> list[str] | None:
            current = await self.delivery_states()
            return current if current == list(states) else None

        result: list[str] = await eventually(seen)
        return result

    async def report(self, sid: str, status: str, error_code: str | None = None) -> None:
        """Twilio's status callback for one message, signed as Twilio signs it."""
        pairs = [
            ("AccountSid", OUTBOUND_ACCOUNT_SID),
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("To", self.phone),
            ("From", GATEWAY),
        ]
        if error_code:
            pairs.append(("ErrorCode", error_code))
        response = await post_sms(self.intake, pairs, STATUS_PATH)
        assert response.status == 204


def pair_settings(
    settings_factory: Callable[..., Settings], twilio: FakeTwilio, **overrides: Any
) -> Settings:
    return intake_settings(
        settings_factory,
        twilio_account_sid=OUTBOUND_ACCOUNT_SID,
        twilio_api_base=twilio.base_url,
        twilio_from=GATEWAY,
        **overrides,
    )


@asynccontextmanager
async def serve_pair(settings: Settings, runtime: Runtime, twilio: FakeTwilio) -> AsyncIterator[Pair]:
    tokens = await committee_tokens(runtime)
    async with AsyncExitStack() as stack:
        intake = await stack.enter_async_context(TestClient(ServiceServer(intake_app(settings, runtime))))
        router = await stack.enter_async_context(TestClient(ServiceServer(router_app(settings, runtime))))
        yield Pair(runtime, twilio, intake, router, bearer(tokens[COMMITTEE]))
