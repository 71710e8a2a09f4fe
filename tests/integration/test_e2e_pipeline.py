"""The three services together on the real RabbitMQ: a worker's SMS or form becomes a case, the
committee sees it, the clocks run, the NGO sees what is overdue or critical, and the worker is told.

The services share one runtime (as in the embedded run) but every event crosses the broker. Time is
a fake clock; seconds-long SLAs stand for the production ones. Outbound SMS go to a local server
that speaks Twilio's Messages API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app as escalation_app
from services.intake.app import create_app as intake_app
from services.router.app import create_app as router_app
from services.router.registry import load_registry_file
from shared.auth import issue_token
from shared.bootstrap import open_runtime
from shared.ids import find_reference, grievance_id_for, reference_for
from shared.settings import Settings
from shared.sla import SlaTable
from tests.conftest import FAST_RETRY, make_settings
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.polling import eventually
from tests.servers import ServiceServer
from tests.service.intake_support import (
    ACCOUNT_SID,
    OUTBOUND_ACCOUNT_SID,
    PUBLIC_BASE_URL,
    TWILIO_TOKEN,
    FakeTwilio,
    post_sms,
    sms_form,
)
from tests.service.router_support import REGISTRY, bearer

pytestmark = pytest.mark.broker

GZ_NUMBER = "+8610690000001"
LOCKED_EXIT = sensitive("我们车间的安全出口被锁了，晚上加班很危险")
CANTEEN = sensitive("The canteen serves cold rice every evening and nobody listens")
SLA = SlaTable.model_validate(
    {
        "critical": {"ack": "PT10S", "resolve": "PT60S"},
        "high": {"ack": "PT20S", "resolve": "PT90S"},
        "normal": {"ack": "PT30S", "resolve": "PT120S"},
    }
)
SWEEP = timedelta(seconds=0.2)


@dataclass
class System:
    settings: Settings
    clock: FakeClock
    twilio: FakeTwilio
    intake: TestClient[Any, Any]
    router: TestClient[Any, Any]
    escalation: TestClient[Any, Any]
    tokens: dict[str, str]


@pytest.fixture
async def system(amqp_url: str, amqp_namespace: str, clock: FakeClock) -> AsyncIterator[System]:
    async with AsyncExitStack() as stack:
        twilio = await stack.enter_async_context(FakeTwilio())
        settings = make_settings(
            amqp_url=amqp_url,
            amqp_namespace=amqp_namespace,
            twilio_auth_token=TWILIO_TOKEN,
            twilio_account_sid=OUTBOUND_ACCOUNT_SID,
            twilio_from=GZ_NUMBER,
            twilio_api_base=twilio.base_url,
            public_base_url=PUBLIC_BASE_URL,
            sla=SLA,
            sweep_interval=SWEEP,
        )
        runtime = await stack.enter_async_context(open_runtime(settings, clock=clock, retry=FAST_RETRY))
        await load_registry_file(runtime.db, REGISTRY)
        tokens = {"ngo": (await issue_token(runtime.db, "ngo"))[0]}
        for committee in ("gz-001-spt", "gz-001-women"):
            tokens[committee] = (await issue_token(runtime.db, "committee", committee_id=committee))[0]
        clients = []
        for factory in (intake_app, router_app, escalation_app):
            server = ServiceServer(factory(settings, runtime))
            clients.append(await stack.enter_async_context(TestClient(server)))
        intake, router, escalation = clients
        yield System(settings, clock, twilio, intake, router, escalation, tokens)


async def escalations(system: System, **query: str) -> list[dict[str, Any]]:
    response = await system.escalation.get(
        "/api/v1/escalations", params=query, headers=bearer(system.tokens["ngo"])
    )
    assert response.status == 200
    body = await response.json()
    text = await response.text()
    assert not any(phone in text for phone in (WORKER_PHONE, ENGLISH_WORKER_PHONE))
    items: list[dict[str, Any]] = body["items"]
    return items


def sms_to(system: System, phone: str, containing: str) -> list[str]:
    return [
        r["form"]["Body"]
        for r in system.twilio.requests
        if r["form"].get("To") == phone and containing in r["form"].get("Body", "")
    ]


async def test_overdue_and_critical_cases_reach_the_ngo_exactly_once_and_the_worker_is_told(
    system: System,
) -> None:
    # A worker texts the factory's number about a locked fire exit.
    form = sms_form(LOCKED_EXIT, to=GZ_NUMBER)
    response = await post_sms(system.intake, form)
    assert response.status == 200
    # Intake's answer says nothing; the router's acknowledgement carries the reference.
    assert find_reference(await response.text()) is None
    critical_ref = reference_for(grievance_id_for("twilio", ACCOUNT_SID, dict(form)["MessageSid"]))

    # Another worker uses the web form about the canteen; nobody will acknowledge it.
    response = await system.intake.post(
        "/api/v1/grievances",
        json={"factory_code": "GZ-001", "text": CANTEEN, "contact": ENGLISH_WORKER_PHONE},
    )
    assert response.status == 202
    normal_ref = (await response.json())["reference"]

    # The locked fire exit is escalated as critical at once, before any deadline.
    critical = await eventually(lambda: escalations(system, reason="critical"))
    assert [e["reference"] for e in critical] == [critical_ref]
    assert critical[0]["factory_id"] == "GZ-001"

    # The canteen case reached a committee of its factory, and that committee sees it.
    async def committee_sees_it() -> bool:
        response = await system.router.get(
            f"/api/v1/cases/{normal_ref}", headers=bearer(system.tokens["gz-001-spt"])
        )
        return response.status == 200

    await eventually(committee_sees_it)
    assert await escalations(system, reason="ack_overdue") == []

    # Time passes beyond the acknowledgement deadline of a normal case (30 s); the running sweeper
    # (every 0.2 s) flags it within a sweep interval, once.
    system.clock.advance(seconds=31)
    overdue = await eventually(lambda: escalations(system, reason="ack_overdue"))
    await asyncio.sleep(SWEEP.total_seconds() * 5)
    overdue = await escalations(system, reason="ack_overdue")
    assert sorted(e["reference"] for e in overdue) == sorted({critical_ref, normal_ref})
    assert len(overdue) == 2  # one per case, never twice

    # The SMS worker was told, in their language, that an independent monitor follows the case.
    await eventually(lambda: sms_to(system, WORKER_PHONE, "独立监督"))
    assert all(critical_ref in body for body in sms_to(system, WORKER_PHONE, "独立监督"))
    # The number typed into the web form was never confirmed: it got the confirmation request and
    # nothing else, no reference either (anyone may type anyone's number into a form).
    to_web_contact = sms_to(system, ENGLISH_WORKER_PHONE, "")
    assert len(to_web_contact) == 1 and "web form" in to_web_contact[0]
    assert normal_ref not in to_web_contact[0]
    # The one acknowledgement went out too, from the factory's own number: for the critical case it
    # said at once that the monitor follows it (escalation sent no second text for that).
    assert any("独立机构也跟进" in body for body in sms_to(system, WORKER_PHONE, critical_ref))
    assert all(r["form"]["From"] == GZ_NUMBER for r in system.twilio.requests)
    assert all(r["account"] == OUTBOUND_ACCOUNT_SID != ACCOUNT_SID for r in system.twilio.requests)


COMPLAINT = sensitive("主管每天骂我们，还当众推了一个女工")
WORKER_FOLLOW_UP = sensitive("昨天他又当着大家的面骂人了")
COMMITTEE_QUESTION = "我们已收到您的投诉。请问这种情况持续多久了？"
COMMITTEE_RESOLUTION = "已与该主管谈话并书面警告，以后由人事部门每周回访。"


async def committee_case(system: System, reference: str, committee: str) -> dict[str, Any]:
    response = await system.router.get(f"/api/v1/cases/{reference}", headers=bearer(system.tokens[committee]))
    assert response.status == 200
    text = await response.text()
    digits = "".join(ch for ch in text if ch.isdigit())
    for phone in (WORKER_PHONE, ENGLISH_WORKER_PHONE):
        assert phone not in text and phone.lstrip("+") not in digits and phone[-11:] not in digits
    body: dict[str, Any] = await response.json()
    return body


async def test_a_conversation_in_chinese_ends_in_a_dispute_that_reopens_and_escalates(system: System) -> None:
    # The worker reports by SMS to the factory's number.
    form = sms_form(COMPLAINT, to=GZ_NUMBER)
    response = await post_sms(system.intake, form)
    assert response.status == 200
    reference = reference_for(grievance_id_for("twilio", ACCOUNT_SID, dict(form)["MessageSid"]))
    # The reference reaches the worker once, in the router's acknowledgement.
    await eventually(lambda: sms_to(system, WORKER_PHONE, reference))

    async def holder() -> str | None:
        for committee in ("gz-001-spt", "gz-001-women"):
            got = await system.router.get(
                f"/api/v1/cases/{reference}", headers=bearer(system.tokens[committee])
            )
            if got.status == 200:
                return committee
        return None

    committee = await eventually(holder)
    headers = bearer(system.tokens[committee])
    base = f"/api/v1/cases/{reference}"

    # Turn 1: the committee acknowledges and asks a question; the worker gets it by SMS.
    assert (await system.router.post(f"{base}/acknowledge", headers=headers)).status == 200
    assert (
        await system.router.post(f"{base}/messages", json={"text": COMMITTEE_QUESTION}, headers=headers)
    ).status == 200
    await eventually(lambda: sms_to(system, WORKER_PHONE, COMMITTEE_QUESTION))

    # Turn 2: the worker answers by SMS; the answer lands in the same case's thread, not a new case.
    assert (await post_sms(system.intake, sms_form(WORKER_FOLLOW_UP, to=GZ_NUMBER))).status == 200

    async def follow_up_in_thread() -> bool:
        case = await committee_case(system, reference, committee)
        return any(m["direction"] == "worker" and m["text"] == WORKER_FOLLOW_UP for m in case["messages"])

    await eventually(follow_up_in_thread)
    # Intake's instant receipt could not know it; the router tells the worker it joined the case.
    joined = await eventually(lambda: sms_to(system, WORKER_PHONE, "不是新投诉"))
    assert all(reference in body for body in joined)

    # Turn 3: the committee resolves; the worker is asked to confirm (是/否).
    response = await system.router.post(
        f"{base}/resolve", json={"resolution": COMMITTEE_RESOLUTION}, headers=headers
    )
    assert response.status == 200
    resolution_sms = await eventually(lambda: sms_to(system, WORKER_PHONE, "否"))
    assert any(reference in body for body in resolution_sms)

    # Turn 4: the worker answers 否: the case reopens and the NGO sees it as disputed.
    answer = await post_sms(system.intake, sms_form("否", to=GZ_NUMBER))
    assert answer.status == 200 and "<Message>" not in await answer.text()  # the router answers it
    disputed = await eventually(lambda: escalations(system, reason="disputed"))
    assert [e["reference"] for e in disputed] == [reference]
    case = await committee_case(system, reference, committee)
    assert case["status"] not in ("resolved", "closed")
    assert "disputed" in [entry["action"] for entry in case["timeline"]]
    # The worker is told once that an independent organisation now follows the case: by the router's
    # answer to 否, with no second text from escalation.
    told = await eventually(
        lambda: [b for b in sms_to(system, WORKER_PHONE, "独立机构跟进") if reference in b]
    )
    assert len(told) == 1
    assert not [b for b in sms_to(system, WORKER_PHONE, "独立监督") if reference in b]
    # Only one case was ever opened for this worker.
    listed = await system.router.get("/api/v1/cases", headers=headers)
    assert [c["reference"] for c in (await listed.json())["items"]].count(reference) == 1
    assert len((await listed.json())["items"]) == 1
