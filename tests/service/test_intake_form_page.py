"""The HTML web form at intake's ``/`` through a real aiohttp server and the in-memory bus: both
languages, the receipt, refusals that keep what the worker wrote, CSRF, and the same grievance for
the same form sent twice."""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from services.intake.form_page import COOKIE
from shared.contracts import GrievanceReceived
from shared.ids import grievance_id_for, reference_for
from shared.memorybus import MemoryBus
from shared.privacy import Keys, pin_for, reporter_key
from shared.runtime import Runtime
from shared.settings import Settings
from shared.store import Database
from tests.fakes import WORKER_PHONE, FakeClock, sensitive
from tests.service.fuzz_support import FUZZ, texts
from tests.service.intake_support import BreakableStore, FailingBus, intake_settings, serve

ZH_TEXT = sensitive("仓库的灭火器过期了，通道也被货物堵住")
EN_TEXT = sensitive("The fire exit on the second floor is locked at night")
LOCAL_NUMBER = sensitive("13912345678")
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.8"}
_TOKEN = re.compile(r'name="token" value="([^"]*)"')
_LINK = re.compile(r'<a href="([^"]*)" id="case-link">')
_DD = re.compile(r'<dd id="(reference|pin)" class="secret">([^<]*)</dd>')


def web_settings(settings_factory: Callable[..., Settings], **overrides: Any) -> Any:
    values = {"public_base_url": "http://127.0.0.1:8080", "public_status_url": "https://status.example.org"}
    return intake_settings(settings_factory, **{**values, **overrides})


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(web_settings(settings_factory), runtime) as client:
        yield client


async def open_form(client: TestClient[Any, Any], headers: dict[str, str] = ZH) -> tuple[str, str]:
    response = await client.get("/", headers=headers)
    assert response.status == 200
    page = await response.text()
    return page, token_of(page)


def token_of(page: str) -> str:
    found = _TOKEN.search(page)
    assert found is not None, "the page has no form token"
    return html.unescape(found.group(1))


def receipt_of(page: str) -> dict[str, str]:
    return dict(_DD.findall(page))


async def send(
    client: TestClient[Any, Any], token: str, headers: dict[str, str] = ZH, **fields: str
) -> tuple[int, str, Any]:
    form = {"token": token, "factory_code": "GZ-001", "text": ZH_TEXT, "contact": "", **fields}
    response = await client.post("/", data=form, headers=headers)
    return response.status, await response.text(), response


