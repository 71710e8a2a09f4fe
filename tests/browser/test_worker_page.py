"""The worker's case page in a real browser, on a 360 px phone: a web-form worker follows the case
with reference and PIN, reads the committee's reply, replies and disputes the resolution; an SMS
worker signs in with the case code, JavaScript off; a wrong PIN and a locked reference look the same. In Chinese,
and in English. Every step leaves a screenshot in build/screenshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.contracts import GrievanceReceived
from shared.runtime import Runtime
from tests.fakes import memory_bus_of

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


from services.router.appkeys import ROUTER
from services.router.status_store import MAX_FAILURES
from shared.ids import case_code
from shared.privacy import PIN_DIGITS
from tests.browser.conftest import follow, screenshot
from tests.browser.test_committee_console import fits_the_phone
from tests.fakes import WORKER_PHONE
from tests.service.case_page_support import case_with_pin
from tests.service.router_support import RouterClient, bearer, committee_tokens, serve, stored_case


def wrong(pin: str, n: int = 0) -> str:
    return f"{(int(pin) + 1 + n) % 10**PIN_DIGITS:0{PIN_DIGITS}d}"


async def committee(
    client: RouterClient, tokens: dict[str, str], event: GrievanceReceived, path: str, body: dict[str, str]
) -> None:
    """A committee's action through the API, as the console or a script would take it."""
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert case.committee_id is not None
    url = f"/api/v1/cases/{event.reference}/{path}"
    response = await client.post(url, json=body, headers=bearer(tokens[case.committee_id]))
    assert response.status == 200, await response.text()


async def sign_in(
    page: Page, entered: str, pin: str, *, case_label: str, pin_label: str, submit: str
) -> None:
    await page.get_by_label(case_label).fill(entered)
    await page.get_by_label(pin_label).fill(pin)
    await follow(page, page.get_by_role("button", name=submit))


async def test_a_web_worker_follows_replies_and_disputes_in_chinese(runtime: Runtime, page: Page) -> None:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        event, pin = await case_with_pin(runtime, "宿舍热水坏了一个星期没人修")
        await committee(client, tokens, event, "messages", {"text": "师傅明天上午来修热水器。"})

        # The receipt's link: the reference is filled in, the PIN is typed.
        await page.goto(str(client.make_url(f"/case/?ref={event.reference}")))
        assert await page.title() == "查看我的投诉"
        assert await page.get_by_label("编号或案件码").input_value() == event.reference
        await fits_the_phone(page)
        await screenshot(page, "worker-zh-1-sign-in")
        await page.get_by_label("密码").fill(pin)
        await follow(page, page.get_by_role("button", name="查看"))

        await page.wait_for_url(str(client.make_url("/case/view")))
        assert await page.inner_text("h1") == f"投诉 {event.reference}"
        assert "委员会已受理，正在处理。" in await page.inner_text("#status")
        thread = await page.inner_text(".thread")
        assert "宿舍热水坏了一个星期没人修" in thread and "师傅明天上午来修热水器。" in thread
        assert "还剩" in await page.inner_text(".facts") and "北京时间" in await page.inner_text("main")
        await fits_the_phone(page)
        await screenshot(page, "worker-zh-2-case")

        await page.get_by_label("您的消息").fill("好的，我明天上午在宿舍。")
        await follow(page, page.get_by_role("button", name="发送"))
        assert "您的消息已加入投诉。" in await page.inner_text("[role=status]")
        assert "好的，我明天上午在宿舍。" in await page.inner_text(".thread")
        await screenshot(page, "worker-zh-3-replied")

        await committee(client, tokens, event, "resolve", {"resolution": "热水器已经换新。"})
        await page.reload()
        assert "您认可这个解决方案吗？" in await page.inner_text("main")
        await screenshot(page, "worker-zh-4-resolution")
        await page.get_by_label("不认可的原因（可以不填）").fill("还是只有冷水。")
        await follow(page, page.get_by_role("button", name="不认可"))
        assert "已记录您不认可解决方案" in await page.inner_text("[role=status]")
        assert "独立监督机构也在跟进" in await page.inner_text("main")
        await fits_the_phone(page)
        await screenshot(page, "worker-zh-5-disputed")
        await memory_bus_of(runtime).drain()
        case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
        assert case.status == "reopened"
        assert [m.text for m in case.messages if m.direction == "worker"][-2:] == [
            "好的，我明天上午在宿舍。",
            "还是只有冷水。",
        ]

        await follow(page, page.get_by_role("button", name="退出"))
        assert "您已退出" in await page.inner_text("main")
        await page.goto(str(client.make_url("/case/view")))
        assert await page.title() == "查看我的投诉"
        await screenshot(page, "worker-zh-6-signed-out")


async def test_an_sms_worker_signs_in_with_the_code_in_english_without_javascript(
    runtime: Runtime, browser: Browser
) -> None:
    tokens = await committee_tokens(runtime)
    # With JavaScript off: every step is a plain form and a link.
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, locale="en-GB", java_script_enabled=False
    )
    page = await context.new_page()
    try:
        async with serve(runtime) as client:
            event, pin = await case_with_pin(
                runtime, "The workshop is too loud", channel="sms", phone=WORKER_PHONE
            )
            await committee(
                client, tokens, event, "messages", {"text": "We will measure the noise on Monday."}
            )
            await page.goto(str(client.make_url(f"/case/?code={case_code(event.reference)}")))
            assert await page.title() == "Follow my grievance"
            await page.get_by_label("PIN").fill(pin)
            await follow(page, page.get_by_role("button", name="Show my grievance"))
            assert await page.inner_text("h1") == f"Grievance {event.reference}"
            assert "We will measure the noise on Monday." in await page.inner_text(".thread")
            main = await page.inner_text("main")
            assert WORKER_PHONE not in main and WORKER_PHONE[-8:] not in main
            await fits_the_phone(page)
            await screenshot(page, "worker-en-1-case")

            await committee(client, tokens, event, "resolve", {"resolution": "Ear protection is handed out."})
            await page.reload()
            await follow(page, page.get_by_role("button", name="Yes, close my grievance"))
            assert "Thank you. Your grievance is closed." in await page.inner_text("[role=status]")
            assert "You accepted the resolution." in await page.inner_text("#status")
            await screenshot(page, "worker-en-2-confirmed")
            await follow(page, page.get_by_role("link", name="中文"))
            assert await page.inner_text("h1") == f"投诉 {event.reference}"
    finally:
        await context.close()


async def test_a_wrong_pin_and_a_locked_reference_look_the_same(runtime: Runtime, page: Page) -> None:
    async with serve(runtime) as client:
        event, pin = await case_with_pin(runtime, "食堂的饭菜不干净")
        labels = {"case_label": "编号或案件码", "pin_label": "密码", "submit": "查看"}
        await page.goto(str(client.make_url("/case/")))
        await sign_in(page, event.reference, wrong(pin), **labels)
        wrong_pin = await page.inner_text("main")
        assert "编号和密码不匹配" in wrong_pin
        assert await page.get_by_label("编号或案件码").input_value() == event.reference
        await fits_the_phone(page)
        await screenshot(page, "worker-zh-7-wrong-pin")
        for n in range(1, MAX_FAILURES):
            await sign_in(page, event.reference, wrong(pin, n), **labels)
        await sign_in(page, event.reference, pin, **labels)  # the right PIN, locked out
        assert await page.inner_text("main") == wrong_pin
        await screenshot(page, "worker-zh-8-locked")
        assert "/case/view" not in page.url
