"""The router's page for a web contact's code, with intake and the router on one in-memory bus: the
worker files on intake's HTML form, gets the code by SMS, and enters it on the page; a wrong code,
a stranger's form and a malformed entry change nothing."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.router.contact_page import COOKIE
from shared.memorybus import MemoryBus
from shared.privacy import Keys
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import OTHER_WORKER_PHONE, FakeClock, sensitive
from tests.service.conversation_support import Services, services
from tests.service.fuzz_support import FUZZ, texts
from tests.service.intake_support import intake_settings

TEXT = sensitive("食堂的饭菜经常是馊的，很多人吃了拉肚子")
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
_TOKEN = re.compile(r'name="token" value="([^"]*)"')


@pytest.fixture
async def system(
    settings_factory: Callable[..., Settings], memory_bus: MemoryBus, db: Any, keys: Keys, clock: FakeClock
) -> AsyncIterator[Services]:
    settings = intake_settings(settings_factory, public_base_url="http://127.0.0.1:8080")
    async with services(Runtime(settings, memory_bus, db, keys, clock)) as running:
        yield running


def token_of(page: str) -> str:
    found = _TOKEN.search(page)
    assert found is not None
    return html.unescape(found.group(1))


async def filed_with_phone(system: Services) -> tuple[str, str]:
    """A grievance filed on the HTML form with a phone; its reference and the code the SMS carries."""
    form = await system.intake.get("/", headers=ZH)
    token = token_of(await form.text())
    fields = {"token": token, "factory_code": "GZ-001", "text": TEXT, "contact": OTHER_WORKER_PHONE}
    receipt = await system.intake.post("/", data=fields, headers=ZH)
    page = await receipt.text()
    assert receipt.status == 200
    found = re.search(r'<dd id="reference" class="secret">([^<]*)</dd>', page)
    assert found is not None
    reference = found.group(1)
    assert f'href="http://127.0.0.1:8081/contact/?ref={reference}"' in page  # the router's page
    await system.bus.drain()
    [request] = system.texts_to(OTHER_WORKER_PHONE)
    code = re.search(r"[0-9]{6}", request.text)
    assert code is not None
    return reference, code.group(0)


async def confirm(system: Services, reference: str, code: str, headers: dict[str, str] = ZH) -> Any:
    page = await system.router.get(f"/contact/?ref={reference}", headers=headers)
    assert page.status == 200
    text = await page.text()
    assert f'value="{reference}"' in text  # the receipt's link fills the reference in
    form = {"token": token_of(text), "reference": reference, "code": code}
    return await system.router.post("/contact/", data=form, headers=headers, allow_redirects=False)


async def test_the_code_entered_on_the_page_confirms_the_number(system: Services) -> None:
    reference, code = await filed_with_phone(system)
    committee = await system.holder(reference)
    assert committee is not None
    assert (await system.case(reference, committee))["worker_contact"] == "unconfirmed"
    answer = await confirm(system, reference, code)
    assert answer.status == 303 and answer.headers["Location"] == "/contact/?confirmed=1"
    done = await system.router.get(answer.headers["Location"], headers=ZH)
    assert "号码已确认" in await done.text() and done.headers["Cache-Control"] == "no-store"
    view = await system.case(reference, committee)
    assert view["worker_contact"] == "reachable" and view["timeline"][-1]["action"] == "contact_confirmed"


async def test_a_wrong_code_is_refused_in_plain_words_and_changes_nothing(system: Services) -> None:
    reference, code = await filed_with_phone(system)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answer = await confirm(system, reference, wrong, EN)
    assert answer.status == 404
    page = await answer.text()
    assert "The reference or the code is not right" in page and f'value="{reference}"' in page
    committee = await system.holder(reference)
    assert committee is not None
    assert (await system.case(reference, committee))["worker_contact"] == "unconfirmed"
    # An unknown reference is the very same answer.
    other = await confirm(system, "ABCDE-FGHJK", code, EN)
    assert other.status == 404 and "The reference or the code is not right" in await other.text()


async def test_a_malformed_entry_or_a_stranger_form_is_refused(system: Services) -> None:
    reference, code = await filed_with_phone(system)
    page = await system.router.get("/contact/", headers=ZH)
    token = token_of(await page.text())
    bad = await system.router.post(
        "/contact/", data={"token": token, "reference": "K7M3P", "code": "12"}, headers=ZH
    )
    text = await bad.text()
    assert bad.status == 422 and 'id="reference-error"' in text and 'id="code-error"' in text
    # Without the cookie the token was made for (a page of another site posting here): refused.
    system.router.session.cookie_jar.clear()
    stranger = await system.router.post(
        "/contact/", data={"token": token, "reference": reference, "code": code}, headers=ZH
    )
    assert stranger.status == 403 and "这个页面太旧了" in await stranger.text()
    assert stranger.cookies[COOKIE]["samesite"] == "Lax"
    committee = await system.holder(reference)
    assert committee is not None
    assert (await system.case(reference, committee))["worker_contact"] == "unconfirmed"


async def test_a_body_that_is_no_form_gets_a_page(system: Services) -> None:
    answer = await system.router.post("/contact/", data=b"{}", headers={"Content-Type": "application/json"})
    assert answer.status == 415 and answer.content_type == "text/html"


FIELDS = ["token", "reference", "code", "$gt", ""]
VALUES = st.one_of(texts, st.sampled_from(["", "ABCDE-FGHJK", "123456", "１２３４５６", "%00", "x" * 300]))


@FUZZ
@given(
    pairs=st.lists(st.tuples(st.sampled_from(FIELDS) | texts, VALUES), max_size=5),
    raw=st.one_of(st.none(), st.binary(max_size=100)),
    with_token=st.booleans(),
)
async def test_random_forms_get_a_page_never_a_5xx(
    system: Services, pairs: list[tuple[str, str]], raw: bytes | None, with_token: bool
) -> None:
    token = token_of(await (await system.router.get("/contact/")).text()) if with_token else ""
    fields = [("token", token), *pairs] if with_token else pairs
    body = raw if raw is not None else urlencode(fields).encode()
    answer = await system.router.post(
        "/contact/", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= answer.status < 500 and answer.content_type == "text/html"
