"""The NGO acts on a case through escalation's API; the router, which owns cases, carries it out.

The three services on one in-memory bus: a worker's SMS opens a case, the NGO writes to the worker,
hands the case to a committee and closes it with an outcome, and what the worker is told and what
the committee sees are read from the bus and the router's API.
"""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from services.escalation.sweeper import sweep_once
from services.router.case_store import CaseStore
from shared.auth import issue_token
from shared.contracts import MessageOutbound
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.service.conversation_support import Services
from tests.service.router_support import bearer

RETALIATION = sensitive("因为投诉了加班问题，组长打击报复我")
NAMING = sensitive("因为投诉了工资问题，王芳打击报复我")
NGO_TEXT = sensitive("我们已收到您的投诉，会联系工厂")
WAGES = sensitive("工资三个月没发，老板说下个月再说")
OUTCOME = sensitive("工厂已撤销处分并补发工资")


@pytest.fixture
def system(conversation: Services) -> Services:
    return conversation


async def escalation_of(system: Services, reference: str, reason: str) -> dict[str, Any]:
    [found] = [e for e in await system.escalations(reference) if e["reason"] == reason]
    return found


async def post(system: Services, path: str, body: Any, **headers: str) -> Any:
    """A request of the NGO, a minute after the last, and everything it causes."""
    clock = system.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=1)
    response = await system.escalation.post(
        path, json=body, headers={**bearer(system.tokens["ngo"]), **headers}
    )
    await system.bus.drain()
    return response


