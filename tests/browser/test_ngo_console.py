"""The NGO console in a real browser, on a 360 px phone: the monitor signs in with the NGO token,
finds the escalated case by the reference the worker quotes, writes to the worker, transfers the
case to a committee of its factory and closes it with an outcome the worker is told; in Chinese,
and in English. The three services run on one in-memory bus, so what the worker is sent is read
from it. Every step leaves a screenshot in build/screenshots (``ngo-zh-*.png``, ``ngo-en-*.png``);
axe-core checks each kind of page; the keyboard alone reaches every action in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page


import pytest

from services.router.case_store import CaseStore
from tests.browser.accessibility import assert_accessible, checked_context
from tests.browser.conftest import follow, screenshot
from tests.browser.test_committee_console import TAB_ORDER, fits_the_phone
from tests.fakes import ENGLISH_WORKER_PHONE, OTHER_WORKER_PHONE, WORKER_PHONE, FakeClock, sensitive
from tests.service.conversation_support import Services

RETALIATION = sensitive("因为投诉了加班问题，组长打击报复我")
WAGES = sensitive("工资三个月没发，老板说下个月再说")
ENGLISH = sensitive("I complained about the overtime and now they cut my wages")
NGO_TEXT = sensitive("我们是独立监督机构，已收到您的投诉，会联系工厂。")
OUTCOME = sensitive("工厂已撤销处分并补发工资。")


@pytest.fixture
async def system(conversation: Services) -> Services:
    # A wages case the factory's committee holds: escalation has seen that committee.
    assert await conversation.sms(WAGES, OTHER_WORKER_PHONE) is not None
    return conversation


async def escalated(system: Services, text: str, phone: str) -> str:
    reference = await system.sms(text, phone)
    assert reference is not None and await system.holder(reference) is None
    return reference


def told(system: Services, phone: str, purpose: str) -> list[str]:
    return [m.text for m in system.texts_to(phone) if m.purpose == purpose]


async def settled(system: Services, page: Page) -> None:
    """Let the router carry out what the page asked, then read the page again; the next step
    comes a minute later (the test clock stands still otherwise)."""
    await system.bus.drain()
    await page.reload()
    clock = system.runtime.clock
    assert isinstance(clock, FakeClock)
    clock.advance(minutes=1)


async def test_the_monitor_takes_a_case_to_its_outcome_in_chinese(system: Services, browser: Browser) -> None:
    reference = await escalated(system, RETALIATION, WORKER_PHONE)
    base = str(system.escalation.make_url("/console/"))
    context = await checked_context(browser)
    page = await context.new_page()
    try:
        await page.goto(base)
        assert await page.title() == "监督机构登录"
        await fits_the_phone(page)
        await assert_accessible(page)
        await screenshot(page, "ngo-zh-1-sign-in")
        await page.get_by_label("NGO 令牌").fill(system.tokens["ngo"])
        await follow(page, page.get_by_role("button", name="登录"))

        await page.wait_for_url(base)
        assert "所有工厂" in await page.inner_text("header")
        assert "报复" in await page.inner_text("table")
        await fits_the_phone(page)
        await assert_accessible(page)
        await screenshot(page, "ngo-zh-2-cases")
        await page.get_by_label("案件编号（工人收到的编号）").fill(reference.lower().replace("-", ""))
        await follow(page, page.get_by_role("button", name="查找"))

        assert await page.inner_text("h1") == f"案件 {reference}"
        assert "因为投诉了加班问题" in await page.inner_text(".grievance")
        assert "没有委员会（由监督机构处理）" in await page.inner_text("#case-now")
        await fits_the_phone(page)
        await assert_accessible(page)
        await screenshot(page, "ngo-zh-3-case")
        await follow(page, page.get_by_role("button", name="确认收到升级"))
        assert "已确认收到升级" in await page.inner_text("[role=status]")

        await page.get_by_label("消息内容").fill(NGO_TEXT)
        await follow(page, page.get_by_role("button", name="发送消息"))
        assert "正在发给工人" in await page.inner_text("[role=status]")
        await settled(system, page)
        assert told(system, WORKER_PHONE, "ngo_message") == [f"[{reference}] 独立监督机构：{NGO_TEXT}"]
        assert "监督机构给工人发了消息" in await page.inner_text("#live-timeline")
        await screenshot(page, "ngo-zh-4-messaged")

        await page.get_by_label("委员会", exact=True).select_option("gz-001-spt")
        await follow(page, page.get_by_role("button", name="转交"))
        assert "已请求转交" in await page.inner_text("[role=status]")
        await settled(system, page)
        now = await page.inner_text("#case-now")
        assert "gz-001-spt" in now and "委员会待确认" in now
        assert await system.holder(reference) == "gz-001-spt"
        await fits_the_phone(page)
        await screenshot(page, "ngo-zh-5-transferred")

        await page.get_by_label("结果（会告诉工人）").fill(OUTCOME)
        await follow(page, page.get_by_role("button", name="结案并告诉工人"))
        assert "结果会告诉工人" in await page.inner_text("[role=status]")
        await settled(system, page)
        assert told(system, WORKER_PHONE, "ngo_outcome") == [
            f"[{reference}] 独立监督机构已结案。结果：{OUTCOME}"
        ]
        [case] = await CaseStore(system.runtime.db).by_reference(reference)
        assert (case.status, case.closure) == ("closed", "ngo_outcome")
        assert "已结案" in await page.inner_text("#case-now")
        assert "案件已结案：只能查看。" in await page.inner_text("main")
        await fits_the_phone(page)
        await screenshot(page, "ngo-zh-6-closed")

        await follow(page, page.get_by_role("button", name="退出"))
        assert "您已退出" in await page.inner_text("main")
        await page.goto(base)
        assert await page.title() == "监督机构登录"
    finally:
        await context.close()


async def test_the_monitor_works_in_english_and_is_told_plainly_what_is_refused(
    system: Services, browser: Browser
) -> None:
    reference = await escalated(system, ENGLISH, ENGLISH_WORKER_PHONE)
    context = await checked_context(browser, "en-GB")
    page = await context.new_page()
    try:
        await page.goto(str(system.escalation.make_url("/console/")))
        assert await page.title() == "Monitor sign-in"
        await page.get_by_label("NGO token").fill(system.tokens["ngo"])
        await follow(page, page.get_by_role("button", name="Sign in"))
        await screenshot(page, "ngo-en-1-cases")

        # A reference nobody has: the page says so, in words.
        await page.get_by_label("Case reference (the one the worker has)").fill("K7M3P-9QXA2")
        await follow(page, page.get_by_role("button", name="Find"))
        assert "No escalated case with this reference" in await page.inner_text("[role=alert]")
        await assert_accessible(page)
        await screenshot(page, "ngo-en-2-not-found")
        await page.go_back()
        await page.get_by_label("Case reference (the one the worker has)").fill(reference)
        await follow(page, page.get_by_role("button", name="Find"))
        assert await page.inner_text("h1") == f"Case {reference}"

        await page.get_by_label("Your message").fill("We have your report and will contact the factory.")
        await follow(page, page.get_by_role("button", name="Send message"))
        await settled(system, page)
        assert told(system, ENGLISH_WORKER_PHONE, "ngo_message") == [
            f"[{reference}] The independent monitor writes: We have your report and will contact the factory."
        ]
        # The committee already holding the case is refused at once, in words.
        await page.get_by_label("Committee", exact=True).select_option("gz-001-spt")
        await follow(page, page.get_by_role("button", name="Transfer"))
        await settled(system, page)
        await page.get_by_label("Or the id of another committee of this factory").fill("gz-001-spt")
        await follow(page, page.get_by_role("button", name="Transfer"))
        assert "That committee holds the case already." in await page.inner_text("[role=alert]")
        await fits_the_phone(page)
        await screenshot(page, "ngo-en-3-refused")

        await page.get_by_label("Outcome (the worker is told)").fill("The cut hours are restored.")
        await follow(page, page.get_by_role("button", name="Close and tell the worker"))
        await settled(system, page)
        assert told(system, ENGLISH_WORKER_PHONE, "ngo_outcome") == [
            f"[{reference}] The independent monitor closed your case. Outcome: The cut hours are restored."
        ]
        assert "Closed" in await page.inner_text("#case-now")
        await screenshot(page, "ngo-en-4-closed")

        await follow(page, page.get_by_role("link", name="中文"))
        assert await page.inner_text("h1") == f"案件 {reference}"
        await follow(page, page.get_by_role("link", name="English"))
        await follow(page, page.get_by_role("button", name="Sign out"))
        assert "You are signed out." in await page.inner_text("main")
    finally:
        await context.close()


async def test_the_keyboard_reaches_every_action_in_order(system: Services, page: Page) -> None:
    reference = await escalated(system, RETALIATION, WORKER_PHONE)
    await page.goto(str(system.escalation.make_url("/console/sign-in")))
    await page.keyboard.press("Tab")  # the skip link comes first
    assert await page.evaluate("document.activeElement.className") == "skip"
    await page.get_by_label("NGO 令牌").focus()
    await page.keyboard.type(system.tokens["ngo"])
    await page.keyboard.press("Enter")
    await page.wait_for_url(str(system.escalation.make_url("/console/")))
    await page.get_by_label("案件编号（工人收到的编号）").focus()
    await page.keyboard.type(reference)
    await page.keyboard.press("Enter")
    await page.wait_for_url(str(system.escalation.make_url(f"/console/cases/{reference}")))

    order: list[str] = []
    for _ in range(60):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(TAB_ORDER)
        if focused is None or (order and focused == order[0]):
            break
        order.append(focused)
    path = f"/console/cases/{reference}"
    wanted = [
        f"button|确认收到升级|{path}/acknowledge",
        f"textarea|text|{path}/message",
        f"button|发送消息|{path}/message",
        f"select|committee_id|{path}/transfer",
        f"input|other_committee|{path}/transfer",
        f"button|转交|{path}/transfer",
        f"textarea|outcome|{path}/close",
        f"button|结案并告诉工人|{path}/close",
        f"textarea|note|{path}/resolve",
        f"button|标记已解决|{path}/resolve",
    ]
    assert [step for step in order if step in wanted] == wanted, order
    assert order.index("button|退出|/console/sign-out") < order.index(wanted[0])
    await screenshot(page, "ngo-keyboard-case")
