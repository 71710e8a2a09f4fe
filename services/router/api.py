"""The committee API and the public status page on the router's port (design section 7).

Every committee route authenticates a bearer token with the committee role and reads only cases
whose ``committee_id`` is the token's: another committee's case is a 404 exactly like an unknown
reference. The operations are the committee desk's (:mod:`services.router.desk`), which the console
calls too; answers are built from the allow-lists in :mod:`services.router.views`. This is where the
router's domain errors become problem+json (:func:`_act`). When the broker does not confirm
an action's events the answer is 503 with Retry-After; the action is durable and its events wait in
the case's outbox, so the retried request completes it (see :mod:`services.router.outbox`).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import Annotated, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.router import actions, status_page
from services.router.appkeys import CASES, DESK, TIME_ROUNDING, TOKENS_DB
from services.router.case import Case
from services.router.errors import (
    CaseClosed,
    CaseNotFound,
    ChangedConcurrently,
    Conflict,
    NotYourCase,
    WorkerUnreachable,
)
from services.router.views import summary_view
from shared.auth import Principal, require
from shared.bodies import read_json, validate
from shared.contracts import Category, Severity
from shared.ids import is_reference
from shared.messaging import PublishError
from shared.web import Problem, json_response

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
T = TypeVar("T")


class MessageBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[Text, Field(max_length=1000)]


class ResolveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: Annotated[Text, Field(max_length=1000)]


class RecuseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[Text, Field(max_length=500)]


class RecategoriseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: Category
    # None: the category's own severity (the lexicon's base severity).
    severity: Severity | None = None


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


async def _act(action: Awaitable[T]) -> T:
    """Run an action; its domain errors (and an unconfirmed publish) as the client sees them."""
    try:
        return await action
    except PublishError:
        raise _unavailable() from None
    except (NotYourCase, CaseNotFound):
        raise _not_found() from None
    except CaseClosed:
        raise Problem(409, "Conflict", "the case is closed") from None
    except WorkerUnreachable as exc:
        raise Problem(409, "Conflict", str(exc), worker_contact=exc.contact) from None
    except Conflict as exc:
        raise Problem(409, "Conflict", str(exc)) from None
    except ChangedConcurrently:
        raise Problem(409, "Conflict", "the case changed at the same time; retry") from None


async def _committee(request: web.Request) -> str:
    principal: Principal = await require(request, request.app[TOKENS_DB], "committee")
    assert principal.committee_id is not None  # shared.auth never issues a committee token without one
    return principal.committee_id


async def _own_case(request: web.Request, *, recused_too: bool = False) -> tuple[str, Case]:
    committee_id = await _committee(request)
    reference = request.match_info["reference"].upper()
    if not is_reference(reference):
        raise _not_found()
    case = await request.app[CASES].committee_case(reference, committee_id, recused_too=recused_too)
    if case is None:
        raise _not_found()
    return committee_id, case


async def _view(request: web.Request, case: Case) -> web.Response:
    return json_response(await request.app[DESK].view(case))


async def list_cases(request: web.Request) -> web.Response:
    committee_id = await _committee(request)
    query = validate(ListQuery, dict(request.query))
    skip = (query.page - 1) * query.per_page
    cases, total = await request.app[CASES].list_for_committee(
        committee_id, query.status, skip, query.per_page
    )
    return json_response(
        {
            "items": [summary_view(c, request.app[TIME_ROUNDING]) for c in cases],
            "page": query.page,
            "per_page": query.per_page,
            "total": total,
        }
    )


async def get_case(request: web.Request) -> web.Response:
    _, case = await _own_case(request)
    return await _view(request, case)


async def acknowledge(request: web.Request) -> web.Response:
    committee_id, case = await _own_case(request)
    return await _view(request, await _act(request.app[DESK].acknowledge(case, committee_id)))


async def post_message(request: web.Request) -> web.Response:
    committee_id, case = await _own_case(request)
    body = await read_json(request, MessageBody)
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise Problem(400, "Bad Request", "Idempotency-Key must be 1-128 letters, digits or ._:-")
    message = actions.message_id(case.case_id, key)
    done = await _act(request.app[DESK].reply(case, committee_id, body.text, message=message))
    response = await _view(request, done)
    response.headers["Location"] = f"/api/v1/cases/{case.reference}#message-{message}"
    return response


async def resolve(request: web.Request) -> web.Response:
    committee_id, case = await _own_case(request)
    body = await read_json(request, ResolveBody)
    return await _view(request, await _act(request.app[DESK].resolve(case, committee_id, body.resolution)))


async def recuse(request: web.Request) -> web.Response:
    committee_id, case = await _own_case(request, recused_too=True)
    body = await read_json(request, RecuseBody)
    await _act(request.app[DESK].recuse(case, committee_id, body.reason))
    # The case now belongs to someone else: say only that the recusal is recorded.
    return json_response({"reference": case.reference, "recused": True})


async def recategorise(request: web.Request) -> web.Response:
    committee_id, case = await _own_case(request)
    body = await read_json(request, RecategoriseBody)
    done = await _act(request.app[DESK].recategorise(case, committee_id, body.category, body.severity))
    if done.committee_id != committee_id:
        # Retaliation went to the NGO: like a recusal, say only that it is recorded.
        return json_response({"reference": case.reference, "recategorised": True})
    return await _view(request, done)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/cases", list_cases)
    app.router.add_get("/api/v1/cases/{reference}", get_case)
    app.router.add_post("/api/v1/cases/{reference}/acknowledge", acknowledge)
    app.router.add_post("/api/v1/cases/{reference}/messages", post_message)
    app.router.add_post("/api/v1/cases/{reference}/resolve", resolve)
    app.router.add_post("/api/v1/cases/{reference}/recuse", recuse)
    app.router.add_post("/api/v1/cases/{reference}/recategorise", recategorise)
    app.router.add_post("/api/v1/status/{reference}", status_page.public_status)
    app.router.add_get("/api/v1/status-lockouts", status_page.lockouts)
