"""End to end on the real RabbitMQ: SLAs of seconds, nobody acknowledges, the NGO sees it once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.escalation import store
from services.escalation.app import create_app
from services.escalation.sweeper import sweep_once
from shared.auth import issue_token
from shared.bootstrap import open_runtime
from shared.contracts import Event, MessageOutbound
from shared.privacy import Keys
from shared.settings import Settings
from tests.conftest import FAST_RETRY
from tests.fakes import ENGLISH_WORKER_PHONE, FakeClock
from tests.polling import eventually
from tests.servers import ServiceServer
from tests.service.escalation_support import LOCKED_EXIT_TEXT, assigned

pytestmark = pytest.mark.broker


async def test_an_unacknowledged_case_and_a_locked_fire_exit_reach_the_ngo(
    settings_factory: Callable[..., Settings],
    amqp_url: str,
    amqp_namespace: str,
    clock: FakeClock,
    keys: Keys,
) -> None:
    settings = settings_factory(
        amqp_url=amqp_url,
        amqp_namespace=amqp_namespace,
        sla={"normal": {"ack": "PT3S", "resolve": "PT20S"}, "critical": {"ack": "PT2S", "resolve": "PT10S"}},
        sweep_interval=timedelta(seconds=1),
    )
    async with open_runtime(settings, clock=clock, retry=FAST_RETRY, keys=keys) as runtime:
        told: list[Event] = []

        async def worker_gateway(event: Event) -> None:
            told.append(event)

        await runtime.bus.consume("intake.outbound", worker_gateway)
        app = create_app(settings, runtime)
        async with TestClient(ServiceServer(app)) as client:
            ngo, _ = await issue_token(runtime.db, "ngo")
            headers = {"Authorization": f"Bearer {ngo}"}

            async def escalations(reason: str) -> list[dict[str, Any]]:
                response = await client.get(f"/api/v1/escalations?reason={reason}", headers=headers)
                assert response.status == 200
                items: list[dict[str, Any]] = (await response.json())["items"]
                return items

            ignored = assigned(
                clock.now, keys=keys, phone=ENGLISH_WORKER_PHONE, language="en", sla=settings.sla
            )
            fire = assigned(
                clock.now,
                keys=keys,
                severity="critical",
                category="health_safety",
                text=LOCKED_EXIT_TEXT,
                sla=settings.sla,
            )
            await runtime.bus.publish(ignored)
            await runtime.bus.publish(fire)

            # The locked fire exit is escalated at once, before any deadline.
            [critical] = await eventually(lambda: escalations("critical"))
            assert critical["reference"] == fire.reference and critical["severity"] == "critical"
            await eventually(lambda: store.load_record(runtime.db, ignored.case_id))
            assert await escalations("ack_overdue") == []

            # Nobody acknowledges either case; time passes both acknowledgement deadlines (3 s and
            # 2 s), and within one sweep interval each is flagged `ack_overdue`, once.
            clock.advance(seconds=4)
            overdue = await eventually(
                lambda: _both(escalations("ack_overdue"), {ignored.reference, fire.reference})
            )
            assert sorted(i["reference"] for i in overdue) == sorted([ignored.reference, fire.reference])
            assert await sweep_once(runtime.db, runtime.bus, runtime.settings.sla, runtime.clock) == 0
            assert len(await escalations("ack_overdue")) == 2

            # Two notices: the missed deadlines. The critical case's own acknowledgement (the router's)
            # already said the monitor follows it.
            notices = await eventually(lambda: _notices(told, 2))
            by_case = {(n.reference, n.language) for n in notices}
            assert (fire.reference, "zh") in by_case and (ignored.reference, "en") in by_case
            english = next(n for n in notices if n.reference == ignored.reference)
            assert english.text.startswith(f"An independent monitor now follows case {ignored.reference}.")


async def _both(
    pending: Awaitable[list[dict[str, Any]]], references: set[str]
) -> list[dict[str, Any]] | None:
    items = await pending
    return items if {i["reference"] for i in items} == references else None


async def _notices(told: list[Event], count: int) -> list[MessageOutbound] | None:
    notices = [e for e in told if isinstance(e, MessageOutbound) and e.purpose == "escalation_notice"]
    return notices if len(notices) >= count else None
