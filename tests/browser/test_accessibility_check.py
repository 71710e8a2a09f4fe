"""The accessibility check itself can fail: a page with an unlabelled field and grey-on-white text."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser


import pytest

from tests.browser.accessibility import assert_accessible, checked_context

BAD_PAGE = (
    "data:text/html,<!doctype html><html><head><title>x</title></head><body><main>"
    "<p style='color:%23cccccc'>faint words</p><input type='text'></main></body></html>"
)


async def test_serious_findings_fail_and_name_the_rule(browser: Browser) -> None:
    context = await checked_context(browser)
    page = await context.new_page()
    try:
        await page.goto(BAD_PAGE)
        with pytest.raises(AssertionError) as failed:
            await assert_accessible(page)
        assert "color-contrast" in str(failed.value) and "label" in str(failed.value)
    finally:
        await context.close()
