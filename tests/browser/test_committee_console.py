"""The committee console in a real browser, on a 360 px phone: a member signs in with the
committee's token, finds the new case, acknowledges, replies and resolves it, then signs out; in
Chinese, and in English. Every step leaves a screenshot in build/screenshots. Every control has a
label, the keyboard alone reaches every action in the page's order, and axe-core finds nothing
serious on any kind of page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from shared.runtime import Runtime
from tests.fakes import memory_bus_of

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


import pytest

from services.router.appkeys import ROUTER
from shared.contracts import DeliveryReason, GrievanceReceived, MessageOutbound
from tests.browser.accessibility import assert_accessible, checked_context
from tests.browser.conftest import follow, screenshot
from tests.fakes import ENGLISH_WORKER_PHONE, WORKER_PHONE
from tests.service.router_support import (
    GZ_NUMBER,
    RouterClient,
    announce_delivery,
    committee_tokens,
    grievance,
    serve,
    stored_case,
)

# Every form control of a page has a label a screen reader announces (its <label>, or aria-label).
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.innerText.trim())
    .map(el => el.outerHTML)"""
# What the keyboard focuses, in Tab order, until focus leaves the page or comes round again.
TAB_ORDER = """() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const form = el.form ? el.form.getAttribute('action') : '';
    return el.tagName.toLowerCase() + '|' + (el.name || el.getAttribute('href') || el.innerText.trim()) + '|' + form;
}"""


# The served router and the committees' tokens.
World = tuple[RouterClient, dict[str, str]]


@pytest.fixture
async def world(runtime: Runtime) -> AsyncIterator[World]:
    tokens = await committee_tokens(runtime)
    async with serve(runtime) as client:
        yield client, tokens


async def new_case(runtime: Runtime, text: str, phone: str) -> GrievanceReceived:
    event = grievance(runtime.keys, text, to=GZ_NUMBER, phone=phone)
    await runtime.bus.publish(event)
    await memory_bus_of(runtime).drain()
    return event


async def undeliverable(runtime: Runtime, client: RouterClient, reason: DeliveryReason) -> None:
    """What intake announces of the committee's reply when it cannot send it."""
    (reply,) = [
        e for e in client.received if isinstance(e, MessageOutbound) and e.purpose == "committee_reply"
    ]
    await announce_delivery(runtime, reply, "undeliverable", error_code=reason, reason=reason)


async def fits_the_phone(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await page.evaluate(UNLABELLED) == []


async def test_a_member_handles_a_new_case_in_chinese(runtime: Runtime, world: World, page: Page) -> None:
    client, tokens = world
    event = await new_case(runtime, "宿舍的安全出口被锁了三天", WORKER_PHONE)
    base = str(client.make_url("/console/"))

    await page.goto(base)
    assert await page.title() == "委员会登录"
    await fits_the_phone(page)
    await screenshot(page, "console-zh-1-sign-in")
    await page.get_by_label("委员会令牌").fill(tokens["gz-001-spt"])
    await follow(page, page.get_by_role("button", name="登录"))

    await page.wait_for_url(base)
    assert "委员会：社会绩效小组" in await page.inner_text("header")  # the name in the registry
    await fits_the_phone(page)
    await screenshot(page, "console-zh-2-inbox")
    await follow(page, page.get_by_role("link", name=event.reference))

    assert await page.inner_text("h1") == f"案件 {event.reference}"
    assert "宿舍的安全出口被锁了三天" in await page.inner_text("main")
    assert "还剩" in await page.inner_text(".facts")
    await fits_the_phone(page)
    await screenshot(page, "console-zh-3-case")
    await follow(page, page.get_by_role("button", name="确认收到"))
    assert "已确认收到" in await page.inner_text("[role=status]")
    await screenshot(page, "console-zh-4-acknowledged")

    await page.get_by_label("回复内容").fill("我们明天上午去宿舍检查，请放心。")
    await follow(page, page.get_by_role("button", name="发送回复"))
    thread = await page.inner_text(".thread")
    assert "我们明天上午去宿舍检查，请放心。" in thread and "送达状态：等待发送" in thread
    await screenshot(page, "console-zh-5-replied")
    await undeliverable(runtime, client, "channel_unconfigured")  # no SMS provider on this system
    await page.reload()
    reason = await page.inner_text(".thread .delivery-reason")
    assert reason == "本系统尚未开通工人所用渠道（短信或微信）的发送：这条消息无法发出。"
    assert "送达状态：无法送达" in await page.inner_text(".thread")
    await fits_the_phone(page)
    await screenshot(page, "console-zh-5b-undeliverable")

    await page.get_by_label("解决方案（工人会收到并被问是否认可）").fill("安全出口已经打开，并装了提醒牌。")
    await follow(page, page.get_by_role("button", name="提交解决方案"))
    # The resolution cannot go either, and the page says so: not "waiting for the worker's answer"
    # by a message that is never sent, and the contact line holds while the new message waits.
    done = await page.inner_text("[role=status]")
    assert done == "解决方案已提交。它不会发给工人（原因见下方“联系工人”），工人在状态页上看到并答复。"
    assert "本系统尚未开通工人所用渠道的发送" in await page.inner_text("#worker-contact")
    assert "等待工人答复" in await page.inner_text(".facts")
    await fits_the_phone(page)
    await screenshot(page, "console-zh-6-resolved")
    await memory_bus_of(runtime).drain()
    case = await stored_case(client.app[ROUTER].cases, event.grievance_id)
    assert (case.status, case.resolution) == ("resolved", "安全出口已经打开，并装了提醒牌。")

    await follow(page, page.get_by_role("button", name="退出"))
    assert "您已退出" in await page.inner_text("main")
    await screenshot(page, "console-zh-7-signed-out")
    await page.goto(base)
    assert await page.title() == "委员会登录"


async def test_a_member_works_in_english_and_can_switch_to_chinese(
    runtime: Runtime, world: World, browser: Browser
) -> None:
    client, tokens = world
    event = await new_case(runtime, "My wages are two months late", ENGLISH_WORKER_PHONE)
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="en-GB")
    page = await context.new_page()
    try:
        await page.goto(str(client.make_url("/console/")))
        assert await page.title() == "Committee sign-in"
        await page.get_by_label("Committee token").fill(tokens["gz-001-spt"])
        await follow(page, page.get_by_role("button", name="Sign in"))
        await screenshot(page, "console-en-1-inbox")
        await page.get_by_label("Category").select_option("wages")
        await follow(page, page.get_by_role("button", name="Apply"))
        assert "Cases matching: 1" in await page.inner_text("main")
        await follow(page, page.get_by_role("link", name=event.reference))
        await follow(page, page.get_by_role("button", name="Acknowledge"))
        assert "Acknowledged; the worker is told." in await page.inner_text("[role=status]")
        await page.get_by_label("Your reply").fill("We are checking the payroll with the office.")
        await follow(page, page.get_by_role("button", name="Send reply"))
        assert "Delivery: Waiting to be sent" in await page.inner_text(".thread")
        await page.get_by_label("Resolution (the worker receives it and is asked to confirm)").fill(
            "The missing wages are paid with this month's pay."
        )
        await follow(page, page.get_by_role("button", name="Submit resolution"))
        assert "Resolved, waiting for the worker" in await page.inner_text(".facts")
        await fits_the_phone(page)
        await screenshot(page, "console-en-2-resolved")

        await follow(page, page.get_by_role("link", name="中文"))
        assert await page.inner_text("h1") == f"案件 {event.reference}"
        await follow(page, page.get_by_role("link", name="English"))
        await follow(page, page.get_by_role("button", name="Sign out"))
        assert "You are signed out." in await page.inner_text("main")
        await screenshot(page, "console-en-3-signed-out")
    finally:
        await context.close()


