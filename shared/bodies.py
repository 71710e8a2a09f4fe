"""Reading a request's body: every body goes through :func:`read_json` or :func:`read_form`.

They turn hostile input (wrong type, too large, too slow, bad UTF-8, NUL bytes, malformed syntax,
nesting, numbers or escapes no parser should trust: see :mod:`shared.boundedjson`) into a 4xx
before any handler logic runs, and validation errors into plain words (:mod:`shared.validation`),
in the worker's language on worker-facing endpoints.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from multidict import MultiDict
from pydantic import BaseModel, ValidationError

from shared import boundedjson
from shared.forms import parse_form
from shared.listen import LIMITS
from shared.validation import (
    Language,
    chosen_language,
    example_body,
    field_error,
    language_of,
    plain_errors,
    summary,
)
from shared.web import BODY_TIMEOUT, MAX_BODY, Model, Problem


def require_content_type(request: web.Request, *allowed: str, language: Language = "en") -> None:
    if request.content_type not in allowed:
        detail = (
            f"请以 {' 或 '.join(allowed)} 格式发送。" if language == "zh" else f"send {' or '.join(allowed)}"
        )
        raise Problem(415, "Unsupported Media Type", detail)


async def read_text_body(request: web.Request, limit: int = MAX_BODY, language: Language = "en") -> str:
    """The body as text: 413 when too large, 408 when it does not arrive in time (the application's
    ``BODY_TIMEOUT``), 400 for bytes that are not UTF-8 or hold NUL; said in ``language``."""
    zh = language == "zh"
    too_large = f"内容太长：最多 {limit} 字节；请写短一些。" if zh else f"the limit is {limit} bytes"
    if request.content_length is not None and request.content_length > limit:
        raise Problem(413, "Content Too Large", too_large)
    timeout = request.app.get(BODY_TIMEOUT, LIMITS.body_timeout)
    try:
        async with asyncio.timeout(timeout):
            raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Problem(413, "Content Too Large", too_large) from None
    except TimeoutError:
        late = (
            f"内容没有在 {timeout:g} 秒内送达；请重新发送。"
            if zh
            else f"the body did not arrive within {timeout:g} s"
        )
        problem = Problem(408, "Request Timeout", late)
        problem.headers["Connection"] = "close"
        raise problem from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        not_utf8 = (
            "请求内容不是有效的 UTF-8 文字；请用 UTF-8 编码发送。" if zh else "the body is not valid UTF-8"
        )
        raise Problem(400, "Bad Request", not_utf8) from None
    if "\x00" in text:
        raise Problem(400, "Bad Request", boundedjson.NUL_ZH if zh else "the body holds a NUL character")
    return text


async def read_json(request: web.Request, model: type[Model], *, worker_facing: bool = False) -> Model:
    """The body as ``model``; on worker-facing endpoints every error speaks the worker's language: the
    browser's until the body is read, then the one the body chooses (``language``)."""
    language: Language = "en"
    if worker_facing:
        language = language_of(request.headers.get("Accept-Language"))
    require_content_type(request, "application/json", language=language)
    text = await read_text_body(request, language=language)
    try:
        raw = boundedjson.loads(text)
    except boundedjson.Rejected as exc:
        if exc.field is None:
            raise Problem(400, "Bad Request", _rejected(exc, model, language)) from None
        errors = [field_error("string_unicode", exc.field, model, language)]
        raise Problem(422, "Unprocessable Content", summary(errors, language), errors=errors) from None
    if not isinstance(raw, dict):
        detail = "the body must be a JSON object"
        if language == "zh":
            detail = f"请求内容应为一个 JSON 对象，例如 {example_body(model)}。"
        raise Problem(422, "Unprocessable Content", detail)
    if worker_facing:
        language = language_of(request.headers.get("Accept-Language"), chosen_language(raw))
    return validate(model, raw, language)


def _rejected(exc: boundedjson.Rejected, model: type[BaseModel], language: Language) -> str:
    """The parser's refusal in ``language``; a Chinese reader of a body not shaped as expected is also
    shown one that is."""
    if language != "zh":
        return str(exc)
    return f"{exc.zh}；应为一个 JSON 对象，例如 {example_body(model)}。" if exc.shape else exc.zh


def validate(model: type[Model], raw: Any, language: Language = "en") -> Model:
    """Validate input against a model; 422 says in plain words what each field expects, and never
    echoes the values (:mod:`shared.validation`)."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = plain_errors(exc, model, language)
        raise Problem(422, "Unprocessable Content", summary(errors, language), errors=errors) from None


async def read_form(request: web.Request) -> MultiDict[str]:
    """A strictly parsed urlencoded form; repeated fields are kept."""
    require_content_type(request, "application/x-www-form-urlencoded")
    text = await read_text_body(request)
    try:
        pairs = parse_form(text)
    except ValueError:  # UnicodeDecodeError included
        raise Problem(400, "Bad Request", "malformed form body") from None
    if any("\x00" in k or "\x00" in v for k, v in pairs):
        raise Problem(400, "Bad Request", "the form holds a NUL character")
    return MultiDict(pairs)
