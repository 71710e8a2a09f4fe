"""The NGO's dashboard in a real browser on a 360 px phone: the figures, the hidden ones in words,
the SVG charts with their names, the filters and the CSV; in Chinese, and in English. Screenshots
are kept in build/screenshots (dashboard-zh-*.png, dashboard-en-*.png)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import FakeClock

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from services.escalation.app import create_app
from services.escalation.dashboard import COOKIE
from tests.browser.conftest import screenshot
from tests.browser.test_committee_console import UNLABELLED
from tests.conftest import make_settings
from tests.servers import ServiceServer
from tests.service.dashboard_support import K, ngo_session, publish_cases


@pytest.fixture
def settings() -> Any:
    return make_settings(dashboard_min_cohort=K)


@pytest.fixture
async def base(settings: Settings, runtime: Runtime, clock: FakeClock) -> Any:
    await publish_cases(runtime, clock.now)
    clock.advance(days=10)
    server: TestServer = ServiceServer(create_app(settings, runtime))
    await server.start_server()
    try:
        yield str(server.make_url("/console/dashboard"))
    finally:
        await server.close()


async def signed_in_page(browser: Browser, runtime: Runtime, base: str, locale: str) -> Any:
    session_id, _ = await ngo_session(runtime.db)
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, locale=locale, accept_downloads=True
    )
    await context.add_cookies([{"name": COOKIE, "value": session_id, "url": base}])
    return context, await context.new_page()


async def fits_the_phone(page: Page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    assert await page.evaluate(UNLABELLED) == []


CHART_NAMES = """() => [...document.querySelectorAll('svg[role=img]')].map(svg =>
    svg.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id).textContent).join(' | '))"""


async def test_the_dashboard_in_chinese_on_a_phone(browser: Browser, runtime: Runtime, base: str) -> None:
    context, page = await signed_in_page(browser, runtime, base, "zh-CN")
    try:
        await page.goto(base)
        assert await page.title() == "申诉机制成效看板"
        await fits_the_phone(page)
        names = await page.evaluate(CHART_NAMES)
        assert len(names) == 3 and names[1].startswith("各工厂按时确认的比例 | ")
        assert "SZ-002: 100.0%" in names[1]
        assert "少于 3 件" in await page.inner_text("main")
        # Each chart is drawn inside the phone's width, with its values as text.
        widths = await page.evaluate(
            "[...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width)"
        )
        assert all(0 < width <= 340 for width in widths)
        await screenshot(page, "dashboard-zh-1-all")

        await page.get_by_label("类别").select_option("wages")
        await page.get_by_role("button", name="查看").click()
        await page.wait_for_url("**category=wages**")
        assert "工资" in await page.locator("table.figures").last.inner_text()
        assert "健康与安全" not in await page.locator("table.figures").last.inner_text()
        await fits_the_phone(page)
        await screenshot(page, "dashboard-zh-2-wages")

        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="下载 CSV（可用 Excel 打开）").click()
        download = await download_info.value
        assert download.suggested_filename == "grievance-dashboard-wages.csv"
        body = await asyncio.to_thread(Path(await download.path()).read_bytes)
        assert body.startswith(b"\xef\xbb\xbf") and "工资".encode() in body
    finally:
        await context.close()


async def test_the_dashboard_in_english_and_back_to_chinese(
    browser: Browser, runtime: Runtime, base: str
) -> None:
    context, page = await signed_in_page(browser, runtime, base, "en-GB")
    try:
        await page.goto(base)
        assert await page.title() == "Grievance mechanism effectiveness"
        main = await page.inner_text("main")
        assert "fewer than 3 cases" in main and "withheld" in main
        await page.get_by_label("Received from (UTC)").fill("2999-01-01")
        await page.get_by_role("button", name="Show").click()
        assert "No cases in this selection." in await page.inner_text("main")
        await fits_the_phone(page)
        await screenshot(page, "dashboard-en-1-empty")
        await page.goto(base)
        await fits_the_phone(page)
        await screenshot(page, "dashboard-en-2-all")
        await page.get_by_role("link", name="中文").click()
        assert await page.title() == "申诉机制成效看板"
    finally:
        await context.close()
