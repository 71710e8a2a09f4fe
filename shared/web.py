"""HTTP edge helpers shared by the three services.

Every error leaves as RFC 9457 ``application/problem+json``; every body is read through
:func:`read_json` or :func:`read_form`, which turn hostile input (wrong type, too large, bad UTF-8,
NUL bytes, malformed syntax, nesting, numbers or escapes no parser should trust: see
:mod:`shared.boundedjson`) into a 4xx before any handler logic runs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from multidict import MultiDict
from pydantic import BaseModel, ValidationError

from shared import boundedjson
from shared.forms import parse_form
from shared.listen import LIMITS, runner_options
from shared.metrics import count_request
from shared.validation import (
    Language,
    chosen_language,
    example_body,
    field_error,
    language_of,
    plain_errors,
    summary,
)

log = structlog.get_logger(__name__)

MAX_BODY = 64 * 1024
PROBLEM_TYPE = "application/problem+json"
SERVICE = web.AppKey("service", str)
BODY_TIMEOUT = web.AppKey("body_timeout", float)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
Model = TypeVar("Model", bound=BaseModel)


class Problem(Exception):
    """An HTTP error for the client; raised where the rule lives, rendered once by the middleware."""

    def __init__(self, status: int, title: str, detail: str | None = None, **extra: Any) -> None:
        super().__init__(title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers: dict[str, str] = {}


def problem_response(status: int, title: str, detail: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.Response(
        status=status, text=json.dumps(body, ensure_ascii=False), content_type=PROBLEM_TYPE, charset="utf-8"
    )


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda v: json.dumps(v, ensure_ascii=False, default=str)
    )


_HEX_AS_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")  # hex, written in letters


def _request_ids() -> Iterator[str]:
    """Ids for requests that bring none: a random prefix for this process, then a counter.

    Unique without a system call per request. Letters only: the log scrubber looks twice at anything
    with digits in it (phone numbers), and a request id is in every access line.
    """
    prefix = secrets.token_hex(6).translate(_HEX_AS_LETTERS)
    for number in itertools.count():
        yield f"{prefix}-{format(number, 'x').translate(_HEX_AS_LETTERS)}"


_new_request_id = _request_ids().__next__


@web.middleware
async def request_context(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Give every request an id (the caller's if well-formed), bind it to the logs, echo it back;
    count the answer and time it under the route's pattern, never its path."""
    started = time.perf_counter()
    supplied = request.headers.get("X-Request-Id", "")
    request_id = supplied if _REQUEST_ID.match(supplied) else _new_request_id()
    # bind + reset by token restores exactly what was bound before (keep-alive requests share a
    # task), without the context copies of structlog's bound_contextvars on every request.
    tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        response = await handler(request)
    except Problem as exc:
        response = problem_response(exc.status, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem_response(exc.status, exc.reason)
        for name in ("Allow", "Retry-After", "WWW-Authenticate"):
            if name in exc.headers:
                response.headers[name] = exc.headers[name]
    except Exception:
        log.exception("request_failed", path=request.path)
        response = problem_response(500, "Internal Server Error")
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
    response.headers["X-Request-Id"] = request_id
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    elapsed = time.perf_counter() - started
    count_request(request.app.get(SERVICE, "unknown"), request.method, route, response.status, elapsed)
    return response


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


def new_app(
    service: str,
    middlewares: Iterable[Any] = (),
    max_body: int = MAX_BODY,
    body_timeout: float = LIMITS.body_timeout,
) -> web.Application:
    """An application with the body limits (size, time), the request middleware and its service name
    (for metrics)."""
    app = web.Application(client_max_size=max_body, middlewares=[request_context, *middlewares])
    app[SERVICE] = service
    app[BODY_TIMEOUT] = body_timeout
    return app


# /webhooks/{provider}/{kind}/{secret}: the only paths with a credential in them. Whatever follows the
# kind is hidden, so a provider set up with a trailing slash or an extra segment logs no secret either.
SECRET_PATH = re.compile(r"^(?P<route>/webhooks/[^/]+/[^/]+/).+$")


class AccessLogger(AbstractAccessLogger):
    """One structured line per request: method, path without the query (PINs live there), status.

    The line goes straight through structlog (aiohttp hands in its stdlib access logger, which is
    only used for the level): the stdlib detour would cost more than the rest of the line.
    """

    _log = structlog.get_logger("aiohttp.access")

    def log(self, request: web.BaseRequest, response: web.StreamResponse, duration: float) -> None:
        # A webhook's path secret (the Chinese SMS pushes carry no signature) is a credential. Read
        # from the path itself: a request refused before routing has no match info to ask.
        path = SECRET_PATH.sub(r"\g<route>{secret}", request.rel_url.path)
        self._log.info(
            "http_request",
            method=request.method,
            path=path,
            status=response.status,
            duration_ms=round(duration * 1000, 2),
            request_id=response.headers.get("X-Request-Id"),
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


# How every service is served, by ``run_service``, the embedded run and the tests' server alike. A
# handler keeps running when its client hangs up (aiohttp's own default, stated so tests serve the
# same way): a grievance whose publish has started is published, and the sender's retry finds it.
# Every runner also gets aiohttp's part of the connection bounds (keep-alive, lingering); the
# listener's part is :class:`shared.listen.GuardedSite`.
RUNNER_OPTIONS: dict[str, Any] = {
    "access_log_class": AccessLogger,
    "handler_cancellation": False,
    **runner_options(LIMITS),
}