def published(bus: MemoryBus) -> list[GrievanceReceived]:
    return [event for event in bus.published if isinstance(event, GrievanceReceived)]


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (ZH, ("提交投诉", "工厂编号", "发生了什么", "手机号码（可以不填）", "委员会永远看不到")),
        (
            EN,
            (
                "Report a grievance",
                "Factory code",
                "What happened",
                "Mobile number (optional)",
                "never sees it",
            ),
        ),
    ],
)
async def test_the_form_in_both_languages_with_strict_headers_and_a_cookie_bound_token(
    client: TestClient[web.Request, web.Application], headers: dict[str, str], words: tuple[str, ...]
) -> None:
    response = await client.get("/", headers=headers)
    assert response.status == 200 and response.content_type == "text/html"
    page = await response.text()
    for word in words:
        assert word in page
    for field in ("factory_code", "text", "contact"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert "<script" not in page and "style=" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "form-action 'self'" in response.headers["Content-Security-Policy"]
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert token_of(page).count(".") == 2


async def test_the_form_page_needs_no_store(
    settings_factory: Callable[..., Settings],
    settings: Settings,
    memory_bus: MemoryBus,
    db: Database,
    keys: Keys,
    clock: FakeClock,
) -> None:
    store = BreakableStore(db)
    runtime = Runtime(settings, memory_bus, store, keys, clock)
    async with serve(web_settings(settings_factory), runtime) as client:
        store.down = True
        page, token = await open_form(client)
        assert "提交投诉" in page and token


async def test_a_filed_grievance_shows_reference_pin_and_what_happens_next(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys
) -> None:
    _, token = await open_form(client)
    status, page, response = await send(client, token, text=f"  {ZH_TEXT}  ")
    assert status == 200 and response.headers["Cache-Control"] == "no-store"
    (event,) = published(memory_bus)
    receipt = receipt_of(page)
    form_id = token.split(".")[1]
    assert receipt["reference"] == event.reference
    assert receipt["pin"] == pin_for(keys, str(event.grievance_id))
    # The form's token is the idempotency key of the JSON API: the same grievance id.
    assert event.grievance_id == grievance_id_for(
        "web", form_id, hashlib.sha256(f"GZ-001\x1f{ZH_TEXT}".encode()).hexdigest()
    )
    assert event.reference == reference_for(event.grievance_id)
    assert (event.channel, event.text, event.language, event.sealed_contact) == ("web", ZH_TEXT, "zh", None)
    link = _LINK.search(page)
    assert link is not None and link.group(1).startswith("https://status.example.org/")
    assert event.reference in link.group(1)  # the worker's case page, named in the receipt
    assert receipt["pin"] not in re.sub(r'<dd id="pin"[^<]*</dd>', "", page)  # shown once, in no link
    assert "48 小时" in page and "2 小时" in page  # the SLA's acknowledgement deadlines
    assert "确认您的手机号码" not in page  # no phone given: nothing to confirm
    assert "?lang=" not in page  # no language link leads away from the PIN


async def test_the_receipt_in_english_with_the_phone_confirmation(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, keys: Keys
) -> None:
    _, token = await open_form(client, EN)
    status, page, _ = await send(client, token, EN, text=EN_TEXT, contact=LOCAL_NUMBER)
    assert status == 200
    (event,) = published(memory_bus)
    assert receipt_of(page)["reference"] == event.reference
    assert "Your grievance is received" in page and "within 48 hours" in page
    assert "Confirm your mobile number" in page and "six-digit code" in page
    assert LOCAL_NUMBER not in page
    assert event.reporter_key == reporter_key(keys, WORKER_PHONE) and event.language == "en"


async def test_the_same_form_sent_twice_is_one_grievance_with_one_receipt(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    _, token = await open_form(client)
    first = await send(client, token)
    again = await send(client, token)  # a double tap, or a reload of the receipt
    assert first[0] == again[0] == 200
    assert receipt_of(first[1]) == receipt_of(again[1])
    assert {event.grievance_id for event in published(memory_bus)} != set()
    assert len({event.grievance_id for event in published(memory_bus)}) == 1
    _, other = await open_form(client)
    third = await send(client, other)  # a new form is a new grievance, even with the same words
    assert receipt_of(third[1])["reference"] != receipt_of(first[1])["reference"]


@pytest.mark.parametrize(
    ("fields", "field", "zh_message", "status"),
    [
        ({"text": "   "}, "text", "请写下发生了什么。", 422),
        ({"text": "长" * 4001}, "text", "最多 4000 字", 422),
        ({"factory_code": ""}, "factory_code", "请填写工厂编号。", 422),
        ({"factory_code": "GZ 001"}, "factory_code", "没有空格", 422),
        ({"factory_code": "GZ-999"}, "factory_code", "没有这个工厂编号", 422),
        ({"contact": "110"}, "contact", "这不是可以接收短信的手机号码", 422),
    ],
)
async def test_a_refused_form_is_shown_again_with_the_input_and_nothing_filed(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    fields: dict[str, str],
    field: str,
    zh_message: str,
    status: int,
) -> None:
    _, token = await open_form(client)
    code, page, _ = await send(client, token, ZH, **fields)
    assert code == status
    assert zh_message in page and f'id="{field}-error"' in page and 'aria-invalid="true"' in page
    assert "投诉还没有提交" in page
    if fields.get("text", "").strip():
        assert html.escape(fields["text"]) in page
    if "text" not in fields:
        assert ZH_TEXT in page
    assert token_of(page) == token  # corrected and sent again, it is still the same submission
    assert published(memory_bus) == []


async def test_refusals_speak_english_on_the_english_page(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    _, token = await open_form(client, EN)
    code, page, _ = await send(client, token, EN, text=EN_TEXT, factory_code="GZ-999")
    assert code == 422 and "There is no factory with this code" in page and EN_TEXT in page
    assert published(memory_bus) == []


async def test_a_form_without_its_token_or_cookie_is_refused(
    client: TestClient[web.Request, web.Application],
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    clock: FakeClock,
) -> None:
    _, token = await open_form(client)
    for bad in ("", "1.abc.def", token.replace(".", "x", 1), token[:-1] + ("0" if token[-1] != "0" else "1")):
        code, page, _ = await send(client, bad)
        assert code == 403 and "这个表单太旧了" in page and ZH_TEXT in page
        assert token_of(page) != bad
    # Another browser (another cookie) cannot use this token: it is what a cross-site page would need.
    async with serve(web_settings(settings_factory), runtime) as stranger:
        await open_form(stranger)
        code, _, _ = await send(stranger, token)
        assert code == 403
    clock.advance(hours=12, seconds=1)
    code, _, _ = await send(client, token)
    assert code == 403
    assert published(memory_bus) == []


async def test_too_many_submissions_keep_the_text_and_say_when_to_come_back(
    settings_factory: Callable[..., Settings], runtime: Runtime, memory_bus: MemoryBus
) -> None:
    async with serve(web_settings(settings_factory, webform_client_limit=1), runtime) as client:
        _, token = await open_form(client)
        assert (await send(client, token))[0] == 200
        _, token = await open_form(client)
        code, page, response = await send(client, token, text=EN_TEXT)
        assert code == 429 and int(response.headers["Retry-After"]) > 0
        assert "分钟后再试" in page and EN_TEXT in page
        assert len(published(memory_bus)) == 1


async def test_a_grievance_not_confirmed_is_sent_again_with_the_same_token(
    settings_factory: Callable[..., Settings], settings: Settings, db: Database, keys: Keys, clock: FakeClock
) -> None:
    bus = FailingBus()
    runtime = Runtime(settings, bus, db, keys, clock)
    async with serve(web_settings(settings_factory), runtime) as client:
        _, token = await open_form(client)
        code, page, response = await send(client, token)
        assert code == 503 and response.headers["Retry-After"] and "不会被重复登记" in page
        assert token_of(page) == token and ZH_TEXT in page
        bus.error = None
        code, page, _ = await send(client, token_of(page))
        assert code == 200 and len(bus.published) == 1
        assert receipt_of(page)["reference"] == bus.published[0].reference  # type: ignore[attr-defined]


async def test_a_body_that_is_no_form_gets_a_page_not_a_crash(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    response = await client.post(
        "/", data=b'{"text": "x"}', headers={**ZH, "Content-Type": "application/json"}
    )
    assert response.status == 415 and response.content_type == "text/html"
    assert "无法读取这个表单" in await response.text()
    response = await client.post(
        "/", data=b"token=%ZZ&text", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status == 400 and response.content_type == "text/html"
    assert published(memory_bus) == []


async def test_the_cookie_is_secure_behind_https(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    settings = web_settings(settings_factory, public_base_url="https://intake.example.org")
    async with serve(settings, runtime) as client:
        response = await client.get("/")
        assert response.cookies[COOKIE]["secure"]


async def test_two_forms_open_in_one_browser_both_file(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus
) -> None:
    _, first = await open_form(client)
    _, second = await open_form(client)  # another tab: the cookie keeps its nonce
    assert (await send(client, first))[0] == 200
    assert (await send(client, second, text=EN_TEXT))[0] == 200
    assert len({event.grievance_id for event in published(memory_bus)}) == 2


FIELDS = ["token", "factory_code", "text", "contact", "$gt", "text[]", ""]
VALUES = st.one_of(
    texts, st.sampled_from(["", " ", "GZ-001", "GZ 001", '{"$gt": ""}', "\u5de5" * 4001, "1.a.b"])
)


@FUZZ
@given(
    pairs=st.lists(st.tuples(st.sampled_from(FIELDS) | texts, VALUES), max_size=6),
    with_token=st.booleans(),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
    content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]),
)
async def test_random_forms_get_a_page_never_a_5xx_nor_a_publish(
    settings_factory: Callable[..., Settings],
    runtime: Runtime,
    memory_bus: MemoryBus,
    pairs: list[tuple[str, str]],
    with_token: bool,
    raw: bytes | None,
    content_type: str,
) -> None:
    settings = web_settings(settings_factory, webform_client_limit=10**6)
    async with serve(settings, runtime) as client:
        _, token = await open_form(client)
        fields = [("token", token), *pairs] if with_token else pairs
        fields = [(name, value) for name, value in fields if name != "text" or not with_token]
        body = raw if raw is not None else urlencode(fields).encode()
        before = len(published(memory_bus))
        response = await client.post(
            "/", data=body, headers={"Content-Type": content_type} if content_type else {}
        )
        assert 400 <= response.status < 500, response.status
        assert response.content_type == "text/html"
        assert len(published(memory_bus)) == before


async def test_one_deadline_for_every_severity_is_said_once(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> None:
    demo = {"critical": {"ack": "10 s", "resolve": "2 min"}, "high": {"ack": "10 s", "resolve": "2 min"}}
    sla = {**demo, "normal": {"ack": "10 s", "resolve": "2 min"}}
    async with serve(web_settings(settings_factory, sla=sla), runtime) as client:
        _, token = await open_form(client, EN)
        status, page, _ = await send(client, token, EN, text=EN_TEXT)
        assert status == 200
        assert "must acknowledge it within 10 seconds. If" in page and "urgent" not in page
