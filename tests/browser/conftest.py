"""A real Chromium for page tests: Debian's package (/usr/bin/chromium), driven by Playwright.

Playwright never downloads a browser here: it launches the system's Chromium by path, headless,
without the sandbox (tests run as root) and without the background networking this machine's
closed network refuses. ``.ci/run`` installs the package when it is missing; without it the
browser tests are skipped, except under CI, where that is a failure. Every test may keep
screenshots in ``build/screenshots`` (see the README).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, Locator, Page

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GRIEVANCE_TEST_CHROMIUM", "/usr/bin/chromium")
INSTALLED = Path(CHROMIUM).exists() or shutil.which("chromium") is not None
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not INSTALLED:
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not installed at {CHROMIUM} and CI is set")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page in a phone-sized window (360 px wide), Chinese-preferring unless a test says."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    opened = await context.new_page()
    try:
        yield opened
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    """Keep a full-page screenshot for a person to look at; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def follow(page: Page, control: Locator) -> None:
    """Press a button or follow a link, and wait for the page it leads to: reading the page, or
    draining the bus, before the request was answered would race it."""
    async with page.expect_navigation():
        await control.click()
