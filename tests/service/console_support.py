"""Helpers for the committee console's tests: signing in over HTTP and reading a page's forms.

Not a test module of its own; the console's service and browser tests import it.
"""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_MESSAGE_ID = re.compile(r'name="message_id" value="([^"]*)"')


def csrf_of(page: str) -> str:
    found = _CSRF.search(page)
    assert found is not None, "the page has no form with a CSRF token"
    return html.unescape(found.group(1))


def message_id_of(page: str) -> str:
    found = _MESSAGE_ID.search(page)
    assert found is not None, "the page has no reply form"
    return found.group(1)


async def sign_in(client: TestClient[Any, Any], token: str, language: str | None = "zh") -> ClientResponse:
    """Open the sign-in page (choosing the language) and send the token with its form; the answer
    (303 when accepted); ``None`` leaves the language to the browser's Accept-Language."""
    page = await client.get("/console/sign-in" + (f"?lang={language}" if language else ""))
    assert page.status == 200
    form = {"csrf": csrf_of(await page.text()), "token": token}
    return await client.post("/console/sign-in", data=form, allow_redirects=False)


async def page_csrf(client: TestClient[Any, Any], path: str) -> tuple[str, str]:
    """A console page's text and the CSRF token its forms carry."""
    response = await client.get(path)
    assert response.status == 200, response.status
    text = await response.text()
    return text, csrf_of(text)
