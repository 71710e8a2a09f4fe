"""The committee API and the public status page on the router's port (design section 7).

Every committee route authenticates a bearer token with the committee role and reads only cases
whose ``committee_id`` is the token's: another committee's case is a 404 exactly like an unknown
reference. Answers are built from the allow-lists in :mod:`services.router.cases`. When the broker
does not confirm an action's events the answer is 503 with Retry-After; the action is durable and
its events wait in the case's outbox, so the retried request completes it (see
:mod:`services.router.actions`).
"""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.router import actions, store
from services.router.cases import case_view, status_view, summary_view
from services.router.ratelimit import RateLimiter
from shared.auth import Principal, require
from shared.messaging import PublishError
from shared.privacy import pin_hash
from shared.runtime import RUNTIME, Runtime
from shared.web import Problem, json_response, read_json, validate

REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
STATUS_LIMITER = web.AppKey("status_limiter", RateLimiter)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[Text, Field(max_length=1000)]


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Annotated[Text, Field(max_length=1000)]


class RecuseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[Text, Field(max_length=500)]


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["assigned", "acknowledged", "resolved", "reopened", "closed"] | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)


def _unavailable() -> Problem:
    problem = Problem(503, "Service Unavailable", "the event bus did not confirm; retry the request")
    problem.headers["Retry-After"] = "5"
    return problem


def _not_found() -> Problem:
    return Problem(404, "Not Found", "no such case")


async def _committee(request: web.Request) -> tuple[Runtime, str]:
    runtime = request.app[RUNTIME]
    principal: Principal = await require(request, runtime.db, "committee")
    assert principal.committee_id is not None  # shared.auth never issues a committee token without one
    return runtime, principal.committee_id


async def _own_case(
    request: web.Request, *, recused_too: bool = False
) -> tuple[Runtime, str, dict[str, Any]]:
    runtime, committee_id = await _committee(request)
    reference = request.match_info["reference"].upper()
    if not REFERENCE.match(reference):
        raise _not_found()
    case = await store.committee_case(runtime.db, reference, committee_id, recused_too=recused_too)
    if case is None:
        raise _not_found()
    return runtime, committee_id, case


async def list_cases(request: web.Request) -> web.Response:
    runtime, committee_id = await _committee(request)
    query = validate(ListQuery, dict(request.query))
    skip = (query.page - 1) * query.per_page
    cases, total = await store.list_cases(runtime.db, committee_id, query.status, skip, query.per_page)
    return json_response(
        {
            "items": [summary_view(c) for c in cases],
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
        }
    )


async def get_case(request: web.Request) -> web.Response:
    runtime, _, case = await _own_case(request)
    return json_response(case_view(case, await store.delivery_statuses(runtime.db, case)))


async def _fresh_view(runtime: Runtime, case_id: str) -> web.Response:
    case = await store.case_by_id(runtime.db, case_id)
    assert case is not None
    return json_response(case_view(case, await store.delivery_statuses(runtime.db, case)))


async def _act(coro: Any) -> Any:
    try:
        return await coro
    except PublishError:
        raise _unavailable() from None
    except actions.CaseClosed:
        raise Problem(409, "Conflict", "the case is closed") from None
    except actions.Conflict as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except actions.Moved:
        raise Problem(409, "Conflict", "the case changed at the same time; retry") from None


async def acknowledge(request: web.Request) -> web.Response:
    runtime, _, case = await _own_case(request)
    reach = await store.reaches_worker(runtime.db, case.get("reporter_key"))
    await _act(actions.acknowledge(runtime, case, reach))
    return await _fresh_view(runtime, case["_id"])


async def post_message(request: web.Request) -> web.Response:
    runtime, _, case = await _own_case(request)
    body = await read_json(request, MessageBody)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Bad Request", "Idempotency-Key must be 1-128 letters, digits or ._:-")
    reach = await store.reaches_worker(runtime.db, case.get("reporter_key"))
    message_id = await _act(actions.reply(runtime, case, body.text, key, reach))
    response = await _fresh_view(runtime, case["_id"])
    response.headers["Location"] = f"/api/v1/cases/{case['reference']}#message-{message_id}"
    return response


async def resolve(request: web.Request) -> web.Response:
    runtime, _, case = await _own_case(request)
    body = await read_json(request, ResolveBody)
    reach = await store.reaches_worker(runtime.db, case.get("reporter_key"))
    await _act(actions.resolve(runtime, case, body.resolution, reach))
    return await _fresh_view(runtime, case["_id"])


async def recuse(request: web.Request) -> web.Response:
    runtime, committee_id, case = await _own_case(request, recused_too=True)
    body = await read_json(request, RecuseBody)
    await _act(actions.recuse(runtime, case, committee_id, body.reason))
    # The case now belongs to someone else: say only that the recusal is recorded.
    return json_response({"reference": case["reference"], "recused": True})


async def public_status(request: web.Request) -> web.Response:
    """Status and deadlines for the worker; wrong PIN and unknown reference are the same 404."""
    runtime = request.app[RUNTIME]
    wait = request.app[STATUS_LIMITER].check(request.remote or "unknown")
    if wait is not None:
        problem = Problem(429, "Too Many Requests", "too many status lookups; wait a minute")
        problem.headers["Retry-After"] = str(wait)
        raise problem
    reference = request.match_info["reference"].upper()
    pin = request.query.get("pin", "")
    if not REFERENCE.match(reference) or not re.fullmatch(r"[0-9]{6}", pin):
        raise _not_found()
    for case in await store.cases_for_status(runtime.db, reference):
        stored = case.get("pin_hash")
        given = pin_hash(runtime.keys, case.get("original_reference") or case["reference"], pin)
        if stored and hmac.compare_digest(stored, given):
            return json_response(status_view(case))
    raise _not_found()


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/cases", list_cases)
    app.router.add_get("/api/v1/cases/{reference}", get_case)
    app.router.add_post("/api/v1/cases/{reference}/acknowledge", acknowledge)
    app.router.add_post("/api/v1/cases/{reference}/messages", post_message)
    app.router.add_post("/api/v1/cases/{reference}/resolve", resolve)
    app.router.add_post("/api/v1/cases/{reference}/recuse", recuse)
    app.router.add_get("/api/v1/status/{reference}", public_status)
