"""The worker's case page over HTTP: sign-in with reference or code and PIN through the status
lookup's gate, the session cookie, CSRF, headers, what the worker sees, reply, confirm and dispute."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.router.appkeys import ROUTER
from services.router.case_session import LIFETIME
from services.router.status_store import MAX_FAILURES
from shared.contracts import CaseUpdated, GrievanceReceived
from shared.ids import case_code
from shared.privacy import PIN_DIGITS, pin_for, pin_hash
from shared.runtime import Runtime
from tests.fakes import WORKER_PHONE, memory_bus_of
from tests.service.case_page_support import case_page, case_with_pin, field_of, sign_in
from tests.service.router_support import RouterClient, bearer, committee_tokens, grievance, serve, stored_case

GRIEVANCE = "宿舍热水坏了一个星期没人修"


def wrong(pin: str, n: int = 0) -> str:
    return f"{(int(pin) + 1 + n) % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


# The served router, a token for each committee, the NGO and an admin, and a web grievance with its
# PIN, its case stored.
World = tuple[RouterClient, dict[str, str], GrievanceReceived, str]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event, pin = await case_with_pin(runtime, GRIEVANCE)
        yield client, tokens, event, pin


async def committee_token(client: RouterClient, tokens: dict[str, str], event: GrievanceReceived) -> str:
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert case.committee_id is not None
    return tokens[case.committee_id]


async def test_the_reference_and_pin_open_a_short_strict_session(world: World) -> None:
    client, _, event, pin = world
    response = await sign_in(client, event.reference.lower(), pin[:4] + " " + pin[4:])
    assert response.status == 303 and response.headers["Location"] == "/case/view"
    cookie = response.cookies["case_session"]
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert cookie["max-age"] == str(int(LIFETIME.total_seconds())) == str(20 * 60)
    assert not cookie["secure"]  # plain http on loopback: a development run
    assert pin not in " ".join(response.headers.getall("Set-Cookie"))
    text, _, _ = await case_page(client)
    assert f"投诉 {event.reference}" in text and GRIEVANCE in text
    assert "委员会已收到您的投诉，还没有受理。" in text


async def test_the_case_code_and_pin_open_the_case_too(world: World) -> None:
    client, _, event, pin = world
    response = await sign_in(client, case_code(event.reference).lower(), pin)
    assert response.status == 303
    text, _, _ = await case_page(client)
    assert event.reference in text


async def test_every_page_is_strict_and_never_stored(world: World) -> None:
    client, _, event, pin = world
    pages = [await client.get("/case/")]
    await sign_in(client, event.reference, pin)
    pages.append(await client.get("/case/view"))
    for page in pages:
        assert page.status == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        csp = page.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        body = await page.text()
        assert "<script" not in body and "style=" not in body and "http" not in body.split("<body>")[1]


async def test_a_link_fills_in_the_reference_or_code_and_never_takes_a_pin(world: World) -> None:
    client, _, event, pin = world
    text = await (await client.get(f"/case/?ref={event.reference}")).text()
    assert f'value="{event.reference}"' in text
    code = case_code(event.reference)
    assert f'value="{code}"' in await (await client.get(f"/case/?code={code}")).text()
    assert 'value="&lt;b&gt;"' not in await (await client.get("/case/?ref=<b>")).text()
    dropped = await client.get(f"/case/?ref={event.reference}&pin={pin}", allow_redirects=False)
    assert dropped.status == 303 and pin not in dropped.headers["Location"]
    assert dropped.headers["Location"] == f"/case/?ref={event.reference}"


async def test_wrong_unknown_and_locked_look_the_same(world: World) -> None:
    client, _, event, pin = world

    async def refused(entered: str, given: str) -> tuple[int, str]:
        response = await sign_in(client, entered, given)
        return response.status, (await response.text()).replace(entered, "X")

    wrong_pin = await refused(event.reference, wrong(pin))
    unknown = await refused("ZZZZZ-ZZZZZ", pin)
    garbage = await refused("not a reference", pin)
    assert wrong_pin[0] == unknown[0] == garbage[0] == 401
    assert "编号和密码不匹配" in wrong_pin[1]
    # The pages differ only in their CSRF token (each visitor its own).

    def strip(page: str) -> str:
        return page.replace(field_of(page, "csrf"), "")

    assert strip(wrong_pin[1]) == strip(unknown[1]) == strip(garbage[1])
    for n in range(1, MAX_FAILURES):
        assert (await refused(event.reference, wrong(pin, n)))[0] == 401
    locked = await refused(event.reference, pin)  # the right PIN, on a locked reference
    assert locked[0] == 401 and strip(locked[1]) == strip(wrong_pin[1])
    # The status API shares the lock: it is locked there too.
    api = await client.post(f"/api/v1/status/{event.reference}", json={"pin": pin})
    assert api.status == 404


async def test_guessing_at_a_code_locks_the_code_not_the_reference(world: World) -> None:
    client, _, event, pin = world
    code = case_code(event.reference)
    for n in range(MAX_FAILURES):
        assert (await sign_in(client, code, wrong(pin, n))).status == 401
    assert (await sign_in(client, code, pin)).status == 401
    assert (await sign_in(client, event.reference, pin)).status == 303


async def test_the_sign_in_form_needs_its_own_csrf_token(world: World) -> None:
    client, _, event, pin = world
    await client.get("/case/?lang=zh")
    forged = await client.post("/case/", data={"csrf": "forged", "case": event.reference, "pin": pin})
    assert forged.status == 403 and "页面已过期" in await forged.text()
    assert (await client.get("/case/view", allow_redirects=False)).status == 303


async def test_without_a_session_every_page_leads_to_the_sign_in(world: World) -> None:
    client, _, _, _ = world
    for method, path in (
        ("GET", "/case/view"),
        ("POST", "/case/reply"),
        ("POST", "/case/confirm"),
        ("POST", "/case/dispute"),
        ("POST", "/case/sign-out"),
    ):
        response = await client.request(method, path, data={}, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"] == "/case/?again=1"


async def test_a_reply_is_a_follow_up_added_once(runtime: Runtime, world: World) -> None:
    client, _, event, pin = world
    await sign_in(client, event.reference, pin)
    _, csrf, form_id = await case_page(client)
    form = {"csrf": csrf, "form_id": form_id, "text": "今天还是没有热水"}
    for _ in range(2):  # a resubmitted form
        response = await client.post("/case/reply", data=form, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/case/view?done=replied"
    await memory_bus_of(runtime).drain()
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    added = [m for m in case.messages if m.text == "今天还是没有热水"]
    assert len(added) == 1 and added[0].direction == "worker" and added[0].purpose == "message"
    assert [e.action for e in case.timeline].count("worker_replied") == 1
    updates = [e for e in client.received if isinstance(e, CaseUpdated) and e.action == "worker_replied"]
    assert len(updates) == 1
    text = await (await client.get("/case/view?done=replied")).text()
    assert "您的消息已加入投诉。" in text and "今天还是没有热水" in text


async def test_a_reply_takes_the_safety_checks_of_an_sms_follow_up(runtime: Runtime, world: World) -> None:
    client, _, event, pin = world
    await sign_in(client, event.reference, pin)
    _, csrf, form_id = await case_page(client)
    form = {"csrf": csrf, "form_id": form_id, "text": "我投诉以后主管威胁要开除我"}
    assert (await client.post("/case/reply", data=form, allow_redirects=False)).status == 303
    await memory_bus_of(runtime).drain()
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert case.category == "retaliation" and case.committee_id is None


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({"text": ""}, 422, "请检查填写的内容"),
        ({"text": "x" * 1001}, 422, "请检查填写的内容"),
        ({"text": "hi", "form_id": "not-an-id"}, 403, "页面已过期"),
        ({"text": "hi", "csrf": "forged"}, 403, "页面已过期"),
    ],
)
async def test_a_refused_reply_changes_nothing(
    runtime: Runtime, world: World, form: dict[str, str], status: int, words: str
) -> None:
    client, _, event, pin = world
    await sign_in(client, event.reference, pin)
    _, csrf, form_id = await case_page(client)
    before = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    response = await client.post("/case/reply", data={"csrf": csrf, "form_id": form_id, **form})
    assert response.status == status and words in await response.text()
    after = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert after.version == before.version


async def test_the_worker_sees_the_committee_reply_and_nothing_internal(
    runtime: Runtime, world: World
) -> None:
    client, tokens, event, pin = world
    token = await committee_token(client, tokens, event)
    reply = await client.post(
        f"/api/v1/cases/{event.reference}/messages", json={"text": "师傅明天来修"}, headers=bearer(token)
    )
    assert reply.status == 200, await reply.text()
    recuse = await client.post(
        f"/api/v1/cases/{event.reference}/recuse",
        json={"reason": "内部原因不给工人看"},
        headers=bearer(token),
    )
    assert recuse.status == 200
    await sign_in(client, event.reference, pin)
    text, _, _ = await case_page(client)
    assert "师傅明天来修" in text and "委员会 · 回复" in text
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    for hidden in ("内部原因不给工人看", *(r.committee_id for r in case.recusals), "gz-001", "GZ-001"):
        assert hidden not in text


async def test_the_deadlines_are_in_the_factorys_local_time(world: World) -> None:
    client, _, event, pin = world
    await sign_in(client, event.reference, pin)
    text, _, _ = await case_page(client)
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    # Received 08:00 UTC is 16:00 in Guangzhou (the registry's zone, China Standard Time).
    assert "2026-03-02 16:00" in text and "时间均为北京时间。" in text
    assert case.ack_due_at.astimezone().strftime("%Y") in text and "还剩" in text


async def resolved(client: RouterClient, tokens: dict[str, str], event: GrievanceReceived) -> None:
    token = await committee_token(client, tokens, event)
    answer = await client.post(
        f"/api/v1/cases/{event.reference}/resolve",
        json={"resolution": "热水器已经换新"},
        headers=bearer(token),
    )
    assert answer.status == 200, await answer.text()


async def test_a_dispute_reopens_the_case_once(runtime: Runtime, world: World) -> None:
    client, tokens, event, pin = world
    await resolved(client, tokens, event)
    await sign_in(client, event.reference, pin)
    text, csrf, form_id = await case_page(client)
    assert "您认可这个解决方案吗？" in text and "热水器已经换新" in text
    form = {"csrf": csrf, "form_id": form_id, "text": "还是没有热水"}
    for _ in range(2):
        response = await client.post("/case/dispute", data=form, allow_redirects=False)
        assert response.headers["Location"] == "/case/view?done=disputed"
    await memory_bus_of(runtime).drain()
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert case.status == "reopened" and case.disputed_at is not None
    assert [m.text for m in case.messages if m.purpose == "dispute"] == ["还是没有热水"]
    text = await (await client.get("/case/view?done=disputed")).text()
    assert "已记录您不认可" in text and "独立监督机构也在跟进" in text
    assert "您认可这个解决方案吗？" not in text
    # A confirmation from the same old page now finds nothing to answer.
    late = await client.post("/case/confirm", data={"csrf": csrf, "form_id": form_id})
    assert late.status == 409 and "没有等待您答复的解决方案" in await late.text()


async def test_a_confirmation_closes_the_case(runtime: Runtime, world: World) -> None:
    client, tokens, event, pin = world
    await resolved(client, tokens, event)
    await sign_in(client, event.reference, pin, language="en")
    _, csrf, form_id = await case_page(client)
    response = await client.post("/case/confirm", data={"csrf": csrf, "form_id": form_id})
    assert response.status == 200
    text = await response.text()
    assert "Thank you. Your grievance is closed." in text and "You accepted the resolution." in text
    assert "Add a message" not in text
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert (case.status, case.closure) == ("closed", "confirmed")
    closed = await client.post("/case/reply", data={"csrf": csrf, "form_id": form_id, "text": "hi"})
    assert closed.status == 409


async def test_signing_out_ends_the_session(world: World) -> None:
    client, _, event, pin = world
    signed = await sign_in(client, event.reference, pin)
    session_id = signed.cookies["case_session"].value
    _, csrf, _ = await case_page(client)
    out = await client.post("/case/sign-out", data={"csrf": csrf}, allow_redirects=False)
    assert out.headers["Location"] == "/case/?out=1"
    client.session.cookie_jar.update_cookies({"case_session": session_id})  # a copied cookie
    assert (await client.get("/case/view", allow_redirects=False)).status == 303


async def test_an_sms_worker_follows_the_case_by_code(runtime: Runtime, world: World) -> None:
    client, _, _, _ = world
    event, pin = await case_with_pin(runtime, "车间太吵耳朵疼", channel="sms", phone=WORKER_PHONE)
    assert (await sign_in(client, case_code(event.reference), pin)).status == 303
    text, _, _ = await case_page(client)
    assert "车间太吵耳朵疼" in text
    assert WORKER_PHONE not in text and WORKER_PHONE[-8:] not in text


async def test_a_code_finds_exactly_the_cases_whose_reference_starts_with_it(runtime: Runtime) -> None:
    await committee_tokens(runtime)  # the registry, so that the cases are routed
    async with serve(runtime) as client:
        pins = {}
        for reference in ("K7M3P-9QXA2", "K7M3P-9ABCD", "K7M3P-8QXA2", "K7M3Q-9QXA2", "K7M3N-9ZZZZ"):
            event = grievance(
                runtime.keys, "食堂不干净", channel="web", to=None, factory_hint="GZ-001", phone=None
            )
            pin = pin_for(runtime.keys, str(event.grievance_id))
            digest = pin_hash(runtime.keys, reference, pin)
            await runtime.bus.publish(event.model_copy(update={"reference": reference, "pin_hash": digest}))
            pins[reference] = pin
        await memory_bus_of(runtime).drain()
        cases = client.app[ROUTER].cases
        found = await cases.for_status_code("K7M3P9")
        assert sorted(f.reference for f in found) == ["K7M3P-9ABCD", "K7M3P-9QXA2"]
        assert all(f.case_id for f in found)
        for reference in ("K7M3P-9QXA2", "K7M3P-9ABCD"):
            response = await sign_in(client, "K7M3P9", pins[reference])
            assert response.status == 303
            text, csrf, _ = await case_page(client)
            assert f"投诉 {reference}" in text
            await client.post("/case/sign-out", data={"csrf": csrf})
        # The PIN of a case with another code opens nothing by this code.
        assert (await sign_in(client, "K7M3P9", pins["K7M3P-8QXA2"])).status == 401


async def test_a_link_for_another_case_shows_the_form_not_the_signed_in_case(
    runtime: Runtime, world: World
) -> None:
    client, _, event, pin = world
    other, other_pin = await case_with_pin(runtime, "厕所的门坏了")
    await sign_in(client, event.reference, pin)
    own = await client.get(f"/case/?code={case_code(event.reference)}", allow_redirects=False)
    assert own.status == 303 and own.headers["Location"] == "/case/view"
    session_id = client.session.cookie_jar.filter_cookies(client.make_url("/"))["case_session"].value
    foreign = await client.get(f"/case/?ref={other.reference}", allow_redirects=False)
    assert foreign.status == 200 and GRIEVANCE not in await foreign.text()
    client.session.cookie_jar.update_cookies({"case_session": session_id})  # the old cookie, kept
    assert (await client.get("/case/view", allow_redirects=False)).status == 303  # ended
    assert (await sign_in(client, other.reference, other_pin)).status == 303
    text, _, _ = await case_page(client)
    assert "厕所的门坏了" in text and GRIEVANCE not in text
