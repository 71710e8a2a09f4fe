"""The shared page kit through a real server: language, headers, escaping, sessions and CSRF."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.pages import BASE
from shared.sessions import INDEXES
from shared.store import Database, ensure_indexes
from tests.pagekit import TEXTS, create_app
from tests.servers import ServiceServer


@pytest.fixture
async def client(db: Database) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    await ensure_indexes(db, INDEXES)
    async with TestClient(ServiceServer(create_app(db))) as client:
        yield client


async def test_the_language_follows_the_browser_then_the_choice(
    client: TestClient[web.Request, web.Application],
) -> None:
    page = await (await client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})).text()
    assert '<html lang="zh-CN">' in page and "<title>您好</title>" in page and "English" in page
    english = await client.get("/?lang=en", headers={"Accept-Language": "zh-CN"})
    assert "<title>Hello</title>" in await english.text()
    remembered = await client.get("/", headers={"Accept-Language": "zh-CN"})  # the cookie wins now
    assert "<title>Hello</title>" in await remembered.text()


async def test_every_page_carries_the_strict_headers(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_values_are_escaped(client: TestClient[web.Request, web.Application]) -> None:
    page = await (await client.get("/?lang=zh")).text()
    assert "&lt;b&gt;王芳&lt;/b&gt;" in page and "<b>王芳</b>" not in page


async def test_the_stylesheet_is_ours_and_versioned(client: TestClient[web.Request, web.Application]) -> None:
    page = await (await client.get("/")).text()
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert href.startswith("/static/site.css?v=")
    response = await client.get(href)
    assert response.status == 200 and response.content_type == "text/css"


async def test_the_session_cookie_is_strict_and_a_form_needs_its_token(
    client: TestClient[web.Request, web.Application],
) -> None:
    response = await client.get("/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=900" in cookie
    token = (await response.text()).split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert (await client.post("/send", data={"csrf": token})).status == 200
    assert (await client.post("/send", data={"csrf": "forged"})).status == 403
    assert (await client.post("/send", data={})).status == 403
    client.session.cookie_jar.clear()
    assert (await client.post("/send", data={"csrf": token})).status == 401


async def test_a_text_without_a_translation_fails_loudly(db: Database) -> None:
    async with TestClient(ServiceServer(create_app(db, broken=True))) as client:
        assert (await client.get("/?lang=en")).status == 500
        assert (await client.get("/?lang=zh")).status == 200
    assert TEXTS.incomplete() == ["hello.missing"] and BASE.incomplete() == []
