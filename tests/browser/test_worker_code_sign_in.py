"""An SMS worker, who has no PIN, follows the case on a 360 px phone in real Chromium: asks for a
sign-in code, reads it from the text the router sent (what the worker's phone would show), signs
in with it and reads the committee's reply. In Chinese; axe-core checks the new page states. Every
step leaves a screenshot in build/screenshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.runtime import Runtime
from tests.fakes import memory_bus_of

if TYPE_CHECKING:
    from playwright.async_api import Browser


from services.router.appkeys import ROUTER
from shared.contracts import MessageOutbound
from shared.ids import case_code
from tests.browser.accessibility import assert_accessible, checked_context
from tests.browser.conftest import follow, screenshot
from tests.browser.test_committee_console import fits_the_phone
from tests.browser.test_worker_page import committee
from tests.fakes import WORKER_PHONE
from tests.service.router_support import committee_tokens, grievance, serve, stored_case

GRIEVANCE = "夜班加班费没有按时发放"
REPLY = "人事部已核对，加班费本周五补发。"


async def test_an_sms_worker_signs_in_with_a_code_and_reads_the_reply_in_chinese(
    runtime: Runtime, browser: Browser
) -> None:
    tokens = await committee_tokens(runtime)
    context = await checked_context(browser, "zh-CN")
    page = await context.new_page()
    try:
        async with serve(runtime) as client:
            event = grievance(runtime.keys, GRIEVANCE, phone=WORKER_PHONE, factory_hint="GZ-001")
            await runtime.bus.publish(event)
            await memory_bus_of(runtime).drain()
            await committee(client, tokens, event, "messages", {"text": REPLY})
            code = case_code(event.reference)

            # The SMS's link fills in the case code; the worker has no PIN and asks for a code.
            await page.goto(str(client.make_url(f"/case/?code={code}")))
            assert await page.get_by_label("编号或 6 位案件码").input_value() == code
            await assert_accessible(page)
            await fits_the_phone(page)
            await screenshot(page, "worker-code-zh-1-sign-in")
            await follow(page, page.get_by_role("button", name="发登录码给我"))
            await page.wait_for_url(str(client.make_url("/case/code")))
            assert "登录码已发到那里" in await page.inner_text("[role=status]")
            await assert_accessible(page)
            await fits_the_phone(page)
            await screenshot(page, "worker-code-zh-2-code-sent")

            await memory_bus_of(runtime).drain()
            case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
            [sent] = [
                e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == "sign_in_code"
            ]
            assert sent.sealed_contact == case.sealed_contact and sent.code is not None

            # A wrong code first: refused in plain words, on the same page.
            await page.get_by_label("登录码（6 位数字）").fill(f"{(int(sent.code) + 1) % 10**6:06d}")
            await follow(page, page.get_by_role("button", name="登录", exact=True))
            assert "登录码不对、已过期或已用过" in await page.inner_text("[role=alert]")
            await assert_accessible(page)
            await screenshot(page, "worker-code-zh-3-wrong-code")

            await page.get_by_label("登录码（6 位数字）").fill(sent.code)
            await follow(page, page.get_by_role("button", name="登录", exact=True))
            await page.wait_for_url(str(client.make_url("/case/view")))
            assert await page.inner_text("h1") == f"投诉 {event.reference}"
            thread = await page.inner_text(".thread")
            assert GRIEVANCE in thread and REPLY in thread
            main = await page.inner_text("main")
            assert WORKER_PHONE not in main and WORKER_PHONE[-8:] not in main and sent.code not in main
            await assert_accessible(page)
            await fits_the_phone(page)
            await screenshot(page, "worker-code-zh-4-case")
    finally:
        await context.close()