async def test_the_ngo_writes_transfers_and_closes_a_retaliation_case(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None and await system.holder(reference) is None
    escalation = await escalation_of(system, reference, "retaliation")
    base = f"/api/v1/escalations/{escalation['id']}"

    # A message to the worker, relayed in their language and marked as the monitor's.
    response = await post(system, f"{base}/messages", {"text": NGO_TEXT}, **{"Idempotency-Key": "m-1"})
    assert response.status == 202, await response.text()
    again = await post(system, f"{base}/messages", {"text": NGO_TEXT}, **{"Idempotency-Key": "m-1"})
    assert (await again.json())["request_id"] == (await response.json())["request_id"]
    relayed = [m for m in system.texts_to(WORKER_PHONE) if m.purpose == "ngo_message"]
    assert len(relayed) == 1
    assert relayed[0].text == f"[{reference}] 独立监督机构：{NGO_TEXT}" and relayed[0].language == "zh"

    # Handed to the factory's committee of the NGO's choice: it sees the case and the NGO's message.
    response = await post(system, f"{base}/transfer", {"committee_id": "gz-001-spt"})
    assert response.status == 202, await response.text()
    assert await system.holder(reference) == "gz-001-spt"
    view = await system.case(reference, "gz-001-spt")
    assert view["status"] == "assigned"
    assert [m["direction"] for m in view["messages"]] == ["worker", "ngo"]
    assert view["messages"][1]["text"] == NGO_TEXT
    detail = await (await system.escalation.get(base, headers=bearer(system.tokens["ngo"]))).json()
    assert detail["case"]["committee_id"] == "gz-001-spt"
    assert [t["action"] for t in detail["case"]["timeline"]][-2:] == ["ngo_messaged", "transferred"]

    # The committee lets the acknowledgement window pass: a second escalation of the same case.
    clock = system.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(days=10)
    assert (
        await sweep_once(
            system.runtime.db, system.runtime.bus, system.runtime.settings.sla, system.runtime.clock
        )
        >= 1
    )
    await system.bus.drain()
    assert len(await system.escalations(reference)) >= 2

    # Closed with an outcome the worker is told; the escalation is resolved with it.
    response = await post(system, f"{base}/close", {"outcome": OUTCOME})
    assert response.status == 202, await response.text()
    told = [m for m in system.texts_to(WORKER_PHONE) if m.purpose == "ngo_outcome"]
    assert [m.text for m in told] == [f"[{reference}] 独立监督机构已结案。结果：{OUTCOME}"]
    [case] = await CaseStore(system.runtime.db).by_reference(reference)
    assert case.status == "closed" and case.closure == "ngo_outcome"
    detail = await (await system.escalation.get(base, headers=bearer(system.tokens["ngo"]))).json()
    assert detail["status"] == "resolved" and detail["case"]["status"] == "closed"
    # One case, one close: every escalation of it is resolved with the outcome.
    escalations = await system.escalations(reference)
    assert len(escalations) >= 2 and {e["status"] for e in escalations} == {"resolved"}
    # The same close again is the same request; the closed case takes no message and no transfer.
    assert (await post(system, f"{base}/close", {"outcome": OUTCOME})).status == 202
    assert len([m for m in system.texts_to(WORKER_PHONE) if m.purpose == "ngo_outcome"]) == 1
    for path, body in (("messages", {"text": NGO_TEXT}), ("transfer", {"committee_id": "gz-001-women"})):
        refused = await post(system, f"{base}/{path}", body)
        assert refused.status == 409 and refused.content_type == "application/problem+json"


async def test_a_transfer_the_rules_refuse_changes_nothing(system: Services) -> None:
    reference = await system.sms(NAMING, OTHER_WORKER_PHONE)
    assert reference is not None
    escalation = await escalation_of(system, reference, "retaliation")
    base = f"/api/v1/escalations/{escalation['id']}"
    # gz-001-spt has 王芳, whom the worker names; gz-001-women does not handle retaliation; no such id.
    with capture_logs() as lines:
        for committee in ("gz-001-spt", "gz-001-women", "dg-002-wages", "nobody"):
            assert (await post(system, f"{base}/transfer", {"committee_id": committee})).status == 202
            assert await system.holder(reference) is None
    refusals = [line["why"] for line in lines if line["event"] == "ngo_request_refused"]
    assert refusals == [
        "the worker's messages may name a member of the committee",
        "the committee does not handle the case's category",
        "no active committee of the case's factory has this id",
        "no active committee of the case's factory has this id",
    ]
    [case] = await CaseStore(system.runtime.db).by_reference(reference)
    assert case.status == "unassigned" and case.committee_id is None


async def test_bad_requests_and_scoping(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None
    escalation = await escalation_of(system, reference, "retaliation")
    base = f"/api/v1/escalations/{escalation['id']}"
    published = len(system.bus.published)
    for path, body in (
        ("messages", {"text": "  "}),
        ("messages", {"text": "x" * 1601}),
        ("messages", {"text": "hi", "extra": 1}),
        ("transfer", {"committee_id": "../x"}),
        ("transfer", {}),
        ("close", {"outcome": ""}),
        ("close", ["not", "an", "object"]),
    ):
        response = await post(system, f"{base}/{path}", body)
        assert response.status in (400, 422) and response.content_type == "application/problem+json"
    bad_key = await post(system, f"{base}/messages", {"text": "hi"}, **{"Idempotency-Key": "a b"})
    assert bad_key.status == 400
    # A token for other factories is told nothing more than for an unknown escalation.
    other, _ = await issue_token(system.runtime.db, "ngo", factories=["DG-002"])
    committee = system.tokens["gz-001-spt"]
    for token, status in ((other, 404), (committee, 403)):
        response = await system.escalation.post(f"{base}/close", json={"outcome": "x"}, headers=bearer(token))
        assert response.status == status
    assert len(system.bus.published) == published


async def test_no_message_to_a_worker_without_a_contact(system: Services) -> None:
    reference = await system.web_form(RETALIATION, None)
    escalation = await escalation_of(system, reference, "retaliation")
    response = await post(system, f"/api/v1/escalations/{escalation['id']}/messages", {"text": NGO_TEXT})
    assert response.status == 409 and "cannot be reached" in (await response.json())["detail"]


async def test_no_message_to_a_worker_who_sent_stop_until_start(system: Services) -> None:
    reference = await system.sms(RETALIATION, OTHER_WORKER_PHONE)
    assert reference is not None
    escalation = await escalation_of(system, reference, "retaliation")
    url = f"/api/v1/escalations/{escalation['id']}/messages"
    assert await system.sms("STOP", OTHER_WORKER_PHONE) is None
    refused = await post(system, url, {"text": NGO_TEXT})
    assert refused.status == 409 and "STOP" in (await refused.json())["detail"]
    assert not [m for m in system.texts_to(OTHER_WORKER_PHONE) if m.purpose == "ngo_message"]
    assert await system.sms("START", OTHER_WORKER_PHONE) is None
    assert (await post(system, url, {"text": NGO_TEXT})).status == 202
    assert [m.purpose for m in system.texts_to(OTHER_WORKER_PHONE) if m.purpose == "ngo_message"] == [
        "ngo_message"
    ]


async def test_an_overdue_notice_goes_to_no_worker_who_sent_stop(system: Services) -> None:
    quiet = await system.sms(WAGES, WORKER_PHONE)
    told = await system.sms(WAGES, OTHER_WORKER_PHONE)
    assert quiet is not None and told is not None
    assert await system.sms("STOP", WORKER_PHONE) is None
    clock = system.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(days=10)
    assert (
        await sweep_once(
            system.runtime.db, system.runtime.bus, system.runtime.settings.sla, system.runtime.clock
        )
        >= 2
    )
    await system.bus.drain()
    reasons = [e["reason"] for e in await system.escalations(quiet)]
    assert "ack_overdue" in reasons and sorted(reasons) == sorted(
        e["reason"] for e in await system.escalations(told)
    )
    published = system.bus.published
    notices = [
        m.reference for m in published if isinstance(m, MessageOutbound) and m.purpose == "escalation_notice"
    ]
    assert len(notices) == len(reasons) and set(notices) == {told}


async def test_an_escalation_resolved_before_still_closes_its_case(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None
    escalation = await escalation_of(system, reference, "retaliation")
    base = f"/api/v1/escalations/{escalation['id']}"
    assert (await post(system, f"{base}/resolve", {"note": "spoke to the brand"})).status == 200
    assert (await post(system, f"{base}/close", {"outcome": OUTCOME})).status == 202
    [case] = await CaseStore(system.runtime.db).by_reference(reference)
    assert (case.status, case.closure) == ("closed", "ngo_outcome")
    detail = await (await system.escalation.get(base, headers=bearer(system.tokens["ngo"]))).json()
    assert detail["resolution_note"] == "spoke to the brand" and detail["case"]["status"] == "closed"
    assert [m.purpose for m in system.texts_to(WORKER_PHONE)].count("ngo_outcome") == 1
