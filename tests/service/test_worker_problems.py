"""Worker-facing endpoints through real aiohttp servers: every refusal of a body in the worker's language.

A worker reading Chinese is told in Chinese what is wrong with a body and what is expected (the
English stays as it was for everyone else); no detail shows a pattern or pydantic's own words.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from shared.runtime import Runtime
from shared.settings import Settings
from shared.web import MAX_BODY
from tests.conftest import make_settings
from tests.service import router_support
from tests.service.intake_support import intake_settings
from tests.service.intake_support import serve as serve_intake

GRIEVANCES = "/api/v1/grievances"
STATUS = "/api/v1/status/K7QMZ-3HNWP"
CONFIRM = "/api/v1/contact/confirm"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
JSON = "application/json"
# A body too large for any endpoint, sent whole (with its length) and in pieces (without).
TOO_LARGE = b'{"text": "' + b"A" * MAX_BODY + b'"}'

# What a body can be refused for before any field is looked at: (kind, body, content type, status,
# the English detail as it always was, the Chinese one).
BODY_PROBLEMS = [
    (
        "content type",
        b'{"text": "hi"}',
        "text/plain",
        415,
        "send application/json",
        "请以 application/json 格式发送",
    ),
    ("too large", TOO_LARGE, JSON, 413, f"the limit is {MAX_BODY} bytes", f"内容太长：最多 {MAX_BODY} 字节"),
    ("not UTF-8", b'{"text": "\xff"}', JSON, 400, "the body is not valid UTF-8", "不是有效的 UTF-8 文字"),
    ("NUL", b'{"text": "a\x00b"}', JSON, 400, "the body holds a NUL character", "内容中有空字符（NUL）"),
    ("NUL escaped", b'{"text": "a\\u0000b"}', JSON, 400, "the body holds a NUL character", "空字符（NUL）"),
    (
        "malformed",
        b'{"text": "hi"',
        JSON,
        400,
        "malformed JSON at position 13",
        "不是有效的 JSON（第 14 个字符处有误）",
    ),
    ("empty", b"", JSON, 400, "malformed JSON at position 0", "不是有效的 JSON（内容是空的）"),
    (
        "nested",
        b"[" * 40 + b"]" * 40,
        JSON,
        400,
        "nested more than 32 levels deep",
        "JSON 的层次太多（最多 32 层）",
    ),
    ("long number", b'{"pin": ' + b"9" * 40 + b"}", JSON, 400, "has more than 32 digits", "数字超过 32 位"),
    ("huge number", b'{"pin": 1e400}', JSON, 400, "a number in the JSON is too large", "数字太大"),
    ("NaN", b'{"pin": NaN}', JSON, 400, "NaN is not a JSON value", "NaN 不是 JSON 的值"),
    ("repeated key", b'{"pin": "1", "pin": "2"}', JSON, 400, "a key is repeated", "有一个字段写了两次"),
    ("not an object", b'["hi"]', JSON, 422, "the body must be a JSON object", "请求内容应为一个 JSON 对象"),
    (
        "lone surrogate",
        b'{"text": "a\\ud800"}',
        JSON,
        422,
        "text must be valid Unicode text",
        "text 应为有效的 Unicode 文字",
    ),
]
# Each endpoint's body, as the Chinese details show it beside a body that is not shaped as expected.
EXAMPLES = {
    GRIEVANCES: '例如 {"factory_code": "GZ-001", "text": "…"}',
    STATUS: '例如 {"pin": "4829130571"}',
    CONFIRM: '例如 {"reference": "K7QMZ-3HNWP", "code": "123456"}',
}
SHAPES = ("malformed", "empty", "nested", "not an object")

# pydantic's words, and what a pattern looks like (a character class, an anchor, a quantifier).
PYDANTIC = ("Input should", "Extra inputs", "String should match", "value_error", "Value error")
REGEX = re.compile(r"\^|\$'|\[[^\]\s]*-[^\]\s]*\]|\\[dDwWsS]|\{\d+(,\d*)?\}|\(\?")


@pytest.fixture
def settings() -> Settings:
    # The sweep below sends more requests than a client may send a minute.
    return make_settings(status_rate_limit=10_000, webform_client_limit=10_000)


@pytest.fixture
async def intake(
    settings_factory: Callable[..., Settings], runtime: Runtime
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = intake_settings(settings_factory, webform_client_limit=10_000)
    async with serve_intake(settings, runtime) as client:
        yield client


@pytest.fixture
async def router(runtime: Runtime) -> AsyncIterator[router_support.RouterClient]:
    async with router_support.serve(runtime) as client:
        yield client


async def refused(
    client: TestClient[web.Request, web.Application],
    path: str,
    body: bytes,
    content_type: str,
    **headers: str,
) -> tuple[int, Any]:
    response = await client.post(path, data=body, headers={"Content-Type": content_type, **headers})
    assert response.content_type == "application/problem+json"
    return response.status, await response.json(content_type=None)


@pytest.mark.parametrize(
    ("kind", "body", "content_type", "status", "english", "chinese"),
    BODY_PROBLEMS,
    ids=[p[0] for p in BODY_PROBLEMS],
)
async def test_each_problem_of_a_body_in_both_languages(
    intake: TestClient[web.Request, web.Application],
    kind: str,
    body: bytes,
    content_type: str,
    status: int,
    english: str,
    chinese: str,
) -> None:
    got, answer = await refused(intake, GRIEVANCES, body, content_type, **EN)
    assert got == status and english in answer["detail"], answer
    got, answer = await refused(intake, GRIEVANCES, body, content_type, **ZH)
    assert got == status and chinese in answer["detail"], answer
    assert english not in answer["detail"] and not re.search(
        r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", answer["detail"]
    )
    if kind in SHAPES:
        assert answer["detail"].endswith(EXAMPLES[GRIEVANCES] + "。")


async def test_a_body_too_large_sent_in_pieces_is_refused_in_chinese(
    intake: TestClient[web.Request, web.Application],
) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(TOO_LARGE), 8192):
            yield TOO_LARGE[start : start + 8192]

    response = await intake.post(GRIEVANCES, data=pieces(), headers={"Content-Type": JSON, **ZH})
    assert response.status == 413
    assert f"最多 {MAX_BODY} 字节" in (await response.json(content_type=None))["detail"]


async def test_no_chinese_reader_gets_english_for_a_body_whatever_the_endpoint(
    intake: TestClient[web.Request, web.Application], router: router_support.RouterClient
) -> None:
    for client, path in ((intake, GRIEVANCES), (router, STATUS), (router, CONFIRM)):
        for kind, body, content_type, status, english, _ in BODY_PROBLEMS:
            got, answer = await refused(client, path, body, content_type, **ZH)
            assert got == status and english not in answer["detail"], (path, kind, answer)
            if kind in SHAPES:
                assert answer["detail"].endswith(EXAMPLES[path] + "。"), (path, answer)


# Bodies refused field by field, on each endpoint: wrong types, patterns, extra and missing fields.
FIELD_BODIES: dict[str, list[dict[str, Any]]] = {
    GRIEVANCES: [
        {},
        {"factory_code": "GZ 001", "text": "x"},
        {"factory_code": 7, "text": ["x"], "anonymous": "yes", "colour": "red"},
        {"factory_code": "GZ-001", "text": "", "language": "fr", "idempotency_key": "short"},
        {"factory_code": "GZ-001", "text": "x" * 4001, "contact": "1" * 65},
        {"factory_code": "GZ-001", "text": "x", "contact": "12"},
        {"factory_code": "NOPE-404", "text": "x"},
    ],
    STATUS: [{}, {"pin": 123}, {"pin": ""}, {"pin": "1" * 33, "language": "de"}, {"pin": "1", "x": 1}],
    CONFIRM: [
        {},
        {"reference": "nope", "code": "12"},
        {"reference": 5, "code": 123456, "extra": True},
        {"reference": "K7QMZ-3HNWP", "code": "123456", "language": "fr"},
    ],
}


async def test_too_many_confirmation_attempts_are_told_in_the_workers_language(runtime: Runtime) -> None:
    limited = dataclasses.replace(runtime, settings=make_settings(status_rate_limit=1))
    async with router_support.serve(limited) as client:
        body = json.dumps({"reference": "K7QMZ-3HNWP", "code": "123456"}).encode()
        assert (await refused(client, CONFIRM, body, JSON, **ZH))[0] == 404
        status, answer = await refused(client, CONFIRM, body, JSON, **ZH)
        assert status == 429 and answer["detail"] == "尝试次数太多，请等一分钟再试。"
        status, answer = await refused(client, CONFIRM, body, JSON, **EN)
        assert status == 429 and answer["detail"] == "too many attempts; wait a minute"


def plain(answer: dict[str, Any]) -> list[str]:
    """Every sentence a problem shows a person: its detail and each field's message."""
    return [answer.get("detail", ""), *(error["message"] for error in answer.get("errors", []))]


