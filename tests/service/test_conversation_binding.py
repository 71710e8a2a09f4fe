"""Conversation binding through the public interfaces: a planted web case never gets another
channel's messages, and a web contact binds only once the worker confirmed the code sent to it."""

from __future__ import annotations

import re

import pytest

from services.router.assign import Assignment
from services.router.case import Case
from services.router.case_store import CaseStore
from services.router.classify import Classification
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, sensitive
from tests.service.conversation_support import Services
from tests.service.router_support import bearer, fresh_phone, grievance

PLANTED = sensitive("我想反映一下车间加班太多的问题，每天都要做到很晚")
WORKER_FIRST = sensitive("工资三个月没发，老板说下个月再说")
WORKER_MORE = sensitive("补充一下，加班费也一直没有给")
OWN_FORM = sensitive("宿舍的热水器坏了一个月，没人来修")
OWN_MORE = sensitive("今天还是没有热水，大家只能用冷水洗澡")


@pytest.fixture
def system(conversation: Services) -> Services:
    return conversation


def code_in(text: str) -> str:
    found = re.search(r"[0-9]{6}", text)
    assert found is not None
    return found.group(0)


async def test_a_case_planted_with_a_workers_number_never_gets_their_sms(system: Services) -> None:
    # An attacker files a web form giving the worker's number as the contact.
    planted = await system.web_form(PLANTED, WORKER_PHONE)
    planter = await system.holder(planted)
    assert planter is not None
    # The number gets one text: the confirmation request, which names no case.
    sent = system.texts_to(WORKER_PHONE)
    assert [m.purpose for m in sent] == ["contact_confirmation"]
    assert planted not in sent[0].text and sent[0].reference is None
    # Its code travels typed as well, for a Chinese SMS verification template to carry.
    assert sent[0].code is not None and sent[0].code == code_in(sent[0].text)

    # The worker, who knows nothing of it, texts the factory's number twice.
    own = await system.sms(WORKER_FIRST, WORKER_PHONE)
    await system.sms(WORKER_MORE, WORKER_PHONE)
    assert own is not None and own != planted
    # The planted case holds only the planter's own text; the worker's case holds both of theirs.
    planted_view = await system.case(planted, planter)
    assert [m["text"] for m in planted_view["messages"]] == [PLANTED]
    assert planted_view["worker_contact"] == "unconfirmed"
    worker_committee = await system.holder(own)
    assert worker_committee is not None
    own_view = await system.case(own, worker_committee)
    assert [m["text"] for m in own_view["messages"]] == [WORKER_FIRST, WORKER_MORE]
    # Nothing about the planted case ever went to the worker, and the planter's committee cannot
    # write to the number either.
    assert not [m for m in system.texts_to(WORKER_PHONE) if m.reference == planted]
    refused = await system.router.post(
        f"/api/v1/cases/{planted}/messages",
        json={"text": "请问您是谁？"},
        headers=bearer(system.tokens[planter]),
    )
    assert refused.status == 409 and (await refused.json())["worker_contact"] == "unconfirmed"

    # A second plant the same day sends the number nothing more.
    await system.web_form(PLANTED + "。", WORKER_PHONE)
    assert [m.purpose for m in system.texts_to(WORKER_PHONE)].count("contact_confirmation") == 1


async def test_a_web_contact_binds_once_confirmed_on_the_web(system: Services) -> None:
    reference = await system.web_form(OWN_FORM, OTHER_WORKER_PHONE)
    [request] = system.texts_to(OTHER_WORKER_PHONE)
    code = code_in(request.text)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    url = "/api/v1/contact/confirm"
    # A wrong code, an unknown reference and a malformed body: the same refusal, or a 422.
    for body in ({"reference": reference, "code": wrong}, {"reference": "ABCDE-FGHJK", "code": code}):
        response = await system.router.post(url, json=body)
        assert response.status == 404 and response.content_type == "application/problem+json"
    assert (await system.router.post(url, json={"reference": reference, "code": "12"})).status == 422
    zh = await system.router.post(
        url, json={"reference": reference, "code": wrong}, headers={"Accept-Language": "zh-CN"}
    )
    assert "验证码" in (await zh.json())["detail"]
    # Until confirmed, an SMS from the number opens a case of its own.
    before = await system.sms(OWN_MORE, OTHER_WORKER_PHONE)
    assert before is not None and before != reference
    ok = await system.router.post(url, json={"reference": reference.lower(), "code": code})
    assert ok.status == 200 and (await ok.json()) == {"reference": reference, "contact_confirmed": True}
    committee = await system.holder(reference)
    assert committee is not None
    view = await system.case(reference, committee)
    assert view["worker_contact"] == "reachable" and view["timeline"][-1]["action"] == "contact_confirmed"
    # Confirmed: the committee's message goes out, and the worker's next SMS quoting it joins it.
    sent = await system.router.post(
        f"/api/v1/cases/{reference}/messages",
        json={"text": "师傅明天去修"},
        headers=bearer(system.tokens[committee]),
    )
    assert sent.status == 200
    # The acknowledgement withheld at creation went out on confirmation, then the reply.
    assert [m.purpose for m in system.texts_to(OTHER_WORKER_PHONE) if m.reference == reference] == [
        "ack",
        "committee_reply",
    ]
    await system.sms(f"{reference} 谢谢，等师傅来", OTHER_WORKER_PHONE)
    view = await system.case(reference, committee)
    assert view["messages"][-1]["text"].startswith(reference)


