"""The page kit in a real browser: it renders Chinese on a phone-sized screen and switches language."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Page


from aiohttp.test_utils import TestServer

from shared.sessions import INDEXES
from shared.store import Database, ensure_indexes
from tests.browser.conftest import screenshot
from tests.pagekit import create_app
from tests.servers import ServiceServer


async def test_a_page_renders_in_chinese_and_switches_to_english(db: Database, page: Page) -> None:
    await ensure_indexes(db, INDEXES)
    server: TestServer = ServiceServer(create_app(db))
    await server.start_server()
    try:
        await page.goto(str(server.make_url("/")))
        assert await page.inner_text("h1") == "欢迎，<b>王芳</b>"
        await screenshot(page, "page-kit-zh")
        await page.click("text=English")
        assert await page.title() == "Hello"
        await page.click("button[type=submit]")
        assert "sent" in await page.content()
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360  # nothing forces a phone to scroll sideways
    finally:
        await server.close()
