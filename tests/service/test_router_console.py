"""The committee console over HTTP: sign-in and its cookie, CSRF, scoping, headers, actions, errors."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import yaml
from aiohttp import ClientResponse, ClientSession, web
from aiohttp.test_utils import TestClient

from services.router.app import create_app
from services.router.appkeys import CONSOLE_SESSIONS, ROUTER
from services.router.case_store import CaseStore
from services.router.console_session import LIFETIME, cookie_policy
from services.router.lexicon import BASE_SEVERITY
from services.router.registry import load_registry
from services.router.worker_store import WorkerStore
from shared.auth import revoke_token
from shared.contracts import (
    DELIVERY_REASONS,
    CaseUpdated,
    GrievanceReceived,
    MessageOutbound,
)
from shared.runtime import Runtime
from tests.conftest import make_settings
from tests.fakes import WORKER_PHONE, FakeClock, memory_bus_of
from tests.servers import ServiceServer
from tests.service.console_support import csrf_of, message_id_of, page_csrf, sign_in
from tests.service.router_support import (
    GZ_NUMBER,
    REGISTRY,
    RouterClient,
    announce_delivery,
    committee_tokens,
    grievance,
    serve,
    stored_case,
)

ACTIONS = {
    "acknowledge": {},
    "reply": {"text": "我们收到了", "message_id": "m-1"},
    "resolve": {"resolution": "已经开锁"},
    "recuse": {"reason": "成员是当事人"},
    "recategorise": {"category": "wages"},
}


# The served router, a token for each committee, the NGO and an admin, and a grievance whose case
# the SPT of GZ-001 holds.
World = tuple[RouterClient, dict[str, str], GrievanceReceived]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event = grievance(runtime.keys, "安全出口被锁了", to=GZ_NUMBER, phone=WORKER_PHONE)
        await runtime.bus.publish(event)
        await memory_bus_of(runtime).drain()
        yield client, tokens, event


async def signed_in(client: RouterClient, token: str) -> ClientResponse:
    response = await sign_in(client, token)
    assert response.status == 303
    assert response.headers["Location"] == "/console/"
    return response


async def test_the_session_cookie_is_http_only_strict_and_expires(world: World) -> None:
    client, tokens, _ = world
    response = await signed_in(client, tokens["gz-001-spt"])
    cookie = response.cookies["committee_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["max-age"] == str(12 * 3600)
    assert cookie["path"] == "/"
    assert not cookie["secure"]  # the test router is reached by plain http on loopback
    assert len(cookie.value) >= 40
    assert tokens["gz-001-spt"] not in response.headers.getall("Set-Cookie")[0]


async def test_the_cookie_is_secure_outside_development(runtime: Runtime) -> None:
    assert cookie_policy(make_settings(public_status_url="https://grievance.example.cn")).secure
    assert cookie_policy(make_settings(public_status_url="http://10.0.0.5:8081")).secure
    assert not cookie_policy(make_settings(public_status_url="http://localhost:8081")).secure
    assert not cookie_policy(make_settings(console_secure_cookies=False)).secure
    settings = make_settings(public_status_url="https://grievance.example.cn")
    served = Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)
    async with TestClient(ServiceServer(create_app(settings, served))) as client:
        # Over plain http a Secure cookie is not sent back: the sign-in page's own cookie shows the flag.
        page = await client.get("/console/sign-in")
        assert page.cookies["committee_session"]["secure"] is True


async def test_pages_carry_a_csp_without_inline_script_and_are_not_stored(world: World) -> None:
    client, tokens, event = world
    sign_page = await client.get("/console/sign-in?lang=zh")
    await signed_in(client, tokens["gz-001-spt"])
    for response in (
        sign_page,
        await client.get("/console/"),
        await client.get(f"/console/cases/{event.reference}"),
    ):
        assert response.status == 200
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert "<script" not in await response.text()
    redirect = await client.post(
        f"/console/cases/{event.reference}/acknowledge", data={"csrf": "x"}, allow_redirects=False
    )
    assert redirect.headers["Cache-Control"] == "no-store"


async def test_without_a_session_every_page_leads_to_the_sign_in(world: World) -> None:
    client, _, event = world
    for method, path in (
        ("GET", "/console/"),
        ("POST", f"/console/cases/{event.reference}/acknowledge"),
        ("POST", "/console/sign-out"),
    ):
        response = await client.request(method, path, data={}, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"] == "/console/sign-in?again=1"
    case_page = await client.get(f"/console/cases/{event.reference}", allow_redirects=False)
    assert case_page.headers["Location"] == (
        f"/console/sign-in?again=1&next=%2Fconsole%2Fcases%2F{event.reference}"
    )


async def test_a_case_link_leads_back_to_the_case_after_sign_in_and_nowhere_else(world: World) -> None:
    client, tokens, event = world
    # A notification's link, opened without a session.
    page = await client.get(f"/console/cases/{event.reference}")
    text = await page.text()
    assert f'name="next" value="/console/cases/{event.reference}"' in text
    form = {"csrf": csrf_of(text), "token": tokens["gz-001-spt"], "next": f"/console/cases/{event.reference}"}
    response = await client.post("/console/sign-in", data=form, allow_redirects=False)
    assert response.headers["Location"] == f"/console/cases/{event.reference}"
    for elsewhere in (
        "https://evil.example/",
        "//evil.example/console/",
        "/console/../admin",
        "/api/v1/cases",
    ):
        assert (
            f'value="{elsewhere}"'
            not in await (await client.get(f"/console/sign-in?next={elsewhere}")).text()
        )
    _, csrf = await page_csrf(client, "/console/")
    await client.post("/console/sign-out", data={"csrf": csrf})
    text = await (await client.get("/console/sign-in")).text()
    form = {"csrf": csrf_of(text), "token": tokens["gz-001-spt"], "next": "https://evil.example/"}
    response = await client.post("/console/sign-in", data=form, allow_redirects=False)
    assert response.headers["Location"] == "/console/"


@pytest.mark.parametrize("token", ["gvt_not-a-token", "ngo", "admin", ""])
async def test_only_a_live_committee_token_signs_in(world: World, token: str) -> None:
    client, tokens, _ = world
    response = await sign_in(client, tokens.get(token, token))
    assert response.status == 401
    assert "令牌无效" in await response.text()
    inbox = await client.get("/console/", allow_redirects=False)
    assert inbox.status == 303


async def test_the_sign_in_form_needs_its_own_csrf_token(world: World) -> None:
    client, tokens, _ = world
    await client.get("/console/sign-in?lang=zh")
    response = await client.post("/console/sign-in", data={"csrf": "forged", "token": tokens["gz-001-spt"]})
    assert response.status == 403
    fresh: TestClient[web.Request, None] = TestClient(client.server)
    await fresh.start_server()
    try:
        # No sign-in page opened first: no visitor session, so no token to match.
        response = await fresh.post("/console/sign-in", data={"token": tokens["gz-001-spt"]})
        assert response.status == 403
        assert (await fresh.get("/console/", allow_redirects=False)).status == 303
    finally:
        await fresh.close()


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_a_form_without_the_session_csrf_token_changes_nothing(
    runtime: Runtime, world: World, action: str
) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    cases = runtime_cases(client)
    before = await stored_case(cases, event.grievance_id)
    published = len(client.received)
    for csrf in (None, "", "forged-token"):
        data = dict(ACTIONS[action]) | ({} if csrf is None else {"csrf": csrf})
        response = await client.post(f"/console/cases/{event.reference}/{action}", data=data)
        assert response.status == 403
        assert "表单已过期" in await response.text()
    await memory_bus_of(runtime).drain()
    after = await stored_case(cases, event.grievance_id)
    assert after.version == before.version and after.status == "assigned"
    assert len(client.received) == published


@pytest.mark.parametrize("action", list(ACTIONS))
async def test_another_committees_case_is_a_404_like_an_unknown_one(
    runtime: Runtime, world: World, action: str
) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-women"])
    text, csrf = await page_csrf(client, "/console/")
    assert event.reference not in text
    foreign = await client.get(f"/console/cases/{event.reference}")
    unknown = await client.get("/console/cases/ABCDE-FGHJK")
    assert foreign.status == unknown.status == 404
    # The same page, but for the reference in the language switch's link.
    same = (
        (await foreign.text()).replace(event.reference, "R"),
        (await unknown.text()).replace("ABCDE-FGHJK", "R"),
    )
    assert same[0] == same[1]
    data = dict(ACTIONS[action]) | {"csrf": csrf}
    response = await client.post(f"/console/cases/{event.reference}/{action}", data=data)
    assert response.status == 404
    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert case.status == "assigned" and case.committee_id == "gz-001-spt"


async def test_acknowledge_reply_resolve_take_the_apis_path(runtime: Runtime, world: World) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    page, csrf = await page_csrf(client, path)
    assert "安全出口被锁了" in page and "待确认" in page
    assert WORKER_PHONE[-8:] not in page

    response = await client.post(f"{path}/acknowledge", data={"csrf": csrf}, allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (303, f"{path}?done=acknowledged")
    page, csrf = await page_csrf(client, f"{path}?done=acknowledged")
    assert "已确认收到" in page and "/acknowledge" not in page

    reply = {"csrf": csrf, "text": "我们明天开门检查", "message_id": message_id_of(page)}
    assert (await client.post(f"{path}/reply", data=reply, allow_redirects=False)).status == 303
    # The same form sent twice (a reload after a lost answer) adds the message once.
    assert (await client.post(f"{path}/reply", data=reply, allow_redirects=False)).status == 303
    page, csrf = await page_csrf(client, path)
    assert page.count("我们明天开门检查") == 1
    assert "等待发送" in page  # intake has not reported the delivery yet

    resolve = {"csrf": csrf, "resolution": "出口已经打开"}
    assert (await client.post(f"{path}/resolve", data=resolve, allow_redirects=False)).status == 303
    await memory_bus_of(runtime).drain()
    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert case.status == "resolved" and case.resolution == "出口已经打开"
    actions = [e.action for e in client.received if isinstance(e, CaseUpdated)]
    assert actions.count("acknowledged") == 1 and actions.count("replied") == 1
    assert "resolved" in actions
    purposes = [e.purpose for e in client.received if isinstance(e, MessageOutbound)]
    assert purposes.count("committee_reply") == 1 and "resolution_check" in purposes


async def test_refusals_are_said_in_plain_words_on_the_page(runtime: Runtime, world: World) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    page, csrf = await page_csrf(client, path)
    empty = await client.post(f"{path}/reply", data={"csrf": csrf, "text": "  ", "message_id": "m1"})
    assert empty.status == 422
    assert "请检查填写的内容" in await empty.text()

    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert case.reporter_key is not None
    await WorkerStore(runtime.db).opt_out(case.reporter_key, "g-stop", runtime.clock())
    page, csrf = await page_csrf(client, path)
    assert "工人已退订消息" in page
    refused = await client.post(
        f"{path}/reply", data={"csrf": csrf, "text": "您好", "message_id": message_id_of(page)}
    )
    assert refused.status == 409
    text = await refused.text()
    assert "没有发送：工人已退订消息" in text
    assert "您好" in text  # what was typed is kept in the form
    english = await client.post(
        f"{path}/reply?lang=en", data={"csrf": csrf, "text": "Hello", "message_id": "m2"}
    )
    assert "Not sent: the worker opted out" in await english.text()


async def test_the_inbox_filters_and_counts(runtime: Runtime, world: World, clock: FakeClock) -> None:
    client, tokens, event = world
    wages = grievance(runtime.keys, "工资拖欠两个月", to=GZ_NUMBER)
    await runtime.bus.publish(wages)
    await memory_bus_of(runtime).drain()
    await signed_in(client, tokens["gz-001-spt"])
    page, csrf = await page_csrf(client, "/console/")
    assert "委员会：社会绩效小组" in page
    assert page.count("还剩") == 2  # the time left to acknowledge each new case
    assert event.reference in page and wages.reference in page
    assert "符合条件的案件：2 件" in page
    await client.post(f"/console/cases/{event.reference}/acknowledge", data={"csrf": csrf})

    only_new = await (await client.get("/console/?status=assigned")).text()
    assert wages.reference in only_new and event.reference not in only_new
    by_category = await (await client.get("/console/?category=wages")).text()
    assert wages.reference in by_category and event.reference not in by_category
    assert "符合条件的案件：0 件" in await (await client.get("/console/?overdue=true")).text()
    clock.advance(days=30)
    overdue = await (await client.get("/console/?overdue=true")).text()
    assert "符合条件的案件：2 件" in overdue  # both past their resolution deadline
    assert len(re.findall(r"已超时 \d", overdue)) == 2 and "还剩" not in overdue
    assert (await client.get("/console/?status=nonsense")).status == 400
    # The filter form's "any" is an empty value.
    assert "符合条件的案件：2 件" in await (await client.get("/console/?status=&category=")).text()


async def test_signing_out_ends_the_session_for_a_copied_cookie_too(world: World) -> None:
    client, tokens, _ = world
    response = await signed_in(client, tokens["gz-001-spt"])
    copied = response.cookies["committee_session"].value
    _, csrf = await page_csrf(client, "/console/")
    out = await client.post("/console/sign-out", data={"csrf": csrf}, allow_redirects=False)
    assert (out.status, out.headers["Location"]) == (303, "/console/sign-in?out=1")
    assert (await client.get("/console/", allow_redirects=False)).status == 303
    async with ClientSession() as other:
        replay = await other.get(
            client.make_url("/console/"),
            headers={"Cookie": f"committee_session={copied}"},
            allow_redirects=False,
        )
        assert replay.status == 303


async def test_a_revoked_token_ends_its_sessions(runtime: Runtime, world: World) -> None:
    client, tokens, _ = world
    await signed_in(client, tokens["gz-001-spt"])
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    records = [r async for r in runtime.db["api_tokens"].find({"committee_id": "gz-001-spt"})]
    await revoke_token(runtime.db, records[0]["token_id"])
    assert (await client.get("/console/", allow_redirects=False)).status == 303


async def test_the_thread_says_why_a_message_did_not_reach_the_worker(runtime: Runtime, world: World) -> None:
    """The reason intake announced is said in plain words, in each language; no code, no number."""
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    page, csrf = await page_csrf(client, path)
    reply = {"csrf": csrf, "text": "我们明天开门检查", "message_id": message_id_of(page)}
    assert (await client.post(f"{path}/reply", data=reply, allow_redirects=False)).status == 303
    await memory_bus_of(runtime).drain()
    (sent,) = [
        e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == "committee_reply"
    ]
    await announce_delivery(
        runtime, sent, "undeliverable", error_code="channel_unconfigured", reason="channel_unconfigured"
    )
    page, _ = await page_csrf(client, path)
    assert "无法送达" in page and "本系统尚未开通工人所用渠道（短信或微信）的发送：这条消息无法发出。" in page
    assert "channel_unconfigured" not in page and WORKER_PHONE[-8:] not in page
    english = await (await client.get(f"{path}?lang=en")).text()
    assert "Cannot be delivered" in english
    assert "Sending by the worker&#39;s channel (SMS or WeChat) is not set up on this system" in english
    assert english.count('class="meta delivery-reason"') == 1  # the committee's message only


async def test_the_contact_line_promises_no_sms_the_system_may_not_send(world: World) -> None:
    """Intake alone holds the providers' credentials, so the router cannot know whether SMS is set
    up: the line says replies go by SMS when it is, and that a message that cannot go says why."""
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    page, _ = await page_csrf(client, path)
    line = "本系统开通了相应渠道的发送时，您的回复会以短信（工人从微信来信的，以微信）发给工人；无法发出的消息会注明原因。"
    assert page.count(line) == 2  # beside the contact, and above the reply form
    assert "您的回复会以短信发给工人（" not in page
    english = await (await client.get(f"{path}?lang=en")).text()
    assert english.count("Replies go to the worker by SMS (by WeChat if they wrote there) when sending") == 2
    assert (
        "when sending by that channel is set up on this system; a message that cannot be sent says why"
        in english
    )
    assert "Replies are sent to the worker by SMS" not in english


async def test_once_a_message_is_undeliverable_for_want_of_sms_the_contact_line_says_so(
    runtime: Runtime, world: World
) -> None:
    """What the router learns from intake's delivery states: the latest message to the worker could
    not go because the channel is not set up, so the line stops promising SMS until one goes again."""
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"

    async def reply(text: str) -> MessageOutbound:
        page, csrf = await page_csrf(client, path)
        form = {"csrf": csrf, "text": text, "message_id": message_id_of(page)}
        assert (await client.post(f"{path}/reply", data=form, allow_redirects=False)).status == 303
        await memory_bus_of(runtime).drain()
        return [
            e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == "committee_reply"
        ][-1]

    first = await reply("我们明天开门检查")
    await announce_delivery(
        runtime, first, "undeliverable", error_code="channel_unconfigured", reason="channel_unconfigured"
    )
    page, _ = await page_csrf(client, path)
    unconfigured = (
        "本系统尚未开通工人所用渠道的发送，上一条消息没有发出：在开通之前，您的回复只会显示在状态页上。"
    )
    assert page.count(unconfigured) == 2 and "本系统开通了相应渠道的发送时" not in page
    assert 'class="contact-unconfigured"' in page
    english = await (await client.get(f"{path}?lang=en")).text()
    assert (
        english.count("so the last message was not sent: until it is, replies show on the status page only")
        == 2
    )
    # A reply now: the page does not say it is on its way, and a message still waiting to be sent
    # does not undo what the last one's fate said.
    second = await reply("检查好了")
    page = await (await client.get(f"{path}?done=replied&lang=zh")).text()
    assert "回复已保存。它不会发给工人（原因见下方“联系工人”），只显示在工人的状态页上。" in page
    assert page.count(unconfigured) == 2 and "正在发给工人" not in page
    await announce_delivery(runtime, second, "sent")  # the channel works again
    page = await (await client.get(f"{path}?done=replied&lang=zh")).text()
    assert unconfigured not in page and page.count("本系统开通了相应渠道的发送时") == 2
    assert "回复已保存，正在发给工人。" in page


async def test_every_delivery_reason_has_words_in_both_languages() -> None:
    from services.router.console_texts import TEXTS

    for reason in DELIVERY_REASONS:
        assert TEXTS.text("zh", f"delivery_reason.{reason}") and TEXTS.text("en", f"delivery_reason.{reason}")


async def test_every_text_has_both_languages_and_english_is_chosen_by_the_browser(world: World) -> None:
    client, tokens, event = world
    from services.router.console_texts import TEXTS

    assert TEXTS.incomplete() == []
    assert (await sign_in(client, tokens["gz-001-spt"], language=None)).status == 303
    english = await client.get(f"/console/cases/{event.reference}", headers={"Accept-Language": "en-GB,en"})
    text = await english.text()
    assert "New, not acknowledged" in text and '<html lang="en">' in text
    switched = await client.get("/console/?lang=zh", headers={"Accept-Language": "en"})
    assert "符合条件的案件" in await switched.text()
    remembered = await client.get("/console/", headers={"Accept-Language": "en"})
    assert "符合条件的案件" in await remembered.text()


def runtime_cases(client: RouterClient) -> CaseStore:
    return client.app[ROUTER].cases


HOSTILE = [
    ("GET", "/console/?page=0", None),
    ("GET", "/console/?page=abc", None),
    ("GET", "/console/?overdue=perhaps", None),
    ("GET", "/console/?category=%00", None),
    ("GET", "/console/cases/%E2%80%AE", None),
    ("GET", "/console/cases/" + "A" * 5000, None),
    ("POST", "/console/cases/{ref}/explode", {}),
    ("POST", "/console/cases/{ref}/recategorise", {"category": "nonsense"}),
    ("POST", "/console/cases/{ref}/recategorise", {"category": "wages", "severity": "apocalyptic"}),
    ("POST", "/console/cases/{ref}/reply", {"text": "x" * 1001, "message_id": "m-9"}),
    ("POST", "/console/cases/{ref}/reply", {"text": "好", "message_id": "<script>"}),
    ("POST", "/console/cases/{ref}/resolve", {}),
    ("POST", "/console/cases/{ref}/recuse", {"reason": "   "}),
]


@pytest.mark.parametrize(("method", "path", "data"), HOSTILE)
async def test_hostile_input_is_a_4xx_that_changes_nothing(
    runtime: Runtime, world: World, method: str, path: str, data: dict[str, str] | None
) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    _, csrf = await page_csrf(client, "/console/")
    before = await stored_case(runtime_cases(client), event.grievance_id)
    body = None if data is None else {**data, "csrf": csrf}
    response = await client.request(method, path.format(ref=event.reference), data=body)
    assert 400 <= response.status < 500, await response.text()
    await memory_bus_of(runtime).drain()
    after = await stored_case(runtime_cases(client), event.grievance_id)
    assert after.version == before.version


async def test_a_body_that_is_no_form_is_refused_before_anything_is_read(world: World) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    response = await client.post(f"/console/cases/{event.reference}/acknowledge", json={"csrf": "x"})
    assert response.status == 415


async def test_the_workers_text_is_shown_as_text_never_as_markup(runtime: Runtime, world: World) -> None:
    client, tokens, _ = world
    event = grievance(runtime.keys, '<script>alert(1)</script><img src=x onerror="x()">', to=GZ_NUMBER)
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    await signed_in(client, tokens["gz-001-spt"])
    page = await (await client.get(f"/console/cases/{event.reference}")).text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_a_recusal_leaves_the_case_and_the_inbox_says_so(runtime: Runtime, world: World) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    _, csrf = await page_csrf(client, path)
    response = await client.post(
        f"{path}/recuse", data={"csrf": csrf, "reason": "成员是当事人的亲属"}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (303, f"/console/?left={event.reference}")
    inbox = await (await client.get(response.headers["Location"])).text()
    assert f"案件 {event.reference} 已不再由本委员会处理" in inbox
    assert (await client.get(path)).status == 404
    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert case.committee_id != "gz-001-spt" and "gz-001-spt" in case.recused_by


async def test_recategorising_moves_the_deadlines_or_sends_retaliation_away(
    runtime: Runtime, world: World
) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    _, csrf = await page_csrf(client, path)
    response = await client.post(
        f"{path}/recategorise",
        data={"csrf": csrf, "category": "wages", "severity": ""},
        allow_redirects=False,
    )
    assert response.headers["Location"] == f"{path}?done=recategorised"
    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert (case.category, case.severity) == ("wages", BASE_SEVERITY["wages"])
    assert "类别已更改" in await (await client.get(response.headers["Location"])).text()
    response = await client.post(
        f"{path}/recategorise", data={"csrf": csrf, "category": "retaliation"}, allow_redirects=False
    )
    assert response.headers["Location"] == f"/console/?left={event.reference}"
    case = await stored_case(runtime_cases(client), event.grievance_id)
    assert case.committee_id is None and case.status == "unassigned"


async def test_an_unconfirmed_web_contact_is_said_as_such_and_a_reply_is_refused(
    runtime: Runtime, world: World
) -> None:
    client, tokens, _ = world
    web = grievance(runtime.keys, "网页表单：宿舍没有热水", channel="web", to=None, factory_hint="GZ-001")
    web = web.model_copy(update={"contact_proven": False})
    await runtime.bus.publish(web)
    await memory_bus_of(runtime).drain()
    case = await stored_case(runtime_cases(client), web.grievance_id)
    assert case.committee_id == "gz-001-spt" and not case.proven
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{web.reference}"
    page, csrf = await page_csrf(client, path)
    assert "工人尚未确认网页表单上留下的号码" in page
    refused = await client.post(f"{path}/reply", data={"csrf": csrf, "text": "请问", "message_id": "m-3"})
    assert refused.status == 409
    assert "没有发送：工人还没有确认留下的号码" in await refused.text()
    assert [m.text for m in (await stored_case(runtime_cases(client), web.grievance_id)).messages] == [
        case.text
    ]


async def test_sign_ins_and_new_visitors_are_limited_per_client(runtime: Runtime, clock: FakeClock) -> None:
    settings = make_settings(status_rate_limit=3)
    served = Runtime(settings, runtime.bus, runtime.db, runtime.keys, runtime.clock)
    async with TestClient(ServiceServer(create_app(settings, served))) as client:
        text = await (await client.get("/console/sign-in?lang=zh")).text()
        tries = [
            await client.post("/console/sign-in", data={"csrf": csrf_of(text), "token": "gvt_wrong"})
            for _ in range(3)
        ]
        assert [t.status for t in tries] == [401, 401, 429]
        assert "登录的次数太多了" in await tries[-1].text()
        assert int(tries[-1].headers["Retry-After"]) >= 1
        client.session.cookie_jar.clear()
        # A browser that keeps no cookie opens a new visitor session each time: limited as well.
        assert (await client.get("/console/sign-in")).status == 429
        clock.advance(minutes=1)
        assert (await client.get("/console/sign-in")).status == 200


async def test_times_are_in_the_factorys_zone_when_the_registry_names_one(
    runtime: Runtime, world: World
) -> None:
    client, tokens, event = world
    data = yaml.safe_load(REGISTRY.read_text(encoding="utf-8"))
    data["factories"][0]["timezone"] = "Asia/Ho_Chi_Minh"
    await load_registry(runtime.db, data)
    await signed_in(client, tokens["gz-001-spt"])
    page = await (await client.get(f"/console/cases/{event.reference}")).text()
    assert "时间均为Asia/Ho_Chi_Minh (UTC+07:00)时间" in page
    assert "2026-03-02 15:00" in page  # received 08:00 UTC
    inbox = await (await client.get("/console/")).text()
    assert "Asia/Ho_Chi_Minh (UTC+07:00)" in inbox and "2026-03-02 15:00" in inbox


async def test_a_session_past_its_lifetime_is_no_session(runtime: Runtime, world: World) -> None:
    client, tokens, _ = world
    await signed_in(client, tokens["gz-001-spt"])
    assert (await client.get("/console/", allow_redirects=False)).status == 200
    store = client.app[CONSOLE_SESSIONS]
    record = await runtime.db["api_tokens"].find_one({"committee_id": "gz-001-spt"})
    # A session started just over one lifetime ago, with a live token: expired all the same.
    started = datetime.now(UTC) - LIFETIME - timedelta(seconds=1)
    old = await store.start("committee", "gz-001-spt", started, token_id=record["token_id"])
    client.session.cookie_jar.clear()
    response = await client.get(
        "/console/", headers={"Cookie": f"committee_session={old.session_id}"}, allow_redirects=False
    )
    assert (response.status, response.headers["Location"]) == (303, "/console/sign-in?again=1")
    # The same, started a minute before its lifetime ends, still works.
    recent = await store.start(
        "committee", "gz-001-spt", started + timedelta(minutes=1), token_id=record["token_id"]
    )
    fresh = await client.get("/console/", headers={"Cookie": f"committee_session={recent.session_id}"})
    assert fresh.status == 200


async def test_the_language_link_of_a_refused_action_leads_back_to_the_case(world: World) -> None:
    client, tokens, event = world
    await signed_in(client, tokens["gz-001-spt"])
    path = f"/console/cases/{event.reference}"
    _, csrf = await page_csrf(client, path)
    refused = await client.post(f"{path}/reply", data={"csrf": csrf, "text": "", "message_id": "m-4"})
    assert refused.status == 422
    assert f'href="{path}/reply?lang=en"' in await refused.text()
    back = await client.get(f"{path}/reply?lang=en", allow_redirects=False)
    assert (back.status, back.headers["Location"]) == (303, f"{path}?lang=en")
    english = await client.get(back.headers["Location"])
    assert english.status == 200 and "Case " in await english.text()
