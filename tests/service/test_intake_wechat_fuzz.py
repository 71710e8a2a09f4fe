"""Hypothesis against ``/webhooks/wechat``: never a 5xx, never a publish for what is not a signed text.

The XML is generated near WeChat's shape (the right root and field names, hostile values: entities,
DTDs, CDATA ends, huge or millisecond ``CreateTime``, repeated fields), then posted signed in
plaintext mode, encrypted and signed in safe mode (so the hostile XML is what the ciphertext opens
to), or unsigned. The client and bus live across examples; each check compares the bus before and
after one request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from xml.sax.saxutils import escape

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts import ContactWithdrawn, GrievanceReceived
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings
from tests.fakes import WORKER_OPENID
from tests.providers.wechat_push import Push
from tests.service.fuzz_support import CONTENT_TYPES as HOSTILE_TYPES
from tests.service.fuzz_support import FUZZ, any_body, odd_query, texts
from tests.service.intake_support import serve
from tests.service.wechat_support import ACCOUNT, PATH, post_push, pusher, wechat_settings

FIELDS = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Content",
    "MsgId",
    "Event",
    "EventKey",
    "MediaId",
    "Format",
    "Recognition",
    "Encrypt",
]
VALUES = st.one_of(
    texts,
    st.sampled_from(
        [
            "",
            ACCOUNT,
            WORKER_OPENID,
            "text",
            "voice",
            "event",
            "subscribe",
            "unsubscribe",
            "image",
            "1772438400",
            "1772438400000",
            "-1",
            "9" * 30,
            "18446744073709551616",
            "<![CDATA[a]]>",
            "]]>",
            "&amp;",
            "&#0;",
            "&e;",
            "o" * 65,
        ]
    ),
)
raw_values = VALUES.map(lambda v: v if v.startswith(("<![CDATA[", "&")) else escape(v))
children = st.lists(
    st.tuples(st.sampled_from(FIELDS) | st.sampled_from(["x", "xml", "a:b"]), raw_values), max_size=9
)
doctype = st.sampled_from(
    ["", '<!DOCTYPE xml [<!ENTITY e "x">]>', '<!DOCTYPE xml SYSTEM "file:///etc/passwd">']
)
roots = st.sampled_from(["xml", "xml", "xml", "root", "XML"])


def _document(prefix: str, root: str, fields: list[tuple[str, str]]) -> bytes:
    inner = "".join(f"<{tag}>{value}</{tag}>" for tag, value in fields)
    return f"{prefix}<{root}>{inner}</{root}>".encode()


documents = st.builds(_document, doctype, roots, children)
near_valid = st.builds(
    lambda fields, extra: _document(
        "",
        "xml",
        [
            ("ToUserName", ACCOUNT),
            ("FromUserName", WORKER_OPENID),
            ("CreateTime", "1772438400"),
            ("MsgType", "text"),
            *fields,
            *extra,
        ],
    ),
    st.lists(st.tuples(st.sampled_from(["Content", "MsgId", "Event", "MsgType"]), raw_values), max_size=3),
    st.lists(st.tuples(st.sampled_from(FIELDS), raw_values), max_size=2),
)
bodies = st.one_of(documents, near_valid, st.binary(max_size=200))
MODES = st.sampled_from(["plaintext", "safe", "unsigned"])


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(wechat_settings(settings_factory, safe=False), runtime) as client:
        yield client


@pytest.fixture
async def safe_client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with serve(wechat_settings(settings_factory), runtime) as client:
        yield client


def effects(bus: MemoryBus) -> int:
    return len(bus.published)


def _check(response_status: int, content_type: str, bus: MemoryBus, before: int) -> None:
    assert response_status < 500
    if response_status == 200:
        assert effects(bus) - before <= 1
        for event in bus.published[before:]:
            assert isinstance(event, GrievanceReceived | ContactWithdrawn)
            if isinstance(event, GrievanceReceived):
                assert event.channel == "wechat" and 1 <= len(event.text) <= 4000
    else:
        assert content_type == "application/problem+json"
        assert effects(bus) == before


@FUZZ
@given(body=bodies, mode=MODES)
async def test_random_xml_in_plaintext_mode(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: bytes, mode: str
) -> None:
    account = pusher()
    push = account.push(body, mode="plaintext")
    if mode == "unsigned":
        push = Push({**push.query, "signature": "0" * 40}, body)
    before = effects(memory_bus)
    response = await post_push(client, push)
    if mode == "unsigned":
        assert response.status == 403
    _check(response.status, response.content_type, memory_bus, before)


@FUZZ
@given(body=bodies, mode=MODES)
async def test_random_xml_inside_the_ciphertext(
    safe_client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: bytes, mode: str
) -> None:
    """Safe mode: the hostile XML is what a correctly signed ciphertext opens to."""
    account = pusher()
    push = account.push(body, mode="plaintext" if mode == "plaintext" else "safe")
    if mode == "unsigned":
        push = Push({**push.query, "msg_signature": "0" * 40}, push.body)
    before = effects(memory_bus)
    response = await post_push(safe_client, push)
    if mode != "safe":
        assert response.status == 403  # plaintext in safe mode, or a bad msg_signature
    _check(response.status, response.content_type, memory_bus, before)


@FUZZ
@given(
    query=odd_query(["signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "openid"])
)
async def test_odd_queries(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, query: str
) -> None:
    before = effects(memory_bus)
    for method in ("GET", "POST"):
        response = await client.request(
            method, f"{PATH}?{query}", data=b"<xml/>", headers={"Content-Type": "text/xml"}
        )
        assert 400 <= response.status < 500
        assert response.content_type == "application/problem+json"
    assert effects(memory_bus) == before


@FUZZ
@given(body=any_body, content_type=HOSTILE_TYPES, sign=st.booleans())
async def test_hostile_bodies(
    safe_client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    body: bytes,
    content_type: str,
    sign: bool,
) -> None:
    push = pusher().push(b"<xml/>", mode="safe")
    query = push.query if sign else {**push.query, "signature": "x"}
    before = effects(memory_bus)
    response = await safe_client.post(PATH, params=query, data=body, headers={"Content-Type": content_type})
    assert 400 <= response.status < 500
    assert response.content_type == "application/problem+json"
    assert effects(memory_bus) == before
