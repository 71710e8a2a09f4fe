"""The web form in a real browser, on a 360 px phone: a worker fills it in, sends it, and sees the
reference and PIN and what happens next; a mistake comes back with the text kept; in Chinese and in
English. Every step leaves a screenshot in build/screenshots (``web-form-*``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.settings import Settings
from shared.store import Database

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

import re
from typing import Any

import pytest

from shared.contracts import GrievanceReceived
from shared.memorybus import MemoryBus
from shared.privacy import Keys, pin_for
from shared.runtime import Runtime
from tests.browser.conftest import follow, screenshot
from tests.browser.test_committee_console import UNLABELLED
from tests.fakes import WORKER_PHONE, FakeClock, sensitive
from tests.service.conversation_support import services
from tests.service.intake_support import intake_settings, serve

ZH_TEXT = sensitive("车间的安全出口晚上被锁住了，主管说是为了防止偷东西")
EN_TEXT = sensitive("Our overtime has not been paid since September")
PHONE = sensitive("13912345678")  # WORKER_PHONE as a worker types it


@pytest.fixture
async def base(settings_factory: Callable[..., Settings], runtime: Runtime) -> Any:
    settings = intake_settings(settings_factory, public_base_url="http://127.0.0.1:8080")
    async with serve(settings, runtime) as client:
        yield str(client.make_url("/"))


async def fits_the_phone(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await page.evaluate(UNLABELLED) == []


def filed(bus: MemoryBus) -> list[GrievanceReceived]:
    return [event for event in bus.published if isinstance(event, GrievanceReceived)]


async def test_a_worker_files_a_grievance_in_chinese(
    base: str, page: Page, memory_bus: MemoryBus, keys: Keys
) -> None:
    await page.goto(base)
    assert await page.title() == "提交投诉 · 工人投诉渠道"
    await fits_the_phone(page)
    await screenshot(page, "web-form-zh-1-form")

    await page.get_by_label("工厂编号").fill("GZ-999")
    await page.get_by_label("发生了什么").fill(ZH_TEXT)
    await follow(page, page.get_by_role("button", name="提交投诉"))
    await page.wait_for_selector("#form-error")
    assert "没有这个工厂编号" in await page.inner_text("main")
    assert await page.get_by_label("发生了什么").input_value() == ZH_TEXT  # the text is kept
    assert filed(memory_bus) == []
    await fits_the_phone(page)
    await screenshot(page, "web-form-zh-2-refused")

    await page.get_by_label("工厂编号").fill("GZ-001")
    await page.get_by_label("手机号码（可以不填）").fill(PHONE)
    await follow(page, page.get_by_role("button", name="提交投诉"))
    await page.wait_for_selector("#reference")
    assert await page.inner_text("h1") == "投诉已收到"
    (event,) = filed(memory_bus)
    assert await page.inner_text("#reference") == event.reference
    assert await page.inner_text("#pin") == pin_for(keys, str(event.grievance_id))
    main = await page.inner_text("main")
    assert "48 小时" in main and "确认您的手机号码" in main and PHONE not in main
    assert pin_for(keys, str(event.grievance_id)) not in page.url
    await fits_the_phone(page)
    await screenshot(page, "web-form-zh-3-receipt")

    # Sending the same form again (a reload of the receipt) files nothing new.
    await page.reload()
    assert await page.inner_text("#reference") == event.reference
    assert {e.grievance_id for e in filed(memory_bus)} == {event.grievance_id}


async def test_a_worker_files_a_grievance_in_english_without_a_phone(
    base: str, browser: Browser, memory_bus: MemoryBus, keys: Keys
) -> None:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = await context.new_page()
    try:
        await page.goto(base)
        assert await page.title() == "Report a grievance · Worker grievance channel"
        await fits_the_phone(page)
        await screenshot(page, "web-form-en-1-form")
        await page.get_by_label("Factory code").fill("GZ-001")
        await page.get_by_label("What happened").fill(EN_TEXT)
        await follow(page, page.get_by_role("button", name="Send the grievance"))
        await page.wait_for_selector("#reference")
        assert await page.inner_text("h1") == "Your grievance is received"
        (event,) = filed(memory_bus)
        assert await page.inner_text("#reference") == event.reference
        assert await page.inner_text("#pin") == pin_for(keys, str(event.grievance_id))
        main = await page.inner_text("main")
        assert "within 48 hours" in main and "Confirm your mobile number" not in main
        link = await page.get_by_role("link", name="Open the case page").get_attribute("href")
        assert link is not None and event.reference in link and await page.inner_text("#pin") not in link
        await fits_the_phone(page)
        await screenshot(page, "web-form-en-2-receipt")

        await follow(page, page.get_by_role("link", name="Report another grievance"))
        await follow(page, page.get_by_role("link", name="中文"))
        await page.wait_for_url("**/?lang=zh")
        assert await page.inner_text("h1") == "提交投诉"
    finally:
        await context.close()


async def test_the_keyboard_alone_fills_and_sends_the_form(
    base: str, page: Page, memory_bus: MemoryBus
) -> None:
    await page.goto(base)
    order: list[str] = []
    for _ in range(12):
        await page.keyboard.press("Tab")
        name = await page.evaluate("document.activeElement.name || document.activeElement.innerText")
        if name in ("factory_code", "text", "contact", "提交投诉"):
            order.append(name)
        if name == "提交投诉":
            break
    assert order == ["factory_code", "text", "contact", "提交投诉"]
    await page.get_by_label("工厂编号").focus()
    await page.keyboard.type("gz-001")  # the registry's codes are matched whatever the case
    await page.keyboard.press("Tab")
    await page.keyboard.type(ZH_TEXT)
    await page.get_by_role("button", name="提交投诉").focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#reference")  # the answer to the POST, not the form still shown
    assert await page.inner_text("h1") == "投诉已收到"
    (event,) = filed(memory_bus)
    assert await page.inner_text("#reference") == event.reference


async def test_a_worker_confirms_the_number_with_the_sms_code_on_the_router_page(
    settings_factory: Callable[..., Settings],
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
    page: Page,
) -> None:
    settings = intake_settings(settings_factory, public_base_url="http://127.0.0.1:8080")
    async with services(Runtime(settings, memory_bus, db, keys, clock)) as system:
        await page.goto(str(system.intake.make_url("/")))
        await page.get_by_label("工厂编号").fill("GZ-001")
        await page.get_by_label("发生了什么").fill(ZH_TEXT)
        await page.get_by_label("手机号码（可以不填）").fill(PHONE)
        await follow(page, page.get_by_role("button", name="提交投诉"))
        await page.wait_for_selector("#reference")
        reference = await page.inner_text("#reference")
        link = await page.get_by_role("link", name="输入验证码").get_attribute("href")
        assert link is not None and link.endswith(f"/contact/?ref={reference}")
        await memory_bus.drain()
        [request] = system.texts_to(WORKER_PHONE)
        code = re.search(r"[0-9]{6}", request.text)
        assert code is not None

        # The test's router is not at the configured public address: open the same path on it.
        await page.goto(str(system.router.make_url(f"/contact/?ref={reference}")))
        assert await page.get_by_label("案件编号").input_value() == reference
        await fits_the_phone(page)
        await screenshot(page, "web-form-zh-4-confirm")
        await page.get_by_label("六位验证码").fill(code.group(0))
        await follow(page, page.get_by_role("button", name="确认号码"))
        await page.wait_for_selector("#confirmed")
        assert "号码已确认" in await page.inner_text("main")
        await fits_the_phone(page)
        await screenshot(page, "web-form-zh-5-confirmed")
        committee = await system.holder(reference)
        assert committee is not None
        assert (await system.case(reference, committee))["worker_contact"] == "reachable"
