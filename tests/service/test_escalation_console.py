"""The NGO console through real aiohttp servers: the three services on one in-memory bus.

A worker's SMS opens a retaliation case (escalated at once); the monitor signs in with the NGO
token, finds the case by reference and acts on it through the console's forms. What the worker is
told is read from the bus, what the committee sees from the router's API: the console's actions
are the API's (one desk), so they have the API's effects and its refusals, in plain words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from services.escalation.app import create_app
from services.escalation.console_texts import _ACTIONS, _REASONS, _RULES, TEXTS
from services.router.case_store import CaseStore
from shared.auth import issue_token, revoke_token
from shared.contracts import CaseAction, EscalationReason, Event, NameRule
from shared.ids import case_code
from shared.memorybus import MemoryBus
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.servers import ServiceServer
from tests.service.console_support import csrf_of, page_csrf, sign_in
from tests.service.conversation_support import Services
from tests.service.escalation_support import assigned, consume_downstream
from tests.service.intake_support import intake_settings
from tests.service.router_support import FlakyBus

RETALIATION = sensitive("因为投诉了加班问题，组长打击报复我")
NGO_TEXT = sensitive("我们是独立监督机构，已收到您的投诉")
OUTCOME = sensitive("工厂已撤销处分并补发工资")
WAGES = sensitive("工资三个月没发，老板说下个月再说")
_KEY = re.compile(r'name="request_key" value="([0-9a-f]{32})"')


@pytest.fixture
def system(conversation: Services) -> Services:
    return conversation


async def signed_in(system: Services, token: str | None = None, language: str = "zh") -> Any:
    client = system.escalation
    response = await sign_in(client, token or system.tokens["ngo"], language)
    assert response.status == 303, await response.text()
    return client


async def act(system: Services, reference: str, action: str, **fields: str) -> Any:
    """One form of the case page, submitted as the browser would (its CSRF token and request key)."""
    client = system.escalation
    page, csrf = await page_csrf(client, f"/console/cases/{reference}")
    key = _KEY.search(page)
    form = {"csrf": csrf, **({"request_key": key.group(1)} if key else {}), **fields}
    clock = system.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=1)
    response = await client.post(f"/console/cases/{reference}/{action}", data=form, allow_redirects=False)
    await system.bus.drain()
    return response


async def test_the_monitor_takes_a_case_from_report_to_outcome(system: Services) -> None:
    # A wages case of the same factory, held by its committee: escalation has seen that committee.
    held = await system.sms(WAGES, OTHER_WORKER_PHONE)
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None and await system.holder(reference) is None
    assert held is not None and await system.holder(held) == "gz-001-spt"
    client = await signed_in(system)

    listing = await (await client.get("/console/")).text()
    assert reference in listing and "报复" in listing and "符合条件的案件：1 件" in listing
    found = await client.get(
        "/console/find", params={"reference": f" {reference.lower()} "}, allow_redirects=False
    )
    assert (found.status, found.headers["Location"]) == (303, f"/console/cases/{reference}")
    by_code = await client.get(
        "/console/find", params={"reference": case_code(reference)}, allow_redirects=False
    )
    assert by_code.headers["Location"] == f"/console/cases/{reference}"
    page = await (await client.get(f"/console/cases/{reference}")).text()
    assert "因为投诉了加班问题" in page and "没有委员会（由监督机构处理）" in page
    assert WORKER_PHONE[-8:] not in page and "sealed" not in page

    response = await act(system, reference, "acknowledge")
    assert (response.status, response.headers["Location"]) == (
        303,
        f"/console/cases/{reference}?done=acknowledged",
    )
    [escalation] = await system.escalations(reference)
    assert escalation["status"] == "acknowledged"

    response = await act(system, reference, "message", text=NGO_TEXT)
    assert response.status == 303, await response.text()
    relayed = [m.text for m in system.texts_to(WORKER_PHONE) if m.purpose == "ngo_message"]
    assert relayed == [f"[{reference}] 独立监督机构：{NGO_TEXT}"]

    page = await (await client.get(f"/console/cases/{reference}")).text()
    assert '<option value="gz-001-spt">gz-001-spt</option>' in page
    response = await act(system, reference, "transfer", committee_id="gz-001-spt", other_committee="")
    assert response.status == 303
    assert await system.holder(reference) == "gz-001-spt"
    page = await (await client.get(f"/console/cases/{reference}?done=transferred")).text()
    assert "已请求转交" in page and "监督机构转交委员会" in page and "委员会待确认" in page

    response = await act(system, reference, "close", outcome=OUTCOME)
    assert response.status == 303
    told = [m.text for m in system.texts_to(WORKER_PHONE) if m.purpose == "ngo_outcome"]
    assert told == [f"[{reference}] 独立监督机构已结案。结果：{OUTCOME}"]
    [case] = await CaseStore(system.runtime.db).by_reference(reference)
    assert case.status == "closed" and case.closure == "ngo_outcome"
    assert {e["status"] for e in await system.escalations(reference)} == {"resolved"}
    page = await (await client.get(f"/console/cases/{reference}")).text()
    assert "案件已结案：只能查看。" in page
    assert "还剩" not in page and "已完成" not in page  # nothing waits; nothing was acknowledged
    assert f"/console/cases/{reference}/message" not in page


async def test_refusals_are_said_in_plain_words_and_change_nothing(system: Services) -> None:
    reference = await system.web_form(RETALIATION, None)  # no contact: the worker cannot be reached
    client = await signed_in(system, language="en")
    published = len(system.bus.published)
    response = await act(system, reference, "message", text=NGO_TEXT)
    assert response.status == 409
    assert "The worker cannot be reached: they left no contact" in await response.text()
    response = await act(system, reference, "message", text="   ")
    assert response.status == 422 and "Please check what you entered" in await response.text()
    response = await act(system, reference, "transfer", committee_id="", other_committee="../etc")
    assert response.status == 422
    response = await act(system, reference, "resolve", note="")
    assert response.status == 422
    assert len(system.bus.published) == published
    assert (await client.get("/console/cases/K7M3P-9QXA2")).status == 404
    bad = await client.get("/console/find", params={"reference": "not a reference"})
    assert bad.status == 400 and "ten letters and digits" in await bad.text()
    # Resolving ends the monitor's follow-up only: the case stays as it is.
    assert (await act(system, reference, "resolve", note="followed up by phone")).status == 303
    assert {e["status"] for e in await system.escalations(reference)} == {"resolved"}
    again = await act(system, reference, "acknowledge")
    assert again.status == 409 and "resolved already" in await again.text()


async def test_a_form_without_the_session_csrf_token_does_nothing(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None
    client = await signed_in(system)
    published = len(system.bus.published)
    for form in ({"text": NGO_TEXT}, {"text": NGO_TEXT, "csrf": "forged"}):
        response = await client.post(f"/console/cases/{reference}/message", data=form)
        assert response.status == 403 and "表单已过期" in await response.text()
    # Signing in needs the sign-in form's own token, too.
    fresh = await client.post("/console/sign-in", data={"token": system.tokens["ngo"], "csrf": "x"})
    assert fresh.status == 403
    assert len(system.bus.published) == published
    [escalation] = await system.escalations(reference)
    assert escalation["status"] == "open"


async def test_sessions_scope_and_sign_out(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    assert reference is not None
    client = system.escalation
    assert (await client.get("/console/", allow_redirects=False)).status == 303
    # A committee token is not the NGO's: refused with a sentence.
    refused = await sign_in(client, system.tokens["gz-001-spt"])
    assert refused.status == 401 and "不是 NGO 令牌" in await refused.text()

    accepted = await sign_in(client, system.tokens["ngo"])
    cookie = accepted.headers["Set-Cookie"]
    assert "ngo_session=" in cookie and "SameSite=Strict" in cookie and "HttpOnly" in cookie
    assert "Max-Age=43200" in cookie
    page = await client.get("/console/")
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "/console/dashboard" in await page.text()

    # Signing out ends the session: its cookie opens nothing any more.
    _, csrf = await page_csrf(client, "/console/")
    out = await client.post("/console/sign-out", data={"csrf": csrf}, allow_redirects=False)
    assert out.status == 303
    assert (await client.get("/console/", allow_redirects=False)).status == 303

    # A token scoped to other factories sees neither the case in the list nor its page.
    other, record = await issue_token(system.runtime.db, "ngo", factories=["DG-002"])
    await signed_in(system, other)
    assert reference not in await (await client.get("/console/")).text()
    assert (await client.get(f"/console/cases/{reference}")).status == 404
    missing = await client.get("/console/find", params={"reference": reference})
    assert missing.status == 404 and "不在您负责的工厂范围内" in await missing.text()
    assert "工厂：DG-002" in await (await client.get("/console/")).text()
    # Revoking the token ends the sessions it opened.
    assert await revoke_token(system.runtime.db, record["token_id"])
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_the_list_filters_by_status_and_reason_and_counts_cases(system: Services) -> None:
    first = await system.sms(RETALIATION, WORKER_PHONE)
    second = await system.web_form(RETALIATION, None)
    assert first is not None
    client = await signed_in(system, language="en")
    assert (await act(system, second, "acknowledge")).status == 303
    text = await (await client.get("/console/", params={"status": "open"})).text()
    assert first in text and second not in text and "Cases matching: 1" in text
    text = await (await client.get("/console/", params={"reason": "retaliation", "status": ""})).text()
    assert first in text and second in text
    text = await (await client.get("/console/", params={"reason": "disputed"})).text()
    assert "No case matches." in text
    bad = await client.get("/console/", params={"status": "everything"})
    assert bad.status == 400 and "Please check what you entered" in await bad.text()


async def test_english_from_the_browser_and_a_switch_to_chinese(system: Services) -> None:
    reference = await system.sms(RETALIATION, WORKER_PHONE)
    client = system.escalation
    page = await client.get("/console/sign-in", headers={"Accept-Language": "en-GB,en;q=0.9"})
    text = await page.text()
    assert "Monitor sign-in" in text
    response = await client.post(
        "/console/sign-in",
        data={"csrf": csrf_of(text), "token": system.tokens["ngo"]},
        headers={"Accept-Language": "en-GB"},
        allow_redirects=False,
    )
    assert response.status == 303
    english = await (
        await client.get(f"/console/cases/{reference}", headers={"Accept-Language": "en"})
    ).text()
    assert "Write to the worker" in english and "Retaliation" in english
    chinese = await (await client.get(f"/console/cases/{reference}?lang=zh")).text()
    assert "给工人写消息" in chinese


def test_every_value_the_pages_name_has_its_words() -> None:
    assert set(_REASONS) == set(EscalationReason.__args__)  # type: ignore[attr-defined]
    assert set(CaseAction.__args__) <= set(_ACTIONS)  # type: ignore[attr-defined]
    assert set(_RULES) == set(NameRule.__args__)  # type: ignore[attr-defined]
    assert TEXTS.incomplete() == []


async def test_a_bus_that_does_not_confirm_is_said_and_the_same_form_again_is_one_request(
    settings: Settings, memory_bus: MemoryBus, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FlakyBus(memory_bus)
    runtime = Runtime(settings, bus, db, keys, clock)
    token, _ = await issue_token(db, "ngo")
    await consume_downstream(memory_bus)
    requested: list[Event] = []

    async def keep(event: Event) -> None:
        requested.append(event)

    await memory_bus.consume("router.ngo", keep)
    case = assigned(
        clock(), keys=keys, category="retaliation", committee_id=None, unassigned_reason="retaliation"
    )
    async with TestClient(ServiceServer(create_app(settings, runtime))) as client:
        await memory_bus.publish(case)
        await memory_bus.drain()
        assert (await sign_in(client, token, "en")).status == 303
        page, csrf = await page_csrf(client, f"/console/cases/{case.reference}")
        key = _KEY.search(page)
        assert key is not None
        form = {"csrf": csrf, "request_key": key.group(1), "text": NGO_TEXT}
        path = f"/console/cases/{case.reference}/message"
        bus.failing = True
        response = await client.post(path, data=form)
        assert response.status == 503 and "nothing is done twice" in await response.text()
        assert NGO_TEXT in await response.text()  # what was typed is kept
        bus.failing = False
        for _ in range(2):
            assert (await client.post(path, data=form, allow_redirects=False)).status == 303
        await memory_bus.drain()
    assert (
        len(requested) == 2 and requested[0].id == requested[1].id
    )  # one request, which the router applies once


async def test_a_case_code_finds_the_cases_it_fits(
    settings: Settings, memory_bus: MemoryBus, db: Database, keys: Keys, clock: FakeClock
) -> None:
    runtime = Runtime(settings, memory_bus, db, keys, clock)
    token, _ = await issue_token(db, "ngo")
    await consume_downstream(memory_bus)
    await memory_bus.consume("router.ngo", consume_nothing)
    # Two cases whose references share their first six characters, the code an SMS worker is given.
    cases = [
        assigned(
            clock(), category="retaliation", committee_id=None, unassigned_reason="retaliation"
        ).model_copy(update={"reference": reference})
        for reference in ("K7M3P-9QXA2", "K7M3P-9ZZZZ")
    ]
    async with TestClient(ServiceServer(create_app(settings, runtime))) as client:
        for case in cases:
            await memory_bus.publish(case)
        await memory_bus.drain()
        assert (await sign_in(client, token, "en")).status == 303
        both = await client.get("/console/find", params={"reference": "k7m3p 9"})
        text = await both.text()
        assert both.status == 200 and "More than one escalated case starts with K7M3P9" in text
        assert 'href="/console/cases/K7M3P-9QXA2"' in text and 'href="/console/cases/K7M3P-9ZZZZ"' in text
        one = await client.get("/console/find", params={"reference": "K7M3PA"}, allow_redirects=False)
        assert one.status == 404
        exact = await client.get("/console/find", params={"reference": "k7m3p9zzzz"}, allow_redirects=False)
        assert exact.headers["Location"] == "/console/cases/K7M3P-9ZZZZ"


async def consume_nothing(event: Event) -> None:
    """The router's queue, bound so the console's requests are routable; nothing to do with them here."""


async def test_the_sign_in_page_works_with_the_keys_escalation_holds(
    settings_factory: Callable[..., Settings],
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
) -> None:
    """Escalation holds no pseudonym key (shared.bootstrap.HELD_KEYS): its sign-in limit must not need one."""
    from shared.bootstrap import narrowed

    runtime = narrowed(Runtime(intake_settings(settings_factory), memory_bus, db, keys, clock), "escalation")
    assert not runtime.keys.holds_pseudonym
    async with TestClient(ServiceServer(create_app(runtime.settings, runtime))) as client:
        for _ in range(2):
            page = await client.get("/console/sign-in?lang=en")
            assert page.status == 200


async def test_behind_the_trusted_proxy_each_client_it_names_has_its_own_sign_in_limit(
    settings_factory: Callable[..., Settings],
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
) -> None:
    """All NGO staff come through the proxy: one client's failed sign-ins must not lock out the others."""
    settings = intake_settings(settings_factory).model_copy(
        update={"trusted_proxies": "127.0.0.1", "status_rate_limit": 2}
    )
    runtime = Runtime(settings, memory_bus, db, keys, clock)
    async with TestClient(ServiceServer(create_app(settings, runtime))) as client:

        async def attempt(forwarded_for: str) -> int:
            headers = {"X-Forwarded-For": forwarded_for}
            page = await client.get("/console/sign-in?lang=en", headers=headers)
            form = {"csrf": csrf_of(await page.text()), "token": "not-a-token"}
            answer = await client.post("/console/sign-in", data=form, headers=headers, allow_redirects=False)
            return answer.status

        first = [await attempt("198.51.100.7") for _ in range(3)]
        assert first[0] == 401 and first[-1] == 429
        assert await attempt("198.51.100.8") != 429  # another person behind the same proxy