async def test_five_wrong_codes_lock_the_web_confirmation_and_an_sms_reply_still_confirms(
    system: Services,
) -> None:
    reference = await system.web_form(OWN_FORM, WORKER_PHONE)
    [request] = system.texts_to(WORKER_PHONE)
    code = code_in(request.text)
    url = "/api/v1/contact/confirm"
    for guess in range(5):
        tried = f"{(int(code) + 1 + guess) % 10**6:06d}"
        assert (await system.router.post(url, json={"reference": reference, "code": tried})).status == 404
    # Locked: even the right code is refused on the web now.
    assert (await system.router.post(url, json={"reference": reference, "code": code})).status == 404
    # Another number writing the code back confirms nothing: it opens a case of its own.
    assert await system.sms(code, OTHER_WORKER_PHONE) is not None
    committee = await system.holder(reference)
    assert committee is not None
    assert (await system.case(reference, committee))["worker_contact"] == "unconfirmed"
    # The number itself writing the code back (Twilio signs its From) confirms it.
    await system.sms(code.translate(str.maketrans("0123456789", "０１２３４５６７８９")), WORKER_PHONE)
    view = await system.case(reference, committee)
    assert view["worker_contact"] == "reachable"
    told = [m for m in system.texts_to(WORKER_PHONE) if m.purpose == "status"]
    assert len(told) == 1 and reference in told[0].text
    # From now on its messages join the case.
    await system.sms(OWN_MORE, WORKER_PHONE)
    assert (await system.case(reference, committee))["messages"][-1]["text"] == OWN_MORE


async def test_a_number_that_sent_stop_gets_no_confirmation_request_and_the_next_day_gets_one(
    system: Services,
) -> None:
    phone = fresh_phone()
    assert await system.sms("STOP", phone) is None
    await system.web_form(OWN_FORM, phone)
    assert [m.purpose for m in system.texts_to(phone)] == ["help"]  # the STOP confirmation only
    other = fresh_phone()
    await system.web_form(OWN_FORM, other)
    [first] = system.texts_to(other)
    system.runtime.clock.advance(days=1)  # type: ignore[attr-defined]
    await system.web_form(OWN_FORM + "，还是没修", other)
    requests = [m for m in system.texts_to(other) if m.purpose == "contact_confirmation"]
    assert len(requests) == 2 and code_in(requests[1].text) != code_in(first.text)


async def test_a_web_case_stored_before_contacts_were_proven_binds_nothing(system: Services) -> None:
    # A case an older router stored from the web form: the ordinary key of the number, no field.
    phone = fresh_phone()
    event = grievance(
        system.runtime.keys, PLANTED, phone=phone, channel="web", to=None, factory_hint="GZ-001"
    )
    legacy = Case.open(
        event,
        reference=event.reference,
        now=system.runtime.clock(),
        factory_id="GZ-001",
        factory_via="factory_code",
        assignment=Assignment("gz-001-spt"),
        classification=Classification("working_hours", "normal", 1),
        sla=system.runtime.settings.sla,
    ).model_copy(update={"contact_proven": None})
    cases = CaseStore(system.runtime.db)
    await cases.insert(legacy)
    assert (await cases.by_id(legacy.case_id)).reporter_key == event.reporter_key  # type: ignore[union-attr]
    own = await system.sms(WORKER_FIRST, phone)
    assert own is not None and own != legacy.reference
    assert [m["text"] for m in (await system.case(legacy.reference, "gz-001-spt"))["messages"]] == [PLANTED]
    assert await system.sms("状态", phone) is None
    status = [m for m in system.texts_to(phone) if m.purpose == "status"]
    assert status and all(legacy.reference not in m.text for m in status)


async def test_a_message_quoting_a_reference_joins_that_case_whoever_sends_it(system: Services) -> None:
    reference = await system.sms(WORKER_FIRST, fresh_phone())
    assert reference is not None
    await system.sms(f"我也是 {reference} 这个车间的，我们组也没发", fresh_phone())
    view = await system.case(reference, "gz-001-spt")
    assert len(view["messages"]) == 2 and view["messages"][1]["text"].startswith("我也是")


async def test_once_confirmed_the_web_worker_also_gets_the_monitors_notice(system: Services) -> None:
    phone = fresh_phone()
    reference = await system.web_form(OWN_FORM, phone)
    [request] = system.texts_to(phone)
    confirmed = await system.router.post(
        "/api/v1/contact/confirm", json={"reference": reference, "code": code_in(request.text)}
    )
    assert confirmed.status == 200
    # The worker's next SMS is bound to the case; it raises it to critical, which escalates.
    await system.sms(sensitive("还有，宿舍的安全出口也被锁了"), phone)
    assert "critical" in {e["reason"] for e in await system.escalations(reference)}
    notices = [m for m in system.texts_to(phone) if m.purpose == "escalation_notice"]
    assert len(notices) == 1 and reference in notices[0].text
