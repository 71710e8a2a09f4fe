"""The page a WeChat worker lands on after WeChat's confirm page, in a real browser on a 360 px
phone: both languages at once, no script, nothing from elsewhere, and a clear page for a bad link."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.runtime import Runtime
from shared.settings import Settings

if TYPE_CHECKING:
    from playwright.async_api import Page

from urllib.parse import parse_qs, urlencode, urlsplit

from tests.browser.conftest import screenshot
from tests.fakes import WORKER_OPENID
from tests.service.intake_support import serve
from tests.service.wechat_support import wechat_settings

TEMPLATE = "TPL_ONE_TIME_0001"


async def test_the_worker_sees_in_both_languages_that_one_notice_will_come(
    settings_factory: Callable[..., Settings], runtime: Runtime, page: Page
) -> None:
    settings = wechat_settings(settings_factory, wechat_subscribe_template_id=TEMPLATE)
    async with serve(settings, runtime) as client:
        response = await client.get("/wechat/subscribe", params={"code": "abcdef"}, allow_redirects=False)
        confirm = parse_qs(urlsplit(response.headers["Location"]).query)
        back = {
            "openid": WORKER_OPENID,
            "template_id": TEMPLATE,
            "action": "confirm",
            "scene": confirm["scene"][0],
            "reserved": confirm["reserved"][0],
        }
        refused: list[str] = []  # what the page's policy blocked (a script, a style, a foreign asset)
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Security Policy" in message.text else None,
        )

        await page.goto(str(client.make_url("/wechat/subscribed")) + "?" + urlencode(back))
        main = await page.inner_text("main")
        assert "已订阅" in main and "Subscribed" in main and "ABCDEF" in main
        assert WORKER_OPENID not in await page.content()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        assert await page.evaluate("document.scripts.length") == 0 and refused == []
        await screenshot(page, "wechat-subscribed")

        answer = await page.goto(
            str(client.make_url("/wechat/subscribed")) + "?" + urlencode({**back, "scene": "9"})
        )
        assert answer is not None and answer.status == 400
        assert "请从案件页面重新打开" in await page.inner_text("main")
        await screenshot(page, "wechat-subscribed-bad-link")