async def test_the_keyboard_reaches_every_action_in_order(runtime: Runtime, world: World, page: Page) -> None:
    client, tokens = world
    event = await new_case(runtime, "车间太热没有通风", WORKER_PHONE)
    await page.goto(str(client.make_url("/console/sign-in")))
    # Keyboard only: Tab to the token field, type, Enter submits.
    await page.keyboard.press("Tab")  # the skip link comes first
    assert await page.evaluate("document.activeElement.className") == "skip"
    await page.get_by_label("委员会令牌").focus()
    await page.keyboard.type(tokens["gz-001-spt"])
    await page.keyboard.press("Enter")
    await page.wait_for_url(str(client.make_url("/console/")))
    await page.goto(str(client.make_url(f"/console/cases/{event.reference}")))

    order: list[str] = []
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(TAB_ORDER)
        if focused is None or (order and focused == order[0]):
            break
        order.append(focused)
    path = f"/console/cases/{event.reference}"
    wanted = [
        f"button|确认收到|{path}/acknowledge",
        f"textarea|text|{path}/reply",
        f"button|发送回复|{path}/reply",
        f"textarea|resolution|{path}/resolve",
        f"button|提交解决方案|{path}/resolve",
        f"select|category|{path}/recategorise",
        f"select|severity|{path}/recategorise",
        f"button|更改类别|{path}/recategorise",
        f"textarea|reason|{path}/recuse",
        f"button|确认回避|{path}/recuse",
    ]
    assert [step for step in order if step in wanted] == wanted, order
    assert "button|退出|/console/sign-out" in order
    assert order.index("button|退出|/console/sign-out") < order.index(wanted[0])
    await screenshot(page, "console-keyboard-case")

    # The acknowledgement by keyboard alone.
    await page.get_by_role("button", name="确认收到").focus()
    await page.keyboard.press("Enter")
    assert "已确认收到" in await page.inner_text("[role=status]")


# axe-core on each kind of page of the console (tests/browser/accessibility.py): serious or critical
# findings fail, in Chinese and in English.
@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
async def test_every_kind_of_console_page_passes_axe(
    runtime: Runtime, world: World, browser: Browser, locale: str
) -> None:
    client, tokens = world
    event = await new_case(runtime, "车间太热没有通风", WORKER_PHONE)
    context = await checked_context(browser, locale)
    page = await context.new_page()
    try:
        await page.goto(str(client.make_url("/console/")))
        await assert_accessible(page)  # the sign-in page
        await page.locator("#token").fill(tokens["gz-001-spt"])
        await page.locator("#token").press("Enter")
        await page.wait_for_url(str(client.make_url("/console/")))
        await assert_accessible(page)  # the inbox
        await page.goto(str(client.make_url(f"/console/cases/{event.reference}")))
        await assert_accessible(page)  # the case page, every action form on it
        await page.goto(str(client.make_url("/console/cases/K7M3P-9QXA2")))
        await assert_accessible(page)  # the refusal page
    finally:
        await context.close()