@pytest.mark.parametrize("headers", [ZH, EN], ids=["zh", "en"])
async def test_no_worker_facing_detail_shows_a_pattern_or_pydantics_words(
    intake: TestClient[web.Request, web.Application],
    router: router_support.RouterClient,
    headers: dict[str, str],
) -> None:
    seen = 0
    for client, path in ((intake, GRIEVANCES), (router, STATUS), (router, CONFIRM)):
        bodies = [json.dumps(body).encode() for body in FIELD_BODIES[path]]
        bodies += [body for _, body, content_type, *_ in BODY_PROBLEMS if content_type == JSON]
        for body in bodies:
            status, answer = await refused(client, path, body, JSON, **headers)
            assert 400 <= status < 500, (path, body, answer)
            for sentence in plain(answer):
                seen += 1
                assert not any(phrase in sentence for phrase in PYDANTIC), (path, sentence)
                assert not REGEX.search(sentence), (path, sentence)
                if headers is ZH:
                    assert re.search("[\u4e00-\u9fff]", sentence), (path, sentence)
    assert seen > 60


def test_the_pattern_check_sees_the_patterns_of_these_models() -> None:
    """The sweep above could not fail if REGEX missed what pydantic would have shown."""
    for pattern in (r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$", r"^[0-9]{6}$", r"^[A-Za-z0-9_-]{16,128}$"):
        assert REGEX.search(f"String should match pattern '{pattern}'")
    assert not REGEX.search('例如 {"factory_code": "GZ-001", "text": "…"}')
