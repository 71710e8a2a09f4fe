"""Hypothesis-driven fuzzing of every intake endpoint: never a 5xx, never a publish for bad input.

Each example goes through the real aiohttp server; the client and bus live across examples, so
every check compares the bus before and after one request.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yarl import URL

from shared.contracts import GrievanceReceived
from shared.memorybus import MemoryBus
from shared.runtime import Runtime
from shared.settings import Settings
from tests.service.fuzz_support import CONTENT_TYPES as HOSTILE_TYPES
from tests.service.fuzz_support import FUZZ as HOSTILE
from tests.service.fuzz_support import any_body, hostile_json, odd_query
from tests.service.intake_support import (
    SMS_PATH,
    intake_settings,
    message_sid,
    serve,
    signature,
    sms_form,
)

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FIELDS = ["MessageSid", "AccountSid", "From", "To", "Body", "SmsMessageSid", "NumMedia", "$gt", "Body[]", ""]
# The fuzzed texts are random; keep them off phone-number shapes so the privacy oracle stays meaningful.
texts = st.text(st.characters(blacklist_categories=["Nd", "Cs"], blacklist_characters="\x00"), max_size=40)
values = st.one_of(
    texts,
    st.sampled_from(["", " ", "SM" + "a" * 32, "MM" + "F" * 32, '{"$gt": ""}', "工厂", "x" * 1601]),
)
pairs = st.lists(st.tuples(st.sampled_from(FIELDS) | texts, values), max_size=8)
CONTENT_TYPES = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data", ""]
)


@pytest.fixture
async def client(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    # Every example comes from one client: the web form's per-client limit would answer most of them
    # 429 before their body is read (test_intake_webform_abuse tests the limit).
    settings = intake_settings(settings_factory, webform_client_limit=10**6)
    async with serve(settings, runtime) as client:
        yield client


def published(bus: MemoryBus) -> int:
    return len(bus.published)


@FUZZ
@given(form=pairs, signed=st.booleans(), base=st.booleans(), content_type=CONTENT_TYPES)
async def test_random_forms(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    form: list[tuple[str, str]],
    signed: bool,
    base: bool,
    content_type: str,
) -> None:
    if base:  # start from a genuine SMS so that the interesting cases are near valid
        form = [*sms_form("hello"), *form]
    headers = {"Content-Type": content_type}
    if signed:
        headers["X-Twilio-Signature"] = signature(form)
    before = published(memory_bus)
    response = await client.post(SMS_PATH, data=urlencode(form).encode(), headers=headers)
    assert response.status < 500
    if response.status == 200:
        assert signed and content_type == "application/x-www-form-urlencoded"
        assert published(memory_bus) - before <= 1
        fields = dict(form)
        assert re.fullmatch(r"(SM|MM)[0-9a-fA-F]{32}", fields["MessageSid"])
        assert 1 <= len(fields["Body"].strip()) <= 1600
    else:
        assert response.content_type == "application/problem+json"
        assert published(memory_bus) == before


@FUZZ
@given(data=st.binary(max_size=300), content_type=CONTENT_TYPES, sign=st.booleans())
async def test_random_bytes_to_the_webhook(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    data: bytes,
    content_type: str,
    sign: bool,
) -> None:
    headers = {"Content-Type": content_type, "X-Twilio-Signature": "x" if not sign else signature([])}
    before = published(memory_bus)
    response = await client.post(SMS_PATH, data=data, headers=headers)
    assert 400 <= response.status < 500
    assert published(memory_bus) == before


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            ["X-Twilio-Signature", "X-Twilio-Webhooks-Signature-Settings", "X-Request-Id", "Content-Length"]
        ),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60),
        max_size=3,
    )
)
async def test_random_headers(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, headers: dict[str, str]
) -> None:
    headers.pop("Content-Length", None)  # a lying length is the transport's business, not ours
    form = sms_form("hello", sid=message_sid())
    before = published(memory_bus)
    response = await client.post(
        SMS_PATH,
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
    )
    assert response.status < 500
    if response.status != 200:
        assert published(memory_bus) == before


json_leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts, values)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=6,
)
form_fields = st.fixed_dictionaries(
    {},
    optional={
        "factory_code": st.one_of(st.sampled_from(["GZ-001", "a", "-x", "$gt", "G" * 33]), json_values),
        "text": st.one_of(texts, json_values),
        "contact": st.one_of(st.sampled_from(["+447700900123", "+1"]), json_values),
        "anonymous": json_values,
        "language": st.one_of(st.sampled_from(["zh", "en", "fr"]), json_values),
        "idempotency_key": st.one_of(st.sampled_from(["k" * 16, "short"]), json_values),
    },
)


@FUZZ
@given(body=st.one_of(form_fields, st.dictionaries(texts, json_values, max_size=4), json_values))
async def test_random_json(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: Any
) -> None:
    before = published(memory_bus)
    response = await client.post(
        "/api/v1/grievances", data=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status < 500
    if response.status == 202:
        assert published(memory_bus) - before <= 1
        assert set(body) <= {"factory_code", "text", "contact", "anonymous", "language", "idempotency_key"}
        assert isinstance(body["factory_code"], str) and re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", body["factory_code"]
        )
        assert isinstance(body["text"], str) and 1 <= len(body["text"].strip()) <= 4000
        event = memory_bus.published[-1]
        assert isinstance(event, GrievanceReceived) and event.text == body["text"].strip()
    else:
        assert response.content_type == "application/problem+json"
        assert published(memory_bus) == before


@FUZZ
@given(data=st.binary(max_size=300), content_type=CONTENT_TYPES)
async def test_random_bytes_to_the_web_form(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, data: bytes, content_type: str
) -> None:
    before = published(memory_bus)
    response = await client.post("/api/v1/grievances", data=data, headers={"Content-Type": content_type})
    assert 400 <= response.status < 500
    assert published(memory_bus) == before


@HOSTILE
@given(body=hostile_json(["factory_code", "text", "contact", "anonymous", "language", "idempotency_key"]))
async def test_hostile_json_to_the_web_form(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, body: bytes
) -> None:
    before = published(memory_bus)
    response = await client.post(
        "/api/v1/grievances", data=body, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status < 500
    assert response.content_type == "application/problem+json"
    assert published(memory_bus) == before


@HOSTILE
@given(
    path=st.sampled_from([SMS_PATH, "/webhooks/twilio/status"]),
    body=any_body,
    content_type=HOSTILE_TYPES,
    sign=st.booleans(),
)
async def test_hostile_bodies_to_the_webhooks(
    client: TestClient[web.Request, web.Application],
    memory_bus: MemoryBus,
    path: str,
    body: bytes,
    content_type: str,
    sign: bool,
) -> None:
    headers = {"Content-Type": content_type, "X-Twilio-Signature": signature([], path) if sign else "x"}
    before = published(memory_bus)
    response = await client.post(path, data=body, headers=headers)
    assert 400 <= response.status < 500
    assert response.content_type == "application/problem+json"
    assert published(memory_bus) == before


@HOSTILE
@given(
    path=st.sampled_from(
        ["/api/v1/grievances", SMS_PATH, "/webhooks/twilio/status", "/healthz", "/openapi.json"]
    ),
    query=odd_query(["factory_code", "text", "MessageSid", "Body"]),
)
async def test_odd_query_strings(
    client: TestClient[web.Request, web.Application], memory_bus: MemoryBus, path: str, query: str
) -> None:
    before = published(memory_bus)
    method = "GET" if path in ("/healthz", "/openapi.json") else "POST"
    response = await client.request(method, URL(f"{path}?{query}", encoded=True))
    assert response.status < 500
    assert published(memory_bus) == before
