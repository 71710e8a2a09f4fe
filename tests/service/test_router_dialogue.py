"""The two-way dialogue on the router side: follow-ups, keywords in both languages, opt-out,
unanswered resolutions, delivery status, and one whole conversation in Chinese."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from services.router.appkeys import ROUTER
from services.router.case import Case
from shared.contracts import (
    CaseAction,
    CaseAssigned,
    CaseUpdated,
    GrievanceReceived,
    Language,
    MessageOutbound,
    OutboundPurpose,
)
from shared.runtime import Runtime
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE, FakeClock, memory_bus_of
from tests.service.router_support import (
    DG_NUMBER,
    GZ_NUMBER,
    SZ_NUMBER,
    RouterClient,
    announce_delivery,
    assert_no_contact,
    bearer,
    committee_tokens,
    fresh_phone,
    grievance,
    serve,
    stored_case,
    unsealed,
)


class Worker:
    """A worker with one phone, sending SMS through the bus as intake would publish them."""

    def __init__(
        self, runtime: Runtime, phone: str, language: Language = "zh", to: str | None = GZ_NUMBER
    ) -> None:
        self.runtime, self.phone, self.language, self.to = runtime, phone, language, to

    async def send(self, text: str, *, to: str | None = "same") -> GrievanceReceived:
        event = grievance(
            self.runtime.keys,
            text,
            phone=self.phone,
            language=self.language,
            to=self.to if to == "same" else to,
        )
        await self.runtime.bus.publish(event)
        await memory_bus_of(self.runtime).drain()
        return event


def outbound(client: RouterClient, purpose: OutboundPurpose | None = None) -> list[MessageOutbound]:
    return [e for e in client.received if isinstance(e, MessageOutbound) and purpose in (None, e.purpose)]


async def case_of(client: RouterClient, event: GrievanceReceived) -> Case:
    """The case a grievance opened, as the case store reads it."""
    return await stored_case(client.app[ROUTER].cases, event.grievance_id)


def updates(client: RouterClient, action: CaseAction | None = None) -> list[CaseUpdated]:
    return [e for e in client.received if isinstance(e, CaseUpdated) and action in (None, e.action)]


# The served router and a token for each committee, the NGO and an admin.
Router = tuple[RouterClient, dict[str, str]]


@pytest.fixture
async def router(runtime: Runtime) -> AsyncIterator[Router]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        yield client, tokens


async def test_follow_up_joins_the_open_case_and_the_committee_sees_it(
    router: Router, runtime: Runtime
) -> None:
    client, tokens = router
    worker = Worker(runtime, fresh_phone())
    first = await worker.send("工资三个月没发")
    second = await worker.send("补充：加班费也没有发")
    assert await runtime.db["cases"].count_documents({}) == 1
    assert [e.action for e in updates(client)] == ["worker_replied"]
    assert updates(client)[0].actor_role == "worker"
    committee = (await case_of(client, first)).committee_id
    assert committee is not None
    body = await (
        await client.get(f"/api/v1/cases/{first.reference}", headers=bearer(tokens[committee]))
    ).json()
    assert [(m["direction"], m["text"]) for m in body["messages"]] == [
        ("worker", first.text),
        ("worker", second.text),
    ]
    assert_no_contact(body, worker.phone)
    # redelivered follow-up: nothing new
    await runtime.bus.publish(second)
    await memory_bus_of(runtime).drain()
    case = await case_of(client, first)
    assert len(case.messages) == 2 and len(updates(client)) == 1


async def test_a_reference_picks_the_case_and_several_without_one_asks_which(
    router: Router, runtime: Runtime
) -> None:
    client, _ = router
    worker = Worker(runtime, fresh_phone(), language="en", to=SZ_NUMBER)
    first = await worker.send("The canteen food is cold")
    second = await worker.send("NEW overtime is not paid")
    assert await runtime.db["cases"].count_documents({}) == 2
    assert (await case_of(client, second)).category == "wages"
    await worker.send(f"About {first.reference.lower()}: still cold today")
    picked = await case_of(client, first)
    assert picked.messages[-1].text.startswith("About")
    await worker.send("and the manager shouts")
    question = outbound(client, "question")
    assert len(question) == 1 and first.reference in question[0].text and second.reference in question[0].text
    assert await runtime.db["cases"].count_documents({}) == 2
    for event in (first, second):
        assert all("shouts" not in m.text for m in (await case_of(client, event)).messages)


@pytest.mark.parametrize(
    ("language", "status_word", "phone"),
    [("zh", "状态", WORKER_PHONE), ("en", "status", ENGLISH_WORKER_PHONE)],
)
async def test_status_keyword(
    router: Router, runtime: Runtime, language: Language, status_word: str, phone: str
) -> None:
    client, _ = router
    worker = Worker(runtime, phone, language=language, to=DG_NUMBER)
    first = await worker.send("工资没发" if language == "zh" else "wages are unpaid")
    await worker.send(status_word)
    await worker.send(f"{status_word.upper()} {first.reference}")
    replies = outbound(client, "status")
    assert len(replies) == 2 and all(first.reference in r.text for r in replies)
    assert ("状态" in replies[0].text) if language == "zh" else ("Status" in replies[0].text)
    assert replies[1].case_id == str(first.grievance_id)
    assert unsealed(runtime.keys, replies[1].sealed_contact) == phone
    assert await runtime.db["cases"].count_documents({}) == 1
    assert updates(client) == []


@pytest.mark.parametrize(
    ("language", "yes", "no", "phone"),
    [
        ("zh", "是", "否", WORKER_PHONE),
        ("en", "yes", "NO", ENGLISH_WORKER_PHONE),
        ("zh", "ＹＥＳ", "ｎｏ", WORKER_PHONE),
    ],
)
async def test_yes_closes_and_no_reopens(
    router: Router, runtime: Runtime, language: Language, yes: str, no: str, phone: str
) -> None:
    client, tokens = router
    worker = Worker(runtime, phone, language=language, to=DG_NUMBER)
    first = await worker.send("工资没发" if language == "zh" else "wages are unpaid")
    token = bearer(tokens["dg-002-wages"])
    url = f"/api/v1/cases/{first.reference}"
    # YES without a pending resolution is an ordinary message
    await worker.send(yes)
    assert [e.action for e in updates(client)] == ["worker_replied"]
    await client.post(f"{url}/resolve", json={"resolution": "下周一补发"}, headers=token)
    await worker.send(no)
    case = await case_of(client, first)
    assert case.status == "reopened"
    assert [e.action for e in updates(client)][-1] == "disputed"
    assert updates(client)[-1].status == "reopened"
    # the committee resolves again; the worker confirms
    await client.post(f"{url}/resolve", json={"resolution": "已经补发"}, headers=token)
    confirm = await worker.send(yes)
    case = await case_of(client, first)
    assert (case.status, case.closure) == ("closed", "confirmed")
    assert [e.action for e in updates(client)][-2:] == ["resolved", "confirmed"]
    assert (await client.post(f"{url}/messages", json={"text": "?"}, headers=token)).status == 409
    # a redelivered YES after the case closed is still the same answer, not a new grievance
    before = len(client.received)
    await runtime.bus.publish(confirm)
    await memory_bus_of(runtime).drain()
    assert await runtime.db["cases"].count_documents({}) == 1
    assert {e.id for e in client.received[before:]} <= {e.id for e in client.received[:before]}


async def test_stop_silences_the_worker_once_and_start_brings_messages_back(
    router: Router, runtime: Runtime
) -> None:
    client, tokens = router
    worker = Worker(runtime, WORKER_PHONE, to=DG_NUMBER)
    first = await worker.send("工资没发")
    await worker.send("退订")
    await worker.send("STOP")
    stops = list(outbound(client, "help"))
    assert len(stops) == 1 and "不再" in stops[0].text
    url = f"/api/v1/cases/{first.reference}"
    token = bearer(tokens["dg-002-wages"])
    before = len(outbound(client))
    acknowledged = await client.post(f"{url}/acknowledge", headers=token)
    assert acknowledged.status == 200 and (await acknowledged.json())["worker_contact"] == "opted_out"
    # A message that could not go out is refused with the reason, not left "pending" for ever.
    refused = await client.post(f"{url}/messages", json={"text": "我们在处理"}, headers=token)
    assert refused.status == 409 and refused.content_type == "application/problem+json"
    problem = await refused.json()
    assert problem["worker_contact"] == "opted_out" and "STOP" in problem["detail"]
    await worker.send("状态")
    await worker.send("帮助")
    await memory_bus_of(runtime).drain()
    assert len(outbound(client)) == before
    # Two STOPs are one switch for each case (escalation learns of it); no text went out.
    assert [e.action for e in updates(client)] == ["messages_stopped", "acknowledged"]
    view = await (await client.get(url, headers=token)).json()
    assert view["worker_contact"] == "opted_out" and [m["direction"] for m in view["messages"]] == ["worker"]
    await worker.send("开通")
    await worker.send("HELP")
    helps = outbound(client, "help")
    assert len(helps) == 3 and "恢复" in helps[1].text and "状态" in helps[2].text
    sent = await client.post(f"{url}/messages", json={"text": "我们在处理"}, headers=token)
    assert sent.status == 200 and (await sent.json())["worker_contact"] == "reachable"
    assert [m.purpose for m in outbound(client, "committee_reply")] == ["committee_reply"]


async def test_help_in_both_languages(router: Router, runtime: Runtime) -> None:
    client, _ = router
    await Worker(runtime, fresh_phone()).send("帮助")
    await Worker(runtime, fresh_phone(), language="en").send("help")
    texts = [m.text for m in outbound(client, "help")]
    assert "退订" in texts[0] and "STOP" in texts[1]
    assert await runtime.db["cases"].count_documents({}) == 0


async def test_unanswered_resolution_closes_after_seven_days_once(
    router: Router, runtime: Runtime, clock: FakeClock
) -> None:
    client, tokens = router
    worker = Worker(runtime, fresh_phone(), to=DG_NUMBER)
    first = await worker.send("工资没发")
    await client.post(
        f"/api/v1/cases/{first.reference}/resolve",
        json={"resolution": "已补发"},
        headers=bearer(tokens["dg-002-wages"]),
    )
    clock.advance(days=6, hours=23)
    assert (await client.app[ROUTER].periodic_pass())["resolutions_closed"] == 0
    clock.advance(hours=2)
    results = await asyncio.gather(
        client.app[ROUTER].periodic_pass(),
        client.app[ROUTER].periodic_pass(),
        client.app[ROUTER].periodic_pass(),
    )
    assert sum(r["resolutions_closed"] for r in results) == 1
    await memory_bus_of(runtime).drain()
    case = await case_of(client, first)
    assert (case.status, case.closure) == ("closed", "unconfirmed")
    closed = updates(client, "closed")
    assert len(closed) == 1 and closed[0].note == "resolved_unconfirmed" and closed[0].actor_role == "system"


async def test_an_unroutable_case_is_replaced_when_the_worker_names_the_factory(
    router: Router, runtime: Runtime
) -> None:
    client, _ = router
    worker = Worker(runtime, fresh_phone(), to=None)
    lost = await worker.send("老板不给工资")
    assert "工厂编号" in outbound(client, "ack")[0].text
    found = await worker.send("GZ001 老板不给工资")
    cases = [e for e in client.received if isinstance(e, CaseAssigned)]
    assert [c.factory_id for c in cases] == [None, "GZ-001"]
    old = await case_of(client, lost)
    assert (old.status, old.closure) == ("closed", "rerouted")
    assert updates(client, "closed")[0].case_id == str(lost.grievance_id)
    assert (await case_of(client, found)).status == "assigned"


async def test_committee_messages_show_delivery_status(router: Router, runtime: Runtime) -> None:
    client, tokens = router
    worker = Worker(runtime, fresh_phone(), to=DG_NUMBER)
    first = await worker.send("工资没发")
    url = f"/api/v1/cases/{first.reference}"
    token = bearer(tokens["dg-002-wages"])
    await client.post(f"{url}/messages", json={"text": "收到"}, headers=token)
    await client.post(f"{url}/messages", json={"text": "正在查"}, headers=token)
    await memory_bus_of(runtime).drain()
    replies = outbound(client, "committee_reply")
    body = await (await client.get(url, headers=token)).json()
    statuses = [m["delivery_status"] for m in body["messages"] if m["direction"] == "committee"]
    assert statuses == ["pending", "pending"]  # intake has not said anything yet
    # what intake's announcer publishes (services/intake/announcer.py)
    await announce_delivery(runtime, replies[0], "delivered")
    await announce_delivery(runtime, replies[1], "failed", error_code="21610")
    body = await (await client.get(url, headers=token)).json()
    statuses = [m["delivery_status"] for m in body["messages"] if m["direction"] == "committee"]
    assert statuses == ["delivered", "failed"]


async def test_a_conversation_in_chinese(router: Router, runtime: Runtime) -> None:
    """Grievance, acknowledgement, replies both ways, resolution, 否: reopened and disputed on the bus."""
    client, tokens = router
    phone = WORKER_PHONE
    worker = Worker(runtime, phone, to=GZ_NUMBER)
    spt = bearer(tokens["gz-001-spt"])
    grievance_event = await worker.send("二楼车间的安全出口晚上被锁了，我们很害怕")
    ref = grievance_event.reference
    url = f"/api/v1/cases/{ref}"
    answers = []

    answers.append(await client.post(f"{url}/acknowledge", headers=spt))
    answers.append(await client.post(f"{url}/messages", json={"text": "谢谢反映，是哪一个门？"}, headers=spt))
    await worker.send("是靠近仓库的那个门，每天晚上十点锁上")
    answers.append(await client.get(url, headers=spt))
    answers.append(await client.post(f"{url}/messages", json={"text": "我们今晚去检查"}, headers=spt))
    await worker.send(f"{ref} 好的，谢谢")
    answers.append(
        await client.post(f"{url}/resolve", json={"resolution": "门锁已拆除，保安每晚巡查"}, headers=spt)
    )
    await worker.send("否")
    answers.append(await client.get(url, headers=spt))
    answers.append(await client.get("/api/v1/cases", headers=spt))

    assert all(a.status == 200 for a in answers)
    for answer in answers:
        assert_no_contact(await answer.json(), phone)
    final = await answers[-2].json()
    assert final["status"] == "reopened"
    assert [(m["direction"], m["purpose"]) for m in final["messages"]] == [
        ("worker", "grievance"),
        ("committee", "committee_reply"),
        ("worker", "message"),
        ("committee", "committee_reply"),
        ("worker", "message"),
        ("committee", "resolution_check"),
        ("worker", "dispute"),
    ]
    assert [t["action"] for t in final["timeline"]] == [
        "assigned", "acknowledged", "replied", "worker_replied", "replied", "worker_replied", "resolved", "disputed"
    ]  # fmt: skip
    await memory_bus_of(runtime).drain()
    disputed = updates(client, "disputed")
    assert len(disputed) == 1 and disputed[0].status == "reopened" and disputed[0].reference == ref
    to_worker = outbound(client)
    # The follow-up without a reference is confirmed as part of this case (its "status" notice).
    assert [m.purpose for m in to_worker] == [
        "ack", "status", "committee_reply", "status", "committee_reply", "resolution_check", "status"
    ]  # fmt: skip
    assert ref in to_worker[3].text and "不是新投诉" in to_worker[3].text
    assert all(
        unsealed(runtime.keys, m.sealed_contact) == phone and m.gateway_number == GZ_NUMBER for m in to_worker
    )
    assert "是" in to_worker[5].text and "否" in to_worker[5].text
    assert await runtime.db["cases"].count_documents({}) == 1
    assert uuid.UUID(disputed[0].case_id) == grievance_event.grievance_id
