"""HTTP edge helpers shared by the three services: the application, its request middleware, answers.

Every error leaves as RFC 9457 ``application/problem+json``, rendered once by :func:`request_context`
from the :class:`Problem` raised where the rule lives; every body is read through
:mod:`shared.bodies`; every request is logged by :mod:`shared.access_log`.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel

from shared.access_log import AccessLogger
from shared.listen import LIMITS, runner_options
from shared.metrics import count_request

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
